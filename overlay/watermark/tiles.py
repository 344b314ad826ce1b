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

Only the page's colour is cut away: beside an exactly flat page (an app's background),
a line is the page's where its pixels are within a grey level of it and still, so a
picture's dark edge beside a dark page stays in the picture (see ``FLAT``).

Each candidate's sides are then snapped to the strongest edge nearby in the window's
mean at full size: the detector needs the picture's top-left within about one cell
(1/24 of its height) and its height within about +0/-12 %, and the analysis size is
coarser than that. Pure numpy/OpenCV, no I/O.

A tile cut out is searched by a :class:`TileDetector`: a detector that weighs each
frame's evidence by how sharp the frame is beside the frames just before it (a screen
recording's codec quantises some frames more coarsely, and those carry less of the mark).
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any, cast

import cv2
import numpy as np
import numpy.typing as npt

from overlay.frames import BGRImage
from overlay.watermark.detect import Detector
from overlay.watermark.layout import PUBLIC_KEY
from overlay.watermark.pyramid import GreyPyramid

__all__ = ["Box", "TileDetector", "TileFinder", "find_tiles"]

#: (x, y, width, height) in pixels of the capture.
Box = tuple[int, int, int, int]

#: The long side of the analysis picture (pixels).
ANALYSIS = 960
#: Grey-level change between two frames that counts as moving (a moving area), and the
#: smaller change that counts as activity (a gutter has none: even a picture's smooth
#: sky changes by its sensor noise).
MOTION = 6.0
STIRRING = 2.0
#: Grey-level step between neighbouring pixels of a window's mean that counts as texture.
TEXTURE = 1.5
#: A row or column of a region with less than this share of activity is a gutter.
GUTTER = 0.1
#: A candidate covers at least this share of the capture, and at most MAX_AREA of it
#: (the whole capture is searched anyway).
MIN_AREA = 0.02
MAX_AREA = 0.92
#: Width / height of a candidate: pictures sent by call apps are 9:16 to 21:9.
ASPECT = (0.5, 2.5)
#: A line (row or column) is page-coloured when 80 % of it is within this many grey
#: levels of the page around the tiles.
PAGE = 8.0
#: An exactly flat page (an app's background: at least ``FLAT_SHARE`` of the page's
#: pixels along the frame's edges within ``FLAT`` grey levels of its colour and still
#: over the window) is told
#: from a picture beside it more closely: a page line's pixels are then within ``FLAT``
#: levels of it and still (a picture's dark sky next to a dark grey player is within
#: PAGE levels of it, but not that flat).
FLAT = 1.0
FLAT_SHARE = 0.75
#: A border line steps by this many grey levels along this share of its length.
BORDER = 4.0
BORDER_SHARE = 0.9
#: More such lines than this inside a region are the picture's own lines, not borders.
MAX_BORDERS = 2
#: Candidates that overlap more than this (intersection over union) are one.
SAME = 0.7
#: The pictures overlay sends are 16:9 (its default output and a call's); a source of
#: another shape is letterboxed into them with dark bars (``overlay.pipeline.BAR_LEVEL``),
#: and the mark's grid spans the bars. A candidate narrower or wider than this by more
#: than ``ASPECT_SLACK`` whose centred 16:9 box adds two bar-like strips (below) is
#: that box: the picture's flat bars are not activity, so the cut finds the picture
#: inside them, whose grid the search cannot reach (a pillarboxed 1:1 picture starts 22 %
#: of the width in). A box within ``ASPECT_SLACK`` of 16:9 is completed to 16:9 across
#: a side without an edge (``_to_output_shape``).
OUTPUT_ASPECT = 16 / 9
ASPECT_SLACK = 0.03
#: A strip is a bar when its median grey (the window's mean) is at most ``BAR_DARK``,
#: ``BAR_SHARE`` of its pixels are within ``BAR_SPREAD`` levels of that median (the
#: banner and the visible mark sit in the bars), the two strips' medians are within
#: ``BAR_SPREAD`` of each other, less than ``GUTTER`` of it moved, and less than half of
#: it has the page's colour (a picture of another shape on a dark page is not widened
#: into the page; bars the page's own colour cannot be told from it).
BAR_DARK = 48.0
BAR_SPREAD = 6.0
BAR_SHARE = 0.7

