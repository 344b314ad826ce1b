"""``overlay watch SOURCE``: watch a window, region, screen, device, file or pipe live for
the AI-disclosure watermark and report each change of state.

Exit codes: with ``--until-found S``, 0 on the first detection within S seconds, 1 if
none (the source ended or was lost first, or S passed); without it, 0 when the watch
ends (``--seconds``, the end of a file, Ctrl-C) and 3 when the source was lost; 2 on bad
input (one line on stderr).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from overlay.errors import ConfigError

__all__ = ["EXIT_LOST", "add_parser", "run"]

EXIT_FOUND = 0
EXIT_NOT_FOUND = 1
EXIT_LOST = 3


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "watch",
        help="watch a window, screen, device, file or pipe live for the AI-disclosure watermark",
        description="Sample SOURCE, search it (and the call tiles it shows) for the invisible "
        "AI-disclosure watermark, and report each change: disclosed (session, AI flag, "
        "since), not found (for N s), source lost. Exit 0/1 with --until-found (found / "
        "not within S seconds); else 0 at the end, 3 if the source was lost; 2 bad input.",
    )
    p.add_argument(
        "source",
        metavar="SOURCE",
        help="window:TITLE | region:X,Y,W,H | screen[:N] | webcam[:N] | device:PATH | "
        "file:PATH | pipe: (as for 'overlay run --source'; 'overlay sources' lists them)",
    )
    p.add_argument("--fps", type=float, default=10.0, help="samples per second (default 10)")
    p.add_argument(
        "--json",
        action="store_true",
        help="JSON lines: one per change of state, and a heartbeat",
    )
    p.add_argument(
        "--heartbeat",
        type=float,
        default=5.0,
        metavar="S",
        help="with --json, a heartbeat line every S seconds (default 5)",
    )
    p.add_argument(
        "--until-found",
        type=float,
        metavar="S",
        help="exit 0 on the first detection within S seconds, 1 if none",
    )
    p.add_argument("--seconds", type=float, metavar="S", help="stop after S seconds")
    p.add_argument(
        "--key",
        metavar="FILE",
        help="installation watermark key file, to read the session id "
        "(default: this installation's key, if it exists)",
    )
    p.add_argument(
        "--tiles",
        type=int,
        default=4,
        metavar="N",
        help="call tiles searched on their own besides the whole picture (default 4)",
    )
    p.add_argument(
        "--pipe-size", metavar="WxH", help="frame size of raw BGR frames on stdin (pipe:)"
    )
    p.add_argument(
        "--badge",
        action="store_true",
        help="show the state in a small always-on-top window (needs PySide6)",
    )
    p.set_defaults(func=run)


def _check(args: argparse.Namespace) -> None:
    if not 0 < args.fps <= 60:
        raise ConfigError(f"--fps {args.fps:g} must be more than 0 and at most 60; try 10")
    for name in ("until_found", "seconds", "heartbeat"):
        value = getattr(args, name)
        if value is not None and not value > 0:
            flag = "--" + name.replace("_", "-")
            raise ConfigError(f"{flag} {value:g} must be more than 0 seconds")
    if not 0 <= args.tiles <= 4:
        raise ConfigError(f"--tiles {args.tiles} must be 0 to 4")
    if args.badge and args.json:
        raise ConfigError("--badge shows the state in a window; drop --json (or --badge)")


@contextmanager
def _stop_on_signals(stop: Any) -> Iterator[None]:
    """Ctrl-C / SIGTERM end the watch (one line, the usual exit code)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        stop()

    old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def run(args: argparse.Namespace) -> int:
    _check(args)
    import cv2

    from overlay.cli.run import _source_from_args
    from overlay.cli.verify import _key
    from overlay.sources import SourceOptions, open_source
    from overlay.watching import DISCLOSED, LOST, Watcher, WatchEvent

    # A watch runs beside the call it watches: one OpenCV thread. Its pool's threads
    # spend about a fifth more process time on the same searches here (2 vCPUs) and
    # would take the call app's second core (benchmarks/watch.py, part c, does the same).
    cv2.setNumThreads(1)
    key = _key(args.key)
    options = SourceOptions(loop=False, fps=args.fps)
    source = open_source(_source_from_args(args) or args.source, options)
    watcher = Watcher(source, fps=args.fps, installation_key=key, tiles=args.tiles)
    if args.badge:
        from overlay.app.badge import run_badge

        return run_badge(watcher, seconds=args.seconds)
    tty = sys.stdout.isatty() and not args.json
    seen: list[WatchEvent] = []

    def show(event: WatchEvent) -> None:
        seen.append(event)
        if args.json:
            print(json.dumps(event.to_dict()), flush=True)
        elif tty:
            sys.stdout.write("\r\033[K" + event.line())
            sys.stdout.flush()
        elif event.kind == "state":
            print(event.line(), flush=True)

    limit = args.until_found if args.until_found is not None else args.seconds
    try:
        with _stop_on_signals(watcher.stop):
            last = watcher.run(
                show,
                seconds=limit,
                until_found=args.until_found is not None,
                heartbeat=args.heartbeat if args.json else None,
            )
    finally:
        source.close()
        if tty:
            sys.stdout.write("\n")
    if args.until_found is not None:
        return EXIT_FOUND if last.state == DISCLOSED else EXIT_NOT_FOUND
    return EXIT_LOST if any(e.state == LOST and e.reason != "the source ended" for e in seen) else 0
