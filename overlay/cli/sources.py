"""``overlay sources``: what can be captured here, each with the ``--source`` to use."""

from __future__ import annotations

import argparse
import json
import shlex
from typing import Any

from overlay.sources.listing import Kind, SourceListing, list_sources

__all__ = ["add_parser", "format_listing", "run"]

_SECTIONS: tuple[tuple[Kind, str], ...] = (
    ("camera", "cameras"),
    ("screen", "screens"),
    ("window", "windows"),
)


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "sources",
        help="list the cameras, screens and windows you can capture, with their --source",
        description="List what overlay can capture on this system. Each line starts with "
        "the exact option to pass to 'overlay run'.",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def format_listing(listing: SourceListing) -> str:
    """The listing as the terminal shows it: a section per kind, options first."""
    lines: list[str] = []
    for kind, title in _SECTIONS:
        lines.append(f"{title}:")
        choices = listing.of_kind(kind)
        for c in choices:
            lines.append(f"  {'--source ' + shlex.quote(c.spec):<34} {c.label}")
        if kind == "screen" and choices:
            lines.append(f"  {'--source region:X,Y,W,H':<34} a rectangle of the screen, in pixels")
        problem = listing.problems.get(kind)
        if problem:
            lines.append(f"  ({problem})")
        elif not choices:
            lines.append("  (none found)")
    lines.append("use one with: overlay run --source ...")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    listing = list_sources()
    if args.json:
        print(
            json.dumps(
                {
                    "sources": [
                        {
                            "kind": c.kind,
                            "spec": c.spec,
                            "label": c.label,
                            "size": c.size,
                            "rect": c.rect,
                        }
                        for c in listing.choices
                    ],
                    "problems": listing.problems,
                }
            )
        )
    else:
        print(format_listing(listing))
    return 0
