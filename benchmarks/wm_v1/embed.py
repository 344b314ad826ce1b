"""Embedding: informed chip amplitudes, rendered at 1/4 size, added to the luma in place."""

from __future__ import annotations

import math
from typing import cast

import cv2
import numpy as np
import numpy.typing as npt

from benchmarks.wm_v1.layout import (
    CHIPS_PER_HEIGHT,
    F32,
    PUBLIC_KEY,
    Q,
    get_layout,
    tile_values,
)
from benchmarks.wm_v1.payload import Payload, pack
from overlay.frames import BGRImage
from overlay.watermark.ecc import encode

__all__ = ["DEFAULT_STRENGTH", "Embedder"]

#: Largest chip amplitude, in grey levels (the peak change of any pixel).
DEFAULT_STRENGTH = 6.0
#: Every chip carries at least this amplitude.
MIN_AMPLITUDE = 1.0
#: The margin (grey levels of a chip's high-passed mean) by which each chip should agree
#: with its value after embedding; a chip that would need more than ``GIVE_UP`` times
#: the strength keeps the smallest amplitude (its picture disagrees too strongly: the
#: distortion would be wasted there).
TARGET_MARGIN = 2.5
GIVE_UP = 2.0
#: Texture (mean absolute high-pass of a chip, grey levels) at which a chip may take the
#: full strength; flatter chips are capped proportionally down to ``MIN_AMPLITUDE``.
TEXTURE_FULL = 2.0
#: The distortion budget: the amplitudes above the minimum are scaled down when the
#: change's mean square would bring the PSNR below this.
TARGET_PSNR = 40.5
#: Grey levels from 0 or 255 over which the mark fades out (no clipping, no crushed blacks).
EDGE_FADE = 12.0
#: The change is computed at 1/DOWN of the frame size.
DOWN = 4
#: The amplitudes are recomputed every this many frames (once a second at 30 fps); in
#: between the last change is reused. A steady mark is cheaper for the encoder: every
#: change of the amplitudes is a residual each inter frame must code (measured at x264
#: CRF 23 720p: +57.6 % bytes when recomputed every 3rd frame, +53.5 % every 30th), and
#: the pan/zoom benchmark showed no loss of robustness. After a scene cut the amplitudes
#: fit the old picture for up to a second.
UPDATE_EVERY = 30
#: Soft chip edges: the Gaussian blur of the chip grid, as a fraction of a chip.
BLUR = 0.25


