"""Embedding: every block's projection moved onto its lattice point, masked, in place.

Per frame: the picture's grey at 1/4 size (4x4 means), every block's projection, the
per-cell change that puts it on its bit's lattice point (refined twice against what the
detector will measure), rendered at 1/4 size with soft cell edges and upsampled into
two (H, 3W) uint8 planes that are added and subtracted with saturation. The change
follows the picture (that is what makes it blind to the picture's own texture): on a
still picture it is constant; where the picture moves it moves with it, a cell at most
``RATE`` grey levels per frame, and a block keeps its lattice point while the picture
allows (``KEEP``), so the mark never flickers between lattice points.
"""

from __future__ import annotations

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
#: Render scale: the change is drawn at 1/DOWN of the frame size, then upsampled.
DOWN = 4
#: Soft cell edges: the Gaussian blur of the cell grid, as a fraction of a cell.
BLUR = 0.1
#: Corrections of the change after measuring it (see ``Embedder.targets``).
REFINE = 2
#: A picture whose 1/4-size grey moved no more than this (grey levels) since the last
#: fit is the same picture: the mark is kept as it is.
STILL = 0.5


def cell_grid(width: int, height: int) -> tuple[float, int, int]:
    """(cell side in pixels, whole block columns, cell columns) for a frame size."""
    cell = height / CELLS_PER_HEIGHT
    block_cols = int(width / cell + 1e-6) // BLOCK[1]
    return cell, block_cols, int(np.ceil(width / cell))


