"""The checks ``overlay verify`` runs, one module per kind of evidence.

- :mod:`~overlay.provenance.checks.manifest`: the signed session manifest;
- :mod:`~overlay.provenance.checks.log`: the frame log;
- :mod:`~overlay.provenance.checks.signed_recording`: a recording's C2PA manifest;
- :mod:`~overlay.provenance.checks.frame_match`: a copy's frames against the log.

Each returns a frozen dataclass (the :class:`~overlay.provenance.checks.common.Evidence`
protocol). :func:`provenance_report` puts them together for one file; :func:`check_session`
checks a session by id.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from overlay.provenance.checks.common import Evidence, Outcome, PathLike, fail
from overlay.provenance.checks.frame_match import MATCH_DISTANCE, FrameMatch, match_recording
from overlay.provenance.checks.log import BrokenRecord, LogCheck, check_log
from overlay.provenance.checks.manifest import (
    ManifestCheck,
    check_manifest,
    check_watermark_session,
)
from overlay.provenance.checks.signed_recording import C2paCheck, Signer, check_c2pa
from overlay.provenance.naming import SessionFiles, find_session, sibling

__all__ = [
    "MATCH_DISTANCE",
    "BrokenRecord",
    "C2paCheck",
    "Evidence",
    "FrameMatch",
    "LogCheck",
    "ManifestCheck",
    "Outcome",
    "ProvenanceReport",
    "SessionCheck",
    "SessionFiles",
    "Signer",
    "check_c2pa",
    "check_log",
    "check_manifest",
    "check_session",
    "check_watermark_session",
    "find_session",
    "match_recording",
    "provenance_report",
]


@dataclass(frozen=True, slots=True)
class SessionCheck:
    """A session's manifest and frame log, found by id.

    Attributes:
        session_id: the id asked for (lower case when found).
        found: the session's manifest is in this data folder.
        manifest: its check, or a missing :class:`Outcome`.
        log: its check, or a missing :class:`Outcome`.
    """

    session_id: str
    found: bool
    manifest: ManifestCheck | Outcome
    log: LogCheck | Outcome


def check_session(session_id: str, *, public_key: PathLike | bytes | None = None) -> SessionCheck:
    """Find a session's files by id and check its manifest and log."""
    files = find_session(session_id)
    if files is None:
        missing = Outcome.missing(f"no session {session_id} in this data folder")
        return SessionCheck(session_id, False, missing, missing)
    manifest = check_manifest(files.manifest, public_key=public_key)
    log_result = (
        check_log(files.log, manifest, public_key=public_key)
        if files.log
        else Outcome.missing(f"no frame log for session {session_id}")
    )
    return SessionCheck(files.session_id, True, manifest, log_result)


@dataclass(frozen=True, slots=True)
class ProvenanceReport:
    """The provenance sections of ``overlay verify`` for one file.

    Attributes:
        session_id: the session the file carries (its watermark's, else its C2PA soft
            binding's), if any.
        manifest: the session manifest's check, or a missing :class:`Outcome`.
        log: the frame log's check, or a missing :class:`Outcome`.
        c2pa: the file's C2PA check, or a missing :class:`Outcome` (no file to check).
        watermark_session: whether the watermark's session id belongs to the manifest
            (None: nothing to compare).
        frames: the video's frames against the log (None: nothing to compare).
    """

    session_id: str | None
    manifest: ManifestCheck | Outcome
    log: LogCheck | Outcome
    c2pa: C2paCheck | Outcome
    watermark_session: Outcome | None
    frames: FrameMatch | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``session_id`` and each section's object (or None)."""
        return {
            "session_id": self.session_id,
            "manifest": self.manifest.to_dict(),
            "log": self.log.to_dict(),
            "c2pa": self.c2pa.to_dict(),
            "watermark_session": self.watermark_session.to_dict()
            if self.watermark_session
            else None,
            "frames": self.frames.to_dict() if self.frames else None,
        }


_S = TypeVar("_S", ManifestCheck, LogCheck, C2paCheck, FrameMatch)


def _other_session(result: _S, what: str, expected: str, source: str) -> _S:
    """``result`` (valid or not) as not matching when it is for another session."""
    sid = result.session_id
    if sid and sid.lower() != expected:
        return fail(result, f"the {what} is for session {sid}, the {source} carries {expected}")
    return result


def provenance_report(
    video: PathLike | None = None,
    *,
    session_id: str | None = None,
    manifest: PathLike | None = None,
    public_key: PathLike | bytes | None = None,
    match_frames: bool = True,
) -> ProvenanceReport:
    """The ``manifest``, ``log``, ``c2pa``, ``watermark_session`` and ``frames`` checks
    for ``overlay verify``.

    Every check has ``valid``, ``reason`` and ``present`` (the record exists: a C2PA
    manifest in the file, a session manifest given or found, a frame log next to it). A
    manifest, log or C2PA manifest for another session than the one the recording carries
    (its watermark's, else its C2PA soft binding's) is not valid, each saying so.

    Args:
        video: the file being verified (its C2PA manifest is checked), if any.
        session_id: the session id the watermark carried, if one was found.
        manifest: a session manifest to check against (default: found by session id,
            from ``session_id`` or the recording's C2PA manifest).
        public_key: a PEM public key for records made on another installation.
        match_frames: match the video's frames against the log's perceptual hashes
            (``frames``; needs both).
    """
    c2pa_result: C2paCheck | Outcome = (
        check_c2pa(video, manifest, public_key=public_key)
        if video is not None
        else Outcome.missing("no file to check")
    )
    c2pa_sid = c2pa_result.session_id if isinstance(c2pa_result, C2paCheck) else None
    sid = (session_id or c2pa_sid or "").lower() or None
    source = "watermark" if session_id else "recording's C2PA manifest"
    manifest_path = Path(manifest) if manifest is not None else None
    log_path: Path | None = None
    if manifest_path is None and sid:
        found = find_session(sid)
        if found is not None:
            manifest_path, log_path = found.manifest, found.log
    elif manifest_path is not None:
        log_path = sibling(manifest_path, "log")
    manifest_result: ManifestCheck | Outcome
    log_result: LogCheck | Outcome
    checked: ManifestCheck | None = None
    if manifest_path is None:
        reason = f"no session manifest for session {sid} here" if sid else "no session id"
        manifest_result = log_result = Outcome.missing(reason)
    else:
        checked = check_manifest(manifest_path, public_key=public_key)
        log_result = (
            check_log(log_path, checked, public_key=public_key)
            if log_path is not None
            else Outcome.missing(f"no frame log next to {manifest_path.name}")
        )
        manifest_result = checked
    if sid:
        if isinstance(manifest_result, ManifestCheck):
            manifest_result = _other_session(manifest_result, "manifest", sid, source)
        if isinstance(log_result, LogCheck):
            log_result = _other_session(log_result, "frame log", sid, source)
        if session_id and isinstance(c2pa_result, C2paCheck):
            c2pa_result = _other_session(c2pa_result, "recording's C2PA manifest", sid, source)
    watermark = (
        check_watermark_session(session_id, checked)  # checked with ``public_key``
        if session_id and checked is not None
        else None
    )
    frames: FrameMatch | None = None
    if match_frames and video is not None and log_path is not None:
        frames = match_recording(video, log_path, public_key=public_key)
        if sid:
            frames = _other_session(frames, "frame log", sid, source)
    return ProvenanceReport(sid, manifest_result, log_result, c2pa_result, watermark, frames)
