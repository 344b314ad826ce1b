"""The mark after the attacks of the real path, on short 1280x720 clips (8 frames).

Each attack runs on the marked clip (the payload must come back) and on the same clip
unmarked (nothing may be found). The full targets (60-frame windows, more content) are
measured by ``benchmarks/watermark_robustness.py``.
"""

from __future__ import annotations

import pytest
from watermark_content import PAYLOAD

from benchmarks.watermark_attacks import ATTACKS
from overlay.frames import BGRImage
from overlay.watermark import Detector

CASES = [
    "640x360 x264 crf23",
    "640x360 vp8 300k rt",
    "640x360 vp9 300k rt",
    "crop 10% left",
    "crop 10% top",
    "crop 10% right zoomed",
    "brightness +20",
    "brightness -20",
    "gamma 1.25",
]


def scan(frames: list[BGRImage]) -> tuple[bool, object]:
    detector = Detector(searches=3)
    for i, f in enumerate(frames, 1):
        detector.add(f)
        if i in (1, 4, 8):
            result = detector.detect()
            if result.detected:
                return True, result.payload
    return False, None


@pytest.mark.parametrize("attack", CASES)
def test_payload_survives(attack: str, marked_coffee: list[BGRImage]) -> None:
    found, payload = scan(ATTACKS[attack](marked_coffee))
    assert found
    assert payload == PAYLOAD


@pytest.mark.parametrize("attack", CASES)
def test_unmarked_clip_stays_unmarked(attack: str, coffee_clip: list[BGRImage]) -> None:
    found, payload = scan(ATTACKS[attack](coffee_clip))
    assert not found
    assert payload is None
