from __future__ import annotations

import math

import numpy as np
import pytest

from overlay.config import BannerConfig
from overlay.errors import ConfigError, StampError
from overlay.frames import Frame
from overlay.render import render_label
from overlay.session import Session
from overlay.stamps import BannerStamp, MarkStamp, StampChain
from overlay.stamps.banner import banner_geometry


def _noise(h: int, w: int, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def _blend_reference(img: np.ndarray, bgr: np.ndarray, alpha: np.ndarray, x: int, y: int) -> None:
    """Straight alpha blending written out with plain integer numpy, independent of Sprite."""
    h, w = alpha.shape
    a = alpha.astype(np.int32)
    a = a + (a >> 7)
    region = img[y : y + h, x : x + w].astype(np.int32)
    out = (region * (256 - a[..., None]) + bgr.astype(np.int32) * a[..., None]) >> 8
    img[y : y + h, x : x + w] = out.astype(np.uint8)


def test_banner_pixels_match_a_reference_blend() -> None:
    session = Session(size=(1280, 720), fps=30)
    cfg = BannerConfig()
    stamp = BannerStamp(session, cfg)
    img = _noise(720, 1280)
    expected = img.copy()
    sprite, x, y = banner_geometry(cfg, (1280, 720))
    _blend_reference(expected, sprite.bgr, sprite.alpha, x, y)
    stamp.apply(Frame(img, 500, 0.0))  # past the start card
    assert np.array_equal(img, expected)


def test_banner_touches_only_its_region() -> None:
    session = Session(size=(1280, 720), fps=30)
    stamp = BannerStamp(session, BannerConfig())
    img = _noise(720, 1280)
    before = img.copy()
    stamp.apply(Frame(img, 500, 0.0))
    changed = np.argwhere(np.any(img != before, axis=2))
    (y0, x0), (y1, x1) = changed.min(0), changed.max(0)
    assert x0 >= stamp.x and x1 < stamp.x + stamp.sprite.width
    assert y0 >= stamp.y and y1 < stamp.y + stamp.sprite.height
    assert x0 > 1280 // 2  # top-right by default
    assert y1 < 720 // 4


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080), (640, 360), (480, 640)])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_text_is_at_least_5_percent_of_the_shortest_side(size: tuple[int, int], lang: str) -> None:
    cfg = BannerConfig(lang=lang, text_height=0.05)  # type: ignore[arg-type]
    sprite, _, _ = banner_geometry(cfg, size)
    need = math.ceil(0.05 * min(size))
    assert sprite.text_height_px >= need
    # Measure the ink itself: rows where the (white) text is drawn on the dark plate.
    text_rows = np.flatnonzero(
        np.any((sprite.bgr.min(axis=2) > 200) & (sprite.alpha > 200), axis=1)
    )
    assert text_rows.size and text_rows.max() - text_rows.min() + 1 >= need


def test_a_smaller_label_fails_the_same_ink_measure() -> None:
    """Negative twin of the 5% rule: a 3% label's ink is shorter than 5% of the side."""
    sprite = render_label("AI-generated", math.ceil(0.03 * 720))
    text_rows = np.flatnonzero(
        np.any((sprite.bgr.min(axis=2) > 200) & (sprite.alpha > 200), axis=1)
    )
    assert text_rows.max() - text_rows.min() + 1 < math.ceil(0.05 * 720)


