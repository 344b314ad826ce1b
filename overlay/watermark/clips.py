"""Test content for the watermark: a still picture animated with a slow pan and zoom.

Pure OpenCV, no I/O; shared by the tests and the benchmarks.
"""

from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np
import numpy.typing as npt

from overlay.frames import BGRImage, as_bgr

__all__ = ["pan_zoom", "pan_zoom_matrix"]


def pan_zoom_matrix(
    image_shape: tuple[int, ...], size: tuple[int, int], frames: int, i: int, zoom: float = 1.3
) -> npt.NDArray[np.float64]:
    """The 2x3 map from ``image`` (of ``image_shape``) to frame ``i`` of :func:`pan_zoom`."""
    w, h = size
    ih, iw = image_shape[:2]
    t = i / max(1, frames - 1)
    z = zoom * (1.0 + 0.1 * t)
    # The largest window with the output's aspect ratio, shrunk by the zoom.
    cw = min(iw, ih * w / h) / z
    ch = cw * h / w
    x0 = (iw - cw) * (0.2 + 0.6 * t)
    y0 = (ih - ch) * (0.3 + 0.4 * t)
    sx, sy = w / cw, h / ch
    return np.array([[sx, 0, -x0 * sx], [0, sy, -y0 * sy]], np.float64)


def pan_zoom(
    image: BGRImage,
    size: tuple[int, int],
    frames: int,
    *,
    zoom: float = 1.3,
    noise: float = 0.0,
    seed: int = 0,
) -> Iterator[BGRImage]:
    """``frames`` frames of ``size`` (w, h) showing ``image`` under a slow pan and zoom.

    The view starts at a ``zoom``-times crop in one corner, drifts diagonally and zooms
    in by another 10 % over the clip (:func:`pan_zoom_matrix`); ``noise`` adds Gaussian
    sensor noise (grey levels).
    """
    rng = np.random.default_rng(seed)
    for i in range(frames):
        m = pan_zoom_matrix(image.shape, size, frames, i, zoom)
        frame = cv2.warpAffine(
            image, m, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
        )
        if noise > 0:
            grain = rng.normal(0.0, noise, frame.shape)
            frame = np.clip(frame + grain, 0, 255).astype(np.uint8)
        yield as_bgr(frame)
