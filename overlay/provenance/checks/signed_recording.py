"""Evidence 3: a recording's C2PA manifest, overlay's assertions in it, its whole-file hash."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from overlay.provenance._files import sha256_file
from overlay.provenance.checks.common import SID, PathLike, fail
from overlay.provenance.checks.manifest import ManifestCheck, manifest_body
from overlay.provenance.naming import find_session

__all__ = ["NO_MANIFEST", "C2paCheck", "Signer", "check_c2pa"]

#: The reason when a file carries no C2PA manifest (the record is absent, not damaged).
NO_MANIFEST = "no C2PA manifest in the file"


def _not_supported(path: Path) -> str:
    """The reason when C2PA has no place for a manifest in a file of this type (overlay's
    own lossless .mkv recordings among them): the record is absent, not damaged (an
    .mkv recording's frames are matched against the session's frame log instead)."""
    what = f"a {path.suffix.lower()} file" if path.suffix else "a file of this type"
    return f"C2PA has no place for a manifest in {what}"


@dataclass(frozen=True, slots=True)
class Signer:
    """Who signed a C2PA manifest (as C2PA reports it)."""

    issuer: str | None
    common_name: str | None
    alg: str | None
    time: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class C2paCheck:
    """A recording's C2PA manifest, overlay's assertions in it, its whole-file hash.

    Attributes:
        valid: C2PA-valid, overlay's assertions there and consistent, the file's hash
            the one the session manifest lists (when that manifest is found).
        reason: None when valid, else what is wrong in one line.
        path: the recording.
        state: C2PA's validation state (``Valid``, ``Trusted``, ``Invalid``).
        untrusted: the signer's CA is not on a C2PA trust list (as for the local CA).
        session_id: the soft binding's session id.
        digital_source_type: from the ``c2pa.created`` action.
        actions: the actions assertion's actions.
        aigc: the AIGC object in C2PA.
        mp4_aigc: the AIGC object in the mp4's own metadata.
        signer: who signed the manifest.
        sha256: the whole file's SHA-256.
        manifest_checked: the whole-file hash was compared with the session manifest.
        present: the file carries a C2PA manifest.
    """

    valid: bool = False
    reason: str | None = None
    path: str = ""
    state: str | None = None
    untrusted: bool | None = None
    session_id: str | None = None
    digital_source_type: str | None = None
    actions: tuple[str | None, ...] = ()
    aigc: dict[str, Any] | None = None
    mp4_aigc: dict[str, Any] | None = None
    signer: Signer | None = None
    sha256: str | None = None
    manifest_checked: bool = False
    present: bool = True

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of ``overlay verify``."""
        return asdict(self)


def _read_c2pa(path: Path) -> tuple[str | None, dict[str, Any] | None, list[str], str | None]:
    """(validation state, active manifest, failure codes, error)."""
    try:
        import c2pa
    except ImportError as exc:  # pragma: no cover - c2pa is a dependency
        return None, None, [], f"c2pa-python is not installed ({exc})"
    try:
        with c2pa.Reader(str(path)) as reader:
            state = reader.get_validation_state()
            active = reader.get_active_manifest()
            results = reader.get_validation_results() or {}
    except Exception as exc:  # c2pa raises its own error types for every kind of damage
        text = str(exc).strip() or type(exc).__name__
        if "ManifestNotFound" in type(exc).__name__ or "not found" in text.lower():
            return None, None, [], NO_MANIFEST
        if "NotSupported" in type(exc).__name__:
            return None, None, [], _not_supported(path)
        return None, None, [], f"C2PA could not read the file ({text[:200]})"
    failures: list[str] = []
    section = results.get("activeManifest") or {}
    for item in section.get("failure") or []:
        failures.append(str(item.get("code")))
    return state, active, failures, None


def _assertion(active: dict[str, Any], label: str) -> Any:
    for item in active.get("assertions") or []:
        if str(item.get("label", "")).split(".v", maxsplit=1)[0] == label:
            return item.get("data")
    return None


