"""Pre-rendered sprites: text drawn once with a real font, blended onto frames cheaply.

cv2.putText draws ASCII only, so labels (English and Chinese) are drawn once with Pillow
and the bundled Noto Sans SC font into a BGR image plus alpha, and each frame blends that
sprite onto its own region only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

from overlay.errors import ConfigError
from overlay.frames import BGRImage

__all__ = ["FONT_PATH", "Sprite", "missing_glyphs", "render_label", "text_font"]

ASSETS = Path(__file__).resolve().parent.parent / "assets"
#: Noto Sans CJK SC Bold, cut to ASCII, Latin-1 and the GB2312 characters (SIL OFL 1.1).
FONT_PATH = ASSETS / "fonts" / "NotoSansSC-Bold-subset.otf"


@lru_cache(maxsize=64)
def text_font(size_px: int) -> ImageFont.FreeTypeFont:
    """The bundled font at ``size_px`` pixels per em."""
    try:
        # Basic layout: glyphs in the text's order, never reordered by a bidi algorithm
        # (with libraqm, right-to-left runs would be reversed on screen).
        return ImageFont.truetype(str(FONT_PATH), size_px, layout_engine=ImageFont.Layout.BASIC)
    except OSError as exc:
        raise ConfigError(
            f"cannot load the label font {FONT_PATH}: {exc}; reinstall overlay from its "
            "source tree (pip install -e .) so assets/ is present"
        ) from exc


def missing_glyphs(text: str) -> list[str]:
    """The characters of ``text`` the bundled font has no glyph for (drawn as blank).

    FreeType draws a missing character as the font's ``.notdef`` glyph; in this font that
    is an empty box one em wide. A character drawing exactly that is missing.
    """
    font = text_font(_PROBE_PX)
    notdef = _glyph_print(font, _NOT_IN_FONT)
    return sorted({ch for ch in text if ch != " " and _glyph_print(font, ch) == notdef})


#: Probe size for glyph checks, and a private-use character no font of ours maps.
_PROBE_PX = 40
_NOT_IN_FONT = "\ue000"


def _glyph_print(font: ImageFont.FreeTypeFont, ch: str) -> tuple[tuple[int, int], bytes, float]:
    mask = font.getmask(ch)
    return mask.size, bytes(mask), font.getlength(ch)


def _cap_height(font: ImageFont.FreeTypeFont) -> int:
    top = font.getbbox("AI", anchor="ls")[1]
    return int(-top)


@lru_cache(maxsize=256)
def font_size_for_cap_height(cap_px: int) -> int:
    """The smallest font size whose capital "A" is at least ``cap_px`` pixels tall."""
    ref = 200
    size = max(4, math.floor(cap_px * ref / _cap_height(text_font(ref))))
    while _cap_height(text_font(size)) < cap_px:
        size += 1
    return size


@dataclass(frozen=True, slots=True)
class Sprite:
    """A BGR picture with alpha, prepared for fast blending.

    Attributes:
        bgr: the colours, HxWx3 uint8.
        alpha: the coverage, HxW uint8 (0 transparent, 255 opaque).
        text_height_px: cap height of the text drawn in it (0 when it has no text).
    """

    bgr: BGRImage
    alpha: npt.NDArray[np.uint8]
    text_height_px: int = 0

    @property
    def width(self) -> int:
        return int(self.bgr.shape[1])

    @property
    def height(self) -> int:
        return int(self.bgr.shape[0])

    def blender(self) -> SpriteBlender:
        return SpriteBlender(self)


class SpriteBlender:
    """Blends one sprite onto frames with integer arithmetic and no per-frame allocation."""

    __slots__ = ("_buf", "_fg", "_inv", "height", "width")

    def __init__(self, sprite: Sprite) -> None:
        a = sprite.alpha.astype(np.uint16)
        a = a + (a >> 7)  # 0..255 -> 0..256, so that >> 8 divides exactly at the ends
        a3 = np.repeat(a[:, :, None], 3, axis=2)
        self._fg = (sprite.bgr.astype(np.uint16) * a3).astype(np.uint16)
        self._inv = (256 - a3).astype(np.uint16)
        self._buf = np.empty(self._fg.shape, np.uint16)
        self.height, self.width = sprite.height, sprite.width

    def blend(self, image: BGRImage, x: int, y: int) -> None:
        """Blend onto ``image`` in place with the sprite's top-left corner at (x, y)."""
        region = image[y : y + self.height, x : x + self.width]
        if region.shape != self._fg.shape:
            raise ValueError(
                f"sprite {self.width}x{self.height} at ({x},{y}) does not fit in a "
                f"{image.shape[1]}x{image.shape[0]} frame"
            )
        buf = self._buf
        np.multiply(region, self._inv, out=buf)
        np.add(buf, self._fg, out=buf)
        np.right_shift(buf, 8, out=buf)
        np.copyto(region, buf, casting="unsafe")


