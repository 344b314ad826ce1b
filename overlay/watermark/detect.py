"""Detection: per-frame soft values under every geometry hypothesis, then the payload.

The frame is turned into grey at a working size where a cell of the mark is ``Q``
pixels. Each hypothesis is a geometry: a scale (the picture was cropped in height, or
cropped and zoomed back: cells look up to ``MAX_SCALE`` times larger), a sub-cell phase
and a number of whole cells cut from the top and the left. Under each, every block's
projection ``p`` gives two soft values (see ``overlay.watermark.layout``):
``cos(2 pi (p - dither) / STEP)``, +1 on bit 0's lattice and -1 on bit 1's, and
``cos(4 pi (p - dither) / STEP)``, +1 on either lattice. They are averaged over the
frames (never the pixels: a moving picture puts each block on different lattice points).

Decision and false positives (see ``docs/watermark.md``):

- **payload**: the coded bits are read at up to ``READS`` hypotheses per search (the
  nominal geometry, the strongest others, and the strongest refined below a quarter cell
  and half a percent of scale: ``FINE``) with a soft Viterbi decoder, and a refining
  search spends the read-outs the window's earlier searches left unused on the nominal
  read-out's runners-up (list Viterbi); a read-out of unmarked content passes the
  36-bit keyed check with probability ``2 ** -36``, and the detector never reads more
  than ``READS`` per search of the window, so a payload is reported with probability at
  most ``READS * searches * 2 ** -36`` per window, whatever else.
- **presence**: the lattice score ``z = mean_t(sum_k cos4) / sqrt(K)`` over the ``K``
  blocks in view is a sum of bounded terms that average to 0 on unmarked content
  (the keyed dither is uniform), so by Hoeffding one hypothesis reaches ``z`` with
  probability at most ``exp(-z ** 2 / 2)``. Averaging over frames first keeps this true
  for a still picture (identical frames are not independent evidence). A union over
  every hypothesis searched sets the threshold at which the mark is claimed present
  without a readable payload.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import cv2
import numpy as np
import numpy.typing as npt

from overlay.frames import BGRImage
from overlay.watermark.ecc import decode, decode_list, decode_many
from overlay.watermark.lattice import scorer
from overlay.watermark.layout import (
    BLOCK,
    BLOCK_ROWS,
    CELLS_PER_HEIGHT,
    CODED_BITS,
    F32,
    MAX_BLOCK_COLUMNS,
    PUBLIC_KEY,
    STEP,
    block_index,
    get_layout,
)
from overlay.watermark.payload import CHECK_BITS, PAYLOAD_BITS, Payload, unpack

__all__ = [
    "Detection",
    "Detector",
    "payload_bound",
    "presence_threshold",
    "working_grey",
    "working_size",
]

#: Working pixels per cell at the nominal scale (sub-cell phases are searched in steps
#: of 1/Q cell).
Q = 4
#: Scales searched: cells up to this much larger than height / CELLS_PER_HEIGHT (a 10 %
#: crop of the height, or any 10 % crop zoomed back to the full size, is 1.11), in steps
#: of half a percent (1 % steps are a quarter cell off at the far side of a 16:9 frame
#: between two steps: a 10 % zoom read at 1.105 or 1.116 needed 15-30 frames or none,
#: at 1.110 one).
SCALE_STEP = 1.005
MAX_SCALE = 1.14
#: Whole cells that may have been cut from the top and from the left (a 10 % crop of a
#: 16:9 picture is 2.4 cells of height and 4.3 of width).
MAX_SHIFT = (3, 6)
#: The presence claim's bound per window. A window can also give a false payload (at
#: most READS x searches x 2**-36: 8.7e-10 for verify's 15 searches); the two add, so
#: the presence claim gets 1e-10 and a window claims anything falsely <= 1e-9.
PRESENCE_BOUND = 1e-10
#: Payload read-outs per search, on average over a window's searches: the nominal
#: geometry, the strongest others, and at a refining search the strongest refined (see
#: ``FINE``) and the nominal read-out's runners-up on what earlier searches left unused.
READS = 4
#: When no read-out gave a payload, the strongest hypothesis is refined: its grid moved
#: by these fractions of a cell down and across, and scaled by ``FINE_SCALES``; the
#: payload is read once, at the refinement with the highest lattice score. The phases
#: searched are a quarter cell apart and the scales half a percent: a grid read an
#: eighth of a cell off mixes an eighth of every neighbouring cell into each cell's
#: mean, which on a textured or still picture is more than the lattice allows (a crop
#: of 10 % of the height is 2.4 cells: 0.1 cell from the nearest phase).
FINE = (-0.125, -0.0625, 0.0, 0.0625, 0.125)
FINE_SCALES = (1 / 1.0025, 1.0, 1.0025)
#: The latest frames on which the refinement is chosen.
FINE_FRAMES = 6
#: Pictures kept for the refinement (the window's latest frames), at twice the working
#: size (8 pixels per cell), in bytes.
KEPT = 32
#: Every this many frames, a frame is read under every hypothesis (the others only
#: under the nominal one).
SEARCH_EVERY = 4
#: Working pixels this close to 0 or 255 count as crushed.
CLIPPED = 2
#: A block whose cell means all lie within this many grey levels is blank.
BLANK = 0.5
_TAU = 2.0 * math.pi / STEP
#: Off the nominal scale (a crop of the height, or a crop zoomed back) the true grid lies
#: anywhere between the phases searched, up to half a working pixel (an eighth of a
#: cell) from the nearest in each direction, and a block's projection read that far off
#: moves by about half its change per working pixel across and down (``S_x``, ``S_y``:
#: the picture's own texture at the cells' edges, several grey levels on a textured
#: photo, about one on a flat area). Such a block's evidence is weighted by the lattice
#: score it keeps on average under a misplacement uniform over that range:
#: ``exp(-STEADY * (S_x ** 2 + S_y ** 2))``, ``STEADY = tau ** 2 / 6`` (the expected
#: ``cos(2 tau e)`` of a Gaussian error of that variance). A weight in [0, 1] drawn from
#: the picture alone keeps every block's term bounded by its weight and of mean 0 on
#: unmarked content, so the presence bound stands. A still textured picture read off
#: its grid had its true hypothesis ranked 28th-205th at 1.3-2.1 among noise up to 3.1;
#: weighted, first (see ``docs/watermark.md``).
STEADY = _TAU**2 / 6.0
#: The refinement also reads the pictures through these inverse display gammas
#: (``in = 255 (out / 255) ** (1 / g)``) and keeps the one with the highest lattice score:
#: a gamma scales every block's projection by the curve's local slope (0.63 at video black
#: for a gamma of 1.25), which moves it off its lattice point.
GAMMAS = (0.8, 0.9, 1.12, 1.25)
#: A still window (its latest ``FINE_FRAMES`` kept pictures alike: a mean difference of
#: at most ``STILL`` grey levels) gives one observation however many frames it holds, so
#: the search cannot average the noise of the phases it misses away: the true grid's
#: nearest hypothesis can rank below a few others. There the refinement first screens
#: this many of the strongest hypotheses (each one's best ``FINE`` offset on the latest
#: picture) and refines the one that scores highest. Choosing by lattice score reads no
#: payload: the read-out counted is still one.
STILL_CANDIDATES = 32
STILL = 0.5


@dataclass(frozen=True, slots=True)
class Detection:
    """One search's result.

    Attributes:
        detected: a payload was read and passed its keyed check.
        present: the mark was found: a payload was read, or the lattice score alone
            reached the presence threshold (payload unreadable).
        payload: the payload read (None unless ``detected``).
        score: the lattice score of the best hypothesis (about 0 on unmarked content).
        presence_threshold: the score at which the mark is claimed without a payload.
        false_positive_bound: the probability that unmarked content gives this result
            (a payload, or a score this high) under any hypothesis searched; 1.0 if
            nothing was found.
        hypotheses: the number of geometry hypotheses searched (times ``searches``).
        scale: the cell size found, relative to height / CELLS_PER_HEIGHT.
        offset: the cells cut from the top-left found (x, y), in input pixels.
        frames: the frames averaged.
    """

    detected: bool
    present: bool
    payload: Payload | None
    score: float
    presence_threshold: float
    false_positive_bound: float
    hypotheses: int
    scale: float
    offset: tuple[float, float]
    frames: int


def presence_threshold(hypotheses: int, bound: float = PRESENCE_BOUND) -> float:
    """The lattice score at which ``hypotheses`` searched reach ``bound`` without a payload."""
    return math.sqrt(max(0.0, 2.0 * (math.log(hypotheses) - math.log(bound))))


def presence_bound(z: float, hypotheses: int) -> float:
    """Union bound on unmarked content reaching score ``z`` under any hypothesis."""
    return min(1.0, math.exp(min(0.0, math.log(hypotheses) - z * z / 2)))


def payload_bound(reads: int) -> float:
    """Bound on unmarked content passing the keyed check in any of ``reads`` read-outs."""
    return min(1.0, reads * 2.0**-CHECK_BITS)


def _scales() -> list[float]:
    n = math.ceil(math.log(MAX_SCALE) / math.log(SCALE_STEP))
    return [SCALE_STEP**k for k in range(n + 1)]


class _Geometry:
    """For one scale: where every block sits in the cell grids of the working picture
    under every sub-cell phase and whole-cell shift (hypothesis rows). Blocks are named
    by their layout index; a block's projection is read from the grid filtered with its
    chip pattern (few: a block's chips are balanced, +1 on half its cells)."""

    def __init__(self, public_key: bytes, height: int, width: int) -> None:
        layout = get_layout(public_key)
        sy_max, sx_max = MAX_SHIFT
        self.size = (width, height)
        self.rows, self.cols = height // Q, width // Q
        bcols = max(1, min(MAX_BLOCK_COLUMNS, (self.cols + sx_max) // BLOCK[1]))
        #: The layout index of each block considered.
        self.ids = block_index(BLOCK_ROWS, bcols).reshape(-1)
        patterns, pattern = np.unique(layout.chips[self.ids], axis=0, return_inverse=True)
        #: (cells, patterns) chips, each divided by the cells of a block.
        self.patterns = (patterns.T * (1.0 / (BLOCK[0] * BLOCK[1]))).astype(np.float32)
        self.dither = layout.dither[self.ids]
        dr, dc = np.divmod(np.arange(BLOCK[0] * BLOCK[1]), BLOCK[1])
        self.cell_offsets = list(zip(dr.tolist(), dc.tolist(), strict=True))
        # A cell at phase (py, px) and grid position (r, c) covers working pixels from
        # (py + Q r, px + Q c); cells that run past the picture are not in view.
        py = np.repeat(np.arange(Q), Q)
        px = np.tile(np.arange(Q), Q)
        r = np.arange(self.rows)
        c = np.arange(self.cols)
        self.cell_ok = (py[:, None, None] + Q * r[None, :, None] + Q <= height) & (
            px[:, None, None] + Q * c[None, None, :] + Q <= width
        )
        br, bc = np.divmod(np.arange(self.ids.size), bcols)
        #: Each block's top-left cell (row, column) in the sent grid.
        self.block_cells = (br * BLOCK[0], bc * BLOCK[1])
        self.chips = layout.chips[self.ids]
        sy = np.repeat(np.arange(sy_max + 1), sx_max + 1)
        sx = np.tile(np.arange(sx_max + 1), sy_max + 1)
        # Hypothesis (phase, shift): the block's top-left cell is the received grid's
        # cell (r, c), which holds the original cell (r + sy, c + sx).
        rr = br[None, :] * BLOCK[0] - sy[:, None]
        cc = bc[None, :] * BLOCK[1] - sx[:, None]
        inside = (rr >= 0) & (rr + BLOCK[0] <= min(self.rows, CELLS_PER_HEIGHT)) & (cc >= 0)
        inside &= cc + BLOCK[1] <= self.cols
        self.shifts = sy.size
        # Hypothesis h = phase * shifts + shift reads block b at grid position
        # pos[h, b] of the (phases, rows + BLOCK[0], cols + BLOCK[1]) sums, flattened; a
        # block out of view reads a position that is never summed (always 0).
        self.shape = (Q * Q, self.rows + BLOCK[0], self.cols + BLOCK[1])
        phase = np.repeat(np.arange(Q * Q), self.shifts)[:, None]
        pos = (phase * self.shape[1] + np.tile(rr, (Q * Q, 1))) * self.shape[2]
        pos += np.tile(cc, (Q * Q, 1))
        empty = self.rows * self.shape[2]  # phase 0, the row below the picture
        self.pos = np.where(np.tile(inside, (Q * Q, 1)), pos, empty)
        self.npatterns = patterns.shape[0]
        #: Index into the (..., patterns) sums, flattened.
        self.value = self.pos * self.npatterns + pattern.reshape(1, -1)
        angle = _TAU * self.dither
        #: cos and sin of each block's dither angle, and of twice it.
        self.rot = np.stack(
            [np.cos(angle), np.sin(angle), np.cos(2 * angle), np.sin(2 * angle)]
        ).astype(np.float32)


@dataclass(frozen=True, slots=True)
class _Scores:
    """Every hypothesis's lattice score, and what a read-out needs."""

    z: F32
    evals: F32


def working_size(width: int, height: int) -> tuple[int, int, int]:
    """The working picture (width, height) for a ``width`` x ``height`` frame, and the
    frame columns it covers: whole working pixels across, at the same scale as down (a
    rounded width would stretch it, and a cell's mean at the right of a 16:9 frame would
    be read a third of a working pixel off). A caller that resamples the frame itself
    (one grey for several searches) passes the grey of those columns at that size."""
    work_h = Q * CELLS_PER_HEIGHT
    work_w = max(Q, int(width * work_h / height))
    return work_w, work_h, max(1, round(work_w * height / work_h))


def working_grey(image: BGRImage | F32, work: tuple[int, int]) -> F32:
    """The frame's grey at the working size (a cell of the nominal grid is ``Q`` pixels):
    halved (2x2 means, a fast exact path) while at least twice that size, then averaged
    over areas (OpenCV's area resampling is slow at large non-integer factors). A 2-D
    frame is grey already (a grey already at the working size is used as it is)."""
    grey = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    while grey.shape[0] >= 2 * work[1] and grey.shape[1] >= 2 * work[0]:
        half = (grey.shape[1] // 2, grey.shape[0] // 2)
        grey = cv2.resize(grey, half, interpolation=cv2.INTER_LINEAR)
    interp = cv2.INTER_AREA if grey.shape[0] > work[1] else cv2.INTER_LINEAR
    return cast(F32, cv2.resize(grey.astype(np.float32), work, interpolation=interp))


def _fits(edges: npt.NDArray[np.float64], size: int) -> npt.NDArray[np.bool_]:
    """Which cells between consecutive ``edges`` lie inside ``[0, size]``."""
    return (edges[:-1] >= 0) & (edges[1:] <= size)


def _between(a: F32, at: npt.NDArray[np.float64], axis: int) -> F32:
    """``a`` read along ``axis`` at fractional indices ``at`` (linear between entries;
    an integral image read this way is exact for a picture constant over each pixel)."""
    size = a.shape[axis] - 1
    pos = np.clip(at, 0, size)
    lo = np.minimum(pos.astype(np.int64), size - 1)
    shape = [1] * a.ndim
    shape[axis] = lo.size
    frac = (pos - lo).astype(np.float32).reshape(shape)
    low = np.take(a, lo, axis=axis)
    return cast(F32, low + (np.take(a, lo + 1, axis=axis) - low) * frac)


def _cell_sums(corners: F32) -> F32:
    """Sums over the cells of an integral image read at the cells' corners."""
    return cast(
        F32,
        corners[..., 1:, 1:]
        - corners[..., :-1, 1:]
        - corners[..., 1:, :-1]
        + corners[..., :-1, :-1],
    )


def _steadiness(box: F32, geo: _Geometry) -> F32:
    """Each block position's weight (see ``STEADY``) from the cell means ``box`` (a
    cell's mean at every working pixel), laid out as the phase grids are."""
    height, width = Q * geo.rows, Q * geo.cols
    proj = np.zeros((height + 2, width + 2), np.float32)
    # The projection on one chip pattern (the others are its negatives or alike in
    # their sensitivity: balanced chips), with a pixel of margin on every side.
    for (dr, dc), chip in zip(geo.cell_offsets, geo.patterns[:, 0].tolist(), strict=True):
        part = box[Q * dr : Q * dr + height, Q * dc : Q * dc + width]
        proj[1 : 1 + part.shape[0], 1 : 1 + part.shape[1]] += chip * part
    proj[0], proj[-1] = proj[1], proj[-2]
    proj[:, 0], proj[:, -1] = proj[:, 1], proj[:, -2]
    sx = proj[1:-1, 2:] - proj[1:-1, :-2]
    sy = proj[2:, 1:-1] - proj[:-2, 1:-1]
    # S = half the difference across two pixels; the weight exp(-STEADY (Sx^2 + Sy^2)).
    weight = sx * sx
    weight += sy * sy
    weight *= np.float32(-STEADY / 4.0)
    cv2.exp(weight, dst=weight)
    return cast(
        F32,
        weight.reshape(geo.rows, Q, geo.cols, Q)
        .transpose(1, 3, 0, 2)
        .reshape(-1, geo.rows, geo.cols),
    )


def _integrals(pictures: list[npt.NDArray[np.uint8]], gamma: float = 1.0) -> F32:
    """The integral images of kept ``pictures`` (through the inverse of a display
    ``gamma``: ``255 (v / 255) ** (1 / gamma)``) and of their crushed pixels (the
    received picture's), rows first (rows + 1, 2, pictures, columns + 1): the rows a
    grid needs are whole slabs."""
    height, width = pictures[0].shape
    out = np.empty((height + 1, 2, len(pictures), width + 1), np.float32)
    table = 255.0 * (np.arange(256, dtype=np.float32) / 255.0) ** np.float32(1.0 / gamma)
    for j, picture in enumerate(pictures):
        crushed = ((picture <= CLIPPED) | (picture >= 255 - CLIPPED)).astype(np.uint8)
        values = picture if gamma == 1.0 else table[picture]
        out[:, 0, j] = cv2.integral(values, sdepth=cv2.CV_32F)
        out[:, 1, j] = cv2.integral(crushed, sdepth=cv2.CV_32F)
    return out


_Evaluate = Callable[[float, float, float, F32, str], tuple[float, F32]]


class Detector:
    """Accumulates frames of one video (or one image) and searches them for the mark.

    Per frame and scale, every block position of the received cell grid (under each
    sub-cell phase) gives its projection ``p``; the frame adds ``exp(i tau p)`` and
    ``exp(2 i tau p)`` to that position's sums. A hypothesis puts a known block (its
    dither ``d``) at a known position, so its summed soft values are
    ``Re(sum exp(i tau p) * exp(-i tau d))`` (= the sum of ``cos(tau (p - d))``) and
    the same at twice the angle: the frames are added once per position, and every
    hypothesis is read from the sums when a search asks for it.

    Args:
        public_key: the detection key.
        bound: the false-positive bound the lattice score alone must reach to claim
            the mark present.
        searches: how many searches the caller makes per window (the bounds count them).
        max_scale: search scales up to this one only (None: all, to just past
            ``MAX_SCALE``); a picture cut out by a box known to within a few pixels needs
            only the first few. The bounds count the scales searched.
    """

    #: Hypotheses the refinement screens in a still window (see ``STILL_CANDIDATES``;
    #: a subclass may screen fewer: each costs about 7 ms CPU).
    still_candidates = STILL_CANDIDATES
    #: The inverse gammas the refinement also reads through (see ``GAMMAS``; a subclass
    #: may read fewer: together they cost about as much as the refinement's own trials).
    gammas: tuple[float, ...] = GAMMAS

    def __init__(
        self,
        public_key: bytes = PUBLIC_KEY,
        *,
        bound: float = PRESENCE_BOUND,
        searches: int = 1,
        max_scale: float | None = None,
    ) -> None:
        self.public_key = public_key
        self.bound = bound
        self.searches = searches
        self._scales = [s for s in _scales() if max_scale is None or s <= max_scale]
        self._per_scale = Q * Q * (MAX_SHIFT[0] + 1) * (MAX_SHIFT[1] + 1)
        self._bits = get_layout(public_key).bit
        self._size: tuple[int, int] | None = None
        self._geo: list[_Geometry] = []
        # Per scale: summed cos and sin of tau p and of 2 tau p (4, phase, grid row, grid
        # column, chip pattern), and the frames in view (not crushed, not blank) per
        # (phase, grid row, grid column); frames read per scale.
        self._sums: list[F32] = []
        self._seen: list[F32] = []
        self._evals = np.zeros(len(self._scales), np.float32)
        self._scores: _Scores | None = None
        # The latest working pictures (nominal scale), for the sub-cell refinement.
        self._kept: deque[npt.NDArray[np.uint8]] = deque(maxlen=KEPT)
        # Searches and payload read-outs since the window began (see ``_read_list``).
        self._searched = 0
        self._reads = 0
        self._weight = 1.0
        self.frames = 0

    def reset(self) -> None:
        """Forget the accumulated frames."""
        for arr in (*self._sums, *self._seen):
            arr.fill(0)
        self._evals.fill(0.0)
        self._scores = None
        self._kept.clear()
        self._searched = 0
        self._reads = 0
        self.frames = 0

    @property
    def reads(self) -> int:
        """Payload read-outs against the keyed check since the window began (never
        more than ``READS`` times the searches made: what the payload bound counts)."""
        return self._reads

    def hypotheses(self) -> int:
        """Geometry hypotheses per search, times the searches per window."""
        return len(self._scales) * self._per_scale * self.searches

    def add(self, image: BGRImage | F32) -> None:
        """Add one BGR frame, or its grey (2-D, uint8 or float32; see
        :func:`working_size`: best at twice the working size, which the detector
        measures from), all frames of a window the same size.

        Every frame is read at the nominal scale (the picture as sent, at any size: the
        usual case, under every sub-cell phase and shift); every ``SEARCH_EVERY``-th
        frame at every scale. Soft values are taken per frame, never from averaged
        pixels: where the picture moves, its blocks move between lattice points from
        frame to frame.
        """
        h, w = image.shape[:2]
        work_h = Q * CELLS_PER_HEIGHT
        work = working_size(w, h)[:2]
        if self._size != (w, h):
            self._size = (w, h)
            self._geo = [
                _Geometry(self.public_key, *self._scaled(work, s)[::-1]) for s in self._scales
            ]
            self._sums = [np.zeros((4, *g.shape, g.npatterns), np.float32) for g in self._geo]
            self._seen = [np.zeros(g.shape, np.float32) for g in self._geo]
            self.reset()
        self._scores = None
        columns = image[:, : working_size(w, h)[2]]
        if h == work_h:
            # A grey already at the working size (a caller that resampled it itself):
            # the refinement reads it upsampled.
            small = cast(F32, columns.astype(np.float32))
            fine = cast(F32, cv2.resize(small, (2 * work[0], 2 * work[1])))
        else:
            # From twice the working size, the size the embedder measures the picture
            # at (8 px per cell): a still's lattice score 13.5 against 8.3 made straight.
            fine = working_grey(columns, (2 * work[0], 2 * work[1]))
            small = cast(F32, cv2.resize(fine, work, interpolation=cv2.INTER_AREA))  # 2x2 means
        self._kept.append(np.rint(fine).astype(np.uint8))
        # The frame's weight in every block's evidence (see ``_frame_weight``).
        self._weight = self._frame_weight(small)
        for i, (s, geo) in enumerate(zip(self._scales, self._geo, strict=True)):
            if not self._reads_scale(i):
                continue
            if s != 1.0:
                # Resampled by exactly 1 / s across and down (sizes in whole pixels would
                # round the scale: 96 rows to 86 is 1.116, not the 1.110 searched, a
                # tenth of a cell off at the bottom of the picture).
                img = cv2.resize(small, None, fx=1 / s, fy=1 / s, interpolation=cv2.INTER_AREA)
                img = img[: geo.size[1], : geo.size[0]]
            else:
                img = small
            self._accumulate(cast(F32, img), geo, i)
        self.frames += 1

    def _frame_weight(self, small: F32) -> float:
        """The weight in [0, 1] of the frame whose working grey is ``small`` in every
        block's evidence (1 here; a subclass may weigh frames by their quality, drawn
        from the picture alone so that the presence bound stands)."""
        return 1.0

    def _reads_scale(self, i: int) -> bool:
        """Whether the frame being added is read at scale ``i``: the nominal scale on
        every frame, the others on every ``SEARCH_EVERY``-th (a subclass may read them
        on fewer; which frames must not depend on the picture)."""
        return not i or self.frames % SEARCH_EVERY == 0

    @staticmethod
    def _scaled(work: tuple[int, int], s: float) -> tuple[int, int]:
        return (max(Q, int(work[0] / s)), max(Q, round(work[1] / s)))

    def _accumulate(self, img: F32, geo: _Geometry, i: int) -> None:
        """Add one frame's per-position terms at one scale."""
        box = cv2.blur(img, (Q, Q), anchor=(0, 0), borderType=cv2.BORDER_CONSTANT)
        # A cell with pixels crushed to black or white (a brightness change, a dark
        # picture) has lost its projection: its block gives no evidence.
        clipped = ((img <= CLIPPED) | (img >= 255 - CLIPPED)).astype(np.float32)
        crushed = cv2.blur(clipped, (Q, Q), anchor=(0, 0), borderType=cv2.BORDER_CONSTANT)
        rows, cols = geo.rows, geo.cols
        height, width = Q * rows, Q * cols
        if box.shape[0] < height or box.shape[1] < width:
            # Cells past a short picture: crushed, so no block reads them.
            pad = ((0, max(0, height - box.shape[0])), (0, max(0, width - box.shape[1])))
            box = np.pad(box, pad)
            crushed = np.pad(crushed, pad, constant_values=1.0)
        # The cell at grid position (r, c) under phase (py, px) is box[py + Q r, px + Q c]:
        # every phase's grid in one reshape, (phase = py * Q + px, rows, cols).
        grid, worst = (
            a[:height, :width]
            .reshape(rows, Q, cols, Q)
            .transpose(1, 3, 0, 2)
            .reshape(-1, rows, cols)
            for a in (box, crushed)
        )
        # Only blocks whose cells all lie in the grid give evidence (the others add 0).
        br = rows - max(dr for dr, _ in geo.cell_offsets)
        bc = cols - max(dc for _, dc in geo.cell_offsets)
        if br > 0 and bc > 0:
            at = [(slice(None), slice(r, r + br), slice(c, c + bc)) for r, c in geo.cell_offsets]
            parts = [grid[a] for a in at]
            # Cells that run past the picture are not in view.
            seen = functools.reduce(np.logical_and, [geo.cell_ok[a] for a in at])
            bad = functools.reduce(np.maximum, [worst[a] for a in at])
            # A block whose cells are all alike carries nothing (the mark always moves
            # some of them): a flat plate painted over the picture, a black bar.
            spread = functools.reduce(np.maximum, parts) - functools.reduce(np.minimum, parts)
            valid = (seen & (bad < 0.25) & (spread >= BLANK)).astype(np.float32)
            if self._weight != 1.0:
                valid *= np.float32(self._weight)
            if i:
                # Off the nominal scale: weighted by how steady each block is (see STEADY).
                valid *= _steadiness(cast(F32, box), geo)[:, :br, :bc]
            # Each block's projection on each chip pattern, times tau (the angle), and its
            # weight (0 out of view; 1 in view, or its steadiness off the nominal scale),
            # laid out as the sums are (..., patterns).
            chips = geo.patterns * np.float32(_TAU)
            shape = (*valid.shape, geo.npatterns)
            angle = np.empty(shape, np.float32)
            weight = np.empty(shape, np.float32)
            for p in range(geo.npatterns):
                proj = parts[0] * chips[0, p]
                for part, chip in zip(parts[1:], chips[1:, p], strict=True):
                    proj += part * chip
                angle[..., p] = proj
                weight[..., p] = valid
            # cos and sin of the angle, times the weight, in one pass.
            flat = (shape[0] * shape[1], shape[2] * shape[3])
            c, s = cv2.polarToCart(weight.reshape(flat), angle.reshape(flat))
            sums = self._sums[i][:, :, :br, :bc]
            sums[0] += c.reshape(shape)
            sums[1] += s.reshape(shape)
            # Twice the angle: c^2 - s^2 = w^2 cos 2a and 2 c s = w^2 sin 2a for weight w:
            # a term bounded by w^2 <= w (w in [0, 1]), while the count adds w, so the
            # score's sqrt(sum of weights) stays a conservative scale.
            sums[2] += (c * c - s * s).reshape(shape)
            sums[3] += (2.0 * c * s).reshape(shape)
            self._seen[i][:, :br, :bc] += valid
        self._evals[i] += 1

    def _score(self) -> _Scores:
        """Every hypothesis's lattice score (cached until the next frame): per block the
        sum over frames of ``cos(2 tau (p - d)) = cos 2a cos 2d + sin 2a sin 2d``, each
        block's mean over the frames read, weighted by the share of those frames it was
        in view: a sum of terms bounded by their weights, so dividing by
        sqrt(sum of weights) keeps it sub-Gaussian."""
        if self._scores is not None:
            return self._scores
        z = np.zeros(len(self._scales) * self._per_scale, np.float32)
        evals = np.ones_like(z)
        for i, geo in enumerate(self._geo):
            if not self._evals[i]:
                continue
            n = self._evals[i]
            # The gather of every hypothesis's blocks, as matrix products (lattice.py).
            lattice = scorer(geo)
            cos4 = lattice.cos4(self._sums[i]) / n
            weight = lattice.count(self._seen[i]) / n
            sl = slice(i * self._per_scale, (i + 1) * self._per_scale)
            z[sl] = cos4 / np.sqrt(np.maximum(weight, 1.0))
            evals[sl] = n
        self._scores = _Scores(z, evals)
        return self._scores

    def detect(self, *, refine: bool = True) -> Detection:
        """Search the frames added so far.

        Args:
            refine: when no read-out gives a payload, refine the strongest hypothesis
                (see ``FINE``; its read-out counts in the bound either way). It costs
                about as much as reading a few frames: a caller that searches a window
                several times can refine at its last search only.
        """
        hyp = self.hypotheses()
        t_presence = presence_threshold(hyp, self.bound)
        if not self.frames:
            return Detection(False, False, None, 0.0, t_presence, 1.0, hyp, 1.0, (0.0, 0.0), 0)
        z = self._score().z
        # The nominal geometry (no crop) first: the usual case needs no search. The
        # last read-out is the strongest hypothesis refined (see ``FINE``).
        order = [0, *(int(i) for i in np.argsort(-z)[:READS] if i != 0)][: READS - 1]
        payload = None
        best = int(np.argmax(z))
        self._searched += 1
        # Each hypothesis's read-out: Viterbi on its soft coded bits (see :meth:`_soft`,
        # decoded together), then the check, in order until one passes.
        messages = decode_many(np.stack([self._soft(h) for h in order]), PAYLOAD_BITS)
        for h, bits in zip(order, messages, strict=True):
            payload = unpack(bits, self.public_key)
            self._reads += 1
            if payload is not None:
                best = h
                break
        else:
            if refine:
                payload = self._refine(self._candidates(z, best))
                self._reads += 1
            if payload is None and refine:
                # The runners-up at the nominal geometry (the usual case, where the
                # lattice score alone is weakest against the noise of the search).
                payload = self._read_list(0)
                if payload is not None:
                    best = 0
        score = float(z[best])
        detected = payload is not None
        present = detected or score >= t_presence
        if detected:
            bound = payload_bound(READS * self.searches)
        elif present:
            bound = presence_bound(score, hyp)
        else:
            bound = 1.0
        scale, offset = self._describe(best)
        return Detection(
            detected, present, payload, score, t_presence, bound, hyp, scale, offset, self.frames
        )

    def _candidates(self, z: F32, best: int) -> list[int]:
        """The hypotheses the refinement starts from: the strongest, and in a still
        window (the latest kept pictures alike) the next strongest too, up to
        ``STILL_CANDIDATES`` (see there)."""
        kept = list(self._kept)[-FINE_FRAMES:]
        if len(kept) > 1:
            last = kept[-1].astype(np.int16)
            if any(float(np.mean(np.abs(last - p))) > STILL for p in kept[:-1]):
                return [best]
        strongest = (int(h) for h in np.argsort(-z)[: self.still_candidates])
        return [best, *(h for h in strongest if h != best)][: self.still_candidates]

    def _describe(self, h: int) -> tuple[float, tuple[float, float]]:
        grid, shift = divmod(h, (MAX_SHIFT[0] + 1) * (MAX_SHIFT[1] + 1))
        scale_i, phase = divmod(grid, Q * Q)
        py, px = divmod(phase, Q)
        sy, sx = divmod(shift, MAX_SHIFT[1] + 1)
        scale = self._scales[scale_i]
        assert self._size is not None
        cell = self._size[1] / CELLS_PER_HEIGHT * scale
        return scale, ((sx - px / Q) * cell, (sy - py / Q) * cell)

    def _refine(self, candidates: list[int]) -> Payload | None:
        """Read the payload at the best refinement (by lattice score) of the first of
        ``candidates`` (see ``FINE``), or, when the window is still and there are
        several, of the one whose refinement scores highest on the latest picture (see
        ``STILL_CANDIDATES``), from the kept pictures, or None.

        Cell means come from each picture's integral image read between pixels (exact
        for any fractional cell), so every refinement costs a few lookups per cell.
        """
        if not self._kept:
            return None
        kept = list(self._kept)
        n = len(kept)
        plain = _integrals(kept)
        choose = slice(max(0, n - FINE_FRAMES), n)
        h = candidates[0]
        shape = kept[0].shape
        if len(candidates) > 1:
            latest = plain[:, :, n - 1 :]
            offsets = list(itertools.product(FINE, FINE))

            def screen(c: int) -> float:
                evaluate = self._evaluator(c, *shape)
                return max(evaluate(1.0, dy, dx, latest, "latest")[0] for dy, dx in offsets)

            h = max(candidates, key=screen)
        evaluate = self._evaluator(h, *shape)
        # The refinement is chosen on the latest ``FINE_FRAMES`` pictures (enough to
        # tell an aligned grid), the payload read on all of them.
        chosen = plain[:, :, choose]
        trials = itertools.product(FINE_SCALES, FINE, FINE)
        at = max(trials, key=lambda t: evaluate(t[0], t[1], t[2], chosen, "chosen")[0])
        # Then the pictures through each inverse gamma (see GAMMAS), at that grid and at
        # the strongest hypothesis's and the nominal one's own (a gamma alone moves no
        # grid; the refinement chose its offset, and in a still window its hypothesis,
        # on pictures whose blocks the gamma moved off their lattice points).
        unmoved = (1.0, 0.0, 0.0)
        grids = [(h, evaluate, at)]
        grids += [(c, self._evaluator(c, *shape), unmoved) for c in {candidates[0], 0}]
        best = (evaluate(*at, chosen, "chosen")[0], 1.0, grids[0])
        for g in self.gammas:
            pictures = _integrals(kept[choose], g)
            for grid in grids:
                z = grid[1](*grid[2], pictures, f"chosen {g}")[0]
                if z > best[0]:
                    best = (z, g, grid)
        _, gamma, (h, reader, at) = best
        source = plain if gamma == 1.0 else _integrals(kept, gamma)
        soft = reader(*at, source, f"all {gamma}")[1]
        coded = self._coded(self._geo[h // self._per_scale].ids, soft)
        return unpack(decode(coded, PAYLOAD_BITS), self.public_key)

    def _evaluator(self, h: int, height: int, width: int) -> _Evaluate:
        """For hypothesis ``h`` on kept pictures of ``height`` x ``width``: a function of
        (k, dy, dx, integrals, label) giving the lattice score and the blocks' bit soft
        values with the grid scaled by ``k`` and moved by (dy, dx) cells, read from
        ``integrals`` (see :func:`_integrals`; ``label`` names them for a cache of the
        rows read)."""
        i, row = divmod(h, self._per_scale)
        geo, s = self._geo[i], self._scales[i]
        phase, shift = divmod(row, geo.shifts)
        py, px = divmod(phase, Q)
        sy, sx = divmod(shift, MAX_SHIFT[1] + 1)
        rows_at: dict[tuple[float, float, str], F32] = {}
        chips = (geo.chips * (1.0 / (BLOCK[0] * BLOCK[1]))).T
        r_first = geo.block_cells[0] - sy
        c_first = geo.block_cells[1] - sx

        def evaluate(
            k: float, dy: float, dx: float, integral: F32, label: str
        ) -> tuple[float, F32]:
            cell = 2 * Q * s * k  # a cell in kept pixels
            grid_h = min(CELLS_PER_HEIGHT, int(height / cell))
            grid_w = int(width / cell)
            inside = (r_first >= 0) & (r_first + BLOCK[0] <= grid_h) & (c_first >= 0)
            inside &= c_first + BLOCK[1] <= grid_w
            r0, c0 = np.where(inside, r_first, 0), np.where(inside, c_first, 0)
            # The received grid's first cell starts at (py, px) working pixels of the
            # searched scale, moved by (dy, dx) cells.
            ys = (py / Q + dy + np.arange(grid_h + 1, dtype=np.float64)) * cell
            xs = (px / Q + dx + np.arange(grid_w + 1, dtype=np.float64)) * cell
            ok = _fits(ys, height)[:, None] & _fits(xs, width)[None, :]
            key = (k, dy, label)
            if key not in rows_at:
                rows_at[key] = np.ascontiguousarray(_between(integral, ys, 0))
            corners = _between(rows_at[key], xs, 3).transpose(1, 2, 0, 3)
            sums = _cell_sums(corners) * (1.0 / cell**2)
            means = np.where(ok, sums[0], np.nan)
            parts = [means[:, r0 + dr, c0 + dc] for dr, dc in geo.cell_offsets]
            bad = functools.reduce(
                np.maximum, [sums[1][:, r0 + dr, c0 + dc] for dr, dc in geo.cell_offsets]
            )
            spread = functools.reduce(np.maximum, parts) - functools.reduce(np.minimum, parts)
            valid = inside & np.isfinite(spread) & (bad < 0.25) & (spread >= BLANK)
            proj = functools.reduce(np.add, [p * c for p, c in zip(parts, chips, strict=True)])
            angle = _TAU * (np.nan_to_num(proj) - geo.dither)
            count = valid.sum(axis=0).astype(np.float32)
            m = sums.shape[1]
            z = float((np.cos(2 * angle) * valid).sum() / m)
            z /= math.sqrt(max(float(count.sum()) / m, 1.0))
            c1 = (np.cos(angle) * valid).sum(axis=0)
            return z, cast(F32, -c1 / np.maximum(count, 1.0))

        return evaluate

    def _read_list(self, h: int) -> Payload | None:
        """The runners-up of hypothesis ``h``'s read-out (list Viterbi, best first) on
        the read-outs the window's earlier searches left unused: a window's bound
        counts ``READS`` per search, and a search that does not refine reads one fewer.
        Each runner-up is one more read-out against the check; the first that passes
        is the payload."""
        spare = READS * self._searched - self._reads
        if spare <= 0:
            return None
        for bits in decode_list(self._soft(h), PAYLOAD_BITS, spare + 1)[1:]:
            self._reads += 1
            payload = unpack(bits, self.public_key)
            if payload is not None:
                return payload
        return None

    def _soft(self, h: int) -> npt.NDArray[np.float64]:
        """Hypothesis ``h``'s soft coded bits: each block's bit soft value (its mean
        over the frames it was seen in), summed per coded bit."""
        i, row = divmod(h, self._per_scale)
        geo = self._geo[i]
        c1, s1 = (np.take(self._sums[i][k], geo.value[row]) for k in (0, 1))
        count = np.take(self._seen[i], geo.pos[row])
        value = -(c1 * geo.rot[0] + s1 * geo.rot[1]) / np.maximum(count, 1.0)
        return self._coded(geo.ids, value)

    def _coded(self, ids: npt.NDArray[np.int64], value: F32) -> npt.NDArray[np.float64]:
        """The soft coded bits of blocks ``ids`` with bit soft values ``value``: each
        block's value summed into its coded bit (a bit without a block is an erasure)."""
        coded = np.zeros(CODED_BITS)
        np.add.at(coded, self._bits[ids], value)
        return coded
