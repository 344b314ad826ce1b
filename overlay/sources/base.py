"""The FrameSource protocol, a base class with the shared bookkeeping, and the options."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import BinaryIO, Protocol, Self, runtime_checkable

from overlay.closing import Closing
from overlay.frames import BGRImage, Frame, check_image

__all__ = ["BaseSource", "FrameSource", "SourceOptions"]


@dataclass(frozen=True, slots=True)
class SourceOptions:
    """What a source may be asked for when it is built from a ``--source`` string.

    Attributes:
        size: requested (width, height); sources that can choose use it (webcam, synthetic).
        fps: requested frame rate.
        loop: files start again at their end.
        pipe_size: (width, height) of raw frames on a pipe.
        stdin: the byte stream the ``pipe:`` source reads (default: sys.stdin.buffer).
        likeness: an image of the person a source shows (consent rules apply).
        declared_generator: the user declares the source is a face-swap/generator output.
        face_model: an explicit MediaPipe face model path (sources that follow a face).
    """

    size: tuple[int, int] = (1280, 720)
    fps: float = 30.0
    loop: bool = True
    pipe_size: tuple[int, int] | None = None
    stdin: BinaryIO | None = None
    likeness: str | None = None
    declared_generator: bool = False
    face_model: str | None = None


@runtime_checkable
class FrameSource(Protocol):
    """Where frames come from.

    ``live`` sources (cameras) run at their own pace: the pipeline keeps only the newest
    frame. Other sources (files, pipes, synthetic) are read in order through a small queue.
    ``restartable`` sources are closed and opened again when they fail. ``on_demand``
    sources draw each frame when asked (synthetic, the idle avatar): the pipeline reads them
    on its own thread at each tick, so nothing waits in a queue. ``origin`` says
    what the pixels are, for provenance and consent: ``camera`` (the user's own camera),
    ``generator`` (a face-swap/avatar tool's output: devices, pipes, captured windows),
    ``synthetic`` (rendered by overlay itself) or ``media`` (a file of unknown making).
    """

    spec: str
    live: bool
    restartable: bool
    origin: str
    on_demand: bool

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
    live = False
    restartable = False
    origin = "media"
    on_demand = False

    def __init__(self) -> None:
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

    def reopen(self) -> None:
        """Close and open again (a camera that went away may be back)."""
        self.close()
        self.open()

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
        check_image(image, f"{self.spec} frame")
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
