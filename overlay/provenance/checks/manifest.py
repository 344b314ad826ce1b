"""Evidence 1: the session manifest (signed, an overlay manifest, its key named)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from overlay.provenance.checks.common import SID, Outcome, PathLike, fail, inputs
from overlay.provenance.signed import InvalidDocumentError, open_document

__all__ = [
    "MANIFEST_FORMAT",
    "SUMMARY_KEYS",
    "ManifestCheck",
    "check_manifest",
    "check_watermark_session",
    "manifest_body",
]

MANIFEST_FORMAT = "overlay.session-manifest/1"

#: The parts of a manifest's body that ``overlay verify`` shows (its ``summary``).
SUMMARY_KEYS = (
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


@dataclass(frozen=True, slots=True)
class ManifestCheck:
    """A session manifest's signature and form.

    Attributes:
        valid: signed by a known key, an overlay manifest, naming its own key.
        reason: None when valid, else what is wrong in one line.
        path: the manifest file.
        session_id: the session it is for (when valid).
        key_id: the key it is signed by (also when the signature fails, if named).
        status: ``"running"`` (not finalised: the session is running or crashed) or
            ``"complete"``.
        complete: ``status == "complete"``.
        present: the file exists.
        body: the signed content (when valid).
    """

    valid: bool = False
    reason: str | None = None
    path: str = ""
    session_id: str | None = None
    key_id: str | None = None
    status: str | None = None
    complete: bool = False
    present: bool = True
    body: dict[str, Any] | None = None

    @property
    def summary(self) -> dict[str, Any]:
        """The body's :data:`SUMMARY_KEYS` (None each when the manifest is not valid)."""
        body = self.body or {}
        return {k: body.get(k) for k in SUMMARY_KEYS}

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of ``overlay verify``: the ``summary`` stands for the body."""
        out = asdict(self)
        del out["body"]
        out["summary"] = self.summary
        return out


def check_manifest(path: PathLike, *, public_key: PathLike | bytes | None = None) -> ManifestCheck:
    """Check a session manifest's signature and form."""
    path = Path(path)
    result = ManifestCheck(path=str(path), present=path.exists())
    loaded = inputs(path, "manifest", public_key)
    if isinstance(loaded, str):
        return fail(result, loaded)
    keys, data = loaded
    try:
        body, kid = open_document(data, keys)
    except InvalidDocumentError as exc:
        return fail(replace(result, key_id=exc.key_id), f"manifest {path.name}: {exc}")
    result = replace(result, key_id=kid)
    sid = body.get("session_id")
    if body.get("format") != MANIFEST_FORMAT or not isinstance(sid, str) or not SID.match(sid):
        return fail(result, f"manifest {path.name} is signed but is not an overlay manifest")
    if body.get("key_id") != kid:
        return fail(
            result, f"manifest {path.name} names key {body.get('key_id')} but is signed by {kid}"
        )
    status = body.get("status")
    return replace(
        result,
        valid=True,
        session_id=sid,
        status=status if isinstance(status, str) else None,
        complete=status == "complete",
        body=body,
    )


def manifest_body(
    manifest: PathLike | ManifestCheck | None, public_key: PathLike | bytes | None
) -> tuple[dict[str, Any] | None, str | None]:
    """(body, problem) for a manifest given as a path or a :func:`check_manifest` result."""
    if manifest is None:
        return None, None
    checked = (
        manifest
        if isinstance(manifest, ManifestCheck)
        else check_manifest(manifest, public_key=public_key)
    )
    if not checked.valid:
        return None, f"the manifest is not valid ({checked.reason})"
    return checked.body, None


def check_watermark_session(
    found_session_id: str | None, manifest: PathLike | ManifestCheck
) -> Outcome:
    """Whether a watermark's session id belongs to a (valid) manifest."""
    body, problem = manifest_body(manifest, None)
    if problem:
        return Outcome(False, problem)
    assert body is not None
    if not found_session_id:
        return Outcome(False, "no watermark session id to compare")
    if body.get("session_id") != found_session_id.lower():
        return Outcome(
            False,
            f"the watermark carries session {found_session_id}, the manifest is "
            f"for {body.get('session_id')}",
        )
    return Outcome(True, None)
