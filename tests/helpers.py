"""Small builders shared by the core tests."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from overlay.frames import BGRImage


def still(path: Path, w: int = 640, h: int = 360, value: int = 128) -> Path:
    """A flat grey PNG (so only the stamps change between frames)."""
    cv2.imwrite(str(path), np.full((h, w, 3), value, np.uint8))
    return path


def read_video(path: Path) -> list[BGRImage]:
    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, img = cap.read()
        if not ok:
            break
        frames.append(img)
    cap.release()
    return frames


def mad(a: BGRImage, b: BGRImage) -> float:
    """Mean absolute difference in grey levels."""
    return float(np.mean(np.abs(a.astype(np.int16) - b.astype(np.int16))))
