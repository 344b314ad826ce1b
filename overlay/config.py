"""Settings as frozen dataclasses, validated when built: a rule is enforced, not advised."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Literal, get_args

from overlay.errors import ConfigError

__all__ = [
    "MIN_PLATE_OPACITY",
    "MIN_START_CARD_SECONDS",
    "MIN_TEXT_HEIGHT",
    "PRESETS",
    "BannerConfig",
    "Language",
    "OutputConfig",
    "Position",
    "parse_size",
]

Language = Literal["en", "zh"]
Position = Literal["top-right", "top-left", "top", "bottom"]
LANGUAGES: tuple[str, ...] = get_args(Language)
POSITIONS: tuple[str, ...] = get_args(Position)

#: GB 45438-2025: the label's text is at least 5% of the shortest side of the picture.
MIN_TEXT_HEIGHT = 0.05
#: The backing plate behind the text is at least this opaque.
MIN_PLATE_OPACITY = 0.6
#: GB 45438-2025 asks for the disclosure at the start for at least 2 s.
MIN_START_CARD_SECONDS = 2.0

#: Texts per language: the banner, the enlarged start card, the slate shown when the source stalls.
TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "banner": "AI-generated",
        "card": "AI-generated video",
        "slate": "AI-generated video - source paused",
    },
    "zh": {
        "banner": "AI生成",
        "card": "AI生成视频",
        "slate": "AI生成视频 - 视频源已暂停",
    },
}


@dataclass(frozen=True, slots=True)
class BannerConfig:
    """The persistent "AI-generated" banner.

    Attributes:
        lang: language of the preset texts.
        text: custom banner text (must contain "AI"); None uses the language's preset.
        position: where the banner sits.
        text_height: cap height of the text as a fraction of the frame's shortest side.
        plate_opacity: opacity of the backing plate behind the text.
        start_card_seconds: how long the enlarged disclosure shows at the session start.
    """

    lang: Language = "en"
    text: str | None = None
    position: Position = "top-right"
    text_height: float = 0.055
    plate_opacity: float = 0.8
    start_card_seconds: float = MIN_START_CARD_SECONDS

    def __post_init__(self) -> None:
        if self.lang not in LANGUAGES:
            raise ConfigError(
                f"unknown banner language {self.lang!r}; use one of: {', '.join(LANGUAGES)}"
            )
        if self.position not in POSITIONS:
            raise ConfigError(
                f"unknown banner position {self.position!r}; use one of: {', '.join(POSITIONS)}"
            )
        if self.text is not None:
            # Frozen: the normalised text replaces the given one (same value for plain text).
            object.__setattr__(self, "text", check_banner_text(self.text))
        if not self.text_height >= MIN_TEXT_HEIGHT:
            raise ConfigError(
                f"banner text height {self.text_height:.1%} of the shortest side is below the "
                f"minimum {MIN_TEXT_HEIGHT:.0%} (GB 45438-2025); use {MIN_TEXT_HEIGHT} or more"
            )
        if self.text_height > 0.25:
            raise ConfigError(
                f"banner text height {self.text_height:.1%} is above 25% of the shortest side; "
                "use a value between 0.05 and 0.25"
            )
        if not MIN_PLATE_OPACITY <= self.plate_opacity <= 1.0:
            raise ConfigError(
                f"banner plate opacity {self.plate_opacity} is outside "
                f"{MIN_PLATE_OPACITY}-1.0; the text needs a backing plate at least "
                f"{MIN_PLATE_OPACITY:.0%} opaque"
            )
        if not self.start_card_seconds >= MIN_START_CARD_SECONDS:
            raise ConfigError(
                f"start card of {self.start_card_seconds} s is shorter than the minimum "
                f"{MIN_START_CARD_SECONDS} s (GB 45438-2025); use {MIN_START_CARD_SECONDS} or more"
            )

    @property
    def banner_text(self) -> str:
        return self.text if self.text is not None else TEXTS[self.lang]["banner"]

    @property
    def card_text(self) -> str:
        return self.text if self.text is not None else TEXTS[self.lang]["card"]

    @property
    def slate_text(self) -> str:
        return TEXTS[self.lang]["slate"]

    def with_changes(self, **changes: object) -> BannerConfig:
        """A copy with ``changes`` applied, validated like a new one."""
        return replace(self, **changes)  # type: ignore[arg-type]


#: Named banner presets (the GUI's picker and ``--preset``).
PRESETS: dict[str, BannerConfig] = {
    # The EU Code of Practice places its AI icon top-right.
    "eu": BannerConfig(lang="en", position="top-right"),
    # GB 45438-2025: Chinese text, at least 5% of the shortest side.
    "gb45438": BannerConfig(lang="zh", position="top-left", text_height=0.06),
}

#: "AI" as a word of its own ("AI-generated", "AI生成", "AIGC"), not inside "PAID" or "FAIR".
_AI_WORD = re.compile(r"(?<![A-Za-z])AI(?:GC)?(?![A-Za-z])")

#: Unicode categories refused in banner text: format characters (bidi overrides and
#: isolates, zero-width spaces and joiners, soft hyphen, BOM), controls, private use,
#: unassigned, surrogates, line/paragraph separators, and combining marks left after
#: normalisation (a stroke or overlay drawn across "AI").
_REFUSED_CATEGORIES = {
    "Cf": "a format character (bidi control, zero-width or invisible)",
    "Cc": "a control character",
    "Co": "a private-use character",
    "Cn": "an unassigned code point",
    "Cs": "a lone surrogate (bytes that are not UTF-8)",
    "Zl": "a line separator",
    "Zp": "a paragraph separator",
    "Mn": "a combining mark",
    "Me": "an enclosing mark",
    "Mc": "a combining mark",
}


def check_banner_text(text: str) -> str:
    """``text`` normalised (NFKC) and checked to be drawn as written; the checked text.

    NFKC folds look-alike forms (full-width "ＡＩ" -> "AI", ligatures, compatibility
    spaces); then every character must be visible and drawn by the bundled font, so the
    banner on screen says exactly what the text says, left to right.

    Raises:
        ConfigError: an invisible, reordering or undrawable character, no "AI" word, or
            not one line of 1-40 characters.
    """
    import unicodedata

    norm = unicodedata.normalize("NFKC", text)
    if not norm.strip() or len(norm) > 40 or "\n" in norm or "\r" in norm:
        raise ConfigError(f"banner text {text!r} must be one line of 1-40 characters; shorten it")
    for ch in norm:
        what = _REFUSED_CATEGORIES.get(unicodedata.category(ch))
        if what is None and ch.isspace() and ch != " ":
            what = "a space other than the plain space"
        if what is not None:
            raise ConfigError(
                f"banner text {text!r} contains {what}, U+{ord(ch):04X} "
                f"{unicodedata.name(ch, 'unnamed')}; the banner must read as written: "
                "remove it"
            )
    if not _AI_WORD.search(norm):
        raise ConfigError(
            f'banner text {text!r} does not contain "AI" as a word; the disclosure must '
            'say AI, e.g. "AI-generated" or "AI生成"'
        )
    from overlay.render import missing_glyphs

    missing = missing_glyphs(norm)
    if missing:
        shown = ", ".join(f"{c!r} (U+{ord(c):04X})" for c in missing)
        raise ConfigError(
            f"banner text {text!r} has characters the label font cannot draw: {shown}; "
            "use Latin or Chinese (GB2312) letters, no emoji"
        )
    return norm


_SIZE = re.compile(r"^\s*(\d+)\s*[xX×]\s*(\d+)\s*$")


def parse_size(text: str, what: str = "--size") -> tuple[int, int]:
    """Parse ``WxH`` into (width, height)."""
    m = _SIZE.match(text)
    if not m:
        raise ConfigError(f"{what} {text!r} is not WIDTHxHEIGHT; write it like 1280x720")
    return int(m.group(1)), int(m.group(2))


@dataclass(frozen=True, slots=True)
class OutputConfig:
    """What the sinks receive: size and rate.

    Attributes:
        size: (width, height); both even, because virtual cameras carry 4:2:0 YUV.
        fps: frames per second.
    """

    size: tuple[int, int] = (1280, 720)
    fps: float = 30.0

    def __post_init__(self) -> None:
        w, h = self.size
        if not (160 <= w <= 7680 and 120 <= h <= 4320):
            raise ConfigError(
                f"output size {w}x{h} is outside 160x120-7680x4320; pick e.g. 1280x720"
            )
        if w % 2 or h % 2:
            raise ConfigError(
                f"output size {w}x{h} has an odd side; virtual cameras carry 4:2:0 video, "
                f"use {w + w % 2}x{h + h % 2}"
            )
        if not 1.0 <= self.fps <= 240.0:
            raise ConfigError(f"--fps {self.fps} is outside 1-240; use e.g. 30")
