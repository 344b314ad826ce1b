"""Embedding: add the precomputed pattern to the luma, scaled by a cheap perceptual mask."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from overlay.frames import BGRImage
from overlay.watermark.layout import F32, PUBLIC_KEY, full_pattern, get_layout, tile_values
from overlay.watermark.payload import Payload, pack

__all__ = ["DEFAULT_STRENGTH", "Embedder"]

#: Peak change in grey levels on textured areas (flat areas get ``FLAT_GAIN`` of it).
DEFAULT_STRENGTH = 4.0
FLAT_GAIN = 0.4
#: Local standard deviation (grey levels) at which the full strength is reached.
TEXTURE_FULL = 10.0
#: Grey levels from 0 or 255 over which the mark fades out (no clipping, no crushed blacks).
MARGIN = 12.0
#: The mask and the pattern are computed at 1/DOWN of the frame size.
DOWN = 4
#: The mask is recomputed every this many frames (10 Hz at 30 fps); in between, the last
#: full-size change is reused, which also keeps the mark steady for the encoder.
MASK_EVERY = 3


class Embedder:
    """Embeds one payload into frames of one size, in place.

    The full pattern is computed once. Every ``MASK_EVERY`` frames a mask is computed at
    1/4 size from the frame's texture and brightness, multiplied with the pattern there,
    and the product (whole grey levels) is upsampled straight into a (H, 3W) int16 plane;
    every frame adds that plane to the interleaved BGR bytes with saturation (the same
    change on B, G and R is a change of luma only).

    Args:
        payload: what to embed.
        size: frame (width, height).
        public_key: the detection key.
        strength: peak change in grey levels on textured areas.
    """

    def __init__(
        self,
        payload: Payload,
        size: tuple[int, int],
        public_key: bytes = PUBLIC_KEY,
        strength: float = DEFAULT_STRENGTH,
    ) -> None:
        w, h = size
        if w < 2 * DOWN or h < 2 * DOWN:
            raise ValueError(f"frame size {w}x{h} is too small to watermark (needs 8x8)")
        self.size = size
        self.payload = payload
        self.bits = pack(payload, public_key)
        tile = tile_values(get_layout(public_key), self.bits)
        #: The full-size pattern in [-1, 1] (kept for tests and measurements).
        self.pattern: F32 = full_pattern(tile, w, h)
        self._small_size = (max(1, w // DOWN), max(1, h // DOWN))
        small = cv2.resize(self.pattern, self._small_size, interpolation=cv2.INTER_AREA)
        self._small_pattern: F32 = (small * strength).astype(np.float32)
        self._delta = np.zeros((h, 3 * w), np.int16)
        self._count = 0

    def mask(self, image: BGRImage) -> F32:
        """The per-pixel gain in [0, 1] at 1/4 size: texture masking times the 0/255 margins."""
        small = cv2.resize(image, self._small_size, interpolation=cv2.INTER_NEAREST)
        grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY).astype(np.float32)
        mean = cv2.blur(grey, (5, 5))
        var = cv2.blur(grey * grey, (5, 5)) - mean * mean
        std = cv2.sqrt(cv2.max(var, 0.0))
        gain = np.clip(std * (1.0 / TEXTURE_FULL), FLAT_GAIN, 1.0)
        margin = np.minimum(grey, 255.0 - grey) * (1.0 / MARGIN)
        gain *= np.clip(margin, 0.0, 1.0)
        out: F32 = cv2.blur(gain, (3, 3))
        return out

    def apply(self, image: BGRImage) -> BGRImage:
        """Embed into ``image`` (BGR uint8, this embedder's size) in place; returns it."""
        h, w = image.shape[:2]
        if (w, h) != self.size:
            raise ValueError(
                f"frame is {w}x{h}, this embedder is for {self.size[0]}x{self.size[1]}"
            )
        if self._count % MASK_EVERY == 0:
            self._update_delta(image)
        self._count += 1
        flat = image.reshape(h, 3 * w)
        cv2.add(flat, self._delta, dst=flat, dtype=cv2.CV_8U)
        return image

    def _update_delta(self, image: BGRImage) -> None:
        small = np.rint(self.mask(image) * self._small_pattern).astype(np.int16)
        h, w = image.shape[:2]
        cv2.resize(small, (3 * w, h), dst=self._delta, interpolation=cv2.INTER_LINEAR)

    def delta(self, image: BGRImage) -> npt.NDArray[np.int16]:
        """The change, in grey levels per (H, 3W) byte, that ``apply`` makes to ``image``."""
        self._update_delta(image)
        return self._delta.copy()
