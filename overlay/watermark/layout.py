"""The keyed cell layout shared by the embedder and the detector (format 3).

The mark lives on a grid of square cells whose side is ``height / CELLS_PER_HEIGHT``
pixels of the frame it is embedded in, anchored at the frame's top-left corner: 30 px at
720p, still 15 px after a call app sends it at 640x360, well above the 4-8 px blocks a
low-bitrate encoder flattens. Neighbouring cells pair up in blocks of ``BLOCK`` (1 row x
2 columns). Each block carries one coded payload bit by dither modulation of its
projection (quantisation index modulation, Chen and Wornell): ``p = mean(chip_i *
cell_mean_i)`` with keyed chips +1 and -1 (a difference, so a change of brightness
cancels) is moved to the nearest point of the lattice ``dither + bit * STEP / 2 + STEP *
Z``. That is blind to the picture: the embedder moves the projection from wherever the
picture puts it, so the picture's own texture neither masks nor fights the mark, which an
additive mark at this coarse scale cannot do (measured in ``docs/watermark.md``).

Blocks are numbered column by column from the top-left; block ``n`` carries coded bit
``bit[n]`` = a keyed permutation of the code applied to ``n % CODED_BITS``, so
neighbouring blocks carry far-apart bits and a crop or a covered region erases bits
scattered along the code, which its free distance absorbs. A 16:9 frame has 24 x 21 =
504 blocks: each of the 498 coded bits once, six of them twice (format 2 repeated a
shorter code's 158 bits three times; a longer code reads more from the same blocks,
see ``overlay.watermark.ecc``).
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from overlay.watermark.ecc import coded_length
from overlay.watermark.payload import PAYLOAD_BITS

__all__ = [
    "BLOCK",
    "CELLS_PER_HEIGHT",
    "CODED_BITS",
    "MAX_BLOCK_COLUMNS",
    "PUBLIC_KEY",
    "STEP",
    "Layout",
    "get_layout",
]

#: The public detection key, shipped so that anyone can detect the mark:
#: SHA-256 of "overlay public watermark detection key, format 1" (the key stays; the
#: layouts of formats 2 and 3 are derived from it under other labels).
PUBLIC_KEY = bytes.fromhex("fd57e9207d3476d7a67c41413c512aef15fab83b959e1460c800c24054415255")
#: Cells per frame height: 30 px cells at 720p, 45 px at 1080p, 15 px at 360p.
CELLS_PER_HEIGHT = 24
#: Cells per block (rows, columns). Measured against 2 x 2 and 2 x 3 blocks (same
#: cells, fewer blocks per bit): pairs read best after low-bitrate codecs.
BLOCK = (1, 2)
#: Block rows per frame.
BLOCK_ROWS = CELLS_PER_HEIGHT // BLOCK[0]
#: The widest frame laid out, in block columns (4:1).
MAX_BLOCK_COLUMNS = 32
#: The lattice step of a block's projection, in grey levels: a block decodes right
#: while the noise on its projection stays under STEP / 4. Larger steps need moves the
#: flat-area cap (2 levels) cannot make; measured against 8.
STEP = 6.0
#: Coded payload bits.
CODED_BITS = coded_length(PAYLOAD_BITS)
#: The bit order's derivation label (a format with a new code draws its own order from
#: the same key).
FORMAT_LABEL = b"format-3/"
#: The chips' and dithers' label: format 2's, kept by format 3 (which changed only the
#: code and the bit order), so a format-2 mark still scores on format 3's lattice:
#: ``verify`` reports it present (an AI disclosure) though its payload is not read.
LATTICE_LABEL = b"format-2/"
F32 = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class Layout:
    """The keyed layout for one public key, for every block of the widest frame.

    Blocks are indexed column by column: ``n = block_column * BLOCK_ROWS + block_row``.

    Attributes:
        chips: (blocks, cells) ±1 chips of each block's cells, row-major in the block.
        dither: (blocks,) each block's lattice offset in [0, STEP).
        bit: (blocks,) the coded bit each block carries.
    """

    chips: F32
    dither: F32
    bit: npt.NDArray[np.int64]


def _rng(key: bytes, label: bytes) -> np.random.Generator:
    seed = hashlib.sha256(key + b"/" + label).digest()
    return np.random.default_rng(np.frombuffer(seed, dtype=np.uint32))


@functools.lru_cache(maxsize=8)
def get_layout(public_key: bytes) -> Layout:
    """The (cached) layout derived from ``public_key``."""
    blocks = BLOCK_ROWS * MAX_BLOCK_COLUMNS
    cells = BLOCK[0] * BLOCK[1]
    rng = _rng(public_key, LATTICE_LABEL + b"chips")
    base = np.array([1.0] * (cells // 2) + [-1.0] * (cells - cells // 2), np.float32)
    chips = np.stack([rng.permutation(base) for _ in range(blocks)]).astype(np.float32)
    dither = (
        _rng(public_key, LATTICE_LABEL + b"dither").uniform(0.0, STEP, blocks).astype(np.float32)
    )
    order = _rng(public_key, FORMAT_LABEL + b"bits").permutation(CODED_BITS)
    bit = order[np.arange(blocks) % CODED_BITS].astype(np.int64)
    return Layout(chips, dither, bit)


def block_index(rows: int, cols: int) -> npt.NDArray[np.int64]:
    """The layout index of each block of a (rows x cols)-block grid (row-major array)."""
    r = np.arange(rows)[:, None]
    c = np.arange(cols)[None, :]
    return (c * BLOCK_ROWS + r).astype(np.int64)
