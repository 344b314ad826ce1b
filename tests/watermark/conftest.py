"""Shared watermark test content: natural pictures (scikit-image) animated with a pan."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage import data

from overlay.frames import BGRImage
from overlay.watermark import Embedder, Payload
from overlay.watermark.clips import pan_zoom

SIZE = (1280, 720)
PAYLOAD = Payload(1, True, "1a2b3c4d")


def picture(name: str) -> BGRImage:
    rgb = getattr(data, name)()
    return np.ascontiguousarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))


def clip(name: str, frames: int, seed: int = 0) -> list[BGRImage]:
    return list(pan_zoom(picture(name), SIZE, frames, noise=1.0, seed=seed))


@pytest.fixture(scope="session")
def coffee_clip() -> list[BGRImage]:
    """Eight 1280x720 frames of a pan over scikit-image's coffee photo (unmarked)."""
    return clip("coffee", 8)


@pytest.fixture(scope="session")
def marked_coffee(coffee_clip: list[BGRImage]) -> list[BGRImage]:
    embedder = Embedder(PAYLOAD, SIZE)
    return [embedder.apply(f.copy()) for f in coffee_clip]
