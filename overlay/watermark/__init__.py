"""The invisible watermark: keyed embed and detect, pure numpy/OpenCV, no I/O.

``Embedder(payload, size).apply(image)`` marks frames in place; ``Detector().add(image)``
then ``.detect()`` reads them back. ``StreamDetector().add(frame, timestamp)`` watches a
stream (a captured window or screen, each call tile in it found by ``TileFinder``) and
gives the current ``Decision`` with its false-positive bound. See ``docs/watermark.md``
for the design and the threat model, ``docs/watch.md`` for the stream.
"""

from __future__ import annotations

from overlay.watermark.detect import Detection, Detector, payload_bound, presence_threshold
from overlay.watermark.embed import DEFAULT_STRENGTH, FLAT_STRENGTH, Embedder
from overlay.watermark.layout import PUBLIC_KEY
from overlay.watermark.payload import (
    FORMAT_VERSION,
    PAYLOAD_BITS,
    Payload,
    open_session_id,
    seal_session_id,
)
from overlay.watermark.stream import Decision, Finding, StreamDetector
from overlay.watermark.tiles import Box, TileFinder, find_tiles

__all__ = [
    "DEFAULT_STRENGTH",
    "FLAT_STRENGTH",
    "FORMAT_VERSION",
    "PAYLOAD_BITS",
    "PUBLIC_KEY",
    "Box",
    "Decision",
    "Detection",
    "Detector",
    "Embedder",
    "Finding",
    "Payload",
    "StreamDetector",
    "TileFinder",
    "find_tiles",
    "open_session_id",
    "payload_bound",
    "presence_threshold",
    "seal_session_id",
]
