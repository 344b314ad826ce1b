"""The keyed chip layout shared by the embedder and the detector.

The mark is a grid of square chips whose side is ``height / CHIPS_PER_HEIGHT`` pixels of
the frame it is embedded in, so it scales with the picture. The grid repeats a tile of
``TILE x TILE`` chips: half of them (chosen by the public key) carry a fixed ±1 sync
template, the other half carry the payload bits spread with a keyed ±1 sequence. A crop
only shifts the tile (an offset search finds it); a resize only changes the chip size (a
scale search finds it). The payload is convolutionally coded (rate 1/2) first; the 128
data chips carry the first 128 of its 132 coded bits (the last 4, from the zero tail, are
left out and decoded as erasures).
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from benchmarks.wm_v1.payload import PAYLOAD_BITS
from overlay.watermark.ecc import coded_length

__all__ = [
    "CHIPS_PER_HEIGHT",
    "PUBLIC_KEY",
    "TILE",
    "Layout",
    "Q",
    "full_pattern",
    "get_layout",
    "tile_values",
    "whiten",
]

#: The public detection key, shipped so that anyone can detect the mark:
#: SHA-256 of "overlay public watermark detection key, format 1".
PUBLIC_KEY = bytes.fromhex("fd57e9207d3476d7a67c41413c512aef15fab83b959e1460c800c24054415255")
#: Chips per frame height: 12 px chips at 720p, 18 px at 1080p, 6 px at 360p.
CHIPS_PER_HEIGHT = 60
#: Tile side in chips.
TILE = 16
F32 = npt.NDArray[np.float32]
#: Coded payload bits.
CODED_BITS = coded_length(PAYLOAD_BITS)
#: Pixels per chip where embedder and detector look at the picture.
Q = 4
#: Activity floor (grey levels) of the local normalisation, and the clip after it.
FLOOR = 0.1
CLIP = 2.0


@dataclass(frozen=True, slots=True)
class Layout:
    """The tile for one public key.

    Attributes:
        sync: TILE x TILE, ±1 on sync chips and 0 on data chips.
        data_sign: TILE x TILE, the ±1 spreading sign on data chips and 0 on sync chips.
        data_bit: TILE x TILE, the coded bit a data chip carries (-1 on sync chips).
    """

    sync: F32
    data_sign: F32
    data_bit: npt.NDArray[np.int64]


def _rng(key: bytes, label: bytes) -> np.random.Generator:
    seed = hashlib.sha256(key + b"/" + label).digest()
    return np.random.default_rng(np.frombuffer(seed, dtype=np.uint32))


@functools.lru_cache(maxsize=8)
def get_layout(public_key: bytes) -> Layout:
    """The (cached) layout derived from ``public_key``."""
    n = TILE * TILE
    order = _rng(public_key, b"positions").permutation(n)
    sync_pos, data_pos = order[: n // 2], order[n // 2 :]
    sync = np.zeros(n, np.float32)
    sync[sync_pos] = _rng(public_key, b"sync").choice([-1.0, 1.0], size=sync_pos.size)
    sign = np.zeros(n, np.float32)
    sign[data_pos] = _rng(public_key, b"spread").choice([-1.0, 1.0], size=data_pos.size)
    bit = np.full(n, -1, np.int64)
    # Coded bits are spread over the tile so that a damaged region hits scattered bits.
    bit[data_pos] = _rng(public_key, b"bits").permutation(data_pos.size) % CODED_BITS
    shape = (TILE, TILE)
    return Layout(sync.reshape(shape), sign.reshape(shape), bit.reshape(shape))


def tile_values(layout: Layout, bits: npt.NDArray[np.uint8]) -> F32:
    """The tile's ±1 chip values for the coded bits ``bits``."""
    levels = np.where(layout.data_bit >= 0, 2.0 * bits[np.maximum(layout.data_bit, 0)] - 1, 0)
    return (layout.sync + layout.data_sign * levels).astype(np.float32)


def full_pattern(tile: F32, width: int, height: int) -> F32:
    """The smooth full-frame pattern in [-1, 1] for a frame of ``width`` x ``height``."""
    chip = height / CHIPS_PER_HEIGHT
    rows = int(np.ceil(height / chip)) + 1
    cols = int(np.ceil(width / chip)) + 1
    grid = np.tile(tile, (rows // TILE + 1, cols // TILE + 1))[:rows, :cols]
    big = cv2.resize(
        grid, (round(cols * chip), round(rows * chip)), interpolation=cv2.INTER_NEAREST
    )[:height, :width]
    # Soft chip edges: invisible ramps instead of steps, and cheaper for the encoder.
    sigma = chip / 4
    smooth = cv2.GaussianBlur(
        big, (0, 0), sigmaX=sigma, sigmaY=sigma, borderType=cv2.BORDER_REFLECT
    )
    return np.ascontiguousarray(smooth, dtype=np.float32)


def whiten(grey: F32) -> tuple[F32, F32]:
    """What the detector correlates: a grey picture at Q pixels per chip, high-passed at
    chip scale and divided by the local activity (textured areas and edges would
    otherwise dominate without carrying more of the mark). Returns (whitened, activity).
    """
    hp = grey - cv2.GaussianBlur(grey, (0, 0), sigmaX=Q / 2, borderType=cv2.BORDER_REFLECT)
    local = cv2.blur(np.abs(hp), (2 * Q - 1, 2 * Q - 1), borderType=cv2.BORDER_REFLECT)
    local += FLOOR
    out = np.clip(hp / local, -CLIP, CLIP)
    return out, local
