"""Drawing the avatar: an :class:`~overlay.sources.avatar.pose.AvatarPose` onto a frame.

Everything is drawn with OpenCV's anti-aliased polygons at sub-pixel precision on a
backdrop rendered once, so a 720p frame costs a few milliseconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from overlay.frames import BGRImage, as_bgr
from overlay.sources.avatar.pose import AvatarPose

__all__ = ["AvatarRenderer", "Palette", "palette_from_image"]

_Pts = npt.NDArray[np.float64]
_SHIFT = 4  # sub-pixel bits for cv2 drawing: smooth motion, no 1-px stepping
_ONE = 1 << _SHIFT


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
        # The head pivots at the neck; the body follows a little.
        neck = (w / 2 + 0.25 * u * math.sin(p.yaw), h * 0.5 + 1.05 * u)
        rig = _Rig(u, neck, p.roll)
        # features slide with the turn and the nod; the face narrows as it turns
        look = _Look(0.42 * math.sin(p.yaw), -0.32 * math.sin(p.pitch), math.cos(p.yaw))
        skin_dark = _mix(self.palette.skin, (40, 50, 90), 0.25)
        self._shoulders(img, rig, skin_dark)
        self._face(img, rig, p, look, skin_dark)
        for side, blink in ((-1, p.blink_right), (1, p.blink_left)):
            self._eye(img, rig, p, look, side, blink)
        nose = rig.head(
            _bezier(
                (look.fx * 1.15 - 0.03, 0.08 + look.fy),
                (look.fx * 1.25 + 0.06, 0.2 + look.fy),
                (look.fx * 1.15 - 0.05, 0.26 + look.fy),
            )
        )
        _line(img, nose, skin_dark, 0.03 * u)
        self._mouth(img, rig, p, look)

    def _shoulders(self, img: BGRImage, rig: _Rig, skin_dark: _BGR) -> None:
        """Shoulders, neck and collar."""
        pal = self.palette
        _fill(img, rig.body(_ellipse(0.0, 1.15, 1.75, 0.85)), pal.shirt)
        _fill(
            img,
            rig.body(np.array([[-0.33, -0.6], [0.33, -0.6], [0.38, 0.45], [-0.38, 0.45]])),
            skin_dark,
        )
        _fill(img, rig.body(_ellipse(0.0, 0.42, 0.42, 0.16)), skin_dark)
        collar = rig.body(_bezier((-0.55, 0.38), (0.0, 0.95), (0.55, 0.38)))
        _line(img, collar, _mix(pal.shirt, (255, 255, 255), 0.35), 0.05 * rig.u)

    def _face(self, img: BGRImage, rig: _Rig, p: AvatarPose, look: _Look, skin_dark: _BGR) -> None:
        """Hair behind the head, ears, the face, the fringe and the cheeks."""
        pal = self.palette
        fx, fy = look.fx, look.fy
        _fill(img, rig.head(_ellipse(-0.08 * fx, -0.08, 0.9, 1.02)), pal.hair)
        for side in (-1, 1):
            ex = side * 0.8 * (1 - 0.15 * side * math.sin(p.yaw)) - 0.25 * fx
            _fill(img, rig.head(_ellipse(ex, 0.08 + 0.3 * fy, 0.13, 0.2)), skin_dark)
        face = _ellipse(0.0, 0.0, 0.8, 1.0, 64)
        chin = face[:, 1] > 0
        face[chin, 1] *= 1.0 + 0.1 * p.jaw  # the chin drops with the jaw
        _fill(img, rig.head(face), pal.skin)
        # fringe over the forehead, shifted with the turn
        fringe = np.concatenate(
            [
                _bezier((-0.82, -0.1), (-0.75 + fx * 0.3, -1.15), (0.05 + fx, -1.02)),
                _bezier((0.05 + fx, -1.02), (0.8 + fx * 0.3, -1.1), (0.82, -0.15)),
                _bezier((0.82, -0.15), (0.55 + fx, -0.62 + fy * 0.3), (0.1 + fx, -0.58 + fy * 0.5)),
                _bezier((0.1 + fx, -0.58 + fy * 0.5), (-0.5 + fx, -0.75 + fy * 0.3), (-0.82, -0.1)),
            ]
        )
        _fill(img, rig.head(fringe), pal.hair)
        # cheeks warm up with the smile
        blush = _mix(pal.skin, (120, 110, 235), 0.25 + 0.35 * p.smile)
        for side in (-1, 1):
            cx = side * 0.45 * look.squash + fx
            _fill(img, rig.head(_ellipse(cx, 0.3 + fy, 0.16, 0.09)), blush)

    def _eye(
        self, img: BGRImage, rig: _Rig, p: AvatarPose, look: _Look, side: int, blink: float
    ) -> None:
        """One eye (sclera clipped by the lids, iris clipped to the sclera) and its brow."""
        head, u, squash = rig.head, rig.u, look.squash
        cx = side * 0.33 * squash + look.fx
        cy = -0.05 + look.fy
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
                _fill(img, inner, self.palette.iris)
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
        _line(img, brow, _mix(self.palette.hair, (0, 0, 0), 0.2), 0.06 * u)

    def _mouth(self, img: BGRImage, rig: _Rig, p: AvatarPose, look: _Look) -> None:
        """Corners rise with the smile, the lower lip drops with the jaw."""
        head, lips = rig.head, self.palette.lips
        mw = 0.24 * (1.0 + 0.25 * p.smile) * (0.7 + 0.3 * look.squash)
        mx, my = look.fx * 1.05, 0.5 + look.fy * 0.8
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
            _line(img, head(np.concatenate([upper, lower, upper[:1]])), lips, 0.035 * rig.u)
        else:
            smile_line = _bezier(left, (mx, my + 0.1 * p.smile), right)
            _line(img, head(smile_line), lips, 0.045 * rig.u)


_BGR = tuple[int, int, int]


class _Rig:
    """Maps head and body points (head units, x right, y down) to pixels.

    The head's centre sits 1.05 units above the neck and rolls counter-clockwise about
    it; the body rolls a third as much.
    """

    def __init__(self, unit: float, neck: tuple[float, float], roll: float) -> None:
        self.u = unit
        self.neck = np.array(neck)
        self._cr, self._sr = math.cos(roll), math.sin(roll)
        self._cb, self._sb = math.cos(0.3 * roll), math.sin(0.3 * roll)

    def head(self, pts: _Pts) -> _Pts:
        u, (nx, ny) = self.u, self.neck
        x, y = pts[:, 0] * u, pts[:, 1] * u - 1.05 * u
        cr, sr = self._cr, self._sr
        return np.stack([nx + cr * x + sr * y, ny - sr * x + cr * y], axis=1)

    def body(self, pts: _Pts) -> _Pts:
        u, (nx, ny) = self.u, self.neck
        x, y = pts[:, 0] * u, pts[:, 1] * u
        cb, sb = self._cb, self._sb
        return np.stack([nx + cb * x + sb * y, ny - sb * x + cb * y], axis=1)


@dataclass(frozen=True, slots=True)
class _Look:
    """How the features move with the head: slide (fx, fy) and the face's narrowing."""

    fx: float
    fy: float
    squash: float


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
