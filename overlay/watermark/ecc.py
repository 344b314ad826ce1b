"""Error correction: the K=7, rate-1/2 convolutional code (171, 133 octal) with soft Viterbi.

Soft values are decoded as log-likelihood-like numbers (positive means bit 1); a coded
bit without a chip is an erasure (0).
"""

from __future__ import annotations

import functools

import numpy as np
import numpy.typing as npt

__all__ = ["TAIL", "coded_length", "decode", "encode"]

K = 7
TAIL = K - 1
_G = (0o171, 0o133)
_STATES = 1 << (K - 1)


def coded_length(bits: int) -> int:
    """Coded bits for ``bits`` information bits (with the zero tail)."""
    return 2 * (bits + TAIL)


def _parity(x: int) -> int:
    return bin(x).count("1") & 1


@functools.lru_cache(maxsize=1)
def _trellis() -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """next_state[state, u] and the ±1 outputs[state, u, 2]."""
    nxt = np.zeros((_STATES, 2), np.int64)
    out = np.zeros((_STATES, 2, 2), np.float64)
    for s in range(_STATES):
        for u in (0, 1):
            full = (u << (K - 1)) | s
            nxt[s, u] = full >> 1
            for j, g in enumerate(_G):
                out[s, u, j] = 2.0 * _parity(full & g) - 1.0
    return nxt, out


def encode(bits: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """The coded bits (0/1) of ``bits`` followed by a zero tail."""
    nxt, out = _trellis()
    state = 0
    coded: list[int] = []
    for u in [*bits.tolist(), *([0] * TAIL)]:
        coded.extend(int(v > 0) for v in out[state, int(u)])
        state = int(nxt[state, int(u)])
    return np.array(coded, np.uint8)


def decode(soft: npt.NDArray[np.float64], bits: int) -> npt.NDArray[np.uint8]:
    """The most likely ``bits`` information bits for soft coded values (zero tail assumed)."""
    nxt, out = _trellis()
    steps = bits + TAIL
    pairs = np.zeros((steps, 2))
    flat = soft[: 2 * steps]
    pairs.reshape(-1)[: flat.size] = flat
    metric = np.full(_STATES, -np.inf)
    metric[0] = 0.0
    back = np.zeros((steps, _STATES), np.int64)  # predecessor * 2 + input, per next state
    src = np.repeat(np.arange(_STATES), 2)
    inputs = np.tile([0, 1], _STATES)
    dest = nxt[src, inputs]
    for t in range(steps):
        gain = out[src, inputs] @ pairs[t]
        cand = metric[src] + gain
        if t >= bits:  # the tail: only input 0
            cand = np.where(inputs == 0, cand, -np.inf)
        new = np.full(_STATES, -np.inf)
        choice = np.zeros(_STATES, np.int64)
        order = np.argsort(cand, kind="stable")  # later (larger) writes win
        new[dest[order]] = cand[order]
        choice[dest[order]] = (src[order] << 1) | inputs[order]
        metric = new
        back[t] = choice
    state = 0
    decoded = np.zeros(steps, np.uint8)
    for t in range(steps - 1, -1, -1):
        c = back[t, state]
        decoded[t] = c & 1
        state = int(c >> 1)
    return decoded[:bits]
