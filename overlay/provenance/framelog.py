"""The tamper-evident frame log: one signed, hash-chained record per second of output.

The log is JSON Lines (``<session>.log.jsonl``), each line canonical JSON:

- ``header`` (seq 0): session id, key id, size, fps, the digest and perceptual-hash methods.
- ``frames``: the output frame index range ``first..last``, one BLAKE3-128 digest of each
  frame's full BGR buffer (only when the session has a lossless output, where someone can
  hold those exact bytes: a ``.mkv`` recording, ``pipe:``; otherwise ``digests`` is null:
  no lossy copy can ever match an exact digest), one 64-bit difference hash of each frame
  (so a re-encoded copy can be matched to its time), and the indices of slate frames.
- ``end``: the frame count and end time; written when the session closes cleanly.

Every record carries ``prev`` (SHA-256 of the previous line's bytes) and ``sig`` (Ed25519
over the record without ``sig``): each record is a signed checkpoint of everything before
it. Lines are appended with one ``write`` and ``fsync``-ed, so a crash loses at most the
frames since the last record and never touches earlier lines.
"""

from __future__ import annotations

import hashlib
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import blake3
import cv2
import numpy as np

from overlay.errors import ProvenanceError
from overlay.frames import BGRImage
from overlay.provenance.canonical import canonical_json
from overlay.provenance.keys import SigningKey

__all__ = [
    "DIGEST",
    "LOG_FORMAT",
    "PHASH",
    "FrameLog",
    "frame_digest",
    "line_hash",
    "perceptual_hash",
]

LOG_FORMAT = "overlay.frame-log/1"
DIGEST = "blake3-128 over the BGR buffer"
NO_DIGEST = "none: no lossless output in this session (see phash)"
PHASH = "dhash-64: every 4th row, INTER_AREA 16x9, grey, INTER_AREA 9x8, left<right"


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def frame_digest(image: BGRImage) -> str:
    """BLAKE3-128 of the frame's bytes (hex). Covers every pixel."""
    return blake3.blake3(np.ascontiguousarray(image).data).hexdigest(16)


def perceptual_hash(image: BGRImage) -> str:
    """A 64-bit difference hash (hex) that survives re-encoding and rescaling.

    Area averages (not point samples, which alias on thin lines) of every 4th row: a
    16x9 block mean, then 9x8, grey, each block brighter than its left neighbour or not.
    """
    blocks = cv2.resize(image[::4], (16, 9), interpolation=cv2.INTER_AREA)
    grey = cv2.cvtColor(blocks, cv2.COLOR_BGR2GRAY)
    small = cv2.resize(grey, (9, 8), interpolation=cv2.INTER_AREA)
    return bytes(np.packbits(small[:, 1:] > small[:, :-1])).hex()


def line_hash(line: bytes) -> str:
    """SHA-256 (hex) of one log line without its newline: what ``prev`` names."""
    return hashlib.sha256(line).hexdigest()


class FrameLog:
    """Appends signed records to a new frame log file.

    Args:
        path: the log file (must not exist).
        key: the signing key.
        session_id: the session.
        size: output (width, height).
        fps: output rate; a record is written every ``round(fps)`` frames or ``interval``
            seconds, whichever comes first.
        interval: the longest time between records, in seconds.
        exact: keep the BLAKE3 digest of every frame (sessions with a lossless output).
    """

    def __init__(
        self,
        path: Path,
        key: SigningKey,
        *,
        session_id: str,
        size: tuple[int, int],
        fps: float,
        interval: float = 1.0,
        exact: bool = True,
    ) -> None:
        self.path = path
        self.exact = exact
        self._key = key
        self._every = max(1, round(fps))
        self._interval = interval
        try:
            self._fd: int | None = os.open(
                path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600
            )
        except OSError as exc:
            raise ProvenanceError(
                f"cannot create the frame log {path}: {exc.strerror}; check the data folder "
                "(OVERLAY_DATA_DIR) is writable"
            ) from None
        self._seq = 0
        self._prev: str | None = None
        self._first: int | None = None
        self._last = -1
        self._digests: list[str] = []
        self._phashes: list[str] = []
        self._slates: list[int] = []
        self._since = time.monotonic()
        self.frames = 0
        self._append(
            {
                "type": "header",
                "format": LOG_FORMAT,
                "session_id": session_id,
                "key_id": key.key_id,
                "size": list(size),
                "fps": fps,
                "digest": DIGEST if exact else NO_DIGEST,
                "phash": PHASH,
                "utc": utc_now(),
            }
        )

    @property
    def records(self) -> int:
        """Records written so far (the header included)."""
        return self._seq

    @property
    def head(self) -> str | None:
        """SHA-256 of the last line written."""
        return self._prev

    def add(self, image: BGRImage, index: int, *, slate: bool = False) -> None:
        """Log one output frame (its digest and perceptual hash)."""
        if self._fd is None:
            raise ProvenanceError(f"the frame log {self.path} is closed")
        if self._first is None:
            self._first = index
        elif index != self._last + 1:
            self._flush_frames()  # a gap: keep every record's range contiguous
            self._first = index
        self._last = index
        if self.exact:
            self._digests.append(frame_digest(image))
        self._phashes.append(perceptual_hash(image))
        if slate:
            self._slates.append(index)
        self.frames += 1
        if len(self._phashes) >= self._every or time.monotonic() - self._since >= self._interval:
            self._flush_frames()

    def _flush_frames(self) -> None:
        self._since = time.monotonic()
        if self._first is None or not self._phashes:
            return
        self._append(
            {
                "type": "frames",
                "first": self._first,
                "last": self._last,
                "digests": self._digests if self.exact else None,
                "phash": self._phashes,
                "slates": self._slates,
                "utc": utc_now(),
            }
        )
        self._first = None
        self._digests, self._phashes, self._slates = [], [], []

    def _append(self, fields: dict[str, Any]) -> None:
        assert self._fd is not None
        record = {**fields, "seq": self._seq, "prev": self._prev}
        record["sig"] = self._key.sign(canonical_json(record)).hex()
        line = canonical_json(record)
        os.write(self._fd, line + b"\n")  # one write per record: never interleaved
        os.fsync(self._fd)
        self._prev = line_hash(line)
        self._seq += 1

    def close(self) -> None:
        """Write the pending frames and the ``end`` record. Idempotent."""
        if self._fd is None:
            return
        try:
            self._flush_frames()
            self._append({"type": "end", "frames": self.frames, "utc": utc_now()})
        finally:
            os.close(self._fd)
            self._fd = None

    def abandon(self) -> None:
        """Close without the ``end`` record (what a crash leaves)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
