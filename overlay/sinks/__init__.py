"""Sinks: where stamped frames go, chosen by ``--sink NAME[:ARG]`` (repeatable)."""

from __future__ import annotations

from collections.abc import Callable

from overlay.registry import Registry
from overlay.sinks.base import BaseSink, FrameSink, SinkOptions

__all__ = [
    "SINKS",
    "BaseSink",
    "FrameSink",
    "SinkOptions",
    "open_sink",
    "register_sink",
    "sink_names",
]

SinkFactory = Callable[[str | None, SinkOptions], FrameSink]

#: Every ``--sink`` name; built-ins are imported only when picked.
SINKS: Registry[FrameSink, SinkOptions] = Registry(
    "sink",
    {
        "vcam": "overlay.sinks.vcam:VirtualCameraSink",
        "file": "overlay.sinks.file:FileSink",
        "null": "overlay.sinks.memory:NullSink",
        "memory": "overlay.sinks.memory:MemorySink",
        "preview": "overlay.sinks.preview:PreviewSink",
        "pipe": "overlay.sinks.pipe:PipeSink",
    },
    "--sink vcam or --sink file:out.mp4",
)


def register_sink(name: str, factory: SinkFactory) -> None:
    """Make ``--sink name[:arg]`` build a sink with ``factory(arg, options)``."""
    SINKS.register(name, factory)


def sink_names() -> list[str]:
    return SINKS.names()


def open_sink(spec: str, options: SinkOptions) -> FrameSink:
    """Open the sink named by ``spec``, e.g. ``vcam``, ``file:out.mp4``, ``null``."""
    return SINKS.build(spec, options)
