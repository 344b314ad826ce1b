from __future__ import annotations

import pytest

from overlay.config import PRESETS, BannerConfig, OutputConfig, parse_size
from overlay.errors import ConfigError


def test_default_banner_meets_the_rules() -> None:
    cfg = BannerConfig()
    assert cfg.text_height >= 0.05
    assert cfg.plate_opacity >= 0.6
    assert "AI" in cfg.banner_text
    assert cfg.start_card_seconds >= 2.0


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"text_height": 0.049}, "below the minimum 5%"),
        ({"plate_opacity": 0.59}, "at least 60% opaque"),
        ({"text": "Synthetic video"}, 'does not contain "AI"'),
        ({"text": "ai generated"}, 'does not contain "AI"'),
        ({"start_card_seconds": 1.5}, "shorter than the minimum 2.0 s"),
        ({"position": "middle"}, "unknown banner position"),
        ({"lang": "fr"}, "unknown banner language"),
        ({"text": "AI\nsecond line"}, "one line"),
    ],
)
def test_banner_rules_are_enforced(changes: dict[str, object], words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        BannerConfig().with_changes(**changes)


@pytest.mark.parametrize(
    "changes",
    [
        {"text_height": 0.05},
        {"plate_opacity": 0.6},
        {"text": "AI-generated avatar"},
        {"text": "AI生成"},
        {"start_card_seconds": 2.0},
        {"position": "bottom"},
        {"lang": "zh"},
    ],
)
def test_settings_at_the_limits_are_accepted(changes: dict[str, object]) -> None:
    cfg = BannerConfig().with_changes(**changes)  # raises ConfigError if refused
    assert all(getattr(cfg, k) == v for k, v in changes.items())


def test_chinese_texts() -> None:
    cfg = BannerConfig(lang="zh")
    assert cfg.banner_text == "AI生成"
    assert "AI" in cfg.slate_text
    assert PRESETS["gb45438"].lang == "zh"


def test_parse_size() -> None:
    assert parse_size("1280x720") == (1280, 720)
    assert parse_size(" 640X360 ") == (640, 360)
    for bad in ("1280", "x720", "12a0x720", "-1x5"):
        with pytest.raises(ConfigError, match="WIDTHxHEIGHT"):
            parse_size(bad)


def test_output_size_rules() -> None:
    OutputConfig((1280, 720), 30)
    with pytest.raises(ConfigError, match="odd side"):
        OutputConfig((1281, 720), 30)
    with pytest.raises(ConfigError, match="outside 160x120"):
        OutputConfig((100, 100), 30)
    with pytest.raises(ConfigError, match="outside 1-240"):
        OutputConfig((1280, 720), 0)
