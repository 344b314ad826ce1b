"""Tile finding: rectangles of a capture that may hold a picture of their own.

A call app shows each participant in a tile: a scaled picture inside a larger window or
screen. The mark's search covers the picture as sent, cropped by up to about 10 %, or
zoomed back (see ``overlay.watermark.detect``); a tile at 40 % of the capture is far
outside that, so each tile is searched as a picture of its own, cut out of the frames.

Candidates come from frames seen over a window, at a small analysis size:

- **activity**: pixels that moved (a talking head, a video) or that carry texture (a
  still picture) in the window; a grid's tiles are separated by flat gutters, so the
  activity mask is cut recursively along rows and columns with no activity (XY-cut).
- **motion components**: connected moving areas (a picture pasted over other content,
  with no flat gutter around it).

Each candidate's sides are then snapped to the strongest edge nearby in the latest
frame at full size: the detector needs the picture's top-left within about one cell
(1/24 of its height) and its height within about +0/-12 %, and the analysis size is
coarser than that. Pure numpy/OpenCV, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

import cv2
import numpy as np
import numpy.typing as npt

from overlay.frames import BGRImage

__all__ = ["Box", "TileFinder", "find_tiles"]

#: (x, y, width, height) in pixels of the capture.
Box = tuple[int, int, int, int]

#: The long side of the analysis picture (pixels).
ANALYSIS = 960
#: Grey-level change between two frames that counts as moving.
MOTION = 6.0
#: Local standard deviation (grey levels, 3x3 at the analysis size) that counts as texture.
TEXTURE = 3.0
#: A row or column of a region with less than this share of activity is a gutter.
GUTTER = 0.02
#: A candidate covers at least this share of the capture, and at most MAX_AREA of it
#: (the whole capture is searched anyway).
MIN_AREA = 0.02
MAX_AREA = 0.92
#: Width / height of a candidate: pictures sent by call apps are 9:16 to 21:9.
ASPECT = (0.5, 2.5)
#: Candidates that overlap more than this (intersection over union) are one.
SAME = 0.7

F32 = npt.NDArray[np.float32]


def _iou(a: Box, b: Box) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    iw = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    ih = max(0, min(ay + ah, by + bh) - max(ay, by))
    inter = iw * ih
    return inter / max(1, aw * ah + bw * bh - inter)


def _inside(a: Box, b: Box) -> bool:
    """Most of ``a`` lies within ``b``."""
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    iw = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    ih = max(0, min(ay + ah, by + bh) - max(ay, by))
    return iw * ih >= 0.8 * aw * ah


def _runs(active: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
    """Start and end (exclusive) of each run of True."""
    padded = np.concatenate([[False], active, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def _xy_cut(
    mask: npt.NDArray[np.bool_], x0: int, y0: int, x1: int, y1: int, depth: int = 0
) -> list[Box]:
    """Leaves of the recursive cut of ``mask[y0:y1, x0:x1]`` along inactive rows and
    columns (gutters), each trimmed to its active part (analysis pixels)."""
    sub = mask[y0:y1, x0:x1]
    if sub.size == 0:
        return []
    rows = _runs(sub.mean(axis=1) >= GUTTER)
    cols = _runs(sub.mean(axis=0) >= GUTTER)
    if not rows or not cols:
        return []
    # Trim to the active part; a split is a gap inside it.
    ty0, ty1 = y0 + rows[0][0], y0 + rows[-1][1]
    tx0, tx1 = x0 + cols[0][0], x0 + cols[-1][1]
    if depth > 8:
        return [(tx0, ty0, tx1 - tx0, ty1 - ty0)]
    if len(rows) > 1:
        out = []
        for a, b in rows:
            out += _xy_cut(mask, tx0, y0 + a, tx1, y0 + b, depth + 1)
        return out
    if len(cols) > 1:
        out = []
        for a, b in cols:
            out += _xy_cut(mask, x0 + a, ty0, x0 + b, ty1, depth + 1)
        return out
    if (tx0, ty0, tx1, ty1) != (x0, y0, x1, y1):
        # Trimming may open gaps that the untrimmed rows or columns hid.
        return _xy_cut(mask, tx0, ty0, tx1, ty1, depth + 1)
    return [(tx0, ty0, tx1 - tx0, ty1 - ty0)]


def _snap(grey: npt.NDArray[np.uint8], box: Box, band: int) -> Box:
    """Move each side of ``box`` to the strongest edge within ``band`` pixels: the row
    (column) where the picture changes most from the one before, averaged along the
    middle 80 % of the side."""
    h, w = grey.shape
    x, y, bw, bh = box
    g = grey.astype(np.int16)

    def edge(profile_of: int, lo: int, hi: int, rows: bool, start: int, end: int) -> int:
        lo, hi = max(1, lo), min((h if rows else w) - 1, hi)
        if hi <= lo:
            return profile_of
        inset = (end - start) // 10
        a, b = max(0, start + inset), min(w if rows else h, end - inset)
        if b <= a:
            return profile_of
        if rows:
            diff = np.abs(g[lo : hi + 1, a:b] - g[lo - 1 : hi, a:b]).mean(axis=1)
        else:
            diff = np.abs(g[a:b, lo : hi + 1] - g[a:b, lo - 1 : hi]).mean(axis=0)
        best = int(np.argmax(diff))
        # A side with no clear edge (the picture fades into its surroundings) stays.
        if diff[best] < 2.0 * float(np.median(diff)) + 1.0:
            return profile_of
        return lo + best

    top = edge(y, y - band, y + band, True, x, x + bw)
    bottom = edge(y + bh, y + bh - band, y + bh + band, True, x, x + bw)
    left = edge(x, x - band, x + band, False, y, y + bh)
    right = edge(x + bw, x + bw - band, x + bw + band, False, y, y + bh)
    if bottom - top < bh // 2 or right - left < bw // 2:
        return box
    return (left, top, right - left, bottom - top)


class TileFinder:
    """Accumulates frames of a window and proposes tile rectangles.

    Args:
        limit: at most this many rectangles, the most moving and largest first.
    """

    def __init__(self, *, limit: int = 4) -> None:
        self.limit = limit
        self.frames = 0
        self._moving: F32 | None = None
        self._prev: F32 | None = None
        self._sum: F32 | None = None
        self._last: npt.NDArray[np.uint8] | None = None
        self._scale = 1.0

    @classmethod
    def single(cls, image: BGRImage, *, limit: int = 4) -> list[Box]:
        """The rectangles one frame shows (by texture alone: nothing has moved yet)."""
        finder = cls(limit=limit)
        finder.add(image)
        return finder.boxes()

    def reset(self) -> None:
        """Forget the frames seen."""
        self.frames = 0
        self._moving = self._prev = self._sum = None
        self._last = None

    def add(self, image: BGRImage) -> None:
        """Add one BGR frame (all frames until ``reset`` must have the same size)."""
        grey = cast(npt.NDArray[np.uint8], cv2.cvtColor(image, cv2.COLOR_BGR2GRAY))
        h, w = grey.shape
        if self._last is not None and self._last.shape != grey.shape:
            self.reset()
        self._scale = min(1.0, ANALYSIS / max(h, w))
        size = (max(1, round(w * self._scale)), max(1, round(h * self._scale)))
        cur = cv2.resize(grey, size, interpolation=cv2.INTER_AREA).astype(np.float32)
        if self._prev is not None:
            change = cast(F32, cv2.absdiff(cur, self._prev))
            self._moving = change if self._moving is None else np.maximum(self._moving, change)
        self._sum = cur.copy() if self._sum is None else self._sum + cur
        self._prev = cur
        self._last = grey
        self.frames += 1

    def boxes(self) -> list[Box]:
        """The candidate rectangles (full-size pixels), best first."""
        if self._sum is None or self._last is None or self._prev is None:
            return []
        mean = self._sum / self.frames
        # Local standard deviation of the window's mean: texture that stays.
        m1 = cv2.blur(mean, (3, 3))
        m2 = cv2.blur(mean * mean, (3, 3))
        texture = np.sqrt(np.maximum(m2 - m1 * m1, 0.0)) > TEXTURE
        moving = (
            self._moving > MOTION
            if self._moving is not None
            else np.zeros(mean.shape, dtype=np.bool_)
        )
        ah, aw = mean.shape
        leaves = _xy_cut(texture | moving, 0, 0, aw, ah)
        found = list(leaves)
        closed = cv2.morphologyEx(
            moving.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8)
        )
        count, _, stats, _ = cv2.connectedComponentsWithStats(closed)
        for x, y, bw, bh, n in stats[1:count]:
            box = (int(x), int(y), int(bw), int(bh))
            # A moving area that spans several tiles (a whole grid in motion) is their
            # union, not a picture.
            if n >= 0.5 * bw * bh and sum(_inside(o, box) for o in leaves) < 2:
                found.append(box)
        area = ah * aw
        scored: list[tuple[float, Box]] = []
        for box in found:
            x, y, bw, bh = box
            if not MIN_AREA * area <= bw * bh <= MAX_AREA * area:
                continue
            if not ASPECT[0] <= bw / bh <= ASPECT[1]:
                continue
            share = float(moving[y : y + bh, x : x + bw].mean())
            scored.append((share * 4.0 + bw * bh / area, box))
        scored.sort(key=lambda s: -s[0])
        s = self._scale
        band = max(3, round(2.5 / s))
        out: list[Box] = []
        for _, (x, y, bw, bh) in scored:
            full = (round(x / s), round(y / s), round(bw / s), round(bh / s))
            full = _snap(self._last, full, band)
            if any(_iou(full, o) > SAME for o in out):
                continue
            out.append(full)
            if len(out) >= self.limit:
                break
        return out


def find_tiles(frames: Iterable[BGRImage], *, limit: int = 4) -> list[Box]:
    """Tile rectangles in ``frames`` (one window of a video), best first."""
    finder = TileFinder(limit=limit)
    for image in frames:
        finder.add(image)
    return finder.boxes()
