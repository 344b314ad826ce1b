"""Detection: accumulate frames, search chip size and tile offset, read the payload.

Frames are turned into grey and averaged at a working size (the mark is the same in
every frame, the content is not). A search then tries every chip size on a geometric
grid: the average is resized so that a chip is ``Q`` pixels, high-passed, clipped, and
folded modulo the tile (``TILE * Q`` pixels) so that every visible tile adds up; one
FFT correlates the folded tile with the sync template at all ``(TILE * Q) ** 2``
offsets. The best offset's data chips give soft bits; the payload counts only if its
keyed check passes.

False positives: for a fixed picture and a random ±1 template, the normalised score
``z = sum(t_c Y_c) / sqrt(sum(Y_c ** 2))`` is sub-Gaussian (Hoeffding), so one
hypothesis reaches ``z`` with probability at most ``exp(-z**2 / 2)``. Summing over every
chip size and offset tried (a union bound) and multiplying by the check's 2**-24 gives
the reported bound.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import cast

import cv2
import numpy as np
import numpy.typing as npt

from benchmarks.wm_v1.layout import (
    CHIPS_PER_HEIGHT,
    CODED_BITS,
    F32,
    PUBLIC_KEY,
    TILE,
    Q,
    get_layout,
    whiten,
)
from benchmarks.wm_v1.payload import CHECK_BITS, PAYLOAD_BITS, Payload, unpack
from overlay.frames import BGRImage
from overlay.watermark.ecc import decode

__all__ = ["Detection", "Detector", "threshold_for"]

PERIOD = TILE * Q
#: Scale step of the chip-size grid (a 2 % error drifts < 1/8 chip over 4 tiles).
SCALE_STEP = 1.02
#: Chip sizes relative to height / CHIPS_PER_HEIGHT in the narrow search: letterboxing
#: makes chips smaller, crops (height lost) make them larger.
NARROW = (0.8, 1.3)
#: Smallest chip (working pixels) the wide search tries (a tile pasted small in a canvas).
MIN_CHIP = 4.0
#: The narrow search averages frames at a size where a nominal chip is this many pixels
#: (every chip size it tries is then a mild downscale to Q); the wide search keeps up to
#: WORK_HEIGHT_WIDE rows, as a pasted picture's chips are small.
WORK_CHIP = Q / NARROW[0]
WORK_HEIGHT_WIDE = 1080


@dataclass(frozen=True, slots=True)
class Detection:
    """One search's result.

    Attributes:
        detected: a payload was read and its check passed with a score above threshold.
        payload: the payload read (None unless ``detected``).
        score: the sync correlation z-score of the best hypothesis.
        false_positive_bound: the probability that unmarked content scores this high
            and passes the check under any hypothesis searched (1.0 if not detected).
        hypotheses: the number of (chip size, offset) hypotheses searched.
        chip: the chip size found, in pixels of the input frames.
        offset: the tile origin found (x, y), in pixels of the input frames.
        frames: the frames averaged.
    """

    detected: bool
    payload: Payload | None
    score: float
    false_positive_bound: float
    hypotheses: int
    chip: float
    offset: tuple[float, float]
    frames: int


def threshold_for(hypotheses: int, bound: float = 1e-9) -> float:
    """The z-score at which ``hypotheses`` searches with a passing check reach ``bound``."""
    log_p = math.log(bound) + CHECK_BITS * math.log(2) - math.log(hypotheses)
    return math.sqrt(max(0.0, -2.0 * log_p))


def fp_bound(z: float, hypotheses: int) -> float:
    """Union bound on unmarked content scoring ``z`` and passing the check."""
    log_p = math.log(hypotheses) - z * z / 2 - CHECK_BITS * math.log(2)
    return min(1.0, math.exp(min(0.0, log_p)))


def _dilated(tile: F32) -> F32:
    """A PERIOD x PERIOD plane with the tile's values at chip origins (multiples of Q)."""
    out = np.zeros((PERIOD, PERIOD), np.float32)
    out[::Q, ::Q] = tile
    return out


