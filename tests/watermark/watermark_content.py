"""Watermark test content shared by the test modules: natural pictures (scikit-image)
animated with a pan. A module of its own, not conftest: several test directories have a
conftest.py, and ``from conftest import ...`` picks whichever was imported first."""

from __future__ import annotations

import cv2
import numpy as np
from skimage import data

from overlay.frames import BGRImage
from overlay.watermark import FORMAT_VERSION, Payload
from overlay.watermark.clips import pan_zoom

SIZE = (1280, 720)
PAYLOAD = Payload(FORMAT_VERSION, True, "1a2b3c4d")


def picture(name: str) -> BGRImage:
    rgb = getattr(data, name)()
    return np.ascontiguousarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))


def clip(name: str, frames: int, seed: int = 0) -> list[BGRImage]:
    return list(pan_zoom(picture(name), SIZE, frames, noise=1.0, seed=seed))
