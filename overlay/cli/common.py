"""Options and builders shared by sub-commands (run, bench, app)."""

from __future__ import annotations

import argparse

from overlay.config import LANGUAGES, POSITIONS, PRESETS, BannerConfig, OutputConfig, parse_size
from overlay.errors import ConfigError

__all__ = [
    "add_banner_options",
    "add_output_options",
    "add_policy_option",
    "banner_from_args",
    "output_from_args",
]


def add_output_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--size", default="1280x720", metavar="WxH", help="output size (default 1280x720)"
    )
    p.add_argument("--fps", type=float, default=30.0, help="output frames per second (default 30)")


def add_banner_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--preset", choices=sorted(PRESETS), help="banner preset (eu, gb45438)")
    p.add_argument("--lang", choices=LANGUAGES, help="banner language (en, zh -> AI生成)")
    p.add_argument("--position", choices=POSITIONS, help="banner position (default top-right)")
    p.add_argument("--banner-text", metavar="TEXT", help='custom banner text; must contain "AI"')
    p.add_argument(
        "--banner-height",
        type=float,
        metavar="FRACTION",
        help="text height as a fraction of the shortest side (>= 0.05, default 0.055)",
    )


def add_policy_option(p: argparse.ArgumentParser) -> None:
    from overlay.operator_policy import site_policy_path

    p.add_argument(
        "--policy",
        metavar="FILE",
        help="an operator policy (TOML) that fixes or bounds the settings; default: "
        f"{site_policy_path()} if it exists",
    )


def output_from_args(args: argparse.Namespace) -> OutputConfig:
    if args.fps != args.fps:  # NaN
        raise ConfigError("--fps nan is not a number; use e.g. 30")
    return OutputConfig(parse_size(args.size), float(args.fps))


def banner_from_args(args: argparse.Namespace) -> BannerConfig:
    base = PRESETS[args.preset] if args.preset else BannerConfig()
    changes: dict[str, object] = {}
    if args.lang:
        changes["lang"] = args.lang
    if args.position:
        changes["position"] = args.position
    if args.banner_text is not None:
        changes["text"] = args.banner_text
    if args.banner_height is not None:
        changes["text_height"] = args.banner_height
    return base.with_changes(**changes) if changes else base
