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

- **payload**: the coded bits are read at ``READS`` hypotheses (the nominal geometry and
  the strongest others) with a soft Viterbi decoder; a read-out of unmarked content
  passes the 36-bit keyed check with probability ``2 ** -36``, so a payload is reported
  with probability at most ``READS * searches * 2 ** -36`` per window, whatever else.
- **presence**: the lattice score ``z = mean_t(sum_k cos4) / sqrt(K)`` over the ``K``
  blocks in view is a sum of bounded terms that average to 0 on unmarked content
  (the keyed dither is uniform), so by Hoeffding one hypothesis reaches ``z`` with
  probability at most ``exp(-z ** 2 / 2)``. Averaging over frames first keeps this true
  for a still picture (identical frames are not independent evidence). A union over
  every hypothesis searched sets the threshold at which the mark is claimed present
  without a readable payload.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from overlay.frames import BGRImage
from overlay.watermark.ecc import decode
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

__all__ = ["Detection", "Detector", "payload_bound", "presence_threshold"]

#: Working pixels per cell at the nominal scale (sub-cell phases are searched in steps
#: of 1/Q cell).
Q = 4
#: Scales searched: cells up to this much larger than height / CELLS_PER_HEIGHT (a 10 %
#: crop of the height, or any 10 % crop zoomed back to the full size, is 1.11).
SCALE_STEP = 1.02
MAX_SCALE = 1.14
#: Whole cells that may have been cut from the top and from the left (a 10 % crop of a
#: 16:9 picture is 2.4 cells of height and 4.3 of width).
MAX_SHIFT = (3, 6)
#: Hypotheses whose payload is read per search: the nominal one and the strongest others.
READS = 4
#: Consecutive frames averaged before their soft values are taken (see ``_evaluate``).
GROUP = 4
#: Working pixels this close to 0 or 255 count as crushed.
CLIPPED = 2
_TAU = 2.0 * math.pi / STEP


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


