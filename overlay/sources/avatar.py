"""``avatar[:SOURCE]``: a synthetic 2D character rendered by overlay itself.

With no argument it plays an idle-and-talking animation (head sway, blinks, glances,
speech-like mouth movement, brows and smiles), the same on every run. With a source
(``avatar:webcam:0``, ``avatar:file:me.mp4``) it follows the face in that source through
MediaPipe's FaceLandmarker: blendshapes drive the eyes, brows and mouth, the facial
transformation matrix the head pose. Its pixels are always ``origin = "synthetic"``.

Everything is drawn with OpenCV's anti-aliased polygons at sub-pixel precision on a
backdrop rendered once, so a 720p frame costs a few milliseconds.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING

import cv2
import numpy as np
import numpy.typing as npt

from overlay.errors import ConfigError
from overlay.frames import BGRImage, as_bgr
from overlay.images import read_image
from overlay.sources.base import BaseSource, FrameSource, SourceOptions

if TYPE_CHECKING:
    from overlay.faces.landmarker import FaceLandmarker, FaceReading

__all__ = ["AvatarPose", "AvatarRenderer", "AvatarSource", "IdleAnimation", "pose_from_reading"]

log = logging.getLogger(__name__)

_Pts = npt.NDArray[np.float64]
_SHIFT = 4  # sub-pixel bits for cv2 drawing: smooth motion, no 1-px stepping
_ONE = 1 << _SHIFT


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


def _ellipse(cx: float, cy: float, ax: float, ay: float, n: int = 48) -> _Pts:
    a = np.linspace(0.0, 2 * math.pi, n, endpoint=False)
    return np.stack([cx + ax * np.cos(a), cy + ay * np.sin(a)], axis=1)


def _bezier(
    p0: tuple[float, float], c: tuple[float, float], p1: tuple[float, float], n: int = 16
) -> _Pts:
    t = np.linspace(0.0, 1.0, n)[:, None]
    a, b, d = np.array(p0), np.array(c), np.array(p1)
    return (1 - t) ** 2 * a + 2 * (1 - t) * t * b + t**2 * d  # type: ignore[no-any-return]


def _mix(a: tuple[int, int, int], b: tuple[int, int, int], k: float) -> tuple[int, int, int]:
    return (
        round(a[0] + (b[0] - a[0]) * k),
        round(a[1] + (b[1] - a[1]) * k),
        round(a[2] + (b[2] - a[2]) * k),
    )


@dataclass(frozen=True, slots=True)
class Palette:
    """The avatar's colours (BGR)."""

    skin: tuple[int, int, int] = (150, 180, 228)
    hair: tuple[int, int, int] = (40, 52, 78)
    shirt: tuple[int, int, int] = (150, 96, 52)
    iris: tuple[int, int, int] = (120, 92, 40)
    lips: tuple[int, int, int] = (96, 96, 190)


