"""Sources: where frames come from, chosen by a ``--source NAME[:ARG]`` string."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from overlay.errors import ConfigError
from overlay.sources.base import BaseSource, FrameSource, SourceOptions

__all__ = [
    "BaseSource",
    "FrameSource",
    "SourceOptions",
    "open_source",
    "register_source",
    "source_names",
]

SourceFactory = Callable[[str | None, SourceOptions], FrameSource]

# name -> "module:Class" with a ``from_spec(arg, options)`` classmethod; imported on use so
# that heavy dependencies load only for the source picked.
_BUILTIN: dict[str, str] = {
    "synthetic": "overlay.sources.synthetic:SyntheticSource",
    "webcam": "overlay.sources.capture:WebcamSource",
    "device": "overlay.sources.capture:DeviceSource",
    "file": "overlay.sources.file:FileSource",
    "pipe": "overlay.sources.pipe:PipeSource",
    "screen": "overlay.sources.screen:ScreenSource",
    "region": "overlay.sources.screen:RegionSource",
    "window": "overlay.sources.screen:WindowSource",
}
_REGISTERED: dict[str, SourceFactory] = {}


def register_source(name: str, factory: SourceFactory) -> None:
    """Make ``--source name[:arg]`` build a source with ``factory(arg, options)``."""
    _REGISTERED[name] = factory


def source_names() -> list[str]:
    return sorted({*_BUILTIN, *_REGISTERED})


def _factory(name: str) -> SourceFactory:
    if name in _REGISTERED:
        return _REGISTERED[name]
    target = _BUILTIN.get(name)
    if target is None:
        raise ConfigError(
            f"unknown source {name!r}; use one of: {', '.join(source_names())} "
            "(e.g. --source webcam:0 or --source file:clip.mp4)"
        )
    module, cls = target.split(":")
    factory: SourceFactory = getattr(importlib.import_module(module), cls).from_spec
    return factory


def open_source(spec: str, options: SourceOptions | None = None) -> FrameSource:
    """Build (not yet open) the source named by ``spec``, e.g. ``webcam:1`` or ``file:a.mp4``."""
    name, sep, arg = spec.partition(":")
    return _factory(name.strip().lower())(arg if sep else None, options or SourceOptions())
