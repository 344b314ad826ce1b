"""One grey per captured frame for every search of it: the grey and its 2x2 halvings.

A watch searches the whole capture and each call tile in it, and finds the tiles, at
every sample; each search works on a small grey (96 pixels high for the detector, 960
across for the tile finder). Converting the 1920x1080 capture to grey once and halving
it (2x2 means, OpenCV's fast exact path) gives each of them its picture from the level
just above its size, instead of each converting and shrinking the full frame. The
buffers are reused from frame to frame. Pure numpy/OpenCV, no I/O.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from overlay.frames import BGRImage
from overlay.watermark.detect import working_grey

__all__ = ["GreyPyramid"]

U8 = npt.NDArray[np.uint8]
F32 = npt.NDArray[np.float32]
#: Levels are halved down to this height (the detector's working height).
SMALLEST = 96


class GreyPyramid:
    """The latest frame's grey (level 0) and its halvings (level k: 2**k times smaller).

    Args:
        smallest: halve while the next level is at least twice this high.
    """

    def __init__(self, *, smallest: int = SMALLEST) -> None:
        self.smallest = smallest
        self.levels: list[U8] = []
        self.frames = 0

    @property
    def shape(self) -> tuple[int, int]:
        """(height, width) of the frame."""
        if not self.levels:
            raise ValueError("the pyramid has no frame yet; call update(image) first")
        h, w = self.levels[0].shape
        return h, w

    def update(self, image: BGRImage) -> None:
        """Make the pyramid of ``image`` (BGR uint8, or grey 2-D uint8)."""
        h, w = image.shape[:2]
        if not self.levels or self.levels[0].shape != (h, w):
            self.levels = [np.empty((h, w), np.uint8)]
            # Exact halvings only (even sizes), down to ``smallest`` high.
            lh, lw = h, w
            while not (lh % 2 or lw % 2) and lh // 2 >= self.smallest:
                lh, lw = lh // 2, lw // 2
                self.levels.append(np.empty((lh, lw), np.uint8))
        if image.ndim == 2:
            np.copyto(self.levels[0], image)
        else:
            cv2.cvtColor(image, cv2.COLOR_BGR2GRAY, dst=self.levels[0])
        for upper, lower in zip(self.levels, self.levels[1:], strict=False):
            # 2x2 means (OpenCV's fast exact path for a factor of 2).
            cv2.resize(upper, lower.shape[::-1], dst=lower, interpolation=cv2.INTER_LINEAR)
        self.frames += 1

    def resized(self, size: tuple[int, int], box: tuple[int, int, int, int] | None = None) -> F32:
        """The grey of ``box`` (x, y, width, height; None: the whole frame) at ``size``
        (width, height), the way the detector makes its working picture: halved while at
        least twice ``size``, then averaged over areas. It starts from the deepest level
        where the box falls on whole pixels (a box at even coordinates and sizes from
        level 1, ...), so the result is the same as from the frame itself."""
        fh, fw = self.shape
        x, y, bw, bh = box if box is not None else (0, 0, fw, fh)
        k = 0
        while (
            k + 1 < len(self.levels)
            and not (x | y | bw | bh) & ((2 << k) - 1)
            and bh >> k >= 2 * size[1]
            and bw >> k >= 2 * size[0]
        ):
            k += 1
        s = 1 << k
        grey: U8 = self.levels[k][y // s : (y + bh) // s, x // s : (x + bw) // s]
        return working_grey(grey, size)  # the detector's own resampling from here