F32 = npt.NDArray[np.float32]
U8 = npt.NDArray[np.uint8]


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


def _gutters(
    runs: list[tuple[int, int]],
    n: int,
    page_lines: Callable[[int, int], npt.NDArray[np.bool_]],
    gap_lines: Callable[[int, int], npt.NDArray[np.bool_]],
) -> list[tuple[int, int]]:
    """The runs of activity re-cut so that only page-coloured lines separate them: a gap
    between two runs is a gutter where some of its lines have the page's colour (the
    flat dark edge of a picture beside it does not), and only page-coloured lines are
    trimmed from the ends. ``page_lines(a, b)`` says which lines a..b are page-coloured
    across the whole region (for the ends), ``gap_lines(a, b)`` across its active part
    (for the gaps)."""
    if not runs:
        return runs
    cuts: list[tuple[int, int]] = []  # page-coloured stretches inside the gaps
    for (_, end), (start, _) in itertools.pairwise(runs):
        page = np.flatnonzero(gap_lines(end, start))
        if page.size:
            cuts.append((end + int(page[0]), end + int(page[-1]) + 1))
    first, last = runs[0][0], runs[-1][1]
    lead = page_lines(0, first) if first else np.zeros(0, np.bool_)
    # Trim from the frame's side inwards: only the lines from the outside up to the first
    # line that is not page-coloured.
    start = 0
    while start < first and lead[start]:
        start += 1
    tail = page_lines(last, n) if last < n else np.zeros(0, np.bool_)
    stop = n
    while stop > last and tail[stop - last - 1]:
        stop -= 1
    out = []
    for a, b in cuts:
        out.append((start, a))
        start = b
    out.append((start, stop))
    return [(a, b) for a, b in out if b > a]


