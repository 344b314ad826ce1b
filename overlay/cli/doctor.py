"""``overlay doctor``: prints the virtual-camera checks of :mod:`overlay.doctor` and their fixes."""

from __future__ import annotations

import argparse
from typing import Any

from overlay.doctor import all_checks

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "doctor",
        help="check the virtual-camera set-up and print the fix for each problem",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    checks = all_checks()
    for c in checks:
        mark = "ok  " if c.ok else "FAIL"
        print(f"[{mark}] {c.what}: {c.detail}")
        if c.fix:
            print(f"       fix: {c.fix}")
    failed = [c for c in checks if not c.ok]
    if failed:
        print(
            f"{len(failed)} problem(s); until they are fixed 'overlay run' records to a "
            "file instead."
        )
        return 1
    print("the virtual camera is ready: overlay run --sink vcam")
    return 0
