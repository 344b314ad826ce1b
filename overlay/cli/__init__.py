"""The ``overlay`` command: ``main(argv) -> int``.

Each sub-command lives in its own module here with ``add_parser(subparsers)`` and
``run(args) -> int``. Errors the library raises on purpose (OverlayError) become one line
on stderr and exit code 2; so do bad flags.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from typing import NoReturn, TextIO

from overlay import __version__
from overlay.errors import OverlayError

__all__ = ["main"]

#: Sub-command modules, in the order ``--help`` lists them.
COMMANDS: tuple[str, ...] = (
    "run",
    "verify",
    "watch",
    "sources",
    "app",
    "doctor",
    "bench",
    "keys",
    "consent",
)

EXIT_ERROR = 2


class UsageError(Exception):
    """Bad command-line words."""


class Parser(argparse.ArgumentParser):
    """argparse that reports a usage error in one line instead of usage + message."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see '{self.prog} --help')")


def build_parser() -> Parser:
    parser = Parser(prog="overlay", description="Real-time AI-disclosure layer for video.")
    parser.add_argument("--version", action="version", version=f"overlay {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name in COMMANDS:
        importlib.import_module(f"overlay.cli.{name}").add_parser(sub)
    return parser


EXIT_INTERRUPTED = 130


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    try:
        return _main(list(sys.argv[1:] if argv is None else argv))
    except KeyboardInterrupt:
        # Ctrl-C before the session's own handler is in place (imports, opening devices,
        # loading the face model): one line, no traceback.
        print("overlay: stopped", file=sys.stderr)
        return EXIT_INTERRUPTED


def _not_utf8(args_list: Sequence[str]) -> str | None:
    """The first argument holding bytes that are not UTF-8 (surrogate escapes), if any."""
    for arg in args_list:
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            return arg
    return None


def _main(args_list: list[str]) -> int:
    bad = _not_utf8(args_list)
    if bad is not None:
        from overlay.paths import display_path

        print(
            f"overlay: error: argument '{display_path(bad)}' is not valid UTF-8 (a name or text "
            "in another encoding); rename the file or folder, or give UTF-8 text",
            file=sys.stderr,
        )
        return EXIT_ERROR
    try:
        parser = build_parser()
        args = parser.parse_args(args_list)
    except UsageError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_ERROR
    if args.command is None:
        parser.print_help()
        return EXIT_ERROR
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("overlay: %(message)s"))
    handler.addFilter(_ours_or_serious)
    _quiet_other_libraries()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if args.verbose else logging.INFO)
    try:
        code: int = args.func(args)
        return code
    except OverlayError as exc:
        print(f"overlay: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("overlay: stopped", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (``overlay sources | head``): stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def _ours_or_serious(record: logging.LogRecord) -> bool:
    """overlay's own lines at every level; other libraries' only from WARNING up."""
    name = record.name
    return name == "overlay" or name.startswith("overlay.") or record.levelno >= logging.WARNING


def _quiet_other_libraries() -> None:
    """Other libraries' chatter, silenced at its source; their errors still show.

    matplotlib (imported by MediaPipe) warns "building the font cache" on a first run;
    absl's Python logger repeats MediaPipe's start-up notes. (MediaPipe's C++ logging is
    turned down where it is imported: overlay.faces.detector.)
    """
    logging.getLogger("matplotlib").setLevel(logging.ERROR)
    logging.getLogger("absl").setLevel(logging.ERROR)


class _StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stderr`` is at the time (tests swap it), not the one at start."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)