def _xy_cut(
    rows_mask: npt.NDArray[np.bool_],
    cols_mask: npt.NDArray[np.bool_],
    mean: F32,
    page: npt.NDArray[np.bool_] | None,
    x0: int,
    y0: int,
    x1: int,
    y1: int,
    depth: int = 0,
) -> list[Box]:
    """Leaves of the recursive cut of the region along inactive rows and columns
    (gutters), each trimmed to its active part (analysis pixels). Rows are judged on
    ``rows_mask`` and columns on ``cols_mask`` (activity measured along each, so that an
    edge does not bleed into the gutter beside it). ``page`` says which pixels have the
    page's colour (None: no page)."""
    if x1 <= x0 or y1 <= y0:
        return []
    rows = _runs(rows_mask[y0:y1, x0:x1].mean(axis=1) >= GUTTER)
    cols = _runs(cols_mask[y0:y1, x0:x1].mean(axis=0) >= GUTTER)
    if page is not None and rows and cols:
        # A gap's lines are judged across the active part of the region only: beside a
        # picture a third of the frame wide, the page on either side made any of its
        # rows 40 % page-coloured (an avatar's dark backdrop at the page's grey) a page
        # line, and the picture was cut there (56 px short of its bottom). The ends are
        # trimmed by lines across the whole region, as before (the codec's noise just
        # outside a picture, still within its rows, would otherwise keep 14 px of page).
        ax0, ax1 = x0 + cols[0][0], x0 + cols[-1][1]
        ay0, ay1 = y0 + rows[0][0], y0 + rows[-1][1]
        rows = _gutters(
            rows,
            y1 - y0,
            lambda a, b: page[y0 + a : y0 + b, x0:x1].mean(axis=1) >= 0.8,
            lambda a, b: page[y0 + a : y0 + b, ax0:ax1].mean(axis=1) >= 0.8,
        )
        cols = _gutters(
            cols,
            x1 - x0,
            lambda a, b: page[y0:y1, x0 + a : x0 + b].mean(axis=0) >= 0.8,
            lambda a, b: page[ay0:ay1, x0 + a : x0 + b].mean(axis=0) >= 0.8,
        )
    if not rows or not cols:
        return []
    # Trim to the active part; a split is a gap inside it.
    ty0, ty1 = y0 + rows[0][0], y0 + rows[-1][1]
    tx0, tx1 = x0 + cols[0][0], x0 + cols[-1][1]
    if depth > 8:
        return [(tx0, ty0, tx1 - tx0, ty1 - ty0)]
    out: list[Box] = []
    if len(rows) > 1:
        for a, b in rows:
            out += _xy_cut(rows_mask, cols_mask, mean, page, tx0, y0 + a, tx1, y0 + b, depth + 1)
        return out
    if len(cols) > 1:
        for a, b in cols:
            out += _xy_cut(rows_mask, cols_mask, mean, page, x0 + a, ty0, x0 + b, ty1, depth + 1)
        return out
    if (tx0, ty0, tx1, ty1) != (x0, y0, x1, y1):
        # Trimming may open gaps that the untrimmed rows or columns hid.
        return _xy_cut(rows_mask, cols_mask, mean, page, tx0, ty0, tx1, ty1, depth + 1)
    # No gutter: a border line (a picture whose edge is as flat and dark as the page
    # beside it still steps along its whole side).
    region = mean[y0:y1, x0:x1]
    whole = [(tx0, ty0, tx1 - tx0, ty1 - ty0)]
    for axis in (1, 0):
        line = _border_line(region, axis)
        if line is not None:
            if axis == 1:
                parts = _xy_cut(
                    rows_mask, cols_mask, mean, page, x0, y0, x0 + line, y1, depth + 1
                ) + _xy_cut(rows_mask, cols_mask, mean, page, x0 + line, y0, x1, y1, depth + 1)
            else:
                parts = _xy_cut(
                    rows_mask, cols_mask, mean, page, x0, y0, x1, y0 + line, depth + 1
                ) + _xy_cut(rows_mask, cols_mask, mean, page, x0, y0 + line, x1, y1, depth + 1)
            # Tiles split at their border are each shaped like a tile; a line that
            # leaves a piece of no tile's shape is the picture's own (a still plate
            # across it: the start card's, whose edges cut a 50 % paste into 3
            # slivers, no box; a backdrop's straight line a fifth of the way down,
            # which left a sliver and a picture 21 % short).
            if all(_plausible(b, mean.shape) for b in parts):
                return parts
            return whole
    return whole


def _off_16_9(box: Box) -> tuple[bool, int, bool]:
    """Whether ``box`` is within ``ASPECT_SLACK`` of 16:9, the pixels it lacks for 16:9,
    and whether it lacks them across its width (else across its height)."""
    _, _, bw, bh = box
    aspect = bw / max(bh, 1)
    near = abs(aspect / OUTPUT_ASPECT - 1.0) <= ASPECT_SLACK
    if aspect < OUTPUT_ASPECT:
        return near, round(bh * OUTPUT_ASPECT) - bw, True
    return near, round(bw / OUTPUT_ASPECT) - bh, False


def _grown(box: Box, extra: int, widen: bool, ahead: int) -> Box:
    """``box`` grown by ``extra`` pixels across its width (``widen``) or height, ``ahead``
    of them before it (left of it, above it)."""
    x, y, bw, bh = box
    return (x - ahead, y, bw + extra, bh) if widen else (x, y - ahead, bw, bh + extra)


def _within(box: Box, width: int, height: int) -> bool:
    """Whether ``box`` lies wholly inside a frame of ``width`` x ``height``."""
    x, y, bw, bh = box
    return x >= 0 and y >= 0 and x + bw <= width and y + bh <= height


