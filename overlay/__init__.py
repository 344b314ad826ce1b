"""overlay: a real-time disclosure layer for synthetic video.

Every frame from a source gets an invisible watermark, a persistent "AI-generated" banner
and a visible per-frame mark before any sink (virtual camera, recording) sees it.

The library in a few lines::

    import overlay
    sink = overlay.MemorySink()
    with overlay.Pipeline(overlay.ArraySource(frames), [sink, "file:out.mp4"]) as p:
        p.run(pace=False)
    overlay.verify("out.mp4").watermark.detected  # True
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
    from overlay.faces import FaceSettings
    from overlay.frames import BGRImage, Frame, StampedFrame
    from overlay.pipeline import Pipeline
    from overlay.session import Session
    from overlay.sinks import open_sink
    from overlay.sinks.memory import MemorySink, NullSink
    from overlay.sources import open_source
    from overlay.sources.array import ArraySource
    from overlay.verify import verify

__version__ = "0.1.0"

__all__ = [
    "ArraySource",
    "BGRImage",
    "BannerConfig",
    "ConfigError",
    "ConsentError",
    "FaceSettings",
    "Frame",
    "FrameFormatError",
    "MemorySink",
    "NullSink",
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
    "open_sink",
    "open_source",
    "verify",
]

# The heavy names (numpy, OpenCV) load on first use, so that ``overlay --help`` and a
# Ctrl-C right after start-up meet a light package (the CLI catches the interrupt).
_LAZY = {
    "ArraySource": "overlay.sources.array",
    "BGRImage": "overlay.frames",
    "BannerConfig": "overlay.config",
    "FaceSettings": "overlay.faces",
    "Frame": "overlay.frames",
    "MemorySink": "overlay.sinks.memory",
    "NullSink": "overlay.sinks.memory",
    "OutputConfig": "overlay.config",
    "Pipeline": "overlay.pipeline",
    "Session": "overlay.session",
    "StampedFrame": "overlay.frames",
    "open_sink": "overlay.sinks",
    "open_source": "overlay.sources",
    "verify": "overlay.verify",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'overlay' has no attribute {name!r}")
    import importlib

    imported = importlib.import_module(module)
    if name == "verify":
        return imported  # the module, callable as its verify() (importing set it here)
    value = getattr(imported, name)
    globals()[name] = value
    return value
