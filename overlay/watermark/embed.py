"""Embedding: every block's projection moved onto its lattice point, masked, in place.

Per frame, for one band of cell rows (the first frame: all of them): the picture's grey
at ``FIT`` pixels per cell, every block's projection, the per-cell change that puts it
past its bit's lattice point by ``OVERSHOOT`` (refined twice against what the detector
will measure), rendered with soft cell edges, upsampled (offset by ``BIAS`` in uint8) to
``FINE`` times the fit's resolution, held within the per-pixel cap measured there,
upsampled to frame size and split into its positive and negative parts, one channel
each; every frame adds the one and subtracts the other with saturation, a few rows at a
time. The change follows the picture (that is what makes it blind to the picture's own
texture): on a still picture it is
constant; where the picture moves it moves with it, a cell at most ``RATE`` grey levels
per fit, and a block keeps its lattice point while the picture allows (``KEEP``), so
the mark never flickers between lattice points.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import cast

import cv2
import numpy as np
import numpy.typing as npt

from overlay.frames import BGRImage
from overlay.watermark.ecc import encode
from overlay.watermark.layout import (
    BLOCK,
    BLOCK_ROWS,
    CELLS_PER_HEIGHT,
    F32,
    PUBLIC_KEY,
    STEP,
    block_index,
    get_layout,
)
from overlay.watermark.payload import Payload, pack

__all__ = ["DEFAULT_STRENGTH", "FLAT_STRENGTH", "Embedder", "cell_grid"]


#: Largest change of a cell, in grey levels (the peak change of any pixel), on texture.
DEFAULT_STRENGTH = 6.0
#: Largest change of a cell on flat areas (walls, skin, sky, plates), where it shows.
FLAT_STRENGTH = 2.0
#: Fine texture (mean absolute high-pass at 1/4 size, grey levels) above
#: ``TEXTURE_FLAT`` over which a cell (and a pixel) may take the full strength; flatter
#: ones are capped proportionally down to ``FLAT_STRENGTH`` (texture masks a change; a
#: flat area does not).
TEXTURE_FULL = 2.0
#: Texture below this counts as flat (sensor noise, a gradient, a plate).
TEXTURE_FLAT = 1.0
#: A block keeps its lattice point while the picture's projection stays within this
#: many steps of it (hysteresis: a picture that drifts across a decision boundary does
#: not flip the block's change back and forth).
KEEP = 0.55
#: The distortion budget: the changes are scaled down when their mean square would bring
#: the PSNR below this.
TARGET_PSNR = 40.5
#: Grey levels from 0 or 255 over which the mark fades out (no clipping, no crushed blacks).
EDGE_FADE = 12.0
#: A frame moves a cell's change at most this many grey levels (a block that moves to
#: another lattice point fades over a few frames instead of jumping).
RATE = 3.0
#: The change is fitted on the picture's grey at this many pixels per cell side (the
#: cells' means are then exact block means; texture and the fades are measured at cell/8).
FIT = 8
#: The fit can be spread over this many frames, each refitting one band of cell rows
#: (the first frame all of them). Kept at 1: where the picture moves the mark must
#: follow it every frame (4 bands read 63 % of a panning photo's blocks right after
#: 640x360 instead of 87 %).
BANDS = 1
#: Soft cell edges: the Gaussian blur of the cell grid, as a fraction of a cell.
BLUR = 0.1
#: Corrections of the change after measuring it (see ``Embedder._fit``).
REFINE = 2
#: The fit aims each block this many times its move from the picture's projection to
#: its lattice point (past the point): a call's codec delivers the mark at about half to
#: 0.8 of its amplitude (it drags the previous frame's mark along a moving picture and
#: codes part of the correction). The distortion budget grows by its square.
OVERSHOOT = 1.3
#: The per-pixel cap is measured and applied at ``FINE`` times the fit's resolution,
#: after the change is upsampled to it: a flat pixel next to texture keeps the flat
#: limit (at fit size the texture measure and the upsampling spill the full change a
#: few pixels into the flat side).
FINE = 2
#: Fine texture (mean absolute high-pass over ``FINE_LOCAL`` x ``FINE_LOCAL`` pixels at
#: the fine size, grey levels) above ``FINE_FLAT`` over which a pixel may take the full
#: strength (full at 1.5, as the fit's ramp starts). The fine cap only ever lowers the
#: fit's own per-pixel cap (a noisy wall stays flat by the fit's measure), it only has
#: to find where a textured cell is flat.
FINE_FULL = 0.75
#: Fine texture below this counts as flat. The measure (in whole grey levels) reads a
#: flat grey with camera-like noise of 1.5 levels per channel at 0.48 (median) and 0.76
#: (99th percentile): noise that size masks no change, so it must not lift the cap
#: (at 0.5 it did where the fit's wider measure sees texture a cell away).
FINE_FLAT = 0.75
#: The fine texture's neighbourhood (fine pixels a side).
FINE_LOCAL = 5
#: The fine cap is eroded over this many fine pixels a side (the support of the
#: upsampling to frame size): a frame pixel draws on the fine pixels either side of it,
#: so without the erosion a flat pixel beside a textured one took the latter's cap.
FINE_SPREAD = 3
#: The zero of the rounded change drawn at fit size (uint8).
BIAS = 128
#: Frame rows the stamp adds at a time (its working rows stay in cache). At 1080p 64 to
#: 135 rows measured alike, 32 and 16 slower, the whole frame at once slowest.
STAMP_ROWS = 64
#: A band whose grey moved no more than this (grey levels) since its last fit shows the
#: same picture: its mark is kept as it is.
STILL = 0.5


def _scalar(value: float) -> npt.NDArray[np.float64]:
    """``value`` as a constant operand of OpenCV's arithmetic (a Scalar: four doubles;
    the stubs take no plain number). Saturating integer arithmetic with it is exact."""
    return np.array([value, 0.0, 0.0, 0.0])


_BIAS = _scalar(BIAS)


def cell_grid(width: int, height: int) -> tuple[float, int, int]:
    """(cell side in pixels, whole block columns, cell columns) for a frame size."""
    cell = height / CELLS_PER_HEIGHT
    block_cols = int(width / cell + 1e-6) // BLOCK[1]
    return cell, block_cols, int(np.ceil(width / cell))


@dataclass(frozen=True, slots=True)
class _Band:
    """Cell rows ``rows`` (the band refitted in one frame), the rows ``slab`` fitted with
    them (one cell of context on each side: soft edges leak), their frame pixel rows
    ``pixels`` and the frame rows ``slab_pixels`` the slab spans, and the band's blocks."""

    rows: tuple[int, int]
    slab: tuple[int, int]
    pixels: tuple[int, int]
    slab_pixels: tuple[int, int]
    blocks: slice