class AvatarRenderer:
    """Draws an :class:`AvatarPose` into a frame of ``size``.

    Args:
        size: (width, height) of the frames.
        palette: colours; a likeness image tints skin and hair (see ``palette_from_image``).
    """

    def __init__(self, size: tuple[int, int], palette: Palette | None = None) -> None:
        self.size = size
        self.palette = palette or Palette()
        w, h = size
        self.unit = 0.26 * min(h, w * 0.75)  # the head's half-height, in pixels
        self._backdrop = _backdrop(w, h)

    def render(self, pose: AvatarPose, out: BGRImage | None = None) -> BGRImage:
        """The avatar in ``pose``: into ``out`` if given (same size), else a new image."""
        w, h = self.size
        img = out if out is not None else np.empty((h, w, 3), np.uint8)
        np.copyto(img, self._backdrop)
        self._draw(img, pose)
        return img

    # -- drawing --------------------------------------------------------------------------
    def _draw(self, img: BGRImage, p: AvatarPose) -> None:
        w, h = self.size
        u = self.unit
        pal = self.palette
        # The head pivots at the neck; the body follows a little.
        neck = np.array([w / 2 + 0.25 * u * math.sin(p.yaw), h * 0.5 + 1.05 * u])
        cr, sr = math.cos(p.roll), math.sin(p.roll)

        def head(pts: _Pts) -> _Pts:
            # local (x right, y down) in head units around the head's centre, which sits
            # 1.05 units above the neck; rolled counter-clockwise about the neck
            x, y = pts[:, 0] * u, pts[:, 1] * u - 1.05 * u
            return np.stack([neck[0] + cr * x + sr * y, neck[1] - sr * x + cr * y], axis=1)

        body_roll = 0.3 * p.roll
        cb, sb = math.cos(body_roll), math.sin(body_roll)

        def body(pts: _Pts) -> _Pts:
            x, y = pts[:, 0] * u, pts[:, 1] * u
            return np.stack([neck[0] + cb * x + sb * y, neck[1] - sb * x + cb * y], axis=1)

        skin_dark = _mix(pal.skin, (40, 50, 90), 0.25)
        # shoulders and neck
        _fill(img, body(_ellipse(0.0, 1.15, 1.75, 0.85)), pal.shirt)
        _fill(
            img,
            body(np.array([[-0.33, -0.6], [0.33, -0.6], [0.38, 0.45], [-0.38, 0.45]])),
            skin_dark,
        )
        _fill(img, body(_ellipse(0.0, 0.42, 0.42, 0.16)), skin_dark)
        collar = body(_bezier((-0.55, 0.38), (0.0, 0.95), (0.55, 0.38)))
        _line(img, collar, _mix(pal.shirt, (255, 255, 255), 0.35), 0.05 * u)

        fx = 0.42 * math.sin(p.yaw)  # features slide with the turn
        fy = -0.32 * math.sin(p.pitch)
        squash = math.cos(p.yaw)
        # hair behind the head, ears, the face
        _fill(img, head(_ellipse(-0.08 * fx, -0.08, 0.9, 1.02)), pal.hair)
        for side in (-1, 1):
            ex = side * 0.8 * (1 - 0.15 * side * math.sin(p.yaw)) - 0.25 * fx
            _fill(img, head(_ellipse(ex, 0.08 + 0.3 * fy, 0.13, 0.2)), skin_dark)
        face = _ellipse(0.0, 0.0, 0.8, 1.0, 64)
        chin = face[:, 1] > 0
        face[chin, 1] *= 1.0 + 0.1 * p.jaw  # the chin drops with the jaw
        _fill(img, head(face), pal.skin)
        # fringe over the forehead, shifted with the turn
        fringe = np.concatenate(
            [
                _bezier((-0.82, -0.1), (-0.75 + fx * 0.3, -1.15), (0.05 + fx, -1.02)),
                _bezier((0.05 + fx, -1.02), (0.8 + fx * 0.3, -1.1), (0.82, -0.15)),
                _bezier((0.82, -0.15), (0.55 + fx, -0.62 + fy * 0.3), (0.1 + fx, -0.58 + fy * 0.5)),
                _bezier((0.1 + fx, -0.58 + fy * 0.5), (-0.5 + fx, -0.75 + fy * 0.3), (-0.82, -0.1)),
            ]
        )
        _fill(img, head(fringe), pal.hair)

        # cheeks warm up with the smile
        blush = _mix(pal.skin, (120, 110, 235), 0.25 + 0.35 * p.smile)
        for side in (-1, 1):
            cx = side * 0.45 * squash + fx
            _fill(img, head(_ellipse(cx, 0.3 + fy, 0.16, 0.09)), blush)

        # eyes: sclera clipped by the lids, iris clipped to the sclera
        for side, blink in ((-1, p.blink_right), (1, p.blink_left)):
            cx = side * 0.33 * squash + fx
            cy = -0.05 + fy
            open_ = max(0.0, 1.0 - blink)
            ax, ay = 0.17 * (0.75 + 0.25 * squash), 0.11 * (1.0 + 0.12 * p.brows)
            if open_ > 0.08:
                sclera = head(_ellipse(cx, cy, ax, ay * open_, 32))
                _fill(img, sclera, (245, 245, 248))
                ix = cx + 0.07 * p.gaze_x + 0.04 * math.sin(p.yaw)
                iy = cy - 0.04 * p.gaze_y
                iris = head(_ellipse(ix, iy, 0.085, 0.085, 28))
                inner = _clip_convex(iris, sclera)
                if inner is not None:
                    _fill(img, inner, pal.iris)
                    pupil = _clip_convex(head(_ellipse(ix, iy, 0.042, 0.042, 20)), sclera)
                    if pupil is not None:
                        _fill(img, pupil, (25, 20, 20))
                    glint = head(_ellipse(ix + 0.025, iy - 0.03, 0.016, 0.016, 12))
                    if _clip_convex(glint, sclera) is not None:
                        _fill(img, glint, (255, 255, 255))
                # upper lid line (lashes)
                lid = head(_ellipse(cx, cy, ax * 1.05, ay * open_ * 1.05, 32))[16:33]
                _line(img, lid, (40, 35, 45), 0.035 * u)
            else:
                closed = head(_bezier((cx - ax, cy), (cx, cy + 0.06), (cx + ax, cy)))
                _line(img, closed, (40, 35, 45), 0.035 * u)
            # brows: raised, frowned (inner ends down)
            by = cy - 0.22 - 0.08 * p.brows
            brow_in = by + 0.01 + 0.05 * max(-p.brows, 0.0)  # a frown pulls the inner ends down
            brow = head(
                _bezier(
                    (cx - side * 0.16 * squash, brow_in),
                    (cx, by - 0.08),
                    (cx + side * 0.2 * squash, by + 0.04),
                )
            )
            _line(img, brow, _mix(pal.hair, (0, 0, 0), 0.2), 0.06 * u)

        # nose
        nose = head(
            _bezier(
                (fx * 1.15 - 0.03, 0.08 + fy),
                (fx * 1.25 + 0.06, 0.2 + fy),
                (fx * 1.15 - 0.05, 0.26 + fy),
            )
        )
        _line(img, nose, skin_dark, 0.03 * u)

        # mouth: corners rise with the smile, the lower lip drops with the jaw
        mw = 0.24 * (1.0 + 0.25 * p.smile) * (0.7 + 0.3 * squash)
        mx, my = fx * 1.05, 0.5 + fy * 0.8
        lift = 0.07 * p.smile
        opening = 0.3 * p.jaw
        left, right = (mx - mw, my - lift), (mx + mw, my - lift)
        upper = _bezier(left, (mx, my - 0.04 + 0.01 * p.smile), right)
        lower = _bezier(right, (mx, my + 0.06 * p.smile + 2 * opening), left)
        if opening > 0.012:
            mouth = np.concatenate([upper, lower])
            _fill(img, head(mouth), (50, 40, 120))
            teeth_top = upper + np.array([0.0, 0.01])
            teeth_bot = _bezier(right, (mx, my + min(0.1, 0.5 * opening)), left)
            teeth = _clip_convex(head(np.concatenate([teeth_top, teeth_bot])), head(mouth))
            if teeth is not None:
                _fill(img, teeth, (235, 240, 240))
            _line(img, head(np.concatenate([upper, lower, upper[:1]])), pal.lips, 0.035 * u)
        else:
            smile_line = _bezier(left, (mx, my + 0.1 * p.smile), right)
            _line(img, head(smile_line), pal.lips, 0.045 * u)


