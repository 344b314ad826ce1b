"""In-process sinks: ``null`` discards, ``memory`` keeps copies (a test double shipped here)."""

from __future__ import annotations

from overlay.frames import BGRImage, StampedFrame
from overlay.sinks.base import BaseSink, SinkOptions

__all__ = ["MemorySink", "NullSink"]


class NullSink(BaseSink):
    """Discards frames; counts them. For measurement.

    Args:
        size: the output (width, height); None: that of the first frame.
    """

    spec = "null"
    scope = "local"
    delivery = "newest"

    def __init__(self, size: tuple[int, int] | None = None) -> None:
        super().__init__(size)
        self.count = 0

    @classmethod
    def from_spec(cls, arg: str | None, options: SinkOptions) -> NullSink:
        return cls(options.session.size)

    def _send(self, frame: StampedFrame) -> None:
        self.count += 1


class MemorySink(BaseSink):
    """Keeps a copy of every frame (up to ``limit``, oldest dropped), with its metadata.

    Args:
        size: the output (width, height); None: that of the first frame.
        limit: keep at most this many frames (the newest).
    """

    spec = "memory"
    scope = "local"
    delivery = "newest"
    lossless = True

    def __init__(self, size: tuple[int, int] | None = None, limit: int | None = None) -> None:
        super().__init__(size)
        self.limit = limit
        self.images: list[BGRImage] = []
        self.indices: list[int] = []
        self.slates: list[bool] = []
        self.session_ids: list[str] = []

    @classmethod
    def from_spec(cls, arg: str | None, options: SinkOptions) -> MemorySink:
        return cls(options.session.size, int(arg) if arg else None)

    def _send(self, frame: StampedFrame) -> None:
        self.images.append(frame.image.copy())
        self.indices.append(frame.index)
        self.slates.append(frame.slate)
        self.session_ids.append(frame.session_id)
        if self.limit is not None and len(self.images) > self.limit:
            for seq in (self.images, self.indices, self.slates, self.session_ids):
                del seq[0]