def render_label(
    text: str,
    cap_height_px: int,
    *,
    fg: tuple[int, int, int] = (255, 255, 255),
    plate: tuple[int, int, int] = (20, 20, 20),
    plate_opacity: float = 0.8,
    accent: tuple[int, int, int] | None = (0, 180, 255),
) -> Sprite:
    """Draw ``text`` on a rounded backing plate.

    Args:
        text: one line, any script the bundled font covers (Latin, GB2312 Chinese).
        cap_height_px: height of the capital letters ("AI"), in pixels.
        fg: text colour (BGR).
        plate: plate colour (BGR).
        plate_opacity: plate alpha, 0-1.
        accent: colour (BGR) of a bar on the plate's left edge, or None.
    """
    font = text_font(font_size_for_cap_height(max(4, cap_height_px)))
    cap = _cap_height(font)
    pad_x = max(2, round(cap * 0.55))
    pad_y = max(2, round(cap * 0.45))
    bar = max(2, round(cap * 0.18)) if accent is not None else 0
    left, top, right, bottom = font.getbbox(text, anchor="ls")
    descent = font.getmetrics()[1]
    # The plate spans the font's full ascent/descent so the text sits centred whatever glyphs.
    text_top = min(top, -cap)
    text_bottom = max(bottom, round(descent * 0.6))
    w = int(right - left) + 2 * pad_x + bar
    h = int(text_bottom - text_top) + 2 * pad_y
    radius = max(1, round(cap * 0.3))

    # Supersample 2x for smooth plate corners; the text is anti-aliased by FreeType.
    ss = 2
    plate_mask = Image.new("L", (w * ss, h * ss), 0)
    ImageDraw.Draw(plate_mask).rounded_rectangle(
        (0, 0, w * ss - 1, h * ss - 1), radius=radius * ss, fill=255
    )
    plate_a = np.asarray(plate_mask.resize((w, h), Image.Resampling.BOX), np.float32) / 255.0
    text_mask = Image.new("L", (w, h), 0)
    ImageDraw.Draw(text_mask).text(
        (bar + pad_x - left, pad_y - text_top), text, font=font, fill=255, anchor="ls"
    )
    text_a = np.asarray(text_mask, np.float32) / 255.0

    base = np.empty((h, w, 3), np.float32)
    base[:] = plate
    if bar:
        base[:, :bar] = accent
    pa = plate_a * plate_opacity
    if bar:
        pa[:, :bar] = plate_a[:, :bar]
    # Text (opaque) over the plate: "over" compositing, straight (not premultiplied) colour.
    out_a = text_a + pa * (1.0 - text_a)
    fg_arr = np.asarray(fg, np.float32)
    colour = (fg_arr * text_a[..., None] + base * (pa * (1.0 - text_a))[..., None]) / np.maximum(
        out_a, 1e-6
    )[..., None]
    bgr = np.clip(np.rint(colour), 0, 255).astype(np.uint8)
    alpha = np.clip(np.rint(out_a * 255.0), 0, 255).astype(np.uint8)
    return Sprite(bgr=bgr, alpha=alpha, text_height_px=cap)
