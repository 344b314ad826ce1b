"""Face tracks between detections: an adaptive alpha-beta filter with constant-velocity prediction.

Detections arrive every few frames (and, when asynchronous, a few frames late, stamped
with the time of the frame they were made on). Each track keeps a state at the time of its
last detection and predicts forward to any frame's time, so the tag moves every frame.

Jitter and lag pull against each other; like the One-Euro filter, the gain adapts to
motion: a small residual (a still face, detector noise) is mostly ignored, a large one (the
face moved) is taken almost whole and also corrects the velocity.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

__all__ = ["Box", "FaceTracker", "Track"]

#: (x0, y0, x1, y1) in frame pixels.
Box = tuple[float, float, float, float]
_Vec = npt.NDArray[np.float64]


def _to_state(box: Box) -> _Vec:
    x0, y0, x1, y1 = box
    return np.array([(x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0], np.float64)


def _to_box(s: _Vec) -> Box:
    cx, cy, w, h = (float(v) for v in s)
    return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


def _inside(s: _Vec, region: tuple[int, int, int] | None) -> bool:
    if region is None:
        return True
    x, y, side = region
    return bool(x <= s[0] < x + side and y <= s[1] < y + side)


def _box_inside(s: _Vec, region: tuple[int, int, int] | None) -> bool:
    if region is None:
        return True
    x, y, side = region
    w, h = s[2] / 2, s[3] / 2
    return bool(x <= s[0] - w and s[0] + w <= x + side and y <= s[1] - h and s[1] + h <= y + side)


def _square(s: _Vec) -> tuple[int, int, int]:
    side = float(max(s[2], s[3]))
    return (round(s[0] - side / 2), round(s[1] - side / 2), round(side))


@dataclass(slots=True)
class Track:
    """One face followed over time.

    Attributes:
        id: a number unique within the tracker.
        state: (cx, cy, w, h) at ``t``, the time of the last detection used.
        velocity: d(state)/dt in pixels per second.
        t: the time of the last detection used (seconds).
        misses: detection rounds in a row that did not see it.
    """

    id: int
    state: _Vec
    t: float
    velocity: _Vec = field(default_factory=lambda: np.zeros(4, np.float64))
    misses: int = 0

    def predict(self, t: float, horizon: float) -> _Vec:
        dt = min(max(t - self.t, 0.0), horizon) if self.misses == 0 else 0.0
        return self.state + self.velocity * dt


class FaceTracker:
    """Follows faces between detections.

    Args:
        gain_still: share of the residual taken when it is small (noise).
        gain_moving: share taken when the residual is ``moving_residual`` of the face size.
        moving_residual: residual (fraction of the face height) that counts as motion.
        max_misses: detection rounds a track survives unseen (it holds still meanwhile).
        horizon: seconds a track is extrapolated past its last detection at most.
    """

    def __init__(
        self,
        *,
        gain_still: float = 0.35,
        gain_moving: float = 0.95,
        moving_residual: float = 0.12,
        max_misses: int = 2,
        horizon: float = 0.3,
    ) -> None:
        self.gain_still = gain_still
        self.gain_moving = gain_moving
        self.moving_residual = moving_residual
        self.max_misses = max_misses
        self.horizon = horizon
        self.tracks: list[Track] = []
        self._next_id = 0

    def update(
        self,
        t: float,
        detections: Sequence[Box],
        region: tuple[int, int, int] | None = None,
        *,
        scan: bool = False,
    ) -> None:
        """Take the detections made on the frame of time ``t``.

        Args:
            t: the time of the frame the detector looked at.
            detections: face boxes found.
            region: (x, y, side) of the square the detector looked at; tracks whose
                centre is outside it are neither confirmed nor counted as missed.
            scan: the detections come from a search for new faces (a tile of the frame,
                which may cut a face in two): they only start tracks, away from the others.
        """
        if scan:  # a tile may cut a face: only faces wholly inside it are compared
            eligible = [k for k in self.tracks if _box_inside(k.predict(t, self.horizon), region)]
        else:
            eligible = [k for k in self.tracks if _inside(k.predict(t, self.horizon), region)]
        unmatched = list(eligible)
        matched: list[Track] = []
        for det in sorted(detections, key=lambda b: -(b[2] - b[0]) * (b[3] - b[1])):
            z = _to_state(det)
            best: Track | None = None
            best_d = math.inf
            for track in unmatched:
                p = track.predict(t, self.horizon)
                d = math.hypot(p[0] - z[0], p[1] - z[1])
                # a region is cut around one face: what it finds there is that face
                reach = 0.75 if scan or region is None else 1.5
                if d < reach * max(p[2], p[3], z[2], z[3]) and d < best_d:
                    best, best_d = track, d
            if best is None:
                if not any(_inside(z, _square(k.predict(t, self.horizon))) for k in self.tracks):
                    self.tracks.append(Track(self._next_id, z, t))  # not a duplicate: new
                    self._next_id += 1
                continue
            unmatched.remove(best)
            matched.append(best)
            # A scan sees the face at a third of the resolution: trust it only for big misses.
            if not scan or best_d > self.moving_residual * float(z[3]):
                self._correct(best, t, z)
        for track in [] if scan else unmatched:  # a scan at low resolution may miss a face
            track.misses += 1
            if track.misses == 1:  # freeze where it was predicted to be, then hold
                track.state = track.predict(t, self.horizon)
                track.velocity[:] = 0.0
                track.t = t
        self.tracks = [k for k in self.tracks if k.misses <= self.max_misses]

    def _correct(self, track: Track, t: float, z: _Vec) -> None:
        dt = t - track.t
        if dt <= 0:  # an older or repeated frame: take it as a plain measurement
            track.state = 0.5 * (track.state + z)
            track.misses = 0
            return
        p = track.predict(t, self.horizon) if track.misses == 0 else track.state
        r = z - p
        size = max(z[3], 1.0)
        motion = min(1.0, math.hypot(r[0], r[1]) / (self.moving_residual * size))
        g = self.gain_still + (self.gain_moving - self.gain_still) * motion
        h = g * g / (2.0 - g)  # critically damped alpha-beta pair
        track.state = p + g * r
        base = track.velocity if track.misses == 0 else np.zeros(4, np.float64)
        track.velocity = base + h * r / dt
        track.t = t
        track.misses = 0

    def boxes(self, t: float) -> list[Box]:
        """Every track's box predicted at time ``t``."""
        return [_to_box(k.predict(t, self.horizon)) for k in self.tracks]
