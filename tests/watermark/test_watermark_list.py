"""The list decoder: a refining search reads the nominal read-out's runners-up.

A window whose Viterbi read-out misses its payload by a few bit errors often has the
payload among the next few most likely messages; the keyed check picks it. The
runners-up are read on the read-outs the window's earlier searches left unused, so the
false-positive bound does not change: the unmarked twin uses them all and reads nothing.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage import data

from benchmarks.watermark_attacks import encode
from overlay.frames import BGRImage
from overlay.watermark import FORMAT_VERSION, Detector, Embedder, Payload
from overlay.watermark.clips import pan_zoom
from overlay.watermark.detect import READS
from overlay.watermark.ecc import decode, decode_list, decode_many
from overlay.watermark.ecc import encode as encode_bits
from overlay.watermark.layout import CODED_BITS, PUBLIC_KEY
from overlay.watermark.payload import PAYLOAD_BITS, pack, unpack

SIZE = (1280, 720)
#: A session whose 30-frame window after x264 at 300 kbit/s (one thread: the same
#: bitstream on any machine) is read by a runner-up only (found by scanning ids; the
#: window depends on the embedder's and the detector's exact arithmetic, so a change to
#: either can move it: scan again, checking the window is not read with ``_read_list``
#: disabled). Rescanned for format 3's code (2026-12-01): of 97 ids scanned 94 were read
#: by a search, 2 by a runner-up only, 1 not at all (format 2's code: 5 of 54 by a
#: runner-up only).
PAYLOAD = Payload(FORMAT_VERSION, True, "8c1a68cb")
SEARCHES = (1, 4, 15, 30)


@pytest.fixture(scope="module")
def plain() -> list[BGRImage]:
    photo = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    return list(pan_zoom(photo, SIZE, SEARCHES[-1], zoom=1.2, noise=1.0))


def _call(frames: list[BGRImage]) -> list[BGRImage]:
    options = {"preset": "veryfast", "tune": "zerolatency", "threads": "1"}
    return encode(frames, "libx264", size=(640, 360), options=options, bit_rate=300_000)[0]


def _window(frames: list[BGRImage], searches: tuple[int, ...]) -> tuple[Payload | None, Detector]:
    """Search ``frames`` at ``searches`` (frames read), refining at the last."""
    detector = Detector(searches=len(searches))
    for i, image in enumerate(frames, 1):
        detector.add(image)
        if i in searches:
            result = detector.detect(refine=i == searches[-1])
            if result.payload is not None:
                return result.payload, detector
    return None, detector


def test_a_runner_up_reads_the_window_its_best_read_out_misses(plain: list[BGRImage]) -> None:
    embedder = Embedder(PAYLOAD, SIZE)
    received = _call([embedder.apply(f.copy()) for f in plain])
    payload, detector = _window(received, SEARCHES)
    assert payload == PAYLOAD
    assert detector.reads <= READS * len(SEARCHES)
    # The same window searched once: no read-outs left over, no runners-up read.
    assert _window(received, (SEARCHES[-1],))[0] is None


def test_the_unmarked_twin_spends_the_spare_read_outs_and_reads_nothing(
    plain: list[BGRImage],
) -> None:
    payload, detector = _window(_call([f.copy() for f in plain]), SEARCHES)
    assert payload is None
    assert detector.reads == READS * len(SEARCHES)  # every read-out the bound counts


def test_the_list_starts_with_the_viterbi_message_and_is_ordered() -> None:
    rng = np.random.default_rng(7)
    for _ in range(20):
        soft = rng.normal(size=CODED_BITS) * rng.uniform(0.2, 3.0)
        found = decode_list(soft, PAYLOAD_BITS, 5)
        assert np.array_equal(found[0], decode(soft, PAYLOAD_BITS))
        assert len({m.tobytes() for m in found}) == 5
        metric = [float(((2.0 * encode_bits(m) - 1.0) * soft).sum()) for m in found]
        assert metric == sorted(metric, reverse=True)


def test_a_noisy_codeword_is_in_the_list_when_viterbi_misses_it() -> None:
    bits = pack(PAYLOAD, PUBLIC_KEY)
    clean = 2.0 * encode_bits(bits) - 1.0
    rng = np.random.default_rng(0)
    for _ in range(500):
        soft = clean + rng.normal(scale=1.8, size=CODED_BITS)
        if unpack(decode(soft, PAYLOAD_BITS), PUBLIC_KEY) is not None:
            continue
        listed = [unpack(m, PUBLIC_KEY) for m in decode_list(soft, PAYLOAD_BITS, 8)]
        if PAYLOAD in listed:
            return
    pytest.fail("no noisy codeword in 500 that Viterbi missed was in the list of 8")


def test_noise_gives_no_message_that_passes_the_check() -> None:
    rng = np.random.default_rng(1)
    for _ in range(20):
        soft = rng.normal(size=CODED_BITS)
        assert all(unpack(m, PUBLIC_KEY) is None for m in decode_list(soft, PAYLOAD_BITS, 8))


def _metric(message: np.ndarray, soft: np.ndarray) -> float:
    return float(((2.0 * encode_bits(message) - 1.0) * soft).sum())


def test_rows_decoded_together_are_each_rows_own_best_message() -> None:
    rng = np.random.default_rng(3)
    sent = rng.integers(0, 2, size=(4, PAYLOAD_BITS)).astype(np.uint8)
    soft = np.stack([2.0 * encode_bits(m) - 1.0 for m in sent])
    soft += rng.normal(scale=0.5, size=soft.shape)
    assert np.array_equal(decode_many(soft, PAYLOAD_BITS), sent)
    assert np.array_equal(decode_many(soft[::-1], PAYLOAD_BITS), sent[::-1])
    noise = rng.normal(size=(5, CODED_BITS))
    found = decode_many(noise, PAYLOAD_BITS)
    for i, row in enumerate(noise):
        # Each row's message is the most likely for that row, whatever the others hold.
        assert np.array_equal(found[i], decode(row, PAYLOAD_BITS))
        assert all(_metric(found[i], row) >= _metric(other, row) for other in found)


def test_a_row_decoded_together_does_not_take_another_rows_message() -> None:
    rng = np.random.default_rng(4)
    sent = rng.integers(0, 2, size=(2, PAYLOAD_BITS)).astype(np.uint8)
    soft = np.stack([2.0 * encode_bits(m) - 1.0 for m in sent])
    found = decode_many(np.stack([soft[0], -soft[0]]), PAYLOAD_BITS)
    assert np.array_equal(found[0], sent[0])
    assert not np.array_equal(found[1], sent[0])  # the negated row is not the first's
    assert not np.array_equal(decode_many(soft[1:], PAYLOAD_BITS)[0], sent[0])
