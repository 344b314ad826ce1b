"""Errors raised by overlay.

Every error the library raises on purpose derives from :class:`OverlayError`, and its
message says what failed, the value involved and the fix, on one line. The CLI catches
``OverlayError`` and prints that line; anything else is a bug.

The tree::

    OverlayError
    ├── ConfigError(ValueError)        a setting breaks a rule (banner too small, no "AI")
    ├── FrameFormatError(ValueError)   an image is not BGR uint8 HxWx3 with a non-zero size
    ├── SourceError(OSError)           a source cannot open or read (camera busy, bad file)
    ├── SinkError(OSError)             a sink cannot open or write (no virtual camera)
    ├── StampError(RuntimeError)       a stamp failed on a frame (the frame becomes the slate)
    └── ProvenanceError                keys, manifests, logs and consent records
        └── ConsentError               a likeness is used without a valid consent record
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "ConsentError",
    "FrameFormatError",
    "OverlayError",
    "ProvenanceError",
    "SinkError",
    "SourceError",
    "StampError",
]


class OverlayError(Exception):
    """Base class of every error overlay raises on purpose."""


class ConfigError(OverlayError, ValueError):
    """A setting is invalid or breaks a disclosure rule."""


class FrameFormatError(OverlayError, ValueError):
    """An image is not a BGR uint8 HxWx3 array with a non-zero size."""


class SourceError(OverlayError, OSError):
    """A video source could not be opened or read."""


class SinkError(OverlayError, OSError):
    """A sink could not be opened or written."""


class StampError(OverlayError, RuntimeError):
    """A stamp raised on a frame; the pipeline replaces that frame with the slate."""


class ProvenanceError(OverlayError):
    """A key, manifest, frame log or consent record is missing or invalid."""


class ConsentError(ProvenanceError):
    """A likeness would be shown without a valid, unexpired, unrevoked consent record."""
