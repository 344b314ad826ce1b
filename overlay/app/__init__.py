"""The desktop app (PySide6): a thin Qt shell over the same pipeline as ``overlay run``.

This package is the only one that imports PySide6, and only when it is imported itself:
``overlay.app.main`` (the ``overlay-app`` gui-script) goes through the CLI so that bad
flags and library errors end as one line and exit code 2.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """``overlay-app [--kiosk] [--source S]``: the same as ``overlay app``."""
    from overlay.cli import main as cli_main

    args = list(sys.argv[1:] if argv is None else argv)
    return cli_main(["app", *args])
