"""overlay: a real-time disclosure layer for synthetic video.

Every frame from a source gets an invisible watermark, a persistent "AI-generated" banner
and a visible per-frame mark before any sink (virtual camera, recording) sees it.
"""

from __future__ import annotations

import os

# OpenCV's video back-ends print a warning for every camera index they probe, and its
# FFmpeg prints its own lines for a damaged file ("moov atom not found"); overlay reports
# failures itself, in one line.
os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET

from typing import TYPE_CHECKING, Any

from overlay.errors import (
    ConfigError,
    ConsentError,
    FrameFormatError,
    OverlayError,
    ProvenanceError,
    SinkError,
    SourceError,
    StampError,
)

if TYPE_CHECKING:
    from overlay.config import BannerConfig, OutputConfig
    from overlay.frames import BGRImage, Frame, StampedFrame
    from overlay.pipeline import Pipeline
    from overlay.session import Session

__version__ = "0.1.0"

__all__ = [
    "BGRImage",
    "BannerConfig",
    "ConfigError",
    "ConsentError",
    "Frame",
    "FrameFormatError",
    "OutputConfig",
    "OverlayError",
    "Pipeline",
    "ProvenanceError",
    "Session",
    "SinkError",
    "SourceError",
    "StampError",
    "StampedFrame",
    "__version__",
]

# The heavy names (numpy, OpenCV) load on first use, so that ``overlay --help`` and a
# Ctrl-C right after start-up meet a light package (the CLI catches the interrupt).
_LAZY = {
    "BGRImage": "overlay.frames",
    "BannerConfig": "overlay.config",
    "Frame": "overlay.frames",
    "OutputConfig": "overlay.config",
    "Pipeline": "overlay.pipeline",
    "Session": "overlay.session",
    "StampedFrame": "overlay.frames",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'overlay' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
