"""Writes docs/watermark_flat_crop.png: 4x crops of a flat area and of a face, each as
unmarked | marked | change.

    python benchmarks/watermark_flat_crop.py [OUT.png]

Row 1: scikit-image's coffee photo at 1280x720 with the watermark (format 2); the crop is
the flattest 96x96 mid-grey area away from the edges. Row 2: the astronaut photo at
1280x720, a 96x96 crop of her face. The third panel is the change amplified 32 times
around mid-grey, to show where the mark is.
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
from skimage import data

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from overlay.watermark import FORMAT_VERSION, Embedder, Payload

SIZE = (1280, 720)
CROP = 96
ZOOM = 4


def _row(frame: np.ndarray, x: int, y: int) -> tuple[np.ndarray, np.ndarray]:
    marked = Embedder(Payload(FORMAT_VERSION, True, "1a2b3c4d"), SIZE).apply(frame.copy())
    a = frame[y : y + CROP, x : x + CROP]
    b = marked[y : y + CROP, x : x + CROP]
    diff = np.clip(128 + 32 * (b.astype(np.int16) - a), 0, 255).astype(np.uint8)
    gap = np.full((CROP, 4, 3), 255, np.uint8)
    return np.hstack([a, gap, b, gap, diff]), np.abs(b.astype(np.int16) - a)


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/watermark_flat_crop.png")
    frame = cv2.resize(cv2.cvtColor(data.coffee(), cv2.COLOR_RGB2BGR), SIZE)
    grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY).astype(np.float32)
    mean = cv2.blur(grey, (CROP, CROP))
    std = np.sqrt(np.maximum(cv2.blur(grey * grey, (CROP, CROP)) - mean * mean, 0))
    m = CROP
    # The flattest area of mid-grey level (where a change is easiest to see).
    inner = np.where((mean > 60) & (mean < 200), std, np.inf)[m:-m, m:-m]
    cy, cx = np.unravel_index(int(np.argmin(inner)), inner.shape)
    flat, flat_change = _row(frame, int(cx + m - CROP // 2), int(cy + m - CROP // 2))
    astronaut = cv2.resize(cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR), SIZE)
    # Her face is around (215, 105) of the 512x512 photo.
    fx, fy = round(215 * SIZE[0] / 512) - CROP // 2, round(105 * SIZE[1] / 512) - CROP // 2
    face, face_change = _row(astronaut, fx, fy)
    sheet = np.vstack([flat, np.full((4, flat.shape[1], 3), 255, np.uint8), face])
    big = cv2.resize(
        sheet, (sheet.shape[1] * ZOOM, sheet.shape[0] * ZOOM), interpolation=cv2.INTER_NEAREST
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(out), big)
    for name, change in (("flat area", flat_change), ("face", face_change)):
        print(f"{name}: max change {int(change.max())}, mean |change| {float(change.mean()):.2f}")
    print(f"wrote {out}; flat area local std {float(inner.min()):.1f} grey levels")


if __name__ == "__main__":
    main()