class Embedder:
    """Embeds one payload into frames of one size, in place.

    Every frame whose picture changed is looked at the way the detector will look at it
    (cell means): each block's projection is moved to its bit's lattice point (see
    ``overlay.watermark.layout``), the change spread over its cells in proportion to
    how much each may take (perceptual masking: ``FLAT_STRENGTH`` on flat cells and
    pixels, the full strength on texture), faded near 0 and 255. A cell's change moves
    at most ``RATE`` per frame, so the mark never changes in one jump. The change is
    drawn at 1/4 size with soft cell edges and upsampled into two (H, 3W) uint8 planes,
    the positive and the negative part; every frame adds the one and subtracts the
    other with saturation (the same change on B, G and R is a change of
    luma only, which 4:2:0 keeps).

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
        self.cell, bcols, self._ncols = cell_grid(w, h)
        if bcols < 1:
            raise ValueError(f"frame size {w}x{h} is too narrow to watermark")
        index = block_index(BLOCK_ROWS, bcols).reshape(-1)
        self._chips = layout.chips[index]  # (blocks, cells)
        self._offset = layout.dither[index] + coded[layout.bit[index]] * (STEP / 2)
        self._bcols = bcols
        # Cell (row, col) of each block's cells, row-major within the block.
        br, bc = np.divmod(np.arange(index.size), bcols)
        dr, dc = np.divmod(np.arange(BLOCK[0] * BLOCK[1]), BLOCK[1])
        self._rows = (br[:, None] * BLOCK[0] + dr[None, :]).astype(np.int64)
        self._cols = (bc[:, None] * BLOCK[1] + dc[None, :]).astype(np.int64)
        self._small = (-(-w // DOWN), -(-h // DOWN))
        small_cell = self.cell / DOWN
        self._cells_px = (round(self._ncols * small_cell), round(CELLS_PER_HEIGHT * small_cell))
        self._mean_px = round(bcols * BLOCK[1] * small_cell)
        self._sigma = small_cell * BLUR
        # How much of a cell's change its own mean keeps after the soft render.
        rng = np.random.default_rng(0)
        probe = rng.choice([-1.0, 1.0], size=(CELLS_PER_HEIGHT, self._ncols)).astype(np.float32)
        seen = self._cell_means(self._render(probe))
        used = probe[:, : bcols * BLOCK[1]]
        self.response = float(np.median(seen * used))
        energy = float(np.mean(self._render(np.ones_like(probe)) ** 2))
        self._budget = 255.0**2 / 10 ** (TARGET_PSNR / 10) / max(energy, 1e-6)
        #: The change in force per cell (grey levels), and each block's lattice point.
        self.cells: F32 = np.zeros((CELLS_PER_HEIGHT, self._ncols), np.float32)
        self._point: F32 | None = None
        self._fade_up: F32 = np.ones((self._small[1], self._small[0]), np.float32)
        self._fade_down: F32 = np.ones_like(self._fade_up)
        self._pixel_cap: F32 = np.full_like(self._fade_up, self.flat)
        self._pos_small = np.zeros((self._small[1], self._small[0]), np.uint8)
        self._neg_small = np.zeros_like(self._pos_small)
        self._pos = np.zeros((h, 3 * w), np.uint8)
        self._neg = np.zeros((h, 3 * w), np.uint8)
        self._grey = np.zeros((h, w), np.uint8)  # reused: no full-size allocation a frame
        self._count = 0
        self._last: F32 | None = None

    # -- geometry -------------------------------------------------------------------
    def _render(self, cells: F32) -> F32:
        """The change at 1/4 size for a per-cell change (grey levels)."""
        big = cv2.resize(cells, self._cells_px, interpolation=cv2.INTER_NEAREST)
        out = cv2.GaussianBlur(
            big[: self._small[1], : self._small[0]],
            (0, 0),
            sigmaX=self._sigma,
            sigmaY=self._sigma,
            borderType=cv2.BORDER_REFLECT,
        )
        return cast(F32, out)

    def _cell_means(self, small: F32) -> F32:
        """The mean of each cell of whole blocks, from a 1/4-size picture."""
        region = small[:, : self._mean_px]
        size = (self._bcols * BLOCK[1], CELLS_PER_HEIGHT)
        return cast(F32, cv2.resize(region, size, interpolation=cv2.INTER_AREA))

    def _texture(self, small: F32) -> F32:
        """Each cell's fine texture (mean absolute high-pass at 1/4 size); also sets the
        per-pixel cap: a flat patch inside a textured cell keeps the flat limit."""
        fine = np.abs(small - cv2.GaussianBlur(small, (0, 0), 1.0, borderType=cv2.BORDER_REFLECT))
        local = cv2.GaussianBlur(fine, (0, 0), 1.0, borderType=cv2.BORDER_REFLECT)
        np.clip((local - TEXTURE_FLAT) * (1.0 / TEXTURE_FULL), 0.0, 1.0, out=self._pixel_cap)
        self._pixel_cap *= self.strength - self.flat
        self._pixel_cap += self.flat
        return self._cell_means(fine)

    # -- the change -------------------------------------------------------------------
    def _project(self, small: F32) -> F32:
        """Each block's projection, from a 1/4-size grey picture."""
        cells = self._cell_means(small)[self._rows, self._cols]  # (blocks, cells)
        return cast(F32, (cells * self._chips).mean(axis=1))

    def targets(self, grey: F32) -> F32:
        """The per-cell change that puts every block on its lattice point, for a 1/4-size
        grey picture (see the class doc). The change is rendered and measured the way
        the detector measures it, and corrected ``REFINE`` times: soft cell edges leak
        into neighbouring blocks, the fade and the caps hold some cells back."""
        p = self._project(grey)
        point = self._offset + STEP * np.round((p - self._offset) / STEP)
        if self._point is not None:
            keep = np.abs(p - self._point) < KEEP * STEP
            point = np.where(keep, self._point, point)
        self._point = point.astype(np.float32)
        tex = self._texture(grey)[self._rows, self._cols]
        ramp = np.clip((tex - TEXTURE_FLAT) * (1.0 / TEXTURE_FULL), 0.0, 1.0)
        cap = self.flat + (self.strength - self.flat) * ramp
        # Spread the move over the block's cells in proportion to their caps: the
        # projection moves by the full amount unless a cell hits its cap.
        share = cap / cap.mean(axis=1, keepdims=True)
        self._update_fade(grey)
        need = (point - p) / self.response
        out = np.zeros_like(self.cells)
        for i in range(REFINE + 1):
            move = np.clip(self._chips * need[:, None] * share, -cap, cap)
            power = float(np.mean(move * move))
            if power > self._budget:
                move *= np.sqrt(self._budget / power)
            out[self._rows, self._cols] = move
            if i == REFINE:
                break
            seen = self._project(grey + self._faded(self._render(out)))
            need += (point - seen) / self.response
        return out

    def _update_fade(self, grey: F32) -> None:
        """Near black a change may only go up, near white only down: no clipping, no
        crushed shadows (the refinement makes up for the part that was held back)."""
        np.multiply(grey, 1.0 / EDGE_FADE, out=self._fade_down)
        np.clip(self._fade_down, 0.0, 1.0, out=self._fade_down)
        np.multiply(255.0 - grey, 1.0 / EDGE_FADE, out=self._fade_up)
        np.clip(self._fade_up, 0.0, 1.0, out=self._fade_up)

    def _faded(self, change: F32) -> F32:
        """``change`` within the per-pixel cap and the fades (what the picture gets)."""
        capped = np.clip(change, -self._pixel_cap, self._pixel_cap)
        up = np.maximum(capped, 0.0) * self._fade_up
        return cast(F32, up + np.minimum(capped, 0.0) * self._fade_down)

    def _small_grey(self, image: BGRImage) -> F32:
        """The picture's grey at 1/4 size, as 4x4 means (what the detector's cell means
        are made of; a subsampled or Gaussian-blurred copy would disagree with it at
        every edge)."""
        cv2.cvtColor(image, cv2.COLOR_BGR2GRAY, dst=self._grey)
        small = cv2.resize(self._grey, self._small, interpolation=cv2.INTER_AREA)
        return small.astype(np.float32)

    def _look(self, image: BGRImage, *, at_once: bool = False) -> bool:
        """Fit the change to ``image``; False when the picture is the one last fitted
        (a still picture: nothing to redo, the mark stays as it is)."""
        grey = self._small_grey(image)
        if self._last is not None and float(np.max(np.abs(grey - self._last))) <= STILL:
            return False
        self._last = grey
        target = self.targets(grey)
        if not at_once:
            np.clip(target, self.cells - RATE, self.cells + RATE, out=target)
        self.cells = target
        change = self._faded(self._render(target))
        rounded = np.rint(change)
        np.clip(rounded, 0, 255, out=change)
        self._pos_small[:] = change
        np.clip(-rounded, 0, 255, out=change)
        self._neg_small[:] = change
        return True

    def _upsample(self) -> None:
        """The 1/4-size planes to full size: each (H, 3W) plane byte gets the change of
        its pixel (a smooth field, so B, G and R of one pixel get the same value)."""
        h, w3 = self._pos.shape
        cv2.resize(self._pos_small, (w3, h), dst=self._pos, interpolation=cv2.INTER_LINEAR)
        cv2.resize(self._neg_small, (w3, h), dst=self._neg, interpolation=cv2.INTER_LINEAR)

    # -- per frame --------------------------------------------------------------------
    def apply(self, image: BGRImage) -> BGRImage:
        """Embed into ``image`` (BGR uint8, this embedder's size) in place; returns it."""
        h, w = image.shape[:2]
        if (w, h) != self.size:
            raise ValueError(
                f"frame is {w}x{h}, this embedder is for {self.size[0]}x{self.size[1]}"
            )
        # The first frame gets the full mark at once (nothing to change smoothly from).
        if self._look(image, at_once=self._count == 0):
            self._upsample()
        self._count += 1
        flat = image.reshape(h, 3 * w)
        # Two saturating uint8 passes cost less than one mixed-type (uint8 + int16) pass.
        cv2.add(flat, self._pos, dst=flat)
        cv2.subtract(flat, self._neg, dst=flat)
        return image

    def change(self) -> npt.NDArray[np.int16]:
        """The change in force, in grey levels per (H, 3W) byte (for measurements)."""
        return self._pos.astype(np.int16) - self._neg