class Embedder:
    """Embeds one payload into frames of one size, in place.

    The chip grid (one ±1 value per chip) is fixed for the session. Every
    ``UPDATE_EVERY`` frames the frame is looked at the way the detector will look at it
    (a high-pass at chip scale): each chip gets the amplitude that makes its high-passed
    mean agree with its bit by ``TARGET_MARGIN`` grey levels (informed embedding: the
    picture's own texture is not fought blindly), between ``MIN_AMPLITUDE`` and the
    strength. The change is rendered at 1/4 size with soft chip edges, faded near 0 and
    255, and upsampled straight into two (H, 3W) uint8 planes (the positive and the
    negative part); every frame adds the one and subtracts the other
    to the interleaved BGR bytes with saturation (the same change on B, G and R is a
    change of luma only).

    Args:
        payload: what to embed.
        size: frame (width, height).
        public_key: the detection key.
        strength: the largest chip amplitude (peak change) in grey levels.
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
        self.bits = pack(payload, public_key)
        layout = get_layout(public_key)
        tile = tile_values(layout, encode(self.bits))
        self.chip = h / CHIPS_PER_HEIGHT
        rows = math.ceil(h / self.chip) + 1
        cols = math.ceil(w / self.chip) + 1
        reps = (rows // tile.shape[0] + 1, cols // tile.shape[1] + 1)
        #: The ±1 value of every chip of the frame (row, column).
        self.values: F32 = np.ascontiguousarray(np.tile(tile, reps)[:rows, :cols])
        self._small = (max(1, w // DOWN), max(1, h // DOWN))
        small_chip = self.chip * self._small[1] / h
        self._grid_px = (round(cols * small_chip), round(rows * small_chip))
        self._sigma = small_chip * BLUR
        # The analysis grid: whole chips inside the frame, Q pixels each.
        self._arows, self._acols = int(h / self.chip), int(w / self.chip)
        self._asize = (round(w / self.chip * Q), round(h / self.chip * Q))
        r, c = self._arows, self._acols
        unit = self._render(np.ones_like(self.values))
        response = self._chip_means(unit)[0] * self.values[:r, :c]
        #: High-passed chip sum per grey level of amplitude (how much of a chip survives).
        self.response = max(0.1, float(np.median(response)))
        # Mean square of the rendered change per unit of mean squared chip amplitude.
        self._energy = float(np.mean(unit * unit))
        self._budget = 255.0**2 / 10 ** (TARGET_PSNR / 10) / max(self._energy, 1e-6)
        self._amplitude = np.full_like(self.values, MIN_AMPLITUDE)
        self._pos = np.zeros((h, 3 * w), np.uint8)
        self._neg = np.zeros((h, 3 * w), np.uint8)
        self._count = 0

    def _render(self, amplitude: F32) -> F32:
        """The change at 1/4 size for per-chip ``amplitude`` (grey levels)."""
        grid = cast(F32, amplitude * self.values)
        big = cv2.resize(grid, self._grid_px, interpolation=cv2.INTER_NEAREST)
        out = cv2.GaussianBlur(
            big[: self._small[1], : self._small[0]],
            (0, 0),
            sigmaX=self._sigma,
            sigmaY=self._sigma,
            borderType=cv2.BORDER_REFLECT,
        )
        return cast(F32, out)

    def _chip_means(self, small_grey: F32) -> tuple[F32, F32]:
        """Each whole chip's high-passed mean and mean absolute high-pass (its texture),
        in grey levels, at the detector's chip scale."""
        g = cv2.resize(small_grey, self._asize, interpolation=cv2.INTER_AREA)
        hp = g - cv2.GaussianBlur(g, (0, 0), sigmaX=Q / 2, borderType=cv2.BORDER_REFLECT)
        r, c = self._arows, self._acols
        blocks = hp[: r * Q, : c * Q].reshape(r, Q, c, Q)
        mean: F32 = blocks.mean(axis=(1, 3))
        texture: F32 = np.abs(blocks).mean(axis=(1, 3))
        return mean, texture

    def amplitudes(self, image: BGRImage) -> tuple[F32, F32]:
        """Per-chip amplitudes for ``image``, and its grey level at 1/4 size.

        Informed embedding: each chip gets the amplitude that makes its high-passed mean
        agree with its value by ``TARGET_MARGIN`` (the picture's own texture is used where
        it agrees and overcome where it does not), between ``MIN_AMPLITUDE`` and the
        strength. A chip's cap falls with its texture: flat areas, where a change is most
        visible, keep the smallest amplitude.
        """
        small = cv2.resize(image, self._small, interpolation=cv2.INTER_NEAREST)
        grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY).astype(np.float32)
        r, c = self._arows, self._acols
        mean, texture = self._chip_means(grey)
        agree = mean * self.values[:r, :c]
        need = (TARGET_MARGIN - agree) * (1.0 / self.response)
        # Visibility: flat chips keep the smallest amplitude, textured ones may use all.
        cap = MIN_AMPLITUDE + (self.strength - MIN_AMPLITUDE) * np.clip(
            texture * (1.0 / TEXTURE_FULL), 0.0, 1.0
        )
        inner = np.clip(need, MIN_AMPLITUDE, cap)
        inner[need > GIVE_UP * self.strength] = MIN_AMPLITUDE
        extra = inner - MIN_AMPLITUDE
        room = self._budget - MIN_AMPLITUDE**2
        energy = float(np.mean(extra * (extra + 2 * MIN_AMPLITUDE)))
        if energy > room > 0:
            inner = MIN_AMPLITUDE + extra * (room / energy)
        amp = self._amplitude
        amp.fill(MIN_AMPLITUDE)
        amp[:r, :c] = inner
        return amp, grey

    def apply(self, image: BGRImage) -> BGRImage:
        """Embed into ``image`` (BGR uint8, this embedder's size) in place; returns it."""
        h, w = image.shape[:2]
        if (w, h) != self.size:
            raise ValueError(
                f"frame is {w}x{h}, this embedder is for {self.size[0]}x{self.size[1]}"
            )
        if self._count % UPDATE_EVERY == 0:
            self._update(image)
        self._count += 1
        flat = image.reshape(h, 3 * w)
        # Two saturating uint8 passes cost less than one mixed-type (uint8 + int16) pass.
        cv2.add(flat, self._pos, dst=flat)
        cv2.subtract(flat, self._neg, dst=flat)
        return image

    def _update(self, image: BGRImage) -> None:
        amp, grey = self.amplitudes(image)
        change = self._render(amp)
        fade = np.minimum(grey, 255.0 - grey) * (1.0 / EDGE_FADE)
        change *= np.clip(fade, 0.0, 1.0)
        small = np.rint(change)
        h, w = image.shape[:2]
        pos = np.clip(small, 0, 255).astype(np.uint8)
        neg = np.clip(-small, 0, 255).astype(np.uint8)
        cv2.resize(pos, (3 * w, h), dst=self._pos, interpolation=cv2.INTER_LINEAR)
        cv2.resize(neg, (3 * w, h), dst=self._neg, interpolation=cv2.INTER_LINEAR)

    def delta(self, image: BGRImage) -> npt.NDArray[np.int16]:
        """The change, in grey levels per (H, 3W) byte, that ``apply`` makes to ``image``."""
        self._update(image)
        return self._pos.astype(np.int16) - self._neg
