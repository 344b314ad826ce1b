"""The checks ``overlay verify`` runs, one module per kind of evidence.

- :mod:`~overlay.provenance.checks.manifest`: the signed session manifest;
- :mod:`~overlay.provenance.checks.log`: the frame log;
- :mod:`~overlay.provenance.checks.signed_recording`: a recording's C2PA manifest;
- :mod:`~overlay.provenance.checks.frame_match`: a copy's frames against the log.

:func:`provenance_report` puts them together for one file; :func:`check_session` checks
a session by id. Results are described in :mod:`~overlay.provenance.checks.common`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from overlay.provenance.checks.common import PathLike, SessionFiles, find_session, sibling
from overlay.provenance.checks.frame_match import MATCH_DISTANCE, match_recording
from overlay.provenance.checks.log import check_log
from overlay.provenance.checks.manifest import check_manifest, check_watermark_session
from overlay.provenance.checks.signed_recording import check_c2pa

__all__ = [
    "MATCH_DISTANCE",
    "SessionFiles",
    "check_c2pa",
    "check_log",
    "check_manifest",
    "check_session",
    "check_watermark_session",
    "find_session",
    "match_recording",
    "provenance_report",
]


def check_session(session_id: str, *, public_key: PathLike | bytes | None = None) -> dict[str, Any]:
    """Find a session's files by id and check its manifest and log.

    Returns:
        ``{"session_id", "found", "manifest": {...}, "log": {...}}``.
    """
    files = find_session(session_id)
    if files is None:
        missing = {"valid": False, "reason": f"no session {session_id} in this data folder"}
        return {"session_id": session_id, "found": False, "manifest": missing, "log": dict(missing)}
    manifest = check_manifest(files.manifest, public_key=public_key)
    log_result = (
        check_log(files.log, manifest, public_key=public_key)
        if files.log
        else {"valid": False, "reason": f"no frame log for session {session_id}"}
    )
    return {"session_id": files.session_id, "found": True, "manifest": manifest, "log": log_result}


def _other_session(result: dict[str, Any], what: str, expected: str, source: str) -> None:
    """Mark ``result`` (valid or not) as not matching when it is for another session."""
    sid = result.get("session_id")
    if isinstance(sid, str) and sid and sid.lower() != expected:
        result["valid"] = False
        result["reason"] = f"the {what} is for session {sid}, the {source} carries {expected}"


def provenance_report(
    video: PathLike | None = None,
    *,
    session_id: str | None = None,
    manifest: PathLike | None = None,
    public_key: PathLike | bytes | None = None,
    match_frames: bool = True,
) -> dict[str, Any]:
    """The ``manifest``, ``log``, ``c2pa`` and ``frames`` objects for ``overlay verify``.

    Every object has ``valid``, ``reason`` and ``present`` (the record exists: a C2PA
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

    Returns:
        ``{"session_id", "manifest", "log", "c2pa", "watermark_session", "frames"}``.
        ``manifest`` carries a ``summary`` instead of the body; ``watermark_session`` and
        ``frames`` are None when there was nothing to compare.
    """
    c2pa_result: dict[str, Any] = (
        check_c2pa(video, manifest, public_key=public_key)
        if video is not None
        else {"valid": False, "reason": "no file to check"}
    )
    c2pa_result["present"] = video is not None and c2pa_result["reason"] not in (
        "no C2PA manifest in the file",
        "no file to check",
    )
    sid = (session_id or c2pa_result.get("session_id") or "").lower() or None
    source = "watermark" if session_id else "recording's C2PA manifest"
    manifest_path = Path(manifest) if manifest is not None else None
    log_path: Path | None = None
    if manifest_path is None and sid:
        found = find_session(sid)
        if found is not None:
            manifest_path, log_path = found.manifest, found.log
    elif manifest_path is not None:
        log_path = sibling(manifest_path, "log")
    if manifest_path is None:
        reason = f"no session manifest for session {sid} here" if sid else "no session id"
        manifest_result: dict[str, Any] = {"valid": False, "reason": reason, "present": False}
        log_result: dict[str, Any] = {"valid": False, "reason": reason, "present": False}
    else:
        manifest_result = check_manifest(manifest_path, public_key=public_key)
        manifest_result["present"] = manifest_path.exists()
        log_result = (
            check_log(log_path, manifest_result, public_key=public_key)
            if log_path is not None
            else {"valid": False, "reason": f"no frame log next to {manifest_path.name}"}
        )
        log_result["present"] = log_path is not None
        body = manifest_result.pop("body", None) or {}
        manifest_result["summary"] = {
            k: body.get(k)
            for k in (
                "started_utc",
                "ended_utc",
                "source",
                "digital_source_type",
                "declared",
                "consent",
                "AIGC",
                "frames",
                "recordings",
            )
        }
    if sid:
        _other_session(manifest_result, "manifest", sid, source)
        _other_session(log_result, "frame log", sid, source)
        if session_id:
            _other_session(c2pa_result, "recording's C2PA manifest", sid, source)
    watermark = (
        check_watermark_session(session_id, manifest_path)
        if session_id and manifest_path is not None
        else None
    )
    if watermark is not None:
        watermark["present"] = True
    frames: dict[str, Any] | None = None
    if match_frames and video is not None and log_path is not None:
        frames = match_recording(video, log_path, public_key=public_key)
        frames["present"] = True
        if sid:
            _other_session(frames, "frame log", sid, source)
    return {
        "session_id": sid,
        "manifest": manifest_result,
        "log": log_result,
        "c2pa": c2pa_result,
        "watermark_session": watermark,
        "frames": frames,
    }
