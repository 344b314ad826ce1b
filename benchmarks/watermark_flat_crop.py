"""Writes docs/watermark_flat_crop.png: a 4x crop of a flat area, unmarked | marked | change.

    python benchmarks/watermark_flat_crop.py [OUT.png]

The frame is scikit-image's coffee photo at 1280x720 with the real stamp chain's
watermark; the crop is the flattest 96x96 mid-grey area away from the edges. The third panel is
the change amplified 32 times around mid-grey, to show where the mark is.
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
from skimage import data

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from overlay.watermark import Embedder, Payload

SIZE = (1280, 720)
CROP = 96
ZOOM = 4


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/watermark_flat_crop.png")
    frame = cv2.resize(cv2.cvtColor(data.coffee(), cv2.COLOR_RGB2BGR), SIZE)
    marked = Embedder(Payload(1, True, "1a2b3c4d"), SIZE).apply(frame.copy())
    grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY).astype(np.float32)
    mean = cv2.blur(grey, (CROP, CROP))
    std = np.sqrt(np.maximum(cv2.blur(grey * grey, (CROP, CROP)) - mean * mean, 0))
    m = CROP
    # The flattest area of mid-grey level (where a change is easiest to see).
    inner = np.where((mean > 60) & (mean < 200), std, np.inf)[m:-m, m:-m]
    cy, cx = np.unravel_index(int(np.argmin(inner)), inner.shape)
    y, x = cy + m - CROP // 2, cx + m - CROP // 2
    a = frame[y : y + CROP, x : x + CROP]
    b = marked[y : y + CROP, x : x + CROP]
    diff = np.clip(128 + 32 * (b.astype(np.int16) - a), 0, 255).astype(np.uint8)
    gap = np.full((CROP, 4, 3), 255, np.uint8)
    row = np.hstack([a, gap, b, gap, diff])
    big = cv2.resize(row, (row.shape[1] * ZOOM, CROP * ZOOM), interpolation=cv2.INTER_NEAREST)
    out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(out), big)
    change = np.abs(b.astype(np.int16) - a)
    print(
        f"wrote {out}: crop at ({x}, {y}), local std {float(inner.min()):.1f} grey levels, "
        f"max change {int(change.max())}, mean |change| {float(change.mean()):.2f}"
    )


if __name__ == "__main__":
    main()
