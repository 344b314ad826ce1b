"""The labelled slate sent in place of frames when the source stalls or a stamp fails."""

from __future__ import annotations

import numpy as np

from overlay.config import BannerConfig
from overlay.frames import BGRImage
from overlay.render import render_label
from overlay.stamps.banner import banner_geometry

__all__ = ["render_slate"]


def render_slate(
    size: tuple[int, int], banner: BannerConfig, *, with_banner: bool, text: str | None = None
) -> BGRImage:
    """A dark frame that says "AI-generated video - source paused".

    Args:
        size: (width, height).
        banner: the session's banner settings (language, position).
        with_banner: also draw the banner into it, for sending when the stamps fail; the
            slate then discloses by itself. Without it, the stamps add the banner.
        text: the message (default: the language's "source paused" text).
    """
    message = text if text is not None else banner.slate_text
    w, h = size
    yy = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None]
    shade = (38 + 22 * (1 - yy)).astype(np.uint8)
    slate = np.repeat(np.repeat(shade[:, :, None], w, axis=1), 3, axis=2)
    cap = max(8, round(min(w, h) * 0.06))
    label = render_label(message, cap, plate_opacity=0.9)
    if label.width > w * 0.92:
        cap = max(6, int(cap * w * 0.92 / label.width))
        label = render_label(message, cap, plate_opacity=0.9)
    label.blender().blend(slate, (w - label.width) // 2, (h - label.height) // 2)
    if with_banner:
        sprite, x, y = banner_geometry(banner, size)
        sprite.blender().blend(slate, x, y)
    return slate
