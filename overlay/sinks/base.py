"""The FrameSink protocol: sinks take stamped frames and nothing else."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from overlay.closing import Closing
from overlay.frames import StampedFrame
from overlay.session import Session

__all__ = [
    "BaseSink",
    "Companion",
    "Delivery",
    "DropListener",
    "FrameSink",
    "SinkOptions",
    "SinkScope",
]

#: Where a sink's frames go, which decides the consent a likeness needs:
#: ``live``: out to others as they happen (a virtual camera, ``pipe:`` to a stream);
#: ``record``: kept in a file; ``local``: stay in this process or on this screen (a
#: preview, memory, null, the frame log), which needs no consent scope.
SinkScope = Literal["live", "record", "local"]

#: How a sink gets its frames during ``Pipeline.run()``, on its own thread (see
#: :mod:`overlay.sinks.worker`): ``newest``: a one-frame mailbox that always holds the
#: newest frame, an older waiting one replaced (counted as dropped): outputs watched as
#: they happen (a virtual camera, a preview, ``pipe:``); ``queue``: a bounded queue whose
#: overflow is dropped (counted, and told to a :class:`DropListener`): recordings;
#: ``every``: a bounded queue that makes the pipeline wait when full: sinks that must see
#: every frame (the frame log).
Delivery = Literal["newest", "queue", "every"]


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
    ``delivery`` (a :data:`Delivery`) says how ``Pipeline.run()`` hands frames over.
    ``lossless``: the exact stamped frames can be had back from the output (the frame
    log then keeps each frame's exact digest). :class:`BaseSink` gives all three.
    """

    spec: str

    @property
    def scope(self) -> SinkScope:
        """Where the frames go: ``live``, ``record`` or ``local``."""
        ...

    @property
    def delivery(self) -> Delivery:
        """How frames are handed over: ``newest``, ``queue`` or ``every``."""
        ...

    @property
    def lossless(self) -> bool:
        """The exact stamped frames can be had back from the output."""
        ...

    def send(self, frame: StampedFrame) -> None: ...

    def close(self) -> None: ...


@runtime_checkable
class Companion(Protocol):
    """A sink that goes with the outputs rather than being one (the frame log): told when
    a part of the session fails and what each output got; not counted as an output."""

    def note_failure(self, line: str) -> None:
        """A part of the session failed (one line)."""
        ...

    def note_sinks(self, counts: dict[str, dict[str, Any]]) -> None:
        """What each output got and missed (``Pipeline.stats().sinks``, outputs only)."""
        ...


@runtime_checkable
class DropListener(Protocol):
    """A sink told which frames its full queue could not take (a recording counts them)."""

    def note_dropped(self, index: int) -> None:
        """Frame ``index`` was dropped before this sink got it."""
        ...


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
    #: How ``Pipeline.run()`` hands frames over (a :data:`Delivery`): through a bounded
    #: queue unless the sink says otherwise.
    delivery: Delivery = "queue"
    #: The exact stamped frames can be had back from the output.
    lossless: bool = False

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