def test_plate_behind_text_is_at_least_60_percent_opaque() -> None:
    sprite, _, _ = banner_geometry(BannerConfig(plate_opacity=0.6), (1280, 720))
    h, w = sprite.alpha.shape
    inner = sprite.alpha[h // 4 : 3 * h // 4, w // 8 : 7 * w // 8]
    assert inner.min() >= round(0.6 * 255) - 1


def test_banner_too_wide_for_the_frame_is_refused() -> None:
    cfg = BannerConfig(text="AI-generated video from a face-swap tool", text_height=0.1)
    with pytest.raises(ConfigError, match="wider than the 640x360 frame allows"):
        BannerStamp(Session(size=(640, 360), fps=30), cfg)


def test_start_card_shows_for_two_seconds_then_goes() -> None:
    session = Session(size=(1280, 720), fps=30)
    stamp = BannerStamp(session, BannerConfig())
    assert stamp.card_frames == 60
    cy = stamp.card_y + stamp.card.height // 2
    cx = slice(stamp.card_x, stamp.card_x + stamp.card.width)

    def card_row(index: int) -> np.ndarray:
        img = np.full((720, 1280, 3), 200, np.uint8)
        stamp.apply(Frame(img, index, 0.0))
        return img[cy, cx]

    assert np.any(card_row(0) != 200)
    assert np.any(card_row(59) != 200)
    assert np.all(card_row(60) == 200)
    assert np.all(card_row(61) == 200)


def test_card_lasts_longer_at_a_higher_rate() -> None:
    stamp = BannerStamp(Session(size=(1280, 720), fps=60), BannerConfig())
    assert stamp.card_frames == 120


@pytest.mark.parametrize(
    ("position", "left", "top"),
    [
        ("top-right", False, True),
        ("top-left", True, True),
        ("bottom", None, False),
        ("top", None, True),
    ],
)
def test_positions(position: str, left: bool | None, top: bool) -> None:
    stamp = BannerStamp(Session(size=(1280, 720), fps=30), BannerConfig(position=position))  # type: ignore[arg-type]
    cx = stamp.x + stamp.sprite.width / 2
    cy = stamp.y + stamp.sprite.height / 2
    assert (cy < 360) == top
    if left is None:
        assert abs(cx - 640) <= 1
    else:
        assert (cx < 640) == left


def _mark(
    session: Session, index: int, ts: float, banner_position: str = "top-right"
) -> np.ndarray:
    img = np.full((720, 1280, 3), 128, np.uint8)
    MarkStamp(session, banner_position).apply(Frame(img, index, ts))  # type: ignore[arg-type]
    return img


def test_mark_changes_every_frame() -> None:
    session = Session(size=(1280, 720), fps=30)
    a, b = _mark(session, 5, 100.0), _mark(session, 6, 100.0 + 1 / 30)
    assert not np.array_equal(a, b)


def test_mark_is_the_same_for_the_same_frame_and_time() -> None:
    session = Session(size=(1280, 720), fps=30)
    stamp = MarkStamp(session)
    imgs = []
    for _ in range(2):
        img = np.full((720, 1280, 3), 128, np.uint8)
        stamp.apply(Frame(img, 5, 100.0))
        imgs.append(img)
    assert np.array_equal(imgs[0], imgs[1])


def test_mark_sits_bottom_left_or_top_left_when_the_banner_is_at_the_bottom() -> None:
    session = Session(size=(1280, 720), fps=30)
    for position, want_top in (("top-right", False), ("bottom", True)):
        img = _mark(session, 1, 1.0, position)
        rows = np.flatnonzero(np.any(img != 128, axis=(1, 2)))
        cols = np.flatnonzero(np.any(img != 128, axis=(0, 2)))
        assert (rows.mean() < 360) == want_top
        assert cols.max() < 1280 * 0.75


class _Boom:
    name = "boom"

    def apply(self, frame: Frame) -> Frame:
        raise RuntimeError("kaput")


def test_chain_wraps_stamp_failures() -> None:
    session = Session(size=(320, 180), fps=30)
    chain = StampChain(session, [_Boom()])
    with pytest.raises(StampError, match="'boom' failed on frame 7: kaput"):
        chain.apply(Frame(np.zeros((180, 320, 3), np.uint8), 7, 0.0))


def test_chain_seals_frames_with_the_session_id() -> None:
    session = Session(size=(320, 180), fps=30)
    chain = StampChain(session, [MarkStamp(session)])
    stamped = chain.apply(Frame(np.zeros((180, 320, 3), np.uint8), 7, 0.0))
    assert stamped.session_id == session.id and stamped.index == 7 and not stamped.slate
