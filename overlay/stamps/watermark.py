"""The invisible watermark stamp (last in the chain, over everything the frame shows) and
the installation's watermark key."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from overlay.errors import ProvenanceError
from overlay.frames import Frame
from overlay.session import Session
from overlay.watermark import (
    DEFAULT_STRENGTH,
    FORMAT_VERSION,
    PUBLIC_KEY,
    Embedder,
    Payload,
    seal_session_id,
)

__all__ = ["KEY_FILE", "WatermarkStamp", "installation_key"]

#: The installation's watermark key, in ``overlay.paths.config_dir()``.
KEY_FILE = "watermark.key"


def installation_key(path: Path | None = None, *, check_mode: bool = True) -> bytes:
    """The installation's 32-byte watermark key, created (mode 0600) on first use.

    Args:
        path: the key file; default ``config_dir() / "watermark.key"``.
        check_mode: refuse a key file readable by others (sessions; ``verify`` only reads).

    Raises:
        ProvenanceError: the file exists but does not hold 64 hex characters, or is
            readable by the group or others.
    """
    if path is None:
        from overlay.paths import config_dir

        path = config_dir() / KEY_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if check_mode:
            from overlay.provenance._files import check_private

            check_private(path)  # a secret: refused at 0644, like the signing keys
    else:
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32) + "\n")
    try:
        text = path.read_text().strip()
        key = bytes.fromhex(text)
    except (OSError, ValueError) as exc:
        raise ProvenanceError(
            f"cannot read the watermark key {path}: {exc}; restore it from a backup "
            "(or delete it to make a new one: earlier session ids become unreadable)"
        ) from exc
    if len(key) != 32:
        raise ProvenanceError(
            f"the watermark key {path} holds {len(key)} bytes, not 32; restore it from a "
            "backup (or delete it to make a new one: earlier session ids become unreadable)"
        )
    return key


class WatermarkStamp:
    """Embeds the session's machine-readable disclosure into the frame's luma.

    The payload is: format version, the AI-generated flag, and the session id sealed
    with the installation key. Anyone with the public key detects the mark; only the
    installation key reads the session id.

    Args:
        session: the session (its size and id).
        installation_key: 32 bytes; default: :func:`installation_key`.
        public_key: the detection key (default: overlay's public key).
        strength: peak change in grey levels on textured areas.
    """

    name = "watermark"

    def __init__(
        self,
        session: Session,
        *,
        installation_key: bytes | None = None,
        public_key: bytes = PUBLIC_KEY,
        strength: float = DEFAULT_STRENGTH,
    ) -> None:
        self.session_id = session.id
        key = installation_key if installation_key is not None else _default_key()
        self.payload = Payload(FORMAT_VERSION, True, seal_session_id(session.id, key))
        self._public_key = public_key
        self._strength = strength
        self._embedder = Embedder(self.payload, session.size, public_key, strength)

    def apply(self, frame: Frame) -> Frame:
        h, w = frame.image.shape[:2]
        if (w, h) != self._embedder.size:
            self._embedder = Embedder(self.payload, (w, h), self._public_key, self._strength)
        self._embedder.apply(frame.image)
        return frame


def _default_key() -> bytes:
    return installation_key()
