"""Error correction: a K=11, rate-1/6 convolutional code with soft Viterbi (format 3).

The code's six generators give a free distance of 42 with a single path at that
distance; its 498 coded bits fill a 16:9 frame's 504 blocks once. Format 2 repeated the
158 bits of the K=7, rate-1/2 code (171, 133 octal) three times over the same blocks: a
free distance of 3 x 10 = 30 with eleven paths. On the per-block values measured after
real calls, pastes and x264 CRF 35, the longer code reads the weak windows about twice
as often (``docs/watermark.md``). The generators were drawn at random with both end taps
set and kept for the largest free distance and the fewest paths at it
(``tests/watermark/test_watermark_payload.py`` measures both).

Soft values are decoded as log-likelihood-like numbers (positive means bit 1); a coded
bit without a chip is an erasure (0). :func:`decode` gives the most likely message;
:func:`decode_list` the few most likely, best first (a list Viterbi decoder: the
message's keyed check picks among them, each candidate counting as one read-out in the
detector's false-positive bound).
"""

from __future__ import annotations

import functools
from typing import cast

import numpy as np
import numpy.typing as npt

__all__ = [
    "GENERATORS",
    "RATE",
    "TAIL",
    "K",
    "coded_length",
    "decode",
    "decode_list",
    "decode_many",
    "encode",
]

#: Constraint length: each coded bit depends on the input bit and the K - 1 before it.
K = 11
#: The generators (taps, octal; the highest tap is the newest input bit): one coded
#: bit each per input bit.
GENERATORS = (0o2227, 0o2331, 0o2475, 0o2575, 0o3267, 0o3703)
#: Coded bits per input bit.
RATE = len(GENERATORS)
TAIL = K - 1
_STATES = 1 << (K - 1)
_HALF = _STATES // 2


def coded_length(bits: int) -> int:
    """Coded bits for ``bits`` information bits (with the zero tail)."""
    return RATE * (bits + TAIL)


def _parity(x: int) -> int:
    return bin(x).count("1") & 1


@functools.lru_cache(maxsize=1)
def _trellis() -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """next_state[state, u] and the ±1 outputs[state, u, RATE]."""
    nxt = np.zeros((_STATES, 2), np.int64)
    out = np.zeros((_STATES, 2, RATE), np.float64)
    for s in range(_STATES):
        for u in (0, 1):
            full = (u << (K - 1)) | s
            nxt[s, u] = full >> 1
            for j, g in enumerate(GENERATORS):
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
    """The most likely ``bits`` information bits for soft coded values (zero tail assumed).

    Next state ``n`` (input bit ``n >> (K - 2)``) has two predecessors,
    ``2 (n mod 2**(K - 2))`` and that plus one; on a tie the second wins.
    """
    message: npt.NDArray[np.uint8] = decode_many(soft[None], bits)[0]
    return message


def decode_many(soft: npt.NDArray[np.float64], bits: int) -> npt.NDArray[np.uint8]:
    """:func:`decode` of each row of ``soft`` (n, coded), as (n, bits): the same
    messages, the trellis steps shared by the rows (a step's cost is mostly numpy's
    per-call overhead, so a few rows cost about as much as one)."""
    n = soft.shape[0]
    steps = bits + TAIL
    gains = _gains(soft, bits)
    metric = np.full((n, _HALF, 2), -np.inf)
    metric[:, 0, 0] = 0.0
    second = np.zeros((steps, n, 2, _HALF), np.bool_)  # the odd predecessor won
    cand = np.empty((n, 2, _HALF, 2))
    for t in range(steps):
        np.add(metric[:, None], gains[:, t], out=cand)
        np.greater_equal(cand[..., 1], cand[..., 0], out=second[t])
        metric = np.maximum(cand[..., 1], cand[..., 0]).reshape(n, _HALF, 2)
    back = second.reshape(steps, n, _STATES).transpose(1, 0, 2)
    decoded = np.zeros((n, steps), np.uint8)
    for row in range(n):
        won = back[row]
        state = 0
        for t in range(steps - 1, -1, -1):
            decoded[row, t] = state >> (K - 2)
            state = 2 * (state % _HALF) + int(won[t, state])
    return decoded[:, :bits]


def _gains(soft: npt.NDArray[np.float64], bits: int) -> npt.NDArray[np.float64]:
    """Branch gains[row, t, input, j, parity] of each row of ``soft`` (n, coded): into
    next state ``(input << (K - 2)) | j`` from predecessor ``2 j + parity`` (the tail
    allows input 0 only)."""
    _, out = _trellis()
    steps = bits + TAIL
    n = soft.shape[0]
    groups = np.zeros((n, steps, RATE))
    flat = soft[:, : RATE * steps]
    groups.reshape(n, -1)[:, : flat.shape[1]] = flat
    gains = np.einsum("sij,ntj->ntis", out, groups).reshape(n, steps, 2, _HALF, 2)
    gains[:, bits:, 1] = -np.inf
    return cast(npt.NDArray[np.float64], gains)


def decode_list(soft: npt.NDArray[np.float64], bits: int, size: int) -> list[npt.NDArray[np.uint8]]:
    """The ``size`` most likely messages (distinct paths ending in the zero state), best
    first: a parallel list Viterbi decoder (Seshadri and Sundberg), which keeps the
    ``size`` best paths into every state. The first is :func:`decode`'s message (which
    is faster: use it for one)."""
    gains = _gains(soft[None], bits)[0]
    steps = bits + TAIL
    metric = np.full((_STATES, size), -np.inf)
    metric[0, 0] = 0.0
    state = np.arange(_STATES)
    low, high = state % _HALF, state // _HALF
    pred = np.stack([2 * low, 2 * low + 1], axis=1)  # (next state, parity)
    came = np.zeros((steps, _STATES, size), np.int64)  # parity * size + rank
    into = gains[:, high, low][..., None]  # (step, next state, parity, 1)
    for t in range(steps):
        cand = (metric[pred] + into[t]).reshape(_STATES, 2 * size)
        order = np.argsort(-cand, axis=1, kind="stable")[:, :size]
        metric = np.take_along_axis(cand, order, axis=1)
        came[t] = order
    paths = []
    for rank in range(size):
        if not np.isfinite(metric[0, rank]):
            break
        at, r = 0, rank
        decoded = np.zeros(steps, np.uint8)
        for t in range(steps - 1, -1, -1):
            decoded[t] = at // _HALF
            parity, r = divmod(int(came[t, at, r]), size)
            at = 2 * (at % _HALF) + parity
        paths.append(decoded[:bits])
    return paths
