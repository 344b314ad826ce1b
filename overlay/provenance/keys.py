"""The installation's Ed25519 signing keys.

Files live in ``config_dir()/keys/`` (mode 0600 each): ``<key-id>.key`` (the private key,
PKCS#8 PEM), ``<key-id>.pub`` (the public key, SubjectPublicKeyInfo PEM) and ``current``
(the id of the key that signs new sessions). The key id is the first 16 hex digits of the
SHA-256 of the raw 32-byte public key. ``rotate()`` makes a new current key and deletes
the old private key; its public key stays, so old sessions still verify. Private key
bytes are never logged or printed.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from overlay import paths
from overlay.errors import ProvenanceError
from overlay.provenance._files import check_private, write_atomic, write_private

__all__ = [
    "SigningKey",
    "check_key_files",
    "key_dir",
    "key_id_of",
    "load_public_key",
    "load_signing_key",
    "public_key_pem",
    "public_keys",
    "rotate",
    "verify_signature",
]

log = logging.getLogger(__name__)

ALG = "Ed25519"
_KID = re.compile(r"^[0-9a-f]{16}$")


def key_dir() -> Path:
    """``config_dir()/keys`` (created with mode 0700)."""
    folder = paths.config_dir() / "keys"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def check_key_files() -> list[Path]:
    """Check every private key file of this installation for mode 0600, before a session.

    The watermark key, the Ed25519 signing keys (current and rotated) and the C2PA
    signer's and CA's keys: a key readable by others is refused at start, not found out
    when the recording is signed at the end. Files that do not exist yet are made 0600.

    Returns:
        The files checked.

    Raises:
        ProvenanceError: a key file readable by the group or others.
    """
    config = paths.config_dir()
    files = [config / "watermark.key"]
    folder = config / "keys"
    if folder.is_dir():
        files += sorted(folder.glob("*.key"))
    files += [config / "c2pa" / "ca.key", config / "c2pa" / "signer.key"]
    checked = []
    for path in files:
        if path.exists():
            check_private(path)
            checked.append(path)
    return checked


def key_id_of(public: Ed25519PublicKey) -> str:
    """The key id: 16 hex digits of SHA-256 over the raw public key."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_key_pem(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@dataclass(frozen=True, slots=True)
class SigningKey:
    """The installation's current private key and its id."""

    key_id: str
    _private: Ed25519PrivateKey

    def sign(self, data: bytes) -> bytes:
        """Ed25519 signature (64 bytes) over ``data``."""
        return self._private.sign(data)

    @property
    def public(self) -> Ed25519PublicKey:
        return self._private.public_key()

    def __repr__(self) -> str:  # never show key material
        return f"<SigningKey {ALG} {self.key_id}>"


def _create(folder: Path) -> SigningKey:
    private = Ed25519PrivateKey.generate()
    kid = key_id_of(private.public_key())
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    write_private(folder / f"{kid}.key", pem)
    write_atomic(folder / f"{kid}.pub", public_key_pem(private.public_key()), private=True)
    write_atomic(folder / "current", kid.encode() + b"\n", private=True)
    log.info("created signing key %s in %s", kid, folder)
    return SigningKey(kid, private)


def load_signing_key(*, create: bool = True) -> SigningKey:
    """The current signing key; made on first use when ``create``.

    Raises:
        ProvenanceError: no key (and ``create`` is False), a damaged key file, or a key
            file readable by others.
    """
    folder = key_dir()
    current = folder / "current"
    if not current.exists():
        if not create:
            raise ProvenanceError(
                f"no signing key in {folder}; run 'overlay keys show' to create one"
            )
        return _create(folder)
    kid = current.read_text(encoding="ascii", errors="replace").strip()
    path = folder / f"{kid}.key"
    if not _KID.match(kid) or not path.exists():
        raise ProvenanceError(
            f"the current key {kid!r} named in {current} has no private key file; "
            "run 'overlay keys rotate' to make a new key"
        )
    check_private(path)
    try:
        private = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise ProvenanceError(
            f"key file {path} is damaged ({type(exc).__name__}); run 'overlay keys rotate'"
        ) from None
    if not isinstance(private, Ed25519PrivateKey) or key_id_of(private.public_key()) != kid:
        raise ProvenanceError(
            f"key file {path} does not hold Ed25519 key {kid}; run 'overlay keys rotate'"
        )
    return SigningKey(kid, private)


def load_public_key(data: bytes) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM (as ``overlay keys export-public`` writes it).

    Raises:
        ProvenanceError: not an Ed25519 public key in PEM.
    """
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError):
        raise ProvenanceError(
            "not a PEM public key; use the file 'overlay keys export-public' writes"
        ) from None
    if not isinstance(key, Ed25519PublicKey):
        raise ProvenanceError(f"the public key is {type(key).__name__}, not Ed25519")
    return key


def public_keys() -> dict[str, Ed25519PublicKey]:
    """Every public key this installation has had, by key id (current and rotated)."""
    keys: dict[str, Ed25519PublicKey] = {}
    folder = paths.config_dir() / "keys"
    if not folder.is_dir():
        return keys
    for path in sorted(folder.glob("*.pub")):
        try:
            key = load_public_key(path.read_bytes())
        except (ProvenanceError, OSError):
            log.warning("skipping unreadable public key %s", path)
            continue
        kid = key_id_of(key)
        if kid == path.stem:
            keys[kid] = key
    return keys


def rotate() -> tuple[str | None, SigningKey]:
    """Make a new current key; delete the old private key, keep its public key.

    Returns:
        (the old key id or None, the new key).
    """
    folder = key_dir()
    current = folder / "current"
    old = current.read_text(encoding="ascii").strip() if current.exists() else None
    new = _create(folder)
    if old and _KID.match(old) and old != new.key_id:
        (folder / f"{old}.key").unlink(missing_ok=True)
    log.info("rotated signing key %s -> %s", old, new.key_id)
    return old, new


def verify_signature(public: Ed25519PublicKey, data: bytes, signature: bytes) -> bool:
    """True if ``signature`` is ``public``'s Ed25519 signature over ``data``."""
    try:
        public.verify(signature, data)
    except InvalidSignature:
        return False
    return True
