"""Every hypothesis's lattice score as matrix products (the detector's ``_score``, faster).

The detector (``overlay.watermark.detect``) keeps, per scale, the summed soft values of
every block position of the received grid, and scores a hypothesis by gathering the
positions it puts its blocks at: for each of the 448 hypotheses of a scale (16 sub-cell
phases x 28 whole-cell shifts), 576 blocks, each ``cos 2a cos 2d + sin 2a sin 2d`` for
its position's sums and its own dither ``d``. A shift puts the same blocks at the same
positions under every phase (only the phase's plane differs), so the scores of a scale
are one product per trig term: the sums of each phase, flattened over their positions,
times a matrix of ``(positions, shifts)`` holding each block's ``cos 2d`` (or
``sin 2d``) where the shift puts it. The blocks in view under each shift, and so the
terms summed, are exactly those the gather reads (a block out of view reads a position
that is never summed); only the order of the float32 additions differs (a test holds
the scores to the gather's). Pure numpy, no I/O.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from overlay.watermark.detect import _Geometry

__all__ = ["LatticeScorer", "scorer"]

F32 = npt.NDArray[np.float32]


class LatticeScorer:
    """For one scale's geometry: each shift's blocks as matrix columns.

    Raises:
        ValueError: the geometry does not put a shift's blocks at the same positions
            under every phase (the products would not be the gather's sums): a change
            to the detector's geometry that this module must follow.
    """

    def __init__(self, geo: _Geometry) -> None:
        phases, rows, cols = geo.shape
        plane = rows * cols
        shifts = geo.shifts
        pos = geo.pos.reshape(phases, shifts, -1)
        empty = geo.rows * cols  # phase 0, the row below the picture (never summed)
        first = pos[0]
        inside = first != empty
        expect = np.where(inside, first[None] + plane * np.arange(phases)[:, None, None], empty)
        if not np.array_equal(pos, expect):
            raise ValueError(
                f"geometry of size {geo.size} does not repeat its shifts across phases; "
                "score it with Detector._score"
            )
        pattern = (geo.value[:shifts] - geo.pos[:shifts] * geo.npatterns)[inside]
        shift, block = np.nonzero(inside)
        at = first[inside] * geo.npatterns + pattern
        size = plane * geo.npatterns
        # A shift puts each block in view at its own position: one entry each.
        #: (2, positions x patterns, shifts): cos 2d and sin 2d of each block in view.
        self.rot = np.zeros((2, size, shifts), np.float32)
        for k in (0, 1):
            self.rot[k][at, shift] = geo.rot[2 + k][block]
        #: (positions, shifts): 1 where a shift has a block in view.
        self.ones = np.zeros((plane, shifts), np.float32)
        self.ones[first[inside], shift] = 1.0
        self.phases = phases

    def cos4(self, sums: F32) -> F32:
        """Every hypothesis's summed ``cos 2(a - d)`` (phase-major, as the detector
        numbers them) from one scale's sums ``(4, phases, rows, cols, patterns)``: the
        detector's ``(take(sums[2], value) * rot[2] + take(sums[3], value) * rot[3])
        .sum(axis=1)``."""
        flat = sums.reshape(4, self.phases, -1)
        out = _product(flat[2], self.rot[0])
        out += _product(flat[3], self.rot[1])
        return out.reshape(-1)

    def count(self, seen: F32) -> F32:
        """Every hypothesis's blocks in view summed over the frames, from one scale's
        ``(phases, rows, cols)`` counts: the detector's ``take(seen, pos).sum(axis=1)``."""
        return _product(seen.reshape(self.phases, -1), self.ones).reshape(-1)


_SCORERS: weakref.WeakKeyDictionary[_Geometry, LatticeScorer] = weakref.WeakKeyDictionary()


def scorer(geo: _Geometry) -> LatticeScorer:
    """The scorer of ``geo`` (built once per geometry)."""
    found = _SCORERS.get(geo)
    if found is None:
        found = _SCORERS[geo] = LatticeScorer(geo)
    return found


#: Multiply-adds per matrix product at most: OpenBLAS runs a larger product on several
#: threads, which for products this small costs several times the CPU time of one
#: thread (its threads wait spinning; 1.8 ms of process time against 0.06 ms for a
#: 16 x 2200 x 28 product on the 2-core machine), so larger ones are cut along their
#: inner dimension and the parts added.
ONE_THREAD = 1 << 18


def _product(a: F32, b: F32) -> F32:
    """``a @ b``, in parts of at most ``ONE_THREAD`` multiply-adds."""
    step = max(1, ONE_THREAD // (a.shape[0] * b.shape[1]))
    out: F32 = a[:, :step] @ b[:step]
    for k in range(step, a.shape[1], step):
        out += a[:, k : k + step] @ b[k : k + step]
    return out
