"""The one owner of a session's file names in ``data_dir()/sessions``.

A session writes ``<id>-<start>.manifest.json`` and ``<id>-<start>.log.jsonl`` side by
side (``<start>`` is its UTC start, ``20261130T061500Z``). The recorder names them with
:meth:`SessionPaths.new`; the checks find them with :func:`find_session_paths` and go
from one to the other with :meth:`SessionPaths.of`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from overlay import paths

__all__ = ["LOG_SUFFIX", "MANIFEST_SUFFIX", "SessionPaths", "find_session_paths", "sessions_dir"]

MANIFEST_SUFFIX = ".manifest.json"
LOG_SUFFIX = ".log.jsonl"
_SID = re.compile(r"^[0-9a-f]{8}$")


def sessions_dir() -> Path:
    """``data_dir()/sessions`` (created with mode 0700)."""
    folder = paths.data_dir() / "sessions"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


@dataclass(frozen=True, slots=True)
class SessionPaths:
    """A session's manifest and frame log, named from one stem.

    Attributes:
        manifest: ``<stem>.manifest.json``.
        log: ``<stem>.log.jsonl`` beside it.
    """

    manifest: Path
    log: Path

    @classmethod
    def new(
        cls, session_id: str, started_utc: datetime, folder: Path | None = None
    ) -> SessionPaths:
        """The names a new session writes (in ``sessions_dir()`` by default)."""
        stem = f"{session_id}-{started_utc.strftime('%Y%m%dT%H%M%SZ')}"
        folder = folder if folder is not None else sessions_dir()
        return cls(folder / f"{stem}{MANIFEST_SUFFIX}", folder / f"{stem}{LOG_SUFFIX}")

    @classmethod
    def of(cls, path: Path) -> SessionPaths:
        """The pair ``path`` (a manifest or a log) belongs to."""
        name = path.name
        for suffix in (MANIFEST_SUFFIX, LOG_SUFFIX):
            if name.endswith(suffix):
                stem = name.removesuffix(suffix)
                return cls(
                    path.with_name(stem + MANIFEST_SUFFIX), path.with_name(stem + LOG_SUFFIX)
                )
        raise ValueError(f"{path} is neither a session manifest nor a frame log")


def find_session_paths(session_id: str) -> list[SessionPaths]:
    """Every session of ``session_id`` in ``sessions_dir()``, oldest first (usually one).

    An id that is not 8 hex digits, or an unreadable folder, finds none.
    """
    sid = session_id.strip().lower()
    if not _SID.match(sid):
        return []
    try:
        found = sorted(sessions_dir().glob(f"{sid}-*{MANIFEST_SUFFIX}"))
    except OSError:
        return []
    return [SessionPaths.of(p) for p in found]
