"""The FrameSource protocol, a base class with the shared bookkeeping, and the options."""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass
from typing import BinaryIO, Protocol, Self, runtime_checkable

from overlay.closing import Closing
from overlay.frames import BGRImage, Frame, check_image

__all__ = ["BaseSource", "FrameSource", "SourceMode", "SourceOptions"]


class SourceMode(enum.Enum):
    """How the pipeline schedules a source (its one scheduling capability).

    Members:
        LIVE: runs at its own pace on a capture thread (cameras, screens, windows); the
            pipeline keeps only the newest frame, and after a failure (or an end) it sends
            the slate and opens the source again, at most once a second.
        QUEUED: read in order on a capture thread through a small queue (files, pipes);
            its end or a SourceError ends the run.
        ON_DEMAND: draws each frame when asked (synthetic, the idle avatar): the pipeline
            reads it on its own thread at each tick, so nothing waits in a queue; a
            SourceError ends the run.
    """

    LIVE = "live"
    QUEUED = "queued"
    ON_DEMAND = "on_demand"

    @property
    def restartable(self) -> bool:
        """The pipeline closes and opens the source again when it fails."""
        return self is SourceMode.LIVE


@dataclass(frozen=True, slots=True)
class SourceOptions:
    """What a source may be asked for when it is built from a ``--source`` string.

    Attributes:
        size: requested (width, height); sources that can choose use it (webcam, synthetic).
        fps: requested frame rate.
        loop: files start again at their end.
        stdin: the byte stream the ``pipe:`` source reads (default: sys.stdin.buffer).
        likeness: an image of the person a source shows (consent rules apply).
        declared_generator: the user declares the source is a face-swap/generator output.
        face_model: an explicit MediaPipe face model path (sources that follow a face).
    """

    size: tuple[int, int] = (1280, 720)
    fps: float = 30.0
    loop: bool = True
    stdin: BinaryIO | None = None
    likeness: str | None = None
    declared_generator: bool = False
    face_model: str | None = None


@runtime_checkable
class FrameSource(Protocol):
    """Where frames come from.

    ``mode`` (a :class:`SourceMode`) says how the pipeline schedules it. ``origin`` says
    what the pixels are, for provenance and consent: ``camera`` (the user's own camera),
    ``generator`` (a face-swap/avatar tool's output: devices, pipes, captured windows),
    ``synthetic`` (rendered by overlay itself) or ``media`` (a file of unknown making).
    """

    spec: str
    mode: SourceMode
    origin: str

    def open(self) -> None:
        """Acquire the device or file. Idempotent. Raises SourceError."""
        ...

    def read(self) -> Frame | None:
        """The next frame, blocking; None once the source has ended. Raises SourceError."""
        ...

    def close(self) -> None:
        """Release everything. Idempotent."""
        ...

    @property
    def granted_size(self) -> tuple[int, int] | None:
        """(width, height) the source actually delivers, once known."""
        ...


class BaseSource(Closing):
    """Bookkeeping every source shares: open-once, close-once, frame numbering, checks.

    Subclasses implement ``_open``, ``_read`` (an image or None at the end) and ``_close``.
    """

    spec = "?"
    mode = SourceMode.QUEUED
    origin = "media"

    def __init__(self) -> None:
        if type(self).spec == BaseSource.spec:
            self.spec = type(self).__name__  # until the subclass names itself
        self._opened = False
        self._index = 0
        self._size: tuple[int, int] | None = None

    # -- lifecycle -------------------------------------------------------------------
    def open(self) -> None:
        if not self._opened:
            self._open()
            self._opened = True

    def close(self) -> None:
        if self._opened:
            self._opened = False
            self._close()

    def __enter__(self) -> Self:
        self.open()
        return self

    # -- frames ----------------------------------------------------------------------
    def read(self) -> Frame | None:
        if not self._opened:
            self.open()
        image = self._read()
        if image is None:
            return None
        check_image(image, f"frame {self._index} of source {self.spec}")
        self._size = (int(image.shape[1]), int(image.shape[0]))
        frame = Frame(image, self._index, time.monotonic())
        self._index += 1
        return frame

    @property
    def granted_size(self) -> tuple[int, int] | None:
        return self._size

    # -- for subclasses -----------------------------------------------------------------
    def _open(self) -> None:
        pass

    def _read(self) -> BGRImage | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _close(self) -> None:
        pass
