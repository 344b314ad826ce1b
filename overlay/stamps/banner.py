"""The persistent "AI-generated" banner, and the enlarged start card."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from overlay.config import POSITIONS, BannerConfig, Position
from overlay.errors import ConfigError
from overlay.frames import Frame
from overlay.render import Sprite, render_label
from overlay.session import Session

__all__ = ["BannerStamp", "banner_geometry"]

#: (x0, y0, x1, y1) boxes of the faces in the current frame.
FaceBoxes = Callable[[], Sequence[tuple[float, float, float, float]]]
Rect = tuple[int, int, int, int]

#: Gap between the banner and the frame's edge, as a fraction of the shortest side.
MARGIN = 0.025
#: The start card's text is this many times the banner's.
CARD_SCALE = 2.2


def banner_geometry(
    config: BannerConfig, size: tuple[int, int], position: Position | None = None
) -> tuple[Sprite, int, int]:
    """Render the banner for a frame of ``size`` and place it.

    Args:
        config: the banner settings.
        size: the frame's (width, height).
        position: where to place it (default: ``config.position``).

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
    position = position or config.position
    x, y = _place(position, sprite, size, margin)
    return sprite, x, y


def _place(
    position: Position, sprite: Sprite, size: tuple[int, int], margin: int
) -> tuple[int, int]:
    w, h = size
    if position == "top-right":
        x, y = w - margin - sprite.width, margin
    elif position == "top-left":
        x, y = margin, margin
    elif position == "top":
        x, y = (w - sprite.width) // 2, margin
    else:  # bottom
        x, y = (w - sprite.width) // 2, h - margin - sprite.height
    return x, y


def _overlaps(a: Rect, b: tuple[float, float, float, float]) -> float:
    """Area of the intersection of rect ``a`` (x, y, w, h) and box ``b`` (x0, y0, x1, y1)."""
    x, y, w, h = a
    iw = min(x + w, b[2]) - max(x, b[0])
    ih = min(y + h, b[3]) - max(y, b[1])
    return iw * ih if iw > 0 and ih > 0 else 0.0


def _face_zone(box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """A detector box grown to the head: hair above, ears at the sides."""
    x0, y0, x1, y1 = box
    bw, bh = x1 - x0, y1 - y0
    return (x0 - 0.2 * bw, y0 - 0.45 * bh, x1 + 0.2 * bw, y1 + 0.15 * bh)


def _box(rect: Rect) -> tuple[float, float, float, float]:
    x, y, w, h = rect
    return (x, y, x + w, y + h)


class BannerStamp:
    """Blends the pre-rendered banner onto every frame; for the first seconds, the card too.

    When ``faces`` is given, the banner moves off a face: to the first other position
    (top-right, top-left, top, bottom) that covers no face and no ``keep_clear`` rect,
    and back to the configured one once that has been clear for a second. The same
    sprite is used everywhere, so the text height rule holds in every position.

    Args:
        session: gives the frame size and the frame rate (the card lasts
            ``start_card_seconds * fps`` output frames).
        config: the banner's validated settings.
        faces: returns the current frame's face boxes (the face tag stamp's ``faces``).
        keep_clear: (x, y, w, h) rects the banner never moves onto (the per-frame mark).
    """

    name = "banner"

    def __init__(
        self,
        session: Session,
        config: BannerConfig,
        *,
        faces: FaceBoxes | None = None,
        keep_clear: Sequence[Rect] = (),
    ) -> None:
        self.config = config
        self.size = session.size
        w, h = session.size
        self.sprite, self.x, self.y = banner_geometry(config, session.size)
        self._banner = self.sprite.blender()
        self.faces = faces
        margin = round(MARGIN * min(w, h))
        home = (self.x, self.y, self.sprite.width, self.sprite.height)
        #: Places the banner may take, the configured one first, as (x, y, w, h).
        self.places: list[Rect] = [home]
        for pos in POSITIONS:
            x, y = _place(pos, self.sprite, session.size, margin)  # type: ignore[arg-type]
            rect = (x, y, self.sprite.width, self.sprite.height)
            if rect not in self.places and not any(_overlaps(rect, _box(k)) for k in keep_clear):
                self.places.append(rect)
        self._current = 0
        self._home_clear = 0
        self._return_frames = max(1, round(session.fps))
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
        if self.faces is not None:
            self._choose(self.faces())
        self._banner.blend(image, self.x, self.y)
        return frame

    def _choose(self, boxes: Sequence[tuple[float, float, float, float]]) -> None:
        zones = [_face_zone(b) for b in boxes]
        cover = [sum(_overlaps(p, z) for z in zones) for p in self.places]
        current = self._current
        if current != 0:
            # Go home only once home has stayed clear for a while: no flapping.
            self._home_clear = self._home_clear + 1 if cover[0] == 0 else 0
            if self._home_clear >= self._return_frames:
                current = 0
        if cover[current] > 0:
            clear = [i for i, c in enumerate(cover) if c == 0]
            current = clear[0] if clear else min(range(len(cover)), key=cover.__getitem__)
            self._home_clear = 0
        self._current = current
        self.x, self.y = self.places[current][:2]

    @property
    def position_index(self) -> int:
        """Which of :attr:`places` the banner is in (0: the configured position)."""
        return self._current
