"""The one owner of a session's file names in ``data_dir()/sessions``.

A session writes ``<id>-<start>.manifest.json`` and ``<id>-<start>.log.jsonl`` side by
side (``<start>`` is its UTC start, ``20261130T061500Z``). The recorder names them with
:meth:`SessionPaths.new`; the checks find them with :func:`find_session` (or every
session of an id with :func:`find_session_paths`) and go from one to the other with
:func:`sibling`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from overlay import paths

__all__ = [
    "LOG_SUFFIX",
    "MANIFEST_SUFFIX",
    "SID",
    "SessionFiles",
    "SessionPaths",
    "find_session",
    "find_session_paths",
    "sessions_dir",
    "sibling",
]

MANIFEST_SUFFIX = ".manifest.json"
LOG_SUFFIX = ".log.jsonl"
#: A session id: 8 lower-case hex digits.
SID = re.compile(r"^[0-9a-f]{8}$")


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
    if not SID.match(sid):
        return []
    try:
        found = sorted(sessions_dir().glob(f"{sid}-*{MANIFEST_SUFFIX}"))
    except OSError:
        return []
    return [SessionPaths.of(p) for p in found]


@dataclass(frozen=True, slots=True)
class SessionFiles:
    """A session's files in the data folder."""

    session_id: str
    manifest: Path
    log: Path | None


def find_session(session_id: str) -> SessionFiles | None:
    """The manifest and log of ``session_id`` in ``data_dir()/sessions`` (newest if several)."""
    found = find_session_paths(session_id)
    if not found:
        return None
    newest = found[-1]
    log_path = newest.log if newest.log.exists() else None
    return SessionFiles(session_id.strip().lower(), newest.manifest, log_path)


def sibling(path: Path, kind: Literal["manifest", "log"]) -> Path | None:
    """The session file of ``kind`` ("manifest" or "log") beside ``path``, if it exists."""
    try:
        pair = SessionPaths.of(path)
    except ValueError:
        return None
    other = pair.manifest if kind == "manifest" else pair.log
    return other if other != path and other.exists() else None
