"""Frames a program already holds: a numpy array of frames, a list, or an iterator."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from overlay.errors import FrameFormatError
from overlay.frames import BGRImage
from overlay.sources.base import BaseSource, SourceMode

__all__ = ["ArraySource"]


class ArraySource(BaseSource):
    """A source over frames the caller holds: BGR uint8 HxWx3 images.

    Args:
        frames: an ``N x H x W x 3`` uint8 array, a sequence of ``H x W x 3`` arrays, or
            any iterable of them (a generator: frames are drawn as the pipeline asks).
        loop: start again at the end; only for arrays and sequences (an iterator is
            used once).

    Frames are drawn when the pipeline asks, on its own thread (``SourceMode.ON_DEMAND``):
    ``run(pace=False)`` processes them as fast as the stamps allow; ``run()`` paces them
    to the output rate. A frame that is not BGR uint8 stops the run with one line naming
    its index, its dtype or shape and the fix.
    """

    spec = "array"
    mode = SourceMode.ON_DEMAND
    origin = "media"

    def __init__(self, frames: np.ndarray | Iterable[BGRImage], *, loop: bool = False) -> None:
        super().__init__()
        self._sequence: Sequence[BGRImage] | None = None
        self._iterable: Iterable[BGRImage] | None = None
        if isinstance(frames, np.ndarray):
            if frames.ndim != 4:
                raise FrameFormatError(
                    f"ArraySource takes frames as N x H x W x 3, got an array of shape "
                    f"{frames.shape}; for one picture pass image[None] or [image]"
                )
            self._sequence = list(frames)  # views: no copy
        elif isinstance(frames, Sequence):
            self._sequence = frames
        elif loop:
            raise ValueError(
                "ArraySource(loop=True) needs an array or a sequence of frames, got an "
                f"iterator ({type(frames).__name__}); pass list(frames) to loop it"
            )
        else:
            self._iterable = frames
        self.loop = loop
        self._it: Iterator[BGRImage] | None = None
        self._pos = 0

    def __len__(self) -> int:
        """The number of frames (arrays and sequences only)."""
        if self._sequence is None:
            raise TypeError("an ArraySource over an iterator has no length")
        return len(self._sequence)

    def _open(self) -> None:
        if self._iterable is not None and self._it is None:
            self._it = iter(self._iterable)

    def _read(self) -> BGRImage | None:
        if self._sequence is not None:
            if self._pos >= len(self._sequence):
                if not self.loop or not self._sequence:
                    return None
                self._pos = 0
            image = self._sequence[self._pos]
            self._pos += 1
            return image
        assert self._it is not None
        return next(self._it, None)