def _with_bars(
    box: Box, mean: F32, moving: npt.NDArray[np.bool_], page: npt.NDArray[np.bool_] | None
) -> Box:
    """``box`` (analysis pixels) widened or heightened to its centred 16:9 box when the
    two strips that adds are a letterbox's bars (see ``OUTPUT_ASPECT``), else ``box``."""
    x, y, bw, bh = box
    near, extra, widen = _off_16_9(box)
    if near:
        return box
    wide = _grown(box, extra, widen, extra // 2)
    wx, wy, ww, wh = wide
    if not _within(wide, mean.shape[1], mean.shape[0]):
        return box
    if widen:
        strips = [
            (slice(y, y + bh), slice(wx, x)),
            (slice(y, y + bh), slice(x + bw, wx + ww)),
        ]
    else:
        strips = [
            (slice(wy, y), slice(x, x + bw)),
            (slice(y + bh, wy + wh), slice(x, x + bw)),
        ]
    levels = []
    for rows, cols in strips:
        strip = mean[rows, cols]
        if strip.size == 0:
            return box
        level = float(np.median(strip))
        near_level = float(np.mean(np.abs(strip - level) <= BAR_SPREAD))
        if level > BAR_DARK or near_level < BAR_SHARE or float(moving[rows, cols].mean()) >= GUTTER:
            return box
        if page is not None and float(page[rows, cols].mean()) >= 0.5:
            return box
        levels.append(level)
    return wide if abs(levels[0] - levels[1]) <= BAR_SPREAD else box


def _plausible(box: Box, shape: tuple[int, ...]) -> bool:
    """Whether ``box`` (analysis pixels) is shaped like a tile of a frame of ``shape``:
    its area and its width / height within ``MIN_AREA``-``MAX_AREA`` and ``ASPECT``."""
    area = shape[0] * shape[1]
    _, _, bw, bh = box
    return MIN_AREA * area <= bw * bh <= MAX_AREA * area and ASPECT[0] <= bw / bh <= ASPECT[1]


def _border_line(region: F32, axis: int) -> int | None:
    """A column (axis 1) or row (axis 0) at least a fifth of the way in from each side
    where the picture steps by BORDER grey levels along nearly all of its length."""
    steps = np.abs(np.diff(region, axis=axis)) > BORDER
    share = steps.mean(axis=1 - axis)
    n = share.size + 1
    lo, hi = n // 5, min(share.size, n - n // 5)
    if share.size < 5 or hi <= lo:
        return None
    best = lo + int(np.argmax(share[lo:hi]))
    # The line stands out: most lines of the region do not step along their length
    # (noise or fine texture steps everywhere).
    if share[best] < BORDER_SHARE or float(np.median(share)) >= 0.5:
        return None
    # A picture's own straight lines (a backdrop's grid, a window's frame bars) step
    # along their length too, but come several to a region; the borders of tiles
    # without gutters are one or two (a grid of three across).
    inner = share[2:-2] >= BORDER_SHARE
    if len(_runs(inner)) > MAX_BORDERS:
        return None
    return int(best) + 1


def _still_line(moving: npt.NDArray[np.bool_], box: Box) -> bool:
    """A row or column of ``box`` (not its outer two) where nothing moved."""
    x, y, bw, bh = box
    inner = moving[y : y + bh, x : x + bw][2:-2, 2:-2]
    if inner.size == 0:
        return True
    return bool((~inner.any(axis=1)).any() or (~inner.any(axis=0)).any())


def _snap(grey: F32, box: Box, band: int) -> Box:
    """Move each side of ``box`` to the best edge within ``band`` pixels.

    A side at row (column) ``p`` has the picture's last line on one side and the
    surroundings' first line on the other: its score is how much the two differ,
    averaged along the middle 80 % of the side, divided by how much the outside line
    varies (a gutter or a page is flat; the edge of a neighbouring tile has the flat
    side inwards and scores low). A side with no clear edge stays where the activity
    put it, and the box is then completed to 16:9 across it (``_to_output_shape``).
    """
    h, w = grey.shape
    x, y, bw, bh = box

    def side(pos: int, inward: int, rows: bool, start: int, end: int) -> tuple[int, bool]:
        """The side's position and whether an edge was found there."""
        inset = (end - start) // 10
        a, b = max(0, start + inset), min(w if rows else h, end - inset)
        limit = h if rows else w
        if b - a < 4:
            return pos, False
        best, best_score, scores = pos, -1.0, []
        for p in range(pos - band, pos + band + 1):
            inside = p if inward > 0 else p - 1
            outside = p - 1 if inward > 0 else p
            if not (0 <= inside < limit and 0 <= outside < limit):
                continue
            # Only the lines compared are made float (not the whole frame).
            li = (grey[inside, a:b] if rows else grey[a:b, inside]).astype(np.float32)
            lo = (grey[outside, a:b] if rows else grey[a:b, outside]).astype(np.float32)
            score = float(np.abs(li - lo).mean()) / (1.0 + float(lo.std()))
            scores.append(score)
            if score > best_score:
                best, best_score = p, score
        # A side with no clear edge (the picture fades into its surroundings) stays.
        if not scores or best_score < 2.0 * float(np.median(scores)) + 0.5:
            return pos, False
        return best, True

    top, top_edge = side(y, 1, True, x, x + bw)
    bottom, bottom_edge = side(y + bh, -1, True, x, x + bw)
    left, left_edge = side(x, 1, False, y, y + bh)
    right, right_edge = side(x + bw, -1, False, y, y + bh)
    if bottom - top < bh // 2 or right - left < bw // 2:
        return box
    snapped = (left, top, right - left, bottom - top)
    edges = (top_edge, bottom_edge, left_edge, right_edge)
    return _to_output_shape(snapped, edges, (h, w))


def _to_output_shape(box: Box, edges: tuple[bool, bool, bool, bool], shape: tuple[int, int]) -> Box:
    """``box`` grown to 16:9 across its sides without an edge (top, bottom, left, right)
    when it is within ``ASPECT_SLACK`` of 16:9 but not 16:9.

    A picture whose edge fades into its surroundings (a dark sky beside a dark page) is
    boxed by its activity, a few pixels short on that side; overlay's pictures are 16:9
    (``OUTPUT_ASPECT``), and the search does not reach a box 1 % short across the mark's
    grid (a 40 % paste of the rocket, 3 px short of 288 at its top, was not read; 1 px
    short, it was). The short dimension is grown on its sides without an edge (split
    between them when both have none); a side with an edge does not move, and a box
    whose short dimension has an edge on both sides is left as it is (a picture cut to
    another shape).
    """
    top, bottom, left, right = edges
    near, grow, widen = _off_16_9(box)
    before, after = (left, right) if widen else (top, bottom)
    if not near or grow <= 0 or (before and after):
        return box
    # How much of the growth goes before the box (above it, left of it).
    ahead = 0 if before else grow if after else grow // 2
    grown = _grown(box, grow, widen, ahead)
    return grown if _within(grown, shape[1], shape[0]) else box


def _page(
    rows_mask: npt.NDArray[np.bool_],
    cols_mask: npt.NDArray[np.bool_],
    mean: F32,
    change: U8 | None,
) -> npt.NDArray[np.bool_] | None:
    """The pixels of the page's colour: the page is the flat rows and columns at the
    edges of the frame (None when the tiles reach every edge); a pixel has its colour
    within PAGE grey levels, or, when the page is exactly flat (see ``FLAT``), within
    FLAT levels and still (``change``: the largest change between frames)."""
    rows = np.flatnonzero(rows_mask.mean(axis=1) >= GUTTER)
    cols = np.flatnonzero(cols_mask.mean(axis=0) >= GUTTER)
    if rows.size == 0 or cols.size == 0:
        return None
    ring = np.ones(mean.shape, np.bool_)
    ring[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1] = False
    if not ring.any():
        return None
    off = np.abs(mean - float(np.median(mean[ring])))
    flat = cast(npt.NDArray[np.bool_], off <= FLAT)
    if change is not None:
        flat &= change <= FLAT
    # Judged on the page's outermost lines (the frame's edges): a dark picture edge
    # inside the ring (trimmed from the activity, not from the page) is not the page.
    edge = np.zeros(mean.shape, np.bool_)
    edge[:2], edge[-2:], edge[:, :2], edge[:, -2:] = True, True, True, True
    edge &= ring
    if edge.any() and float(flat[edge].mean()) >= FLAT_SHARE:
        return flat
    return cast(npt.NDArray[np.bool_], off <= PAGE)


class TileFinder:
    """Accumulates frames of a window and proposes tile rectangles.

    ::

        finder = TileFinder(limit=4)
        for frame in window:  # BGR uint8 (or a GreyPyramid of it)
            finder.add(frame)
        boxes = finder.boxes()  # [(x, y, width, height), ...], best first
        finder.reset()

    A call grid's tiles are found by the gutters between them, a picture pasted over
    other content by its motion; each box is snapped to the picture's edges in the
    window's mean (see the module's docstring and ``docs/watch.md``).

    Args:
        limit: at most this many rectangles, the most moving and largest first.
    """

    def __init__(self, *, limit: int = 4) -> None:
        self.limit = limit
        self.frames = 0
        # The largest change between consecutive frames, the latest analysis picture
        # (grey levels, exact in uint8) and the window's sum; the window's sum at full
        # size, which the boxes are snapped in.
        self._moving: U8 | None = None
        self._prev: U8 | None = None
        self._sum: F32 | None = None
        self._full: F32 | None = None
        self._scale = 1.0

    @classmethod
    def single(cls, image: BGRImage | GreyPyramid, *, limit: int = 4) -> list[Box]:
        """The rectangles one frame shows (by texture alone: nothing has moved yet)."""
        finder = cls(limit=limit)
        finder.add(image)
        return finder.boxes()

    def reset(self) -> None:
        """Forget the frames seen."""
        self.frames = 0
        self._moving = self._prev = self._sum = self._full = None

    def add(self, image: BGRImage | GreyPyramid) -> None:
        """Add one BGR frame, or the pyramid of its grey (shared with the searches: the
        analysis picture is then a level of it when one has the analysis size); a frame
        of another size than the last starts over.

        With a pyramid, its full-size grey is added to the window's full-size sum
        (which the boxes are snapped in); nothing of the pyramid is kept.
        """
        small: npt.NDArray[np.uint8] | None = None
        if isinstance(image, GreyPyramid):
            grey = image.levels[0]
        else:
            grey = cast(npt.NDArray[np.uint8], cv2.cvtColor(image, cv2.COLOR_BGR2GRAY))
        h, w = grey.shape
        if self._full is not None and self._full.shape != grey.shape:
            self.reset()
        self._scale = min(1.0, ANALYSIS / max(h, w))
        size = (max(1, round(w * self._scale)), max(1, round(h * self._scale)))
        if isinstance(image, GreyPyramid):
            small = next((lv for lv in image.levels if lv.shape[::-1] == size), None)
        if small is None:
            small = cast(
                npt.NDArray[np.uint8], cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
            )
        if self._prev is not None:
            change = cast(U8, cv2.absdiff(small, self._prev))
            if self._moving is None:
                self._moving = change
            else:
                np.maximum(self._moving, change, out=self._moving)
        if self._sum is None:
            self._sum = small.astype(np.float32)
        else:
            self._sum += small
        # A copy: ``small`` may be the pyramid's buffer, which the next frame overwrites.
        self._prev = small.copy()
        if self._full is None:
            self._full = grey.astype(np.float32)
        else:
            cv2.accumulate(grey, self._full)
        self.frames += 1

    def boxes(self) -> list[Box]:
        """The candidate rectangles (full-size pixels), best first."""
        if self._sum is None or self._full is None or self._prev is None:
            return []
        mean = cast(F32, (self._sum / self.frames).astype(np.float32))
        moving = (
            self._moving > MOTION
            if self._moving is not None
            else np.zeros(mean.shape, dtype=np.bool_)
        )
        # Texture that stays (the window's mean changes from pixel to pixel), measured
        # along rows for the row gutters and along columns for the column gutters.
        along_rows = np.zeros(mean.shape, np.bool_)
        along_rows[:, 1:] = np.abs(np.diff(mean, axis=1)) > TEXTURE
        along_cols = np.zeros(mean.shape, np.bool_)
        along_cols[1:, :] = np.abs(np.diff(mean, axis=0)) > TEXTURE
        ah, aw = mean.shape
        stirring = self._moving > STIRRING if self._moving is not None else np.zeros_like(moving)
        rows_mask, cols_mask = along_rows | stirring, along_cols | stirring
        page = _page(rows_mask, cols_mask, mean, self._moving)
        leaves = _xy_cut(rows_mask, cols_mask, mean, page, 0, 0, aw, ah)
        found = list(leaves)
        closed = cv2.morphologyEx(
            moving.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8)
        )
        count, _, stats, _ = cv2.connectedComponentsWithStats(closed)
        for x, y, bw, bh, n in stats[1:count]:
            box = (int(x), int(y), int(bw), int(bh))
            # A moving area that spans several tiles (a whole grid in motion) is their
            # union, not a picture: still gutters cross it. Where no still line
            # crosses it, the cut split one picture (a still dark plate over it, as
            # dark as the page, looked like a gutter) and the area is the picture.
            spans = sum(_inside(o, box) for o in leaves) >= 2
            # A moving area inside a leaf and most of it is the leaf's picture, part of
            # it still (a blurred background, a dark sky): the leaf, bounded by the
            # page, is the picture; the moving part alone would outrank it.
            within = any(_inside(box, o) and _iou(box, o) > SAME for o in leaves)
            if n >= 0.5 * bw * bh and not within and (not spans or not _still_line(moving, box)):
                found.append(box)
        area = ah * aw
        scored: list[tuple[float, Box]] = []
        for box in (_with_bars(b, mean, moving, page) for b in found):
            x, y, bw, bh = box
            if not _plausible(box, mean.shape):
                continue
            share = float(moving[y : y + bh, x : x + bw].mean())
            scored.append((share * 4.0 + bw * bh / area, box))
        scored.sort(key=lambda s: -s[0])
        s = self._scale
        band = max(4, round(4.0 / s))
        out: list[Box] = []
        # Snapped in the window's mean at full size: the codec's flicker and the mark
        # average out of it, a tile's edges stay where they are.
        grey = cast(F32, self._full * np.float32(1.0 / self.frames))
        for _, (x, y, bw, bh) in scored:
            full = (round(x / s), round(y / s), round(bw / s), round(bh / s))
            full = _snap(grey, full, band)
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