def presence_threshold(hypotheses: int, bound: float = 1e-9) -> float:
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
    """For one scale: gather indices of every block's cells in the box-filtered working
    picture, under every sub-cell phase and whole-cell shift (hypothesis rows); blocks
    are named by their layout index."""

    def __init__(self, public_key: bytes, height: int, width: int) -> None:
        layout = get_layout(public_key)
        sy_max, sx_max = MAX_SHIFT
        cols0 = width // Q
        bcols = max(1, min(MAX_BLOCK_COLUMNS, (cols0 + sx_max) // BLOCK[1]))
        #: The layout index of each block considered.
        self.ids = block_index(BLOCK_ROWS, bcols).reshape(-1)
        self.chips = layout.chips[self.ids] * (1.0 / (BLOCK[0] * BLOCK[1]))
        self.dither = layout.dither[self.ids]
        br, bc = np.divmod(np.arange(self.ids.size), bcols)
        dr, dc = np.divmod(np.arange(BLOCK[0] * BLOCK[1]), BLOCK[1])
        orig_r = (br[:, None] * BLOCK[0] + dr[None, :])[None, None, None]
        orig_c = (bc[:, None] * BLOCK[1] + dc[None, :])[None, None, None]
        py = np.repeat(np.arange(Q), Q)[:, None, None, None, None]
        px = np.tile(np.arange(Q), Q)[:, None, None, None, None]
        sy = np.repeat(np.arange(sy_max + 1), sx_max + 1)[None, :, None, None]
        sx = np.tile(np.arange(sx_max + 1), sy_max + 1)[None, :, None, None]
        # Cell (r, c) of the received grid at phase (py, px) is pixel (py + Q r, px + Q c);
        # it holds the original cell (r + sy, c + sx).
        r = orig_r - sy[..., None]
        c = orig_c - sx[..., None]
        y = py + Q * r
        x = px + Q * c
        inside = (r >= 0) & (r < CELLS_PER_HEIGHT) & (y >= 0) & (y + Q <= height)
        inside &= (x >= 0) & (x + Q <= width)
        n = Q * Q * (sy_max + 1) * (sx_max + 1)
        inside = inside.reshape(n, self.ids.size, -1)
        #: (hypotheses, blocks): every cell of the block is in view.
        self.valid = inside.all(axis=2)
        flat = (y * width + x).reshape(n, self.ids.size, -1)
        # Cells out of view read the zero appended after the picture.
        self.flat = np.where(inside, flat, height * width).astype(np.int32)


class Detector:
    """Accumulates frames of one video (or one image) and searches them for the mark.

    Args:
        public_key: the detection key.
        bound: the false-positive bound the lattice score alone must reach to claim
            the mark present.
        searches: how many searches the caller makes per window (the bounds count them).
    """

    def __init__(
        self,
        public_key: bytes = PUBLIC_KEY,
        *,
        bound: float = 1e-9,
        searches: int = 1,
    ) -> None:
        self.public_key = public_key
        self.bound = bound
        self.searches = searches
        self._scales = _scales()
        self._per_scale = Q * Q * (MAX_SHIFT[0] + 1) * (MAX_SHIFT[1] + 1)
        self._bits = get_layout(public_key).bit
        self._size: tuple[int, int] | None = None
        self._geo: list[_Geometry] = []
        blocks = BLOCK_ROWS * MAX_BLOCK_COLUMNS
        n = len(self._scales) * self._per_scale
        # Per hypothesis and block (by layout index): summed soft values, and the frames
        # in which the block was in view and not crushed.
        self._cos2 = np.zeros((n, blocks), np.float32)
        self._cos4 = np.zeros((n, blocks), np.float32)
        self._count = np.zeros((n, blocks), np.float32)
        self._group: F32 | None = None
        self._in_group = 0
        self.frames = 0

    def reset(self) -> None:
        """Forget the accumulated frames."""
        self._cos2.fill(0.0)
        self._cos4.fill(0.0)
        self._count.fill(0.0)
        self._in_group = 0
        self.frames = 0

    def hypotheses(self) -> int:
        """Geometry hypotheses per search, times the searches per window."""
        return self._cos2.shape[0] * self.searches

    def add(self, image: BGRImage) -> None:
        """Add one BGR frame (all frames of a window must have the same size)."""
        h, w = image.shape[:2]
        work_h = Q * CELLS_PER_HEIGHT
        work = (max(Q, round(w * work_h / h)), work_h)
        if self._size != (w, h):
            self._size = (w, h)
            self.reset()
            self._group = np.zeros((work_h, work[0]), np.float32)
            self._geo = []
            for s in self._scales:
                size = self._scaled(work, s)
                self._geo.append(_Geometry(self.public_key, size[1], size[0]))
        assert self._group is not None
        grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        interp = cv2.INTER_AREA if h > work_h else cv2.INTER_LINEAR
        small = cv2.resize(grey, work, interpolation=interp)
        if self._in_group == 0:
            self._group.fill(0.0)
        cv2.accumulate(small, self._group)
        self._in_group += 1
        self.frames += 1
        if self._in_group == GROUP:
            self._evaluate()

    @staticmethod
    def _scaled(work: tuple[int, int], s: float) -> tuple[int, int]:
        return (max(Q, round(work[0] / s)), max(Q, round(work[1] / s)))

    def _evaluate(self) -> None:
        """Soft values of the frames grouped since the last evaluation, under every
        hypothesis. A group is a few consecutive frames averaged: their blocks almost
        always sit on the same lattice points, and one evaluation costs what a frame's
        would."""
        assert self._group is not None
        n = self._in_group
        if not n:
            return
        self._in_group = 0
        mean = self._group * (1.0 / n)
        work = (mean.shape[1], mean.shape[0])
        for i, (s, geo) in enumerate(zip(self._scales, self._geo, strict=True)):
            size = self._scaled(work, s)
            img = mean if s == 1.0 else cv2.resize(mean, size, interpolation=cv2.INTER_AREA)
            box = cv2.blur(img, (Q, Q), anchor=(0, 0), borderType=cv2.BORDER_CONSTANT)
            # A cell with pixels crushed to black or white (a brightness change, a dark
            # picture) has lost its projection: its block gives no evidence.
            clipped = ((img <= CLIPPED) | (img >= 255 - CLIPPED)).astype(np.float32)
            crushed = cv2.blur(clipped, (Q, Q), anchor=(0, 0), borderType=cv2.BORDER_CONSTANT)
            flat = np.append(box.reshape(-1), np.float32(0.0))
            p = np.einsum("hbc,bc->hb", flat[geo.flat], geo.chips)
            bad = np.append(crushed.reshape(-1), np.float32(0.0))[geo.flat].max(axis=2)
            valid = geo.valid & (bad < 0.25)
            phase = _TAU * (p - geo.dither[None])
            rows = slice(i * self._per_scale, (i + 1) * self._per_scale)
            self._cos2[rows, geo.ids] += n * np.cos(phase) * valid
            self._cos4[rows, geo.ids] += n * np.cos(2.0 * phase) * valid
            self._count[rows, geo.ids] += n * valid

    def detect(self) -> Detection:
        """Search the frames added so far."""
        hyp = self.hypotheses()
        t_presence = presence_threshold(hyp, self.bound)
        self._evaluate()
        if not self.frames:
            return Detection(False, False, None, 0.0, t_presence, 1.0, hyp, 1.0, (0.0, 0.0), 0)
        inv = 1.0 / self.frames
        # Blocks count by the share of frames they were seen in (a block seen in every
        # frame counts 1): the score stays a sum of terms in [-1, 1] over the blocks.
        seen = np.sqrt((self._count * inv).sum(axis=1))
        z = self._cos4.sum(axis=1) * inv / np.maximum(seen, 1.0)
        # The nominal geometry (no crop) first: the usual case needs no search.
        order = [0, *(int(i) for i in np.argsort(-z)[:READS] if i != 0)][:READS]
        payload = None
        best = int(np.argmax(z))
        for h in order:
            payload = self._read(h)
            if payload is not None:
                best = h
                break
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

    def _describe(self, h: int) -> tuple[float, tuple[float, float]]:
        grid, shift = divmod(h, (MAX_SHIFT[0] + 1) * (MAX_SHIFT[1] + 1))
        scale_i, phase = divmod(grid, Q * Q)
        py, px = divmod(phase, Q)
        sy, sx = divmod(shift, MAX_SHIFT[1] + 1)
        scale = self._scales[scale_i]
        assert self._size is not None
        cell = self._size[1] / CELLS_PER_HEIGHT * scale
        return scale, ((sx - px / Q) * cell, (sy - py / Q) * cell)

    def _read(self, h: int) -> Payload | None:
        """Read the payload under hypothesis ``h``: each block's bit soft value (its mean
        over the frames it was seen in), summed per coded bit, then Viterbi and the
        check."""
        soft = -self._cos2[h] / np.maximum(self._count[h], 1.0)
        coded = np.zeros(CODED_BITS)
        np.add.at(coded, self._bits, soft)
        return unpack(decode(coded, PAYLOAD_BITS), self.public_key)
