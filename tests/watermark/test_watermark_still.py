"""A still picture letterboxed into the frame, read after a zoom and a gamma change.

A still gives one observation however many frames a window holds: a grid read between
the phases searched (a 10 % crop zoomed back is 1.111 times larger and sits between the
quarter-cell phases) was not found on it, and a gamma of 1.25 moved its blocks off
their lattice points. The detector weighs each block off the nominal scale by how steady
its projection is under a misplacement, and its refinement reads the pictures through
inverse gammas; the unmarked twin stays unmarked.
"""

from __future__ import annotations

import numpy as np
import pytest
from watermark_content import PAYLOAD, SIZE, picture

from benchmarks.watermark_attacks import ATTACKS
from overlay.frames import BGRImage
from overlay.pipeline import Fitter
from overlay.watermark import Detector, Embedder

FRAMES = 4
SEARCHES = (1, FRAMES)
CASES = [*(f"crop 10% {side} zoomed" for side in ("left", "right", "top", "bottom")), "gamma 1.25"]


@pytest.fixture(scope="module")
def still() -> list[BGRImage]:
    """The 512x512 astronaut letterboxed into 1280x720 as the pipeline does it."""
    out = np.zeros((SIZE[1], SIZE[0], 3), np.uint8)
    Fitter(out).fit(picture("astronaut"))
    return [out.copy() for _ in range(FRAMES)]


@pytest.fixture(scope="module")
def marked_still(still: list[BGRImage]) -> list[BGRImage]:
    embedder = Embedder(PAYLOAD, SIZE)
    return [embedder.apply(f.copy()) for f in still]


def scan(frames: list[BGRImage]) -> tuple[bool, bool, object]:
    """(detected, present, payload), searched as verify does (refined at the last)."""
    detector = Detector(searches=len(SEARCHES))
    result = None
    for i, f in enumerate(frames, 1):
        detector.add(f)
        if i in SEARCHES:
            result = detector.detect(refine=i == SEARCHES[-1])
            if result.detected:
                break
    assert result is not None
    return result.detected, result.present, result.payload


@pytest.mark.parametrize("attack", CASES)
def test_the_letterboxed_still_is_read(attack: str, marked_still: list[BGRImage]) -> None:
    assert scan(ATTACKS[attack](marked_still)) == (True, True, PAYLOAD)


@pytest.mark.parametrize("attack", CASES)
def test_the_unmarked_still_stays_unmarked(attack: str, still: list[BGRImage]) -> None:
    assert scan(ATTACKS[attack](still)) == (False, False, None)
