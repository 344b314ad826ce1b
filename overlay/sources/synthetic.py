"""A deterministic moving scene: the default when no camera opens, and for benchmarks."""

from __future__ import annotations

import math

import cv2
import numpy as np

from overlay.frames import BGRImage, as_bgr
from overlay.sources.base import BaseSource, SourceMode, SourceOptions

__all__ = ["SyntheticSource"]


class SyntheticSource(BaseSource):
    """A panning textured backdrop with a bouncing disc and a frame counter.

    Frame ``k`` is the same on every run, so tests can predict it. The backdrop is drawn
    once, 25% larger than the frame; each frame is a window onto it plus a few small
    drawings, so a 1080p frame costs about one frame copy.
    """

    mode = SourceMode.ON_DEMAND
    origin = "synthetic"

    def __init__(self, size: tuple[int, int] = (1280, 720), fps: float = 30.0) -> None:
        super().__init__()
        self.spec = "synthetic"
        self.size = size
        self.fps = fps
        w, h = size
        self._pan_x, self._pan_y = w // 4, h // 4
        self._backdrop = _backdrop(w + self._pan_x, h + self._pan_y)

    @classmethod
    def from_spec(cls, arg: str | None, options: SourceOptions) -> SyntheticSource:
        return cls(options.size, options.fps)

    def _read(self) -> BGRImage:
        k = self._index
        w, h = self.size
        t = k / self.fps
        ox = round((0.5 + 0.5 * math.sin(t * 0.6)) * self._pan_x)
        oy = round((0.5 + 0.5 * math.sin(t * 0.43 + 1.0)) * self._pan_y)
        frame = self._backdrop[oy : oy + h, ox : ox + w].copy()
        r = max(4, h // 12)
        cx = round(r + (w - 2 * r) * (0.5 + 0.5 * math.sin(t * 1.3)))
        cy = round(r + (h - 2 * r) * (0.5 + 0.5 * math.cos(t * 0.9)))
        cv2.circle(frame, (cx, cy), r, (60, 200, 255), -1, cv2.LINE_AA)
        cv2.circle(frame, (cx, cy), r, (255, 255, 255), max(1, r // 10), cv2.LINE_AA)
        scale = h / 720
        cv2.putText(
            frame,
            f"synthetic {k:06d}",
            (round(24 * scale), round(h * 0.55)),
            cv2.FONT_HERSHEY_SIMPLEX,
            1.2 * scale,
            (240, 240, 240),
            max(1, round(2 * scale)),
            cv2.LINE_AA,
        )
        return as_bgr(frame)


def _backdrop(w: int, h: int) -> BGRImage:
    """Smooth colour gradients, a grid and some shapes: texture for codecs and watermarks."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    b = 90 + 70 * np.sin(xx / w * 2 * math.pi)
    g = 80 + 60 * np.cos(yy / h * 3 * math.pi)
    r = 100 + 60 * np.sin((xx + yy) / (w + h) * 4 * math.pi)
    img = np.clip(np.dstack([b, g, r]), 0, 255).astype(np.uint8)
    step = max(16, h // 12)
    for x in range(0, w, step):
        cv2.line(img, (x, 0), (x, h - 1), (200, 200, 200), 1, cv2.LINE_AA)
    for y in range(0, h, step):
        cv2.line(img, (0, y), (w - 1, y), (200, 200, 200), 1, cv2.LINE_AA)
    rng = np.random.default_rng(7)
    for _ in range(24):
        c = tuple(int(v) for v in rng.integers(30, 230, 3))
        x0, y0 = int(rng.integers(0, w)), int(rng.integers(0, h))
        s = int(rng.integers(step // 2, step * 2))
        cv2.rectangle(img, (x0, y0), (x0 + s, y0 + s // 2), c, -1, cv2.LINE_AA)
    return as_bgr(img)
