"""The persistent "AI-generated" banner, and the enlarged start card."""

from __future__ import annotations

import math

from overlay.config import BannerConfig
from overlay.errors import ConfigError
from overlay.frames import Frame
from overlay.render import Sprite, render_label
from overlay.session import Session

__all__ = ["BannerStamp", "banner_geometry"]

#: Gap between the banner and the frame's edge, as a fraction of the shortest side.
MARGIN = 0.025
#: The start card's text is this many times the banner's.
CARD_SCALE = 2.2


def banner_geometry(config: BannerConfig, size: tuple[int, int]) -> tuple[Sprite, int, int]:
    """Render the banner for a frame of ``size`` and place it.

    Returns:
        (sprite, x, y) of its top-left corner.

    Raises:
        ConfigError: the banner does not fit the frame at the required text height.
    """
    w, h = size
    short = min(w, h)
    cap = math.ceil(config.text_height * short)
    sprite = render_label(config.banner_text, cap, plate_opacity=config.plate_opacity)
    margin = round(MARGIN * short)
    if sprite.width > w - 2 * margin or sprite.height > h // 3:
        raise ConfigError(
            f"banner {config.banner_text!r} is {sprite.width}px wide at "
            f"{config.text_height:.1%} text height, wider than the {w}x{h} frame allows; "
            "shorten the text or use a larger --size"
        )
    if config.position == "top-right":
        x, y = w - margin - sprite.width, margin
    elif config.position == "top-left":
        x, y = margin, margin
    elif config.position == "top":
        x, y = (w - sprite.width) // 2, margin
    else:  # bottom
        x, y = (w - sprite.width) // 2, h - margin - sprite.height
    return sprite, x, y


class BannerStamp:
    """Blends the pre-rendered banner onto every frame; for the first seconds, the card too.

    Args:
        session: gives the frame size and the frame rate (the card lasts
            ``start_card_seconds * fps`` output frames).
        config: the banner's validated settings.
    """

    name = "banner"

    def __init__(self, session: Session, config: BannerConfig) -> None:
        self.config = config
        self.size = session.size
        w, h = session.size
        self.sprite, self.x, self.y = banner_geometry(config, session.size)
        self._banner = self.sprite.blender()
        card_cap = min(round(self.sprite.text_height_px * CARD_SCALE), h // 6)
        card = render_label(
            config.card_text, card_cap, plate_opacity=max(config.plate_opacity, 0.85)
        )
        if card.width > w * 0.9:  # long custom text: shrink the card, never below the banner
            card_cap = max(self.sprite.text_height_px, math.floor(card_cap * w * 0.9 / card.width))
            card = render_label(
                config.card_text, card_cap, plate_opacity=max(config.plate_opacity, 0.85)
            )
        self.card = card
        self._card = card.blender()
        self.card_x = (w - card.width) // 2
        self.card_y = (h - card.height) // 2
        self.card_frames = math.ceil(config.start_card_seconds * session.fps)

    @property
    def text_height_fraction(self) -> float:
        """The banner's cap height as a fraction of the frame's shortest side."""
        return self.sprite.text_height_px / min(self.size)

    def apply(self, frame: Frame) -> Frame:
        image = frame.image
        if frame.index < self.card_frames:
            self._card.blend(image, self.card_x, self.card_y)
        self._banner.blend(image, self.x, self.y)
        return frame