#: A tile's frame is weighed by its sharpness (the mean absolute difference between its
#: working grey and that grey's 3x3 mean: detail at the scale of a quarter cell) beside
#: the sharpest of itself and the ``SHARP_FRAMES - 1`` frames before it, raised to
#: ``SHARP_POWER``. A screen recording's x264 (CRF 28, B-frames) codes every 4th frame of
#: a window without its key frame at a finer quantiser than the 3 between, and those
#: keep more of the mark: on a 40 % paste they read 63-70 % of the coded bits right, the
#: B-frames between 53-60 %, and their sharpness is 3-5 % higher (0.96**40 = 0.2).
SHARP_FRAMES = 4
SHARP_POWER = 40.0


class TileDetector(Detector):
    """A :class:`Detector` for a tile cut out of a screen recording: each frame's
    evidence is weighed by its sharpness beside the frames just before it (see
    ``SHARP_POWER``). The weight is drawn from the picture alone and lies in [0, 1], so
    the presence bound stands, and the read-outs are counted as before."""

    def __init__(self, public_key: bytes = PUBLIC_KEY, **kwargs: Any) -> None:
        super().__init__(public_key, **kwargs)
        self._sharpness: deque[float] = deque(maxlen=SHARP_FRAMES)

    def reset(self) -> None:
        super().reset()
        self._sharpness.clear()

    def _frame_weight(self, small: F32) -> float:
        sharp = float(np.mean(np.abs(small - cv2.blur(small, (3, 3)))))
        self._sharpness.append(sharp)
        top = max(self._sharpness)
        return (sharp / top) ** SHARP_POWER if top > 0 else 1.0
