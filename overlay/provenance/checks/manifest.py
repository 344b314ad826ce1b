"""Evidence 1: the session manifest (signed, an overlay manifest, its key named)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from overlay.provenance.checks.common import SID, PathLike, fail, inputs
from overlay.provenance.signed import InvalidDocumentError, open_document

__all__ = ["MANIFEST_FORMAT", "check_manifest", "check_watermark_session", "manifest_body"]

MANIFEST_FORMAT = "overlay.session-manifest/1"


def check_manifest(path: PathLike, *, public_key: PathLike | bytes | None = None) -> dict[str, Any]:
    """Check a session manifest's signature and form.

    Returns:
        ``valid``, ``reason``, ``path``, ``session_id``, ``key_id``, ``status``
        ("running": not finalised, the session is running or crashed; "complete"),
        ``complete`` and, when valid, ``body`` (the signed content).
    """
    path = Path(path)
    result: dict[str, Any] = {
        "valid": False,
        "reason": None,
        "path": str(path),
        "session_id": None,
        "key_id": None,
        "status": None,
        "complete": False,
        "body": None,
    }
    loaded = inputs(path, "manifest", public_key)
    if isinstance(loaded, str):
        return fail(result, loaded)
    keys, data = loaded
    try:
        body, kid = open_document(data, keys)
    except InvalidDocumentError as exc:
        result["key_id"] = exc.key_id
        return fail(result, f"manifest {path.name}: {exc}")
    result["key_id"] = kid
    sid = body.get("session_id")
    if body.get("format") != MANIFEST_FORMAT or not isinstance(sid, str) or not SID.match(sid):
        return fail(result, f"manifest {path.name} is signed but is not an overlay manifest")
    if body.get("key_id") != kid:
        return fail(
            result, f"manifest {path.name} names key {body.get('key_id')} but is signed by {kid}"
        )
    result.update(
        valid=True,
        session_id=sid,
        status=body.get("status"),
        complete=body.get("status") == "complete",
        body=body,
    )
    return result


def manifest_body(
    manifest: PathLike | dict[str, Any] | None, public_key: PathLike | bytes | None
) -> tuple[dict[str, Any] | None, str | None]:
    """(body, problem) for a manifest given as a path or a check_manifest result."""
    if manifest is None:
        return None, None
    checked = (
        manifest if isinstance(manifest, dict) else check_manifest(manifest, public_key=public_key)
    )
    if not checked.get("valid"):
        return None, f"the manifest is not valid ({checked.get('reason')})"
    body = checked.get("body")
    return (body if isinstance(body, dict) else None), None


def check_watermark_session(
    found_session_id: str | None, manifest: PathLike | dict[str, Any]
) -> dict[str, Any]:
    """Whether a watermark's session id belongs to a (valid) manifest."""
    body, problem = manifest_body(manifest, None)
    if problem:
        return {"valid": False, "reason": problem}
    assert body is not None
    if not found_session_id:
        return {"valid": False, "reason": "no watermark session id to compare"}
    if body.get("session_id") != found_session_id.lower():
        return {
            "valid": False,
            "reason": f"the watermark carries session {found_session_id}, the manifest is "
            f"for {body.get('session_id')}",
        }
    return {"valid": True, "reason": None}
