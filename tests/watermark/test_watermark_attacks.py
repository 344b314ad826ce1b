"""The mark after the attacks of the real path, on short 1280x720 clips (8 frames).

Each attack runs on the marked clip (the payload must come back) and on the same clip
unmarked (nothing may be found). The full targets (60-frame windows, more content) are
measured by ``benchmarks/watermark_robustness.py``.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable

import numpy as np
import pytest
from watermark_content import PAYLOAD

from benchmarks.watermark_attacks import ATTACKS, encode
from overlay.frames import BGRImage
from overlay.watermark import Detector

CASES = [
    "640x360 x264 crf23",
    "640x360 vp8 300k rt",
    "640x360 vp9 300k rt",
    "640x360 x264 crf35",
    "640x360 x264 300k rt",
    "640x360 av1 300k",
    "crop 10% left",
    "crop 10% top",
    "crop 10% right zoomed",
    "crop 10% bottom zoomed",
    "brightness +20",
    "brightness -20",
    "gamma 0.8",
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


def _av1(encoder: Callable[..., object]) -> tuple[int, int]:
    """The calling thread's scheduling policy and priority after an AV1 encode of 3
    frames through ``encoder`` (put back as they were before, whatever happens)."""
    policy, param = os.sched_getscheduler(0), os.sched_getparam(0)
    frames = [np.full((64, 64, 3), 40 * i, np.uint8) for i in range(3)]
    try:
        encoder(frames, "libsvtav1", options={"preset": "12"}, bit_rate=300_000)
        return os.sched_getscheduler(0), os.sched_getparam(0).sched_priority
    finally:
        os.sched_setscheduler(0, policy, param)


@pytest.mark.skipif(not hasattr(os, "sched_getscheduler"), reason="no POSIX scheduling here")
def test_an_av1_encode_leaves_the_thread_s_scheduling_alone() -> None:
    before = (os.sched_getscheduler(0), os.sched_getparam(0).sched_priority)
    assert _av1(encode) == before


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0,
    reason="SVT-AV1 raises a thread to SCHED_FIFO only when run as root",
)
def test_without_the_guard_svt_av1_leaves_the_thread_at_realtime_priority() -> None:
    # The twin: what the guard undoes (the thread that opened SVT-AV1 is left at FIFO 99).
    assert _av1(inspect.unwrap(encode)) == (os.SCHED_FIFO, 99)
