"""Sinks: where stamped frames go, chosen by ``--sink NAME[:ARG]`` (repeatable)."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from overlay.errors import ConfigError
from overlay.sinks.base import BaseSink, FrameSink, SinkOptions

__all__ = ["BaseSink", "FrameSink", "SinkOptions", "open_sink", "register_sink", "sink_names"]

SinkFactory = Callable[[str | None, SinkOptions], FrameSink]

_BUILTIN: dict[str, str] = {
    "vcam": "overlay.sinks.vcam:VirtualCameraSink",
    "file": "overlay.sinks.file:FileSink",
    "null": "overlay.sinks.memory:NullSink",
    "memory": "overlay.sinks.memory:MemorySink",
    "preview": "overlay.sinks.preview:PreviewSink",
}
_REGISTERED: dict[str, SinkFactory] = {}


def register_sink(name: str, factory: SinkFactory) -> None:
    """Make ``--sink name[:arg]`` build a sink with ``factory(arg, options)``."""
    _REGISTERED[name] = factory


def sink_names() -> list[str]:
    return sorted({*_BUILTIN, *_REGISTERED})


def open_sink(spec: str, options: SinkOptions) -> FrameSink:
    """Open the sink named by ``spec``, e.g. ``vcam``, ``file:out.mp4``, ``null``."""
    name, sep, arg = spec.partition(":")
    name = name.strip().lower()
    if name in _REGISTERED:
        return _REGISTERED[name](arg if sep else None, options)
    target = _BUILTIN.get(name)
    if target is None:
        raise ConfigError(
            f"unknown sink {name!r}; use one of: {', '.join(sink_names())} "
            "(e.g. --sink vcam or --sink file:out.mp4)"
        )
    module, cls = target.split(":")
    factory: SinkFactory = getattr(importlib.import_module(module), cls).from_spec
    return factory(arg if sep else None, options)
