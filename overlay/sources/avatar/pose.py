"""The avatar's pose: what moves in one frame, the idle-and-talking animation, and the
pose read from a followed face (MediaPipe's blendshapes and head matrix)."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    pass

__all__ = ["AvatarPose", "IdleAnimation", "pose_from_reading", "still_pose"]


@dataclass(frozen=True, slots=True)
class AvatarPose:
    """Everything that moves, in one frame.

    Attributes:
        yaw: head turn in radians (> 0 towards the image's right).
        pitch: head tilt in radians (> 0 up).
        roll: head roll in radians (> 0 counter-clockwise).
        blink_left: 0 open to 1 closed, the avatar's left eye (the image's right).
        blink_right: the avatar's right eye (the image's left).
        brows: -1 frown to 1 raised.
        jaw: 0 closed to 1 wide open.
        smile: 0 neutral to 1 broad smile.
        gaze_x: eyes' direction, -1 image-left to 1 image-right.
        gaze_y: -1 down to 1 up.
    """

    yaw: float = 0.0
    pitch: float = 0.0
    roll: float = 0.0
    blink_left: float = 0.0
    blink_right: float = 0.0
    brows: float = 0.0
    jaw: float = 0.0
    smile: float = 0.0
    gaze_x: float = 0.0
    gaze_y: float = 0.0

    def mix(self, other: AvatarPose, k: float) -> AvatarPose:
        """``self`` moved a fraction ``k`` of the way to ``other``."""
        return AvatarPose(
            *(
                getattr(self, f.name) + (getattr(other, f.name) - getattr(self, f.name)) * k
                for f in fields(AvatarPose)
            )
        )


def _clip(v: float, lo: float = 0.0, hi: float = 1.0) -> float:
    return min(max(v, lo), hi)


def pose_from_reading(
    shapes: dict[str, float], yaw: float = 0.0, pitch: float = 0.0, roll: float = 0.0
) -> AvatarPose:
    """An avatar pose from MediaPipe blendshape scores and a head pose.

    The avatar is a puppet of the camera image, not a mirror: the subject's left eye
    (``eyeBlinkLeft``, on the image's right) closes the avatar's eye on the image's right.
    """

    def g(name: str) -> float:
        return shapes.get(name, 0.0)

    # Blendshape scores for blinks saturate early and rarely reach 1: stretch them.
    blink_l = _clip((g("eyeBlinkLeft") - 0.15) / 0.5)
    blink_r = _clip((g("eyeBlinkRight") - 0.15) / 0.5)
    up = max(g("browInnerUp"), (g("browOuterUpLeft") + g("browOuterUpRight")) / 2)
    down = (g("browDownLeft") + g("browDownRight")) / 2
    gaze_x = (
        g("eyeLookOutLeft") - g("eyeLookInLeft") + g("eyeLookInRight") - g("eyeLookOutRight")
    ) / 2
    gaze_y = (
        g("eyeLookUpLeft") + g("eyeLookUpRight") - g("eyeLookDownLeft") - g("eyeLookDownRight")
    ) / 2
    return AvatarPose(
        yaw=_clip(yaw, -0.7, 0.7),
        pitch=_clip(pitch, -0.5, 0.5),
        roll=_clip(roll, -0.6, 0.6),
        blink_left=blink_l,
        blink_right=blink_r,
        brows=_clip(1.6 * up - 1.2 * down, -1.0, 1.0),
        jaw=_clip(g("jawOpen") * 1.4),
        smile=_clip((g("mouthSmileLeft") + g("mouthSmileRight")) / 2 * 1.2),
        gaze_x=_clip(gaze_x * 1.5, -1.0, 1.0),
        gaze_y=_clip(gaze_y * 1.5, -1.0, 1.0),
    )


class IdleAnimation:
    """A deterministic, lively idle-and-talking animation: ``pose(t)`` for t in seconds.

    Talking comes in phrases of 1.5-4 s with pauses of 0.6-2 s; syllables open the jaw
    four to six times a second; brows lift at phrase starts; blinks every 2-6 s (some
    double); glances every 1-3 s; the smile drifts slowly.
    """

    def __init__(self, seed: int = 7) -> None:
        # one generator per stream: the events do not depend on how far ahead was asked
        self._rp, self._rb, self._rg = (
            np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3)
        )
        self._phrases: list[tuple[float, float]] = []  # (start, end)
        self._blinks: list[float] = []
        self._glances: list[tuple[float, float, float]] = []  # (start, x, y)
        self._until = 0.0
        self._extend(30.0)

    def _extend(self, t: float) -> None:
        rng = self._rp
        while self._until < t + 5.0:
            start = self._until + float(rng.uniform(0.6, 2.0))
            end = start + float(rng.uniform(1.5, 4.0))
            self._phrases.append((start, end))
            self._until = end
        rng = self._rb
        last = self._blinks[-1] if self._blinks else 0.5
        while last < t + 5.0:
            last += float(rng.uniform(2.0, 6.0))
            self._blinks.append(last)
            if rng.random() < 0.2:
                self._blinks.append(last + 0.32)
                last += 0.32
        rng = self._rg
        g_last = self._glances[-1][0] if self._glances else 0.0
        while g_last < t + 5.0:
            g_last += float(rng.uniform(1.0, 3.0))
            self._glances.append(
                (g_last, float(rng.uniform(-0.7, 0.7)), float(rng.uniform(-0.4, 0.4)))
            )

    def _prune(self, t: float) -> None:
        # A long session must not scan hours of past events every frame.
        old = t - 5.0
        while len(self._phrases) > 1 and self._phrases[0][1] < old:
            self._phrases.pop(0)
        while len(self._blinks) > 1 and self._blinks[0] < old:
            self._blinks.pop(0)
        while len(self._glances) > 1 and self._glances[1][0] < old:
            self._glances.pop(0)

    def pose(self, t: float) -> AvatarPose:
        """The pose at ``t`` seconds (times may go back up to 5 s, not further)."""
        self._extend(t)
        self._prune(t)
        # Talking: which phrase (if any), and where in it.
        talk = 0.0
        since_start = 99.0
        for start, end in self._phrases:
            if start - 0.15 <= t <= end + 0.15:
                # fade in and out over 0.15 s so the mouth does not snap
                talk = _clip(min(t - start + 0.15, end + 0.15 - t) / 0.3)
                since_start = t - start
                break
            if start > t:
                break
        syll = 0.5 + 0.5 * math.sin(2 * math.pi * 4.6 * t + 1.3 * math.sin(2 * math.pi * 0.7 * t))
        syll *= 0.65 + 0.35 * math.sin(2 * math.pi * 1.9 * t + 0.4) ** 2
        jaw = talk * (0.08 + 0.62 * syll**1.5)
        # Blinks: 0.16 s, closing faster than opening.
        blink = 0.0
        for b in self._blinks:
            if b - 0.06 <= t <= b + 0.12:
                blink = (t - b + 0.06) / 0.06 if t < b else 1.0 - (t - b) / 0.12
                break
            if b > t:
                break
        # Glances: ease towards the latest target.
        gx = gy = 0.0
        for start, x, y in self._glances:
            if start > t:
                break
            k = _clip((t - start) / 0.08)
            gx, gy = gx + (x - gx) * k, gy + (y - gy) * k
        brow_bump = math.exp(-((since_start - 0.25) ** 2) / 0.06) if since_start < 2 else 0.0
        smile = (
            0.35 + 0.3 * math.sin(2 * math.pi * t / 7.3) + 0.15 * math.sin(2 * math.pi * t / 2.9)
        )
        nod = talk * 0.05 * math.sin(2 * math.pi * 2.3 * t)
        return AvatarPose(
            yaw=0.22 * math.sin(2 * math.pi * t / 6.1) + 0.08 * math.sin(2 * math.pi * t / 2.3 + 1),
            pitch=0.07 * math.sin(2 * math.pi * t / 4.7 + 2) + nod,
            roll=0.07 * math.sin(2 * math.pi * t / 8.3 + 0.5),
            blink_left=_clip(blink),
            blink_right=_clip(blink),
            brows=_clip(0.15 * math.sin(2 * math.pi * t / 5.3) + 0.7 * brow_bump, -1, 1),
            jaw=_clip(jaw),
            smile=_clip(smile * (1.0 - 0.5 * talk)),
            gaze_x=gx,
            gaze_y=gy,
        )


def still_pose(**changes: float) -> AvatarPose:
    """A neutral pose with ``changes`` (tests and demonstrations)."""
    return replace(AvatarPose(), **changes)
