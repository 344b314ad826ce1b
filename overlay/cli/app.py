"""``overlay app``: the desktop app (the window; ``--kiosk`` for demo booths)."""

from __future__ import annotations

import argparse
from typing import Any

from overlay.cli.common import add_policy_option
from overlay.errors import ConfigError
from overlay.operator_policy import PolicyError, find_policy

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "app",
        help="open the desktop app (live disclosed preview, virtual camera, recording)",
        description="Open the desktop app. Settings are kept between runs in the user "
        "config folder (OVERLAY_CONFIG_DIR overrides it).",
    )
    p.add_argument(
        "--kiosk",
        action="store_true",
        help="demo booth: fullscreen preview, no controls, restarts the source after a "
        "failure, Esc asks before quitting",
    )
    p.add_argument(
        "--source", metavar="S", help="start with this source (e.g. synthetic, webcam:0)"
    )
    p.add_argument(
        "--quit-after",
        type=float,
        metavar="S",
        help="close the window after S seconds (for scripted checks and demos)",
    )
    add_policy_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from overlay.app.run import run_app  # PySide6 loads only for this command

    if args.quit_after is not None and not args.quit_after > 0:
        raise ConfigError(f"--quit-after {args.quit_after} must be more than 0 seconds")
    policy = find_policy(args.policy)  # a bad policy file is one line before any window
    if policy is not None and args.source and not policy.allows_source(args.source):
        raise PolicyError(policy.source_problem(args.source))
    return run_app(kiosk=args.kiosk, source=args.source, quit_after=args.quit_after, policy=policy)
