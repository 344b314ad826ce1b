from __future__ import annotations

import numpy as np
import pytest

from overlay.errors import FrameFormatError
from overlay.frames import Frame, StampedFrame, check_image


@pytest.mark.parametrize(
    ("image", "words"),
    [
        (np.zeros((10, 10), np.uint8), "greyscale"),
        (np.zeros((10, 10, 4), np.uint8), "4-channel"),
        (np.zeros((10, 10, 3), np.uint16), "dtype uint16"),
        (np.zeros((0, 10, 3), np.uint8), "size 10x0"),
        (np.zeros((1, 1, 3), np.uint8), "at least 2x2"),
        ([[1, 2, 3]], "not an image array"),
    ],
)
def test_unsupported_images_are_refused(image: object, words: str) -> None:
    with pytest.raises(FrameFormatError, match=words):
        check_image(image)


def test_bgr_uint8_is_accepted() -> None:
    img = np.zeros((4, 6, 3), np.uint8)
    assert check_image(img) is img


def test_stamped_frame_cannot_be_made_outside_the_chain() -> None:
    frame = Frame(np.zeros((4, 4, 3), np.uint8), 0, 0.0)
    with pytest.raises(TypeError, match="only by StampChain"):
        StampedFrame(frame, "00000000", slate=False)
    with pytest.raises(TypeError, match="only by StampChain"):
        StampedFrame(frame, "00000000", slate=False, seal=object())
