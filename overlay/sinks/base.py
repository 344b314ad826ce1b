"""The FrameSink protocol: sinks take stamped frames and nothing else."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

from overlay.closing import Closing
from overlay.frames import StampedFrame
from overlay.session import Session

__all__ = ["BaseSink", "FrameSink", "SinkOptions", "SinkScope"]

#: Where a sink's frames go, which decides the consent a likeness needs:
#: ``live``: out to others as they happen (a virtual camera, ``pipe:`` to a stream);
#: ``record``: kept in a file; ``local``: stay in this process or on this screen (a
#: preview, memory, null, the frame log), which needs no consent scope.
SinkScope = Literal["live", "record", "local"]


@dataclass(frozen=True, slots=True)
class SinkOptions:
    """What a sink is built with.

    Attributes:
        session: the session (size, fps, id).
        device: virtual camera device (``vcam``), e.g. /dev/video2.
        backend: pyvirtualcam backend name (``vcam``), e.g. v4l2loopback, obs, unitycapture.
        extra: further settings a sink may read (named by the sink's docs).
    """

    session: Session
    device: str | None = None
    backend: str | None = None
    extra: dict[str, object] = field(default_factory=dict)


@runtime_checkable
class FrameSink(Protocol):
    """Where stamped frames go. ``send`` raises TypeError for anything but a StampedFrame.

    ``scope`` (a :data:`SinkScope`) says where the frames end up; consent is held to it.
    """

    spec: str

    @property
    def scope(self) -> SinkScope:
        """Where the frames go: ``live``, ``record`` or ``local``."""
        ...

    def send(self, frame: StampedFrame) -> None: ...

    def close(self) -> None: ...


class BaseSink(Closing):
    """Type and shape checks built once, idempotent close, context manager.

    ``size`` None (in-process sinks made by library callers): the shape is taken from
    the first frame, and every later frame must have it.

    Subclasses implement ``_send`` and ``_close``.
    """

    spec = "?"
    #: Where the frames go (consent is checked against it). A sink that does not say is
    #: held to the strictest use: frames sent out live.
    scope: SinkScope = "live"
    #: During ``Pipeline.run()`` every sink gets frames on its own thread: a live one (a
    #: virtual camera, a preview) the newest frame through a one-frame mailbox, the others
    #: through a bounded queue (see overlay.sinks.worker).
    live = False
    #: What a full queue does to a threaded sink's frame: "drop" it (counted) or "block"
    #: the pipeline until there is room (for sinks that must see every frame).
    overflow = "drop"

    def __init__(self, size: tuple[int, int] | None) -> None:
        self._shape: tuple[int, ...] | None = None if size is None else (size[1], size[0], 3)
        self._closed = False

    def send(self, frame: StampedFrame) -> None:
        if not isinstance(frame, StampedFrame):
            raise TypeError(
                f"{self.spec} sink takes StampedFrame, got {type(frame).__name__}; frames "
                "reach sinks only through the pipeline's stamps"
            )
        if self._shape is None:
            self._shape = frame.image.shape
        elif frame.image.shape != self._shape:
            raise ValueError(
                f"{self.spec} sink expects frames of shape {self._shape}, got {frame.image.shape}"
            )
        if self._closed:
            raise ValueError(f"{self.spec} sink is closed")
        self._send(frame)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._close()

    @property
    def closed(self) -> bool:
        return self._closed

    def _send(self, frame: StampedFrame) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _close(self) -> None:
        pass
