"""Payload bits, the sealed session id, the keyed check and the convolutional code."""

from __future__ import annotations

import numpy as np
import pytest

from overlay.watermark import PUBLIC_KEY, Payload, ecc, open_session_id, seal_session_id
from overlay.watermark.payload import PAYLOAD_BITS, pack, unpack

KEY = bytes(range(32))


@pytest.mark.parametrize("sid", ["00000000", "1a2b3c4d", "ffffffff", "deadbeef"])
def test_sealed_id_opens_with_the_installation_key(sid: str) -> None:
    sealed = seal_session_id(sid, KEY)
    assert len(sealed) == 8
    assert open_session_id(sealed, KEY) == sid


def test_sealed_id_does_not_open_with_another_key() -> None:
    sealed = seal_session_id("1a2b3c4d", KEY)
    assert sealed != "1a2b3c4d"
    assert open_session_id(sealed, bytes(32)) != "1a2b3c4d"


def test_sealing_is_a_permutation_on_a_sample() -> None:
    ids = [f"{i:08x}" for i in range(0, 2**32, 2**32 // 4096)]
    assert len({seal_session_id(s, KEY) for s in ids}) == len(ids)


def test_pack_unpack_round_trip() -> None:
    payload = Payload(1, True, "0badcafe")
    bits = pack(payload, PUBLIC_KEY)
    assert bits.shape == (PAYLOAD_BITS,)
    assert unpack(bits, PUBLIC_KEY) == payload


@pytest.mark.parametrize("flip", [0, 3, 20, 40, PAYLOAD_BITS - 1])
def test_check_rejects_a_flipped_bit(flip: int) -> None:
    bits = pack(Payload(1, True, "0badcafe"), PUBLIC_KEY)
    bits[flip] ^= 1
    assert unpack(bits, PUBLIC_KEY) is None


def test_check_is_keyed() -> None:
    bits = pack(Payload(1, True, "0badcafe"), PUBLIC_KEY)
    assert unpack(bits, bytes(32)) is None


def test_code_corrects_noisy_soft_bits() -> None:
    rng = np.random.default_rng(1)
    bits = rng.integers(0, 2, PAYLOAD_BITS).astype(np.uint8)
    coded = ecc.encode(bits)
    soft = (2.0 * coded - 1.0) * 1.5 + rng.normal(0.0, 1.0, coded.size)
    assert (soft * (2.0 * coded - 1.0) < 0).sum() > 5  # there were errors to correct
    assert np.array_equal(ecc.decode(soft, PAYLOAD_BITS), bits)


def test_random_soft_bits_never_pass_the_check() -> None:
    rng = np.random.default_rng(2)
    n = ecc.coded_length(PAYLOAD_BITS)
    passed = sum(
        unpack(ecc.decode(rng.normal(size=n), PAYLOAD_BITS), PUBLIC_KEY) is not None
        for _ in range(300)
    )
    assert passed == 0


def _distance_spectrum(generators: tuple[int, ...], k: int) -> tuple[int, int]:
    """(free distance, paths at it) of a rate-1/n convolutional code: the weights of
    the paths that leave the zero state and first return to it (a dynamic program over
    states and weights; no zero-weight cycle, so the search ends)."""
    states = 1 << (k - 1)
    weight = [sum(bin(f & g).count("1") & 1 for g in generators) for f in range(1 << k)]
    limit = 12 * len(generators)
    count = np.zeros((states, limit + 1))
    start = 1 << (k - 1)  # input 1 from the zero state
    count[start >> 1, weight[start]] = 1
    returned = np.zeros(limit + 1)
    while count.any():
        moved = np.zeros_like(count)
        for s in np.nonzero(count.any(axis=1))[0]:
            for u in (0, 1):
                f = (u << (k - 1)) | int(s)
                w = weight[f]
                moved[f >> 1, w:] += count[s, : limit + 1 - w]
        returned += moved[0]
        moved[0] = 0
        count = moved
    free = int(np.nonzero(returned)[0][0])
    return free, int(returned[free])


def test_the_code_has_the_free_distance_its_docs_claim() -> None:
    assert ecc.coded_length(PAYLOAD_BITS) == 498  # fills the 504 blocks of 16:9 once
    assert _distance_spectrum(ecc.GENERATORS, ecc.K) == (42, 1)


def test_format_2s_code_repeated_three_times_had_a_smaller_free_distance() -> None:
    # The twin: the code format 2 sent three times over the same blocks.
    assert _distance_spectrum((0o171, 0o133) * 3, 7) == (30, 11)
