"""Sources: where frames come from, chosen by a ``--source NAME[:ARG]`` string."""

from __future__ import annotations

from collections.abc import Callable

from overlay.registry import Registry
from overlay.sources.base import BaseSource, FrameSource, SourceMode, SourceOptions

__all__ = [
    "SOURCES",
    "BaseSource",
    "FrameSource",
    "SourceMode",
    "SourceOptions",
    "open_source",
    "register_source",
    "source_names",
]

SourceFactory = Callable[[str | None, SourceOptions], FrameSource]

#: Every ``--source`` name; built-ins are imported only when picked.
SOURCES: Registry[FrameSource, SourceOptions] = Registry(
    "source",
    {
        "synthetic": "overlay.sources.synthetic:SyntheticSource",
        "webcam": "overlay.sources.capture:WebcamSource",
        "device": "overlay.sources.capture:DeviceSource",
        "file": "overlay.sources.file:FileSource",
        "pipe": "overlay.sources.pipe:PipeSource",
        "screen": "overlay.sources.screen:ScreenSource",
        "region": "overlay.sources.screen:RegionSource",
        "window": "overlay.sources.screen:WindowSource",
        "avatar": "overlay.sources.avatar:AvatarSource",
    },
    "--source webcam:0 or --source file:clip.mp4",
)


def register_source(name: str, factory: SourceFactory) -> None:
    """Make ``--source name[:arg]`` build a source with ``factory(arg, options)``."""
    SOURCES.register(name, factory)


def source_names() -> list[str]:
    return SOURCES.names()


def open_source(spec: str, options: SourceOptions | None = None) -> FrameSource:
    """Build (not yet open) the source named by ``spec``, e.g. ``webcam:1`` or ``file:a.mp4``."""
    return SOURCES.build(spec, options or SourceOptions())
