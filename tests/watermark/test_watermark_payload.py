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