class Embedder:
    """Embeds one payload into frames of one size, in place.

    The picture is looked at the way the detector will look at it (cell means): each
    block's projection is moved to its bit's lattice point (see
    ``overlay.watermark.layout``), the change spread over its cells in proportion to how
    much each may take (perceptual masking: ``FLAT_STRENGTH`` on flat cells and pixels,
    the full strength on texture), faded near 0 and 255. The fit runs on the picture's
    grey at ``FIT`` pixels per cell, one band of cell rows per frame (``BANDS``), so a
    frame's cost does not depend on how much the picture moved; a band whose picture
    did not change keeps its mark, and a cell's change moves at most ``RATE`` per fit,
    so the mark never changes in one jump. The change is drawn with soft cell edges,
    upsampled band by band (offset by ``BIAS`` in uint8; at ``FINE`` times the fit's
    resolution held within a per-pixel cap measured there, so that a flat pixel next to
    texture keeps the flat limit) and split into its positive and
    negative parts, (H, W) one channel each; every frame adds the one and subtracts the
    other with saturation (the same change on B, G and R is a change of luma only, which
    4:2:0 keeps), ``STAMP_ROWS`` rows at a time so that the working rows stay in cache.

    Args:
        payload: what to embed.
        size: frame (width, height).
        public_key: the detection key.
        strength: the largest change of a cell in grey levels, on texture.
    """

    def __init__(
        self,
        payload: Payload,
        size: tuple[int, int],
        public_key: bytes = PUBLIC_KEY,
        strength: float = DEFAULT_STRENGTH,
    ) -> None:
        w, h = size
        if w < 64 or h < 64:
            raise ValueError(f"frame size {w}x{h} is too small to watermark (needs 64x64)")
        self.size = size
        self.payload = payload
        self.strength = strength
        self.flat = min(FLAT_STRENGTH, strength)
        self.bits = pack(payload, public_key)
        coded = encode(self.bits).astype(np.float32)
        layout = get_layout(public_key)
        self.cell, bcols, ncols = cell_grid(w, h)
        if bcols < 1:
            raise ValueError(f"frame size {w}x{h} is too narrow to watermark")
        index = block_index(BLOCK_ROWS, bcols).reshape(-1)
        self._chips = layout.chips[index]  # (blocks, cells), blocks row-major
        self._offset = layout.dither[index] + coded[layout.bit[index]] * (STEP / 2)
        self._bcols = bcols
        # Cell (row, col) of each block's cells, row-major within the block.
        br, bc = np.divmod(np.arange(index.size), bcols)
        dr, dc = np.divmod(np.arange(BLOCK[0] * BLOCK[1]), BLOCK[1])
        self._rows = (br[:, None] * BLOCK[0] + dr[None, :]).astype(np.int64)
        self._cols = (bc[:, None] * BLOCK[1] + dc[None, :]).astype(np.int64)
        #: The fit picture: (width, height) in pixels, FIT per cell side, and the frame
        #: columns it spans (whole fit pixels: the same scale across as down, so that a
        #: cell's mean is exactly the detector's; the last column or two of the frame
        #: take the change of the column before).
        self._fit_size = (max(1, int(w / self.cell * FIT)), CELLS_PER_HEIGHT * FIT)
        self._src_w = min(w, round(self._fit_size[0] * self.cell / FIT))
        self._ncols = ncols
        self._mean_px = bcols * BLOCK[1] * FIT
        self._bands = self._split(bcols)
        fw, fh = self._fit_size
        self._grey: F32 = np.zeros((fh, fw), np.float32)
        self._fade_down: F32 = np.ones((fh, fw), np.float32)
        self._fade_step: F32 = np.zeros_like(self._fade_down)
        self._pixel_cap: F32 = np.full_like(self._fade_down, self.flat)
        self._cap_down: F32 = -self._pixel_cap
        #: The rounded change at fit size, offset by ``BIAS`` (uint8: one resize draws
        #: both signs).
        self._small = np.full((fh, fw), BIAS, np.uint8)
        #: At ``FINE`` times the fit's resolution (uint8): the picture's grey, the
        #: change upsampled to it, and its bounds (``BIAS`` plus and minus the per-pixel
        #: cap measured there, whole grey levels).
        fine = (fh * FINE, fw * FINE)
        self._fine_grey = np.zeros(fine, np.uint8)
        self._fine_small = np.full(fine, BIAS, np.uint8)
        self._flat_levels = int(self.flat)
        #: The fine cap's bounds at the flat limit, around ``BIAS`` (OpenCV scalars).
        self._upper_bias = _scalar(BIAS + self._flat_levels)
        self._lower_bias = _scalar(BIAS - self._flat_levels)
        self._fine_upper = np.full(fine, BIAS + self._flat_levels, np.uint8)
        self._fine_lower = np.full(fine, BIAS - self._flat_levels, np.uint8)
        #: The fine cap's working planes (uint8: the blur, then the texture, then the
        #: cap over the flat limit; float32: the texture's local mean).
        self._fine_work = np.zeros(fine, np.uint8)
        self._fine_local = np.zeros(fine, np.float32)
        self._spread = np.ones((FINE_SPREAD, FINE_SPREAD), np.uint8)
        #: The fine cap brought to fit size (uint8, then float32: the fit's plan).
        self._plan_small = np.zeros((fh, fw), np.uint8)
        self._plan = np.zeros((fh, fw), np.float32)
        #: The change in force at frame size: its positive part and its negative part.
        self._parts = np.zeros((2, h, w), np.uint8)
        #: The stamp's working rows: a part of the change on B, G and R.
        self._row_bgr = np.zeros((STAMP_ROWS, w, 3), np.uint8)
        # Reused every frame (no full-size allocation per frame): the frame's grey, and
        # each band's upsampled slab.
        self._frame_grey = np.zeros((h, self._src_w), np.uint8)
        #: Each band's slab upsampled to frame size, offset by BIAS (``_draw`` splits the
        #: band's rows of it into ``_parts``).
        self._slab_px = [
            np.full((b.slab_pixels[1] - b.slab_pixels[0], self._src_w), BIAS, np.uint8)
            for b in self._bands
        ]
        # How much of a cell's change its own mean keeps after the soft render.
        rng = np.random.default_rng(0)
        probe = rng.choice([-1.0, 1.0], size=(CELLS_PER_HEIGHT, ncols)).astype(np.float32)
        seen = self._cell_means(self._render(probe))
        used = probe[:, : bcols * BLOCK[1]]
        self.response = float(np.median(seen * used))
        energy = float(np.mean(self._render(np.ones_like(probe)) ** 2))
        # The budget is counted for the move to the lattice point; the overshoot's
        # aimed move may take its square more energy.
        self._budget = OVERSHOOT**2 * 255.0**2 / 10 ** (TARGET_PSNR / 10) / max(energy, 1e-6)
        #: The change in force per cell (grey levels), and each block's lattice point.
        self.cells: F32 = np.zeros((CELLS_PER_HEIGHT, ncols), np.float32)
        self._point: F32 = np.full(self._offset.shape, np.nan, np.float32)
        self._fitted = np.zeros(len(self._bands), bool)
        self._count = 0

    def _split(self, bcols: int) -> list[_Band]:
        h = self.size[1]
        edges = [round(i * BLOCK_ROWS / BANDS) * BLOCK[0] for i in range(BANDS + 1)]
        bands = []
        for r0, r1 in itertools.pairwise(edges):
            a, b = max(0, r0 - 1), min(CELLS_PER_HEIGHT, r1 + 1)
            pixels = (round(r0 * self.cell), h if r1 == CELLS_PER_HEIGHT else round(r1 * self.cell))
            slab_pixels = (round(a * self.cell), round(b * self.cell))
            blocks = slice(r0 // BLOCK[0] * bcols, r1 // BLOCK[0] * bcols)
            bands.append(_Band((r0, r1), (a, b), pixels, slab_pixels, blocks))
        return bands

    # -- geometry (all on fit pixels: FIT per cell) -------------------------------------
    def _render(self, cells: F32) -> F32:
        """The change at fit size for a per-cell change (rows of cells, all columns)."""
        rows, cols = cells.shape
        big = cv2.resize(cells, (cols * FIT, rows * FIT), interpolation=cv2.INTER_NEAREST)
        sigma = FIT * BLUR
        out = cv2.GaussianBlur(
            big[:, : self._fit_size[0]], (0, 0), sigma, sigmaY=sigma, borderType=cv2.BORDER_REFLECT
        )
        return cast(F32, out)

    def _cell_means(self, fit: F32) -> F32:
        """The mean of each cell of whole blocks (exact: cells are FIT x FIT pixels, and
        an area resize by a whole factor is their box mean)."""
        rows = fit.shape[0] // FIT
        region = fit[: rows * FIT, : self._mean_px]
        size = (self._mean_px // FIT, rows)
        return cast(F32, cv2.resize(region, size, interpolation=cv2.INTER_AREA))

    def _texture(self, fit: F32, band: _Band) -> F32:
        """Each cell's fine texture (mean absolute high-pass); also sets the per-pixel cap
        of the slab: a flat patch inside a textured cell keeps the flat limit
        (``_fine_caps`` then lowers it and sets its negative, ``_cap_down``)."""
        blur = cv2.GaussianBlur(fit, (0, 0), 1.0, borderType=cv2.BORDER_REFLECT)
        fine = cast(F32, cv2.absdiff(fit, blur))
        local = cv2.GaussianBlur(fine, (0, 0), 1.0, borderType=cv2.BORDER_REFLECT)
        rows = slice(band.slab[0] * FIT, band.slab[1] * FIT)
        # flat + (strength - flat) * clip(local - TEXTURE_FLAT, 0, TEXTURE_FULL) / TEXTURE_FULL
        over = cv2.addWeighted(local, 1.0, local, 0.0, -TEXTURE_FLAT)
        cv2.threshold(over, 0.0, 0.0, cv2.THRESH_TOZERO, dst=over)
        cv2.threshold(over, TEXTURE_FULL, 0.0, cv2.THRESH_TRUNC, dst=over)
        gain = (self.strength - self.flat) / TEXTURE_FULL
        cap = self._pixel_cap[rows]
        cv2.addWeighted(over, gain, over, 0.0, self.flat, dst=cap)
        return self._cell_means(fine)

    def _fine_caps(self, band: _Band) -> None:
        """The per-pixel cap at the fine size (applied after the change is upsampled to
        it): ``FLAT_STRENGTH`` where the fine grey's own texture (mean absolute
        high-pass over a ``FINE_LOCAL`` square) is flat, rising to the full strength on
        texture, then eroded over the upsampling's support (``FINE_SPREAD``). Its
        support is a few fine pixels, so a flat pixel a few pixels from texture keeps
        the flat limit (the fit's measure spans a cell or so). Also lowers the fit's
        per-pixel cap to it (called before the refinement, which then sees what the
        fine cap will hold back)."""
        rows = slice(band.slab[0] * FIT * FINE, band.slab[1] * FIT * FINE)
        grey, work, local = (a[rows] for a in (self._fine_grey, self._fine_work, self._fine_local))
        cv2.GaussianBlur(grey, (5, 5), 1.0, dst=work, borderType=cv2.BORDER_REFLECT)
        cv2.absdiff(grey, work, dst=work)
        cv2.boxFilter(
            work, cv2.CV_32F, (FINE_LOCAL, FINE_LOCAL), dst=local, borderType=cv2.BORDER_REFLECT
        )
        # The cap's part over the flat limit, whole levels (saturated at 0 in uint8).
        gain = (self.strength - self.flat) / FINE_FULL
        over = work
        cv2.addWeighted(local, gain, local, 0.0, -gain * FINE_FLAT, dst=over, dtype=cv2.CV_8U)
        flat = self._flat_levels
        cv2.threshold(over, int(self.strength) - flat, 0, cv2.THRESH_TRUNC, dst=over)
        # Held to the smallest cap around: after the upsampling a pixel keeps the cap
        # measured at its own fine pixel (see ``FINE_SPREAD``).
        cv2.erode(over, self._spread, dst=over, borderType=cv2.BORDER_REFLECT)
        cv2.add(over, self._upper_bias, dst=self._fine_upper[rows])
        cv2.subtract(self._lower_bias, over, dst=self._fine_lower[rows])
        # The fit plans with it: its per-pixel cap is lowered to the fine cap's mean over
        # each fit pixel, so the refinement puts back, in the cells that can take it,
        # what the fine cap will hold back.
        fit_rows = slice(band.slab[0] * FIT, band.slab[1] * FIT)
        cap = self._pixel_cap[fit_rows]
        small, planned = self._plan_small[fit_rows], self._plan[fit_rows]
        cv2.resize(over, (cap.shape[1], cap.shape[0]), dst=small, interpolation=cv2.INTER_AREA)
        cv2.addWeighted(small, 1.0, small, 0.0, flat, dst=planned, dtype=cv2.CV_32F)
        cv2.min(cap, planned, dst=cap)
        cv2.addWeighted(cap, -1.0, cap, 0.0, 0.0, dst=self._cap_down[fit_rows])

    # -- the change -------------------------------------------------------------------
    def _project(self, fit: F32, band: _Band) -> F32:
        """Each of the band's blocks' projection, from the slab's fit picture."""
        means = self._cell_means(fit)
        rows = self._rows[band.blocks] - band.slab[0]
        cells = means[rows, self._cols[band.blocks]]  # (blocks, cells)
        return cast(F32, (cells * self._chips[band.blocks]).mean(axis=1))

    def _fit(self, band: _Band) -> F32:
        """The band's per-cell change that puts every block on its lattice point (see the
        class doc). The change is rendered and measured the way the detector measures
        it, and corrected ``REFINE`` times: soft cell edges leak into neighbouring
        blocks (the slab's other rows keep the change in force), the fade and the caps
        hold some cells back."""
        a, b = band.slab
        grey = self._grey[a * FIT : b * FIT]
        blocks = band.blocks
        p = self._project(grey, band)
        offset = self._offset[blocks]
        point = offset + STEP * np.round((p - offset) / STEP)
        # A block keeps the lattice point it has (NaN: none yet) while the picture allows.
        keep = np.abs(p - self._point[blocks]) < KEEP * STEP
        point = np.where(keep, self._point[blocks], point)
        self._point[blocks] = point
        rows = self._rows[blocks] - a
        cols = self._cols[blocks]
        chips = self._chips[blocks]
        tex = self._texture(grey, band)[rows, cols]
        ramp = np.clip((tex - TEXTURE_FLAT) * (1.0 / TEXTURE_FULL), 0.0, 1.0)
        cap = self.flat + (self.strength - self.flat) * ramp
        # Spread the move over the block's cells in proportion to their caps: the
        # projection moves by the full amount unless a cell hits its cap.
        share = cap / cap.mean(axis=1, keepdims=True)
        self._update_fade(grey, band)
        self._fine_caps(band)
        aim = point + (OVERSHOOT - 1.0) * (point - p)
        need = (aim - p) / self.response
        out = self.cells[a:b].copy()
        for i in range(REFINE + 1):
            move = np.clip(chips * need[:, None] * share, -cap, cap)
            power = float(np.mean(move * move))
            if power > self._budget:
                move *= np.sqrt(self._budget / power)
            out[rows, cols] = move
            if i == REFINE:
                break
            seen = self._project(grey + self._faded(self._render(out), band), band)
            need += (aim - seen) / self.response
        r0, r1 = band.rows
        return out[r0 - a : r1 - a]

    def _update_fade(self, grey: F32, band: _Band) -> None:
        """Near black a change may only go up, near white only down: no clipping, no
        crushed shadows (the refinement makes up for the part that was held back)."""
        rows = slice(band.slab[0] * FIT, band.slab[1] * FIT)
        down = self._fade_down[rows]
        cv2.addWeighted(grey, 1.0 / EDGE_FADE, grey, 0.0, 0.0, dst=down)
        cv2.threshold(down, 1.0, 0.0, cv2.THRESH_TRUNC, dst=down)
        up = cv2.addWeighted(grey, -1.0 / EDGE_FADE, grey, 0.0, 255.0 / EDGE_FADE)
        cv2.threshold(up, 1.0, 0.0, cv2.THRESH_TRUNC, dst=up)
        # The fade of a positive change, as a difference from the negative one's.
        self._fade_step[rows] = cv2.subtract(up, down)

    def _faded(self, change: F32, band: _Band) -> F32:
        """``change`` (the slab's) within the per-pixel cap and the fades."""
        rows = slice(band.slab[0] * FIT, band.slab[1] * FIT)
        capped = cv2.min(cv2.max(change, self._cap_down[rows]), self._pixel_cap[rows])
        # capped * down where it is negative, capped * up where it is positive.
        _, positive = cv2.threshold(capped, 0.0, 0.0, cv2.THRESH_TOZERO)
        up = cv2.multiply(positive, self._fade_step[rows])
        return cast(F32, cv2.add(cv2.multiply(capped, self._fade_down[rows]), up))

    def _read(self, image: BGRImage, band: _Band) -> bool:
        """Read the band's grey at fit size; False when it shows the picture last fitted."""
        y0, y1 = band.pixels
        r0, r1 = band.rows
        grey: npt.NDArray[np.uint8] = self._frame_grey[y0:y1]
        cv2.cvtColor(image[y0:y1, : self._src_w], cv2.COLOR_BGR2GRAY, dst=grey)
        target = (self._fit_size[0], (r1 - r0) * FIT)
        # The smallest level at least FINE times the fit's size (the fine grey's source).
        level = grey
        while grey.shape[0] >= 2 * target[1] and grey.shape[1] >= 2 * target[0]:
            level = grey
            grey = cast(
                npt.NDArray[np.uint8], cv2.resize(grey, (grey.shape[1] // 2, grey.shape[0] // 2))
            )
        interp = cv2.INTER_AREA if grey.shape[0] > target[1] else cv2.INTER_LINEAR
        fit = cv2.resize(grey.astype(np.float32), target, interpolation=interp)
        old = self._grey[r0 * FIT : r1 * FIT]
        k = self._bands.index(band)
        if self._fitted[k] and float(np.max(np.abs(fit - old))) <= STILL:
            return False
        old[:] = fit
        fine = self._fine_grey[r0 * FIT * FINE : r1 * FIT * FINE]
        size = (fine.shape[1], fine.shape[0])
        cv2.resize(level, size, dst=fine, interpolation=cv2.INTER_LINEAR)
        return True

    def _refit(self, image: BGRImage, band: _Band, *, at_once: bool) -> bool:
        """Fit the band's change to ``image``; False when the band did not change."""
        if not self._read(image, band):
            return False
        target = self._fit(band)
        r0, r1 = band.rows
        if not at_once:
            np.clip(target, self.cells[r0:r1] - RATE, self.cells[r0:r1] + RATE, out=target)
        self.cells[r0:r1] = target
        self._fitted[self._bands.index(band)] = True
        return True

    def _draw(self, band: _Band) -> None:
        """Render the band's change and upsample it into the full-size planes. The slab
        (the band with a cell of context) is resized at exactly FIT / cell, so bands
        drawn in different frames meet without a seam."""
        a, b = band.slab
        change = self._faded(self._render(self.cells[a:b]), band)
        rows = slice(a * FIT, b * FIT)
        # Rounded, offset by BIAS and saturated into uint8 (the change is far smaller).
        cv2.addWeighted(change, 1.0, change, 0.0, BIAS, dst=self._small[rows], dtype=cv2.CV_8U)
        # Upsampled to the fine size and held within the per-pixel cap there (see
        # ``_fine_caps``), then upsampled to frame size.
        fine_rows = slice(a * FIT * FINE, b * FIT * FINE)
        fine = self._fine_small[fine_rows]
        size = (fine.shape[1], fine.shape[0])
        cv2.resize(self._small[rows], size, dst=fine, interpolation=cv2.INTER_LINEAR)
        cv2.min(fine, self._fine_upper[fine_rows], dst=fine)
        cv2.max(fine, self._fine_lower[fine_rows], dst=fine)
        s0, s1 = band.slab_pixels
        y0, y1 = band.pixels
        w = self._src_w
        big = self._slab_px[self._bands.index(band)]
        cv2.resize(fine, (w, s1 - s0), dst=big, interpolation=cv2.INTER_LINEAR)
        drawn = big[y0 - s0 : y1 - s0]
        pos, neg = self._parts[0, y0:y1], self._parts[1, y0:y1]
        # The parts above and below BIAS (saturated at 0: whole levels, exact).
        cv2.subtract(drawn, _BIAS, dst=pos[:, :w])
        cv2.subtract(_BIAS, drawn, dst=neg[:, :w])
        for part in (pos, neg):
            part[:, w:] = part[:, w - 1 : w]

    def _stamp(self, image: BGRImage) -> None:
        """Add the change in force to ``image`` in place, ``STAMP_ROWS`` rows at a time:
        its positive part added and its negative part subtracted with saturation, the
        same on B, G and R (a change of luma only, which 4:2:0 keeps). A few rows at a
        time keep the working rows in cache."""
        pos, neg = self._parts
        for r in range(0, image.shape[0], STAMP_ROWS):
            rows = image[r : r + STAMP_ROWS]
            bgr = self._row_bgr[: rows.shape[0]]
            cv2.cvtColor(pos[r : r + STAMP_ROWS], cv2.COLOR_GRAY2BGR, dst=bgr)
            cv2.add(rows, bgr, dst=rows)
            cv2.cvtColor(neg[r : r + STAMP_ROWS], cv2.COLOR_GRAY2BGR, dst=bgr)
            cv2.subtract(rows, bgr, dst=rows)

    # -- per frame --------------------------------------------------------------------
    def apply(self, image: BGRImage) -> BGRImage:
        """Embed into ``image`` (BGR uint8, this embedder's size) in place; returns it."""
        h, w = image.shape[:2]
        if (w, h) != self.size:
            raise ValueError(
                f"frame is {w}x{h}, this embedder is for {self.size[0]}x{self.size[1]}"
            )
        # The first frame gets the full mark at once (nothing to change smoothly from).
        if self._count == 0:
            for band in self._bands:
                self._refit(image, band, at_once=True)
            for band in self._bands:
                self._draw(band)
        else:
            band = self._bands[self._count % BANDS]
            if self._refit(image, band, at_once=False):
                self._draw(band)
        self._count += 1
        self._stamp(image)
        return image

    def change(self) -> npt.NDArray[np.int16]:
        """The change in force, in grey levels per (H, 3W) byte (for measurements)."""
        change = self._parts[0].astype(np.int16) - self._parts[1]
        return np.repeat(change, 3, axis=1)