def _to_fixed(pts: _Pts) -> npt.NDArray[np.int32]:
    return np.round(pts * _ONE).astype(np.int32).reshape(-1, 1, 2)


def _fill(img: BGRImage, pts: _Pts, colour: tuple[int, int, int]) -> None:
    cv2.fillPoly(img, [_to_fixed(pts)], colour, cv2.LINE_AA, _SHIFT)


def _line(img: BGRImage, pts: _Pts, colour: tuple[int, int, int], width: float) -> None:
    cv2.polylines(img, [_to_fixed(pts)], False, colour, max(1, round(width)), cv2.LINE_AA, _SHIFT)


def _clip_convex(a: _Pts, b: _Pts) -> _Pts | None:
    """The intersection of two convex polygons, or None when they do not meet."""
    area, inter = cv2.intersectConvexConvex(a.astype(np.float32), b.astype(np.float32))
    if inter is None or area <= 0.5:
        return None
    return np.asarray(inter, np.float64).reshape(-1, 2)


def _backdrop(w: int, h: int) -> BGRImage:
    """A soft studio backdrop: vertical gradient, vignette and a few out-of-focus lights."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    t = yy / h
    top, bottom = np.array([92, 74, 58], np.float32), np.array([44, 34, 28], np.float32)
    img = top * (1 - t[..., None]) + bottom * t[..., None]
    r = np.hypot((xx - w / 2) / w, (yy - h * 0.45) / h)
    img *= (1.15 - 0.6 * r**2)[..., None]
    rng = np.random.default_rng(3)
    small = np.zeros((h // 4 + 1, w // 4 + 1, 3), np.float32)
    for _ in range(14):
        cx, cy = rng.uniform(0, w / 4), rng.uniform(0, h / 4 * 0.7)
        cv2.circle(
            small,
            (int(cx), int(cy)),
            int(rng.uniform(8, 28) * h / 720),
            (float(rng.uniform(30, 60)), float(rng.uniform(30, 60)), float(rng.uniform(40, 70))),
            -1,
            cv2.LINE_AA,
        )
    blurred = cv2.GaussianBlur(small, (0, 0), 3)
    img += cv2.resize(blurred, (w, h))[:h, :w]
    return as_bgr(np.clip(img, 0, 255).astype(np.uint8))


def palette_from_image(image: BGRImage) -> Palette:
    """Skin and hair colours from a likeness photo: the centre and the top of the picture.

    A likeness only tints the avatar; overlay does not copy a face.
    """
    h, w = image.shape[:2]
    centre = image[int(h * 0.35) : int(h * 0.6), int(w * 0.38) : int(w * 0.62)].reshape(-1, 3)
    top = image[int(h * 0.02) : int(h * 0.15), int(w * 0.3) : int(w * 0.7)].reshape(-1, 3)
    skin = tuple(int(v) for v in np.median(centre, axis=0))
    hair = tuple(int(v) for v in np.median(top, axis=0))
    return Palette(skin=skin, hair=hair)  # type: ignore[arg-type]


class AvatarSource(BaseSource):
    """The avatar as a source.

    Args:
        size: (width, height) of the frames.
        fps: frame rate (the idle animation's clock).
        driver: a source whose face drives the avatar; None plays the idle animation.
        likeness: a picture whose colours tint the avatar (consent rules apply upstream).
        model: an explicit face model path for the driver.
    """

    origin = "synthetic"

    def __init__(
        self,
        size: tuple[int, int] = (1280, 720),
        fps: float = 30.0,
        *,
        driver: FrameSource | None = None,
        likeness: str | None = None,
        model: str | None = None,
    ) -> None:
        super().__init__()
        self.size = size
        self.fps = fps
        self.driver = driver
        self.likeness = likeness
        self.model = model
        self.spec = "avatar" + (f":{driver.spec}" if driver is not None else "")
        self.live = bool(driver is not None and driver.live)
        self.on_demand = driver is None  # the idle animation is drawn when asked
        self.restartable = bool(driver is not None and driver.restartable)
        palette = None
        if likeness is not None:
            picture = read_image(likeness, "likeness image", cv2.IMREAD_COLOR)
            palette = palette_from_image(as_bgr(picture))
        self.renderer = AvatarRenderer(size, palette)
        self.idle = IdleAnimation()
        self._landmarker: FaceLandmarker | None = None
        self._pose = AvatarPose()
        self._face_weight = 0.0
        self._neutral: tuple[float, float] | None = None
        #: The last pose rendered.
        self.pose = AvatarPose()

    @classmethod
    def from_spec(cls, arg: str | None, options: SourceOptions) -> AvatarSource:
        driver = None
        if arg:
            from overlay.sources import open_source

            if arg.partition(":")[0].strip().lower() == "avatar":
                raise ConfigError(
                    "--source avatar:avatar makes no sense; drive it with e.g. avatar:webcam:0"
                )
            driver = open_source(arg, options)
        return cls(
            options.size,
            options.fps,
            driver=driver,
            likeness=options.likeness,
            model=options.face_model,
        )

    def _open(self) -> None:
        if self.driver is None:
            return
        from overlay.faces import default_model

        model = default_model(self.model)
        if model is None:
            log.warning(
                "the avatar plays its idle animation: no face model to follow %s", self.driver.spec
            )
            self.driver = None
            return
        from overlay.faces.landmarker import FaceLandmarker

        self.driver.open()
        self._landmarker = FaceLandmarker(model, video=True)

    def _close(self) -> None:
        if self.driver is not None:
            self.driver.close()
        if self._landmarker is not None:
            self._landmarker.close()
            self._landmarker = None

    def _read(self) -> BGRImage | None:
        t = self._index / self.fps
        idle = self.idle.pose(t)
        if self.driver is None or self._landmarker is None:
            pose = idle
        else:
            frame = self.driver.read()
            if frame is None:
                return None
            reading = self._landmarker.read(frame.image, round(frame.timestamp * 1000))
            pose = self._follow(reading, idle)
        self.pose = pose
        return self.renderer.render(pose)

    def _follow(self, reading: FaceReading | None, idle: AvatarPose) -> AvatarPose:
        # With a face: follow it (lightly smoothed against landmark jitter). Without one:
        # ease back into the idle animation over about half a second.
        if reading is not None:
            yaw, pitch, roll = reading.pose
            # The camera is rarely straight ahead: pose is relative to a slow neutral.
            if self._neutral is None:
                self._neutral = (yaw, pitch)
            ny, np_ = self._neutral
            self._neutral = (ny + (yaw - ny) * 0.01, np_ + (pitch - np_) * 0.01)
            target = pose_from_reading(reading.blendshapes, yaw - ny, pitch - np_, roll)
            self._pose = self._pose.mix(target, 0.6)
            self._face_weight = min(1.0, self._face_weight + 0.25)
        else:
            self._face_weight = max(0.0, self._face_weight - 0.07)
        return idle.mix(self._pose, self._face_weight)


def still_pose(**changes: float) -> AvatarPose:
    """A neutral pose with ``changes`` (tests and previews)."""
    return replace(AvatarPose(), **changes)
