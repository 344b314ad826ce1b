"""The test window's pattern (drawn by window_app.py) and how to read it back.

The window's client area is WIDTH x HEIGHT (until resized): mid-grey; a red square in the
top-left corner and a blue one in the bottom-right; from (BLOCK_X0, ROW_Y) a row of ten
blocks: white, the 8-bit frame counter (MSB first, white = 1), black. ``read_code``
finds it in an output frame (after the pipeline fitted the window into the output size)
and returns the counter, or None when the frame does not show the pattern.
"""

from __future__ import annotations

import numpy as np

WIDTH, HEIGHT = 320, 180
GREY = 128
MARKER = 16
ROW_Y, ROW_H = 70, 40
BLOCK_X0, BLOCK_W, BLOCKS = 10, 30, 10
#: BGR colours of the corner markers as a capture must deliver them.
RED_BGR = (0, 0, 255)
BLUE_BGR = (255, 0, 0)


Size = tuple[int, int]


def fit_geometry(out_size: Size, win: Size = (WIDTH, HEIGHT)) -> tuple[float, int, int]:
    """Scale and offset of the window inside an output frame (the pipeline's letterbox)."""
    ow, oh = out_size
    scale = min(ow / win[0], oh / win[1])
    w, h = round(win[0] * scale), round(win[1] * scale)
    return scale, (ow - w) // 2, (oh - h) // 2


def sample(image: np.ndarray, wx: float, wy: float, win: Size = (WIDTH, HEIGHT)) -> np.ndarray:
    """The output pixel showing window point (wx, wy), as int BGR."""
    oh, ow = image.shape[:2]
    scale, ox, oy = fit_geometry((ow, oh), win)
    x = min(ow - 1, int(ox + wx * scale))
    y = min(oh - 1, int(oy + wy * scale))
    return image[y, x].astype(int)


def close_to(pixel: np.ndarray, bgr: tuple[int, int, int], tol: int = 40) -> bool:
    return bool(np.all(np.abs(pixel - np.array(bgr)) <= tol))


def read_code(image: np.ndarray, win: Size = (WIDTH, HEIGHT)) -> int | None:
    """The counter a ``win``-sized window showed, or None if this is not the pattern there."""
    cy = ROW_Y + ROW_H / 2
    bits = []
    for i in range(BLOCKS):
        px = sample(image, BLOCK_X0 + (i + 0.5) * BLOCK_W, cy, win)
        if close_to(px, (255, 255, 255), 60):
            bits.append(1)
        elif close_to(px, (0, 0, 0), 60):
            bits.append(0)
        else:
            return None
    if bits[0] != 1 or bits[-1] != 0:
        return None
    if not close_to(sample(image, 3, 3, win), RED_BGR):
        return None
    if not close_to(sample(image, win[0] - 4, win[1] - 4, win), BLUE_BGR):
        return None
    if not close_to(sample(image, win[0] / 2, 30, win), (GREY, GREY, GREY), 8):
        return None
    code = 0
    for b in bits[1:9]:
        code = code * 2 + b
    return code
