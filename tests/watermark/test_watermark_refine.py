"""The refinement of the strongest hypothesis: a grid read between the phases searched.

The search steps a quarter of a cell; a picture whose grid sits between two phases (124
px cut from the left of a 720p frame is 4.13 cells, an eighth of a cell from the nearest
phase) mixes part of every neighbouring cell into each cell's mean, which on a textured
picture is more than the lattice allows. (Format 2's test cut 116 px; format 3's longer
code reads that clip without the refinement. Cut 109 or 124 px, three of four session
ids scanned need the refinement.) The refinement reads the payload at the best
sub-cell offset and scale near the strongest hypothesis; the unmarked twin stays
unmarked. Only the nominal scale is searched here: off it, the search weighs blocks by
their steadiness and reads such a grid itself (``test_watermark_still.py``).
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage import data

from overlay.frames import BGRImage
from overlay.watermark import FORMAT_VERSION, Detector, Embedder, Payload
from overlay.watermark.clips import pan_zoom

SIZE = (1280, 720)
PAYLOAD = Payload(FORMAT_VERSION, True, "5eed1236")
FRAMES = 16


@pytest.fixture(scope="module")
def clip() -> list[BGRImage]:
    """16 frames of a textured photo under a pan and zoom."""
    photo = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    return list(pan_zoom(photo, SIZE, FRAMES, zoom=1.2, noise=1.0))


def _cut(image: BGRImage) -> BGRImage:
    return np.ascontiguousarray(image[:, 124:])


def _search(frames: list[BGRImage], *, refine: bool) -> tuple[bool, Payload | None]:
    detector = Detector(searches=1, max_scale=1.0)
    for f in frames:
        detector.add(_cut(f))
    result = detector.detect(refine=refine)
    return result.detected, result.payload


def test_a_grid_between_phases_gives_its_payload(clip: list[BGRImage]) -> None:
    embedder = Embedder(PAYLOAD, SIZE)
    marked = [embedder.apply(f.copy()) for f in clip]
    assert _search(marked, refine=True) == (True, PAYLOAD)
    # The same frames without the refinement: it is what reads them.
    assert _search(marked, refine=False) == (False, None)


def test_the_unmarked_twin_stays_unmarked(clip: list[BGRImage]) -> None:
    assert _search([f.copy() for f in clip], refine=True) == (False, None)