class _Kernels:
    def __init__(self, public_key: bytes) -> None:
        layout = get_layout(public_key)
        box = np.zeros((PERIOD, PERIOD), np.float32)
        box[:Q, :Q] = 1.0
        self.box_f = np.conj(np.fft.rfft2(box))
        self.sync_f = np.conj(np.fft.rfft2(_dilated(layout.sync)))
        self.mask_f = np.conj(np.fft.rfft2(_dilated((layout.sync != 0).astype(np.float32))))
        self.layout = layout
        self.data = layout.data_bit >= 0


class Detector:
    """Accumulates frames of one video (or one image) and searches them for the mark.

    Args:
        public_key: the detection key.
        wide: also search small chip sizes (a frame scaled down and pasted into a larger
            canvas, e.g. a screen recording of a call tile). More hypotheses, so a
            slightly higher threshold and more time.
        bound: the false-positive bound a detection must reach per search.
        searches: how many searches the caller makes per window (the union bound
            counts them): the threshold is set for ``bound`` per window.
    """

    def __init__(
        self,
        public_key: bytes = PUBLIC_KEY,
        *,
        wide: bool = False,
        bound: float = 1e-9,
        searches: int = 1,
    ) -> None:
        self.public_key = public_key
        self.wide = wide
        self.bound = bound
        self.searches = searches
        self._k = _Kernels(public_key)
        self._acc: F32 | None = None
        self._size: tuple[int, int] | None = None
        self._scale = 1.0
        self.frames = 0
        #: The soft payload bits of the last read (for measurements).
        self.last_soft: npt.NDArray[np.float64] | None = None

    def reset(self) -> None:
        """Forget the accumulated frames."""
        self._acc = None
        self.frames = 0

    def add(self, image: BGRImage) -> None:
        """Add one BGR frame (all frames of a window must have the same size)."""
        h, w = image.shape[:2]
        if self._size != (w, h):
            self._size = (w, h)
            if self.wide:
                self._scale = min(1.0, WORK_HEIGHT_WIDE / h)
            else:
                self._scale = min(1.0, WORK_CHIP * CHIPS_PER_HEIGHT / h)
            self._acc = None
        grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        if self._scale < 1.0:
            size = (max(1, round(w * self._scale)), max(1, round(h * self._scale)))
            grey = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
        if self._acc is None:
            self._acc = np.zeros(grey.shape, np.float32)
            self.frames = 0
        cv2.accumulate(grey, self._acc)
        self.frames += 1

    def chip_sizes(self) -> list[float]:
        """The chip sizes (working pixels) the search tries."""
        if self._acc is None:
            return []
        nominal = self._acc.shape[0] / CHIPS_PER_HEIGHT
        low = MIN_CHIP if self.wide else nominal * NARROW[0]
        high = nominal * NARROW[1]
        # The grid runs through the nominal size (no crop, no letterbox: the usual case)
        # and is tried from there outwards, so a marked picture is usually found first go.
        k0 = math.floor(math.log(low / nominal) / math.log(SCALE_STEP))
        k1 = math.ceil(math.log(high / nominal) / math.log(SCALE_STEP))
        steps = sorted(range(k0, k1 + 1), key=abs)
        return [nominal * SCALE_STEP**k for k in steps]

    def hypotheses(self) -> int:
        return len(self.chip_sizes()) * PERIOD * PERIOD * self.searches

    def detect(self) -> Detection:
        """Search the frames added so far."""
        if self._acc is None or self.frames == 0:
            return Detection(False, None, 0.0, 1.0, 0, 0.0, (0.0, 0.0), 0)
        mean = self._acc * (1.0 / self.frames)
        hyp = self.hypotheses()
        threshold = threshold_for(hyp, self.bound)
        best: tuple[float, float, int, int] | None = None
        payload = None
        # Stopping at the first hypothesis that passes is sound: the threshold already
        # pays (union bound) for every hypothesis the full search would have tried.
        for chip in self.chip_sizes():
            found = self._search(mean, chip)
            if found is None:
                continue
            z, oy, ox, box = found
            if best is None or z > best[0]:
                best = (z, chip, oy, ox)
            if z >= threshold:
                payload = self._read(box, oy, ox)
                if payload is not None:
                    best = (z, chip, oy, ox)
                    break
        if best is None:
            return Detection(False, None, 0.0, 1.0, hyp, 0.0, (0.0, 0.0), self.frames)
        z, chip, oy, ox = best
        detected = payload is not None
        to_input = chip / Q / self._scale
        return Detection(
            detected,
            payload,
            z,
            fp_bound(z, hyp) if detected else 1.0,
            hyp,
            chip / self._scale,
            (ox * to_input, oy * to_input),
            self.frames,
        )

    def _search(self, mean: F32, chip: float) -> tuple[float, int, int, F32] | None:
        r = Q / chip
        h, w = mean.shape
        size = (round(w * r), round(h * r))
        if size[0] < Q * 4 or size[1] < Q * 4:
            return None
        interp = cv2.INTER_AREA if r < 0.5 else cv2.INTER_LINEAR
        img = cast(F32, cv2.resize(mean, size, interpolation=interp))
        hp = whiten(img)[0]
        ph = -(-size[1] // PERIOD) * PERIOD
        pw = -(-size[0] // PERIOD) * PERIOD
        padded = np.zeros((ph, pw), np.float32)
        padded[: size[1], : size[0]] = hp
        folded = padded.reshape(ph // PERIOD, PERIOD, pw // PERIOD, PERIOD).sum(axis=(0, 2))
        f = np.fft.rfft2(folded)
        k = self._k
        box_f = f * k.box_f
        corr = np.fft.irfft2(box_f * k.sync_f, s=folded.shape)
        box = np.fft.irfft2(box_f, s=folded.shape)
        energy = np.fft.irfft2(np.fft.rfft2(box * box) * k.mask_f, s=folded.shape)
        z = corr / np.sqrt(np.maximum(energy, 1e-9))
        idx = int(np.argmax(z))
        oy, ox = divmod(idx, PERIOD)
        return float(z.flat[idx]), oy, ox, padded

    def _read(self, padded: F32, oy: int, ox: int) -> Payload | None:
        """Read the payload at tile origin (oy, ox) of the whitened picture.

        Each tile's data chips are weighted by how clearly that tile shows the sync
        (its sync correlation over its energy: maximal-ratio combining), so tiles under
        the banner, the mark or a flat area count for little.
        """
        k = self._k
        rolled = np.roll(padded, (-oy, -ox), axis=(0, 1))
        ph, pw = rolled.shape
        chips = rolled.reshape(ph // Q, Q, pw // Q, Q).sum(axis=(1, 3), dtype=np.float64)
        tiles = chips.reshape(ph // PERIOD, TILE, pw // PERIOD, TILE).transpose(0, 2, 1, 3)
        tiles = tiles.reshape(-1, TILE, TILE)
        sync = k.layout.sync
        s = (tiles * sync).sum(axis=(1, 2))
        e = (tiles * tiles * (sync != 0)).sum(axis=(1, 2))
        weights = np.maximum(s, 0.0) / np.maximum(e, 1e-9)
        if not weights.any():
            weights = np.ones_like(weights)
        # Per-tile estimates are noisy when the mark is weak: shrink towards equal weights.
        weights = 0.5 * weights + 0.5 * float(weights.mean())
        combined = np.tensordot(weights, tiles, axes=1)
        soft = np.zeros(CODED_BITS)
        np.add.at(soft, k.layout.data_bit[k.data], (combined * k.layout.data_sign)[k.data])
        self.last_soft = soft
        bits = decode(soft, PAYLOAD_BITS)
        return unpack(bits, self.public_key)