def check_c2pa(
    video_path: PathLike,
    manifest: PathLike | ManifestCheck | None = None,
    *,
    public_key: PathLike | bytes | None = None,
) -> C2paCheck:
    """Validate a recording's C2PA manifest and overlay's assertions in it.

    The C2PA hash leaves out a few bytes by design (the ``ftyp`` box, ``free`` boxes and
    the manifest's padding), so the session manifest also keeps each recording's SHA-256:
    when the session's manifest is found (``manifest`` or by the session id in the
    recording) the whole file must match it too.
    """
    path = Path(video_path)
    result = C2paCheck(path=str(path))
    if not path.is_file():
        return fail(result, f"recording not found: {path}")
    try:
        result = replace(result, sha256=sha256_file(path))
    except OSError as exc:
        return fail(result, f"cannot read {path}: {exc.strerror}")
    state, active, failures, error = _read_c2pa(path)
    result = replace(result, state=state)
    if error:
        absent = error in (NO_MANIFEST, _not_supported(path))
        return fail(replace(result, present=not absent), error)
    result = replace(result, untrusted="signingCredential.untrusted" in failures)
    serious = [f for f in failures if f != "signingCredential.untrusted"]
    if state not in ("Valid", "Trusted") or serious or active is None:
        return fail(
            result,
            f"C2PA validation failed ({state}: {', '.join(serious) or 'no active manifest'})",
        )
    sig = active.get("signature_info") or {}
    actions = (_assertion(active, "c2pa.actions") or {}).get("actions") or []
    created = next((a for a in actions if a.get("action") == "c2pa.created"), None)
    aigc_data = _assertion(active, "com.overlay.aigc") or {}
    aigc = aigc_data.get("AIGC") if isinstance(aigc_data, dict) else None
    aigc = aigc if isinstance(aigc, dict) else None
    binding = _assertion(active, "c2pa.soft-binding") or {}
    blocks = binding.get("blocks") or [{}]
    sid = blocks[0].get("value") if isinstance(blocks[0], dict) else None
    sid = sid if isinstance(sid, str) else None
    from overlay.provenance.recording import read_mp4_aigc

    result = replace(
        result,
        signer=Signer(*(sig.get(k) for k in ("issuer", "common_name", "alg", "time"))),
        actions=tuple(a.get("action") for a in actions),
        digital_source_type=created.get("digitalSourceType") if created else None,
        aigc=aigc,
        session_id=sid,
        mp4_aigc=read_mp4_aigc(path),
    )
    missing = [
        what
        for what, ok in (
            ("c2pa.created with a digitalSourceType", bool(result.digital_source_type)),
            ("c2pa.watermarked", "c2pa.watermarked" in result.actions),
            ("the soft-binding session id", isinstance(sid, str) and bool(SID.match(sid))),
            ("the AIGC object", isinstance(aigc, dict) and aigc.get("Label") == "1"),
        )
        if not ok
    ]
    if missing:
        return fail(result, f"C2PA-valid but missing overlay's assertions: {', '.join(missing)}")
    if isinstance(aigc, dict) and aigc.get("ProduceID") != sid:
        return fail(result, "the AIGC ProduceID and the soft-binding session id differ")
    if result.mp4_aigc != aigc:
        return fail(result, "the mp4's own AIGC metadata is missing or differs from C2PA's")
    if manifest is None:
        found = find_session(str(sid))
        manifest = found.manifest if found else None
    if manifest is not None:
        body, problem = manifest_body(manifest, public_key)
        if problem:
            return fail(result, problem)
        assert body is not None
        if body.get("session_id") != sid:
            return fail(
                result,
                f"the recording is from session {sid}, the manifest from {body.get('session_id')}",
            )
        listed = [r.get("sha256") for r in body.get("recordings") or []]
        if body.get("status") == "complete":
            result = replace(result, manifest_checked=True)
            if result.sha256 not in listed:
                return fail(
                    result,
                    f"the file's SHA-256 is not one the session {sid} manifest lists "
                    "(the file was changed after it was signed)",
                )
    return replace(result, valid=True, reason=None)
