"""The watermark's payload: version, AI flag, encrypted session id and a keyed check.

Bits (73, most significant first)::

    version (4) | ai_generated (1) | sealed session id (32) | check (36)

The session id is sealed with a 32-bit keyed permutation (a 4-round Feistel network whose
round function is HMAC-SHA256 under the installation key), so the mark reveals nothing
about the id without that key, and the clear id shown in the visible mark of one session
does not unseal the ids of other sessions. The check is HMAC-SHA256 under the public
detection key over the first 37 bits: anyone can validate a read-out (it is an error
detector with a 2**-36 false-accept rate, not a signature). The check carries the
detector's false-positive guarantee: a read-out of unmarked content passes it with
probability 2**-36, and the detector reads at most a few hypotheses per search.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from overlay.session import SESSION_ID_BITS

__all__ = [
    "CHECK_BITS",
    "FORMAT_VERSION",
    "PAYLOAD_BITS",
    "Payload",
    "open_session_id",
    "pack",
    "seal_session_id",
    "unpack",
]

FORMAT_VERSION = 3
VERSION_BITS = 4
CHECK_BITS = 36
PAYLOAD_BITS = VERSION_BITS + 1 + SESSION_ID_BITS + CHECK_BITS
_MASK32 = (1 << 32) - 1
_VERSION_MASK = (1 << VERSION_BITS) - 1
_CHECK_BYTES = (CHECK_BITS + 7) // 8


@dataclass(frozen=True, slots=True)
class Payload:
    """A decoded payload.

    Attributes:
        version: the format version (3: cell pairs of height/24 carrying a K=11, rate-1/6
            convolutional code, see ``docs/watermark.md``).
        ai_generated: the AI-generated flag.
        sealed_id: the session id as sealed by the installation key (8 hex chars).
    """

    version: int
    ai_generated: bool
    sealed_id: str


def _round(key: bytes, i: int, half: int) -> int:
    msg = bytes([i]) + half.to_bytes(2, "big")
    return int.from_bytes(hmac.new(key, b"overlay-sid" + msg, hashlib.sha256).digest()[:2], "big")


def seal_session_id(session_id: str, installation_key: bytes) -> str:
    """Encrypt an 8-hex-char session id with the installation key (a 32-bit permutation)."""
    value = int(session_id, 16) & _MASK32
    left, right = value >> 16, value & 0xFFFF
    for i in range(4):
        left, right = right, left ^ _round(installation_key, i, right)
    return f"{(left << 16) | right:08x}"


def open_session_id(sealed_id: str, installation_key: bytes) -> str:
    """Invert :func:`seal_session_id`."""
    value = int(sealed_id, 16) & _MASK32
    left, right = value >> 16, value & 0xFFFF
    for i in reversed(range(4)):
        left, right = right ^ _round(installation_key, i, left), left
    return f"{(left << 16) | right:08x}"


def _check(public_key: bytes, head: int) -> int:
    digest = hmac.new(public_key, b"overlay-check" + head.to_bytes(5, "big"), hashlib.sha256)
    return int.from_bytes(digest.digest()[:_CHECK_BYTES], "big") >> (8 * _CHECK_BYTES - CHECK_BITS)


def pack(payload: Payload, public_key: bytes) -> npt.NDArray[np.uint8]:
    """The payload's ``PAYLOAD_BITS`` bits (0/1), check included."""
    head = (payload.version & _VERSION_MASK) << 33 | int(payload.ai_generated) << 32
    head |= int(payload.sealed_id, 16) & _MASK32
    word = head << CHECK_BITS | _check(public_key, head)
    return np.array([(word >> (PAYLOAD_BITS - 1 - i)) & 1 for i in range(PAYLOAD_BITS)], np.uint8)


def unpack(bits: npt.NDArray[np.uint8], public_key: bytes) -> Payload | None:
    """The payload if the check passes, else None."""
    word = 0
    for b in bits.tolist():
        word = word << 1 | int(b)
    head, check = word >> CHECK_BITS, word & ((1 << CHECK_BITS) - 1)
    if _check(public_key, head) != check:
        return None
    return Payload(int(head >> 33) & _VERSION_MASK, bool(head >> 32 & 1), f"{head & _MASK32:08x}")
