"""The watermark's payload: version, AI flag, encrypted session id and a keyed check.

Bits (60, most significant first)::

    version (3) | ai_generated (1) | sealed session id (32) | check (24)

The session id is sealed with a 32-bit keyed permutation (a 4-round Feistel network whose
round function is HMAC-SHA256 under the installation key), so the mark reveals nothing
about the id without that key, and the clear id shown in the visible mark of one session
does not unseal the ids of other sessions. The check is HMAC-SHA256 under the public
detection key over the first 36 bits: anyone can validate a read-out (it is an error
detector with a 2**-24 false-accept rate, not a signature).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from overlay.session import SESSION_ID_BITS

# The session id is sealed exactly as in format 2.
from overlay.watermark.payload import open_session_id, seal_session_id

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

FORMAT_VERSION = 1
VERSION_BITS = 3
CHECK_BITS = 24
PAYLOAD_BITS = VERSION_BITS + 1 + SESSION_ID_BITS + CHECK_BITS
_MASK32 = (1 << 32) - 1


@dataclass(frozen=True, slots=True)
class Payload:
    """A decoded payload.

    Attributes:
        version: the format version (1).
        ai_generated: the AI-generated flag.
        sealed_id: the session id as sealed by the installation key (8 hex chars).
    """

    version: int
    ai_generated: bool
    sealed_id: str


def _check(public_key: bytes, head: int) -> int:
    digest = hmac.new(public_key, b"overlay-check" + head.to_bytes(5, "big"), hashlib.sha256)
    return int.from_bytes(digest.digest()[:3], "big")


def pack(payload: Payload, public_key: bytes) -> npt.NDArray[np.uint8]:
    """The payload's ``PAYLOAD_BITS`` bits (0/1), check included."""
    head = (payload.version & 0b111) << 33 | int(payload.ai_generated) << 32
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
    return Payload(int(head >> 33) & 0b111, bool(head >> 32 & 1), f"{head & _MASK32:08x}")
