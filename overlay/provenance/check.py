"""Checks that ``overlay verify`` runs: each returns a dict, never raises for bad input.

Every result has ``valid`` (bool) and ``reason`` (None when valid, else one line saying
what is wrong) plus details. "Not found", damaged, foreign-key and tampered files are
results. Keys are looked up in this installation's keyring (current and rotated keys);
pass ``public_key`` (a PEM file from ``overlay keys export-public``) to check files made
on another machine.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from overlay.errors import ProvenanceError
from overlay.provenance._files import sha256_file
from overlay.provenance.canonical import canonical_json, parse_canonical
from overlay.provenance.framelog import LOG_FORMAT, line_hash
from overlay.provenance.keys import key_id_of, load_public_key, public_keys, verify_signature
from overlay.provenance.naming import SessionPaths, find_session_paths
from overlay.provenance.signed import InvalidDocumentError, open_document

__all__ = [
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

log = logging.getLogger(__name__)

MANIFEST_FORMAT = "overlay.session-manifest/1"
_SID = re.compile(r"^[0-9a-f]{8}$")
_HEX = re.compile(r"^[0-9a-f]+$")

PathLike = str | Path


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


def _sibling(path: Path, kind: str) -> Path | None:
    """The session file of ``kind`` ("manifest" or "log") beside ``path``, if it exists."""
    try:
        pair = SessionPaths.of(path)
    except ValueError:
        return None
    other = pair.manifest if kind == "manifest" else pair.log
    return other if other != path and other.exists() else None


def _keys(public_key: PathLike | bytes | None) -> tuple[dict[str, Ed25519PublicKey], str | None]:
    keys = public_keys()
    if public_key is None:
        return keys, None
    try:
        data = public_key if isinstance(public_key, bytes) else Path(public_key).read_bytes()
        key = load_public_key(data)
    except (OSError, ProvenanceError) as exc:
        return keys, f"the public key given cannot be used ({exc})"
    keys[key_id_of(key)] = key
    return keys, None


def _inputs(
    path: Path, what: str, public_key: PathLike | bytes | None
) -> tuple[dict[str, Ed25519PublicKey], bytes] | str:
    """The keys to check with and the file's bytes, or the reason in one line why not."""
    keys, key_problem = _keys(public_key)
    if key_problem:
        return key_problem
    try:
        return keys, path.read_bytes()
    except FileNotFoundError:
        return f"{what} not found: {path}"
    except OSError as exc:
        return f"cannot read the {what} {path}: {exc.strerror}"


def _fail(result: dict[str, Any], reason: str) -> dict[str, Any]:
    result["valid"] = False
    result["reason"] = reason
    return result


# -- manifest ---------------------------------------------------------------------------
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
    loaded = _inputs(path, "manifest", public_key)
    if isinstance(loaded, str):
        return _fail(result, loaded)
    keys, data = loaded
    try:
        body, kid = open_document(data, keys)
    except InvalidDocumentError as exc:
        result["key_id"] = exc.key_id
        return _fail(result, f"manifest {path.name}: {exc}")
    result["key_id"] = kid
    sid = body.get("session_id")
    if body.get("format") != MANIFEST_FORMAT or not isinstance(sid, str) or not _SID.match(sid):
        return _fail(result, f"manifest {path.name} is signed but is not an overlay manifest")
    if body.get("key_id") != kid:
        return _fail(
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


def _manifest_body(
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


# -- frame log ----------------------------------------------------------------------------
def _check_record(rec: Any, seq: int, prev: str | None, key: Ed25519PublicKey | None) -> str | None:
    if not isinstance(rec, dict):
        return "not a record"
    if rec.get("seq") != seq:
        return f"sequence number {rec.get('seq')!r}, expected {seq}"
    if rec.get("prev") != prev:
        return "does not chain to the previous record (a record was removed, added or changed)"
    sig = rec.get("sig")
    if not isinstance(sig, str) or len(sig) != 128 or not _HEX.match(sig):
        return "no valid signature field"
    if key is None:
        return "no key to check the signature"
    unsigned = {k: v for k, v in rec.items() if k != "sig"}
    if not verify_signature(key, canonical_json(unsigned), bytes.fromhex(sig)):
        return "the signature does not match the record"
    return None


def _check_frames(rec: dict[str, Any], expected_first: int | None) -> str | None:
    first, last = rec.get("first"), rec.get("last")
    if not isinstance(first, int) or not isinstance(last, int) or last < first:
        return "bad frame range"
    if expected_first is not None and first < expected_first:
        return f"frames {first}..{last} overlap the previous record"
    n = last - first + 1
    digests, phash = rec.get("digests"), rec.get("phash")
    # null: the session had no lossless output, so no exact digest was kept
    if digests is not None and (not isinstance(digests, list) or len(digests) != n):
        return f"{n} frames but {len(digests) if isinstance(digests, list) else 0} digests"
    if not isinstance(phash, list) or len(phash) != n:
        return f"{n} frames but a different number of perceptual hashes"
    return None


def check_log(
    path: PathLike,
    manifest: PathLike | dict[str, Any] | None = None,
    *,
    public_key: PathLike | bytes | None = None,
) -> dict[str, Any]:
    """Check a frame log: every record's chain link and signature, and completeness.

    Args:
        path: the ``.log.jsonl`` file.
        manifest: the session manifest (path or ``check_manifest`` result); default: the
            manifest next to the log, if there is one. A finalised manifest also fixes the
            record count and the last record's hash, so a cut log is caught.

    Returns:
        ``valid``, ``reason``, ``path``, ``session_id``, ``key_id``, ``records`` (lines
        that verify), ``frames`` (frames those records cover), ``complete`` (the ``end``
        record is there), ``first_broken`` (None, or ``{"record", "byte", "reason"}``),
        ``manifest_checked``.
    """
    path = Path(path)
    result: dict[str, Any] = {
        "valid": False,
        "reason": None,
        "path": str(path),
        "session_id": None,
        "key_id": None,
        "records": 0,
        "frames": 0,
        "complete": False,
        "first_broken": None,
        "manifest_checked": False,
    }
    loaded = _inputs(path, "frame log", public_key)
    if isinstance(loaded, str):
        return _fail(result, loaded)
    keys, data = loaded
    if manifest is None:
        manifest = _sibling(path, "manifest")
    body, manifest_problem = _manifest_body(manifest, public_key)

    def broken(index: int, offset: int, why: str) -> dict[str, Any]:
        result["first_broken"] = {"record": index, "byte": offset, "reason": why}
        return _fail(result, f"frame log record {index} (byte {offset}) is broken: {why}")

    lines = data.split(b"\n")
    tail = lines.pop()  # b"" when the file ends with a newline
    prev: str | None = None
    key: Ed25519PublicKey | None = None
    offset = 0
    expected_first: int | None = None
    ended = False
    for index, line in enumerate(lines):
        if ended:
            return broken(index, offset, "a record after the end record")
        try:
            rec = parse_canonical(line)
        except ValueError as exc:
            return broken(index, offset, str(exc))
        if index == 0:
            if (
                not isinstance(rec, dict)
                or rec.get("type") != "header"
                or rec.get("format") != LOG_FORMAT
            ):
                return broken(0, 0, "not an overlay frame log header")
            kid = rec.get("key_id")
            result["key_id"] = kid
            key = keys.get(kid) if isinstance(kid, str) else None
            if key is None:
                return _fail(
                    result,
                    f"frame log signed by key {kid}, which this installation does not know; "
                    "pass that key's exported public key",
                )
            sid = rec.get("session_id")
            result["session_id"] = sid if isinstance(sid, str) else None
        why = _check_record(rec, index, prev, key)
        if why:
            return broken(index, offset, why)
        kind = rec.get("type")
        if index > 0:
            if kind == "frames":
                why = _check_frames(rec, expected_first)
                if why:
                    return broken(index, offset, why)
                expected_first = int(rec["last"]) + 1
                result["frames"] += int(rec["last"]) - int(rec["first"]) + 1
            elif kind == "end":
                if rec.get("frames") != result["frames"]:
                    return broken(index, offset, "the end record's frame count does not match")
                ended = True
            else:
                return broken(index, offset, f"unknown record type {kind!r}")
        prev = line_hash(line)
        result["records"] = index + 1
        offset += len(line) + 1
    result["complete"] = ended
    if not lines:
        return _fail(
            result, "the frame log is empty" if not tail else "the frame log header is cut"
        )
    if tail:
        result["first_broken"] = {
            "record": len(lines),
            "byte": offset,
            "reason": "cut mid-record",
        }
        return _fail(
            result,
            f"frame log ends mid-record at byte {offset} after {len(lines)} intact records "
            "(the session crashed or the file was cut)",
        )
    if manifest_problem:
        return _fail(result, manifest_problem)
    if body is not None:
        result["manifest_checked"] = True
        if body.get("session_id") != result["session_id"]:
            return _fail(
                result,
                f"the log is for session {result['session_id']}, the manifest for "
                f"{body.get('session_id')}",
            )
        summary = body.get("log") or {}
        if body.get("status") == "complete" and (
            summary.get("records") != result["records"] or summary.get("head") != prev
        ):
            return _fail(
                result,
                f"the manifest lists {summary.get('records')} log records ending in "
                f"{str(summary.get('head'))[:12]}…, the log has {result['records']} ending in "
                f"{str(prev)[:12]}… (records were cut or replaced)",
            )
    if not ended:
        return _fail(
            result,
            f"frame log has no end record after {result['records']} intact records "
            "(the session crashed or the log was cut)",
        )
    result.update(valid=True, reason=None)
    return result


# -- recordings -----------------------------------------------------------------------------
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
            return None, None, [], "no C2PA manifest in the file"
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
    manifest: PathLike | dict[str, Any] | None = None,
    *,
    public_key: PathLike | bytes | None = None,
) -> dict[str, Any]:
    """Validate a recording's C2PA manifest and overlay's assertions in it.

    The C2PA hash leaves out a few bytes by design (the ``ftyp`` box, ``free`` boxes and
    the manifest's padding), so the session manifest also keeps each recording's SHA-256:
    when the session's manifest is found (``manifest`` or by the session id in the
    recording) the whole file must match it too.

    Returns:
        ``valid``, ``reason``, ``path``, ``state`` (C2PA's: Valid/Trusted/Invalid),
        ``untrusted`` (the signer's CA is not on a C2PA trust list, as for the local CA),
        ``session_id``, ``digital_source_type``, ``actions``, ``aigc`` (from C2PA),
        ``mp4_aigc`` (from the mp4's own metadata), ``signer``, ``sha256``,
        ``manifest_checked`` (the whole-file hash was compared with the session manifest).
    """
    path = Path(video_path)
    result: dict[str, Any] = {
        "valid": False,
        "reason": None,
        "path": str(path),
        "state": None,
        "untrusted": None,
        "session_id": None,
        "digital_source_type": None,
        "actions": [],
        "aigc": None,
        "mp4_aigc": None,
        "signer": None,
        "sha256": None,
        "manifest_checked": False,
    }
    if not path.is_file():
        return _fail(result, f"recording not found: {path}")
    try:
        result["sha256"] = sha256_file(path)
    except OSError as exc:
        return _fail(result, f"cannot read {path}: {exc.strerror}")
    state, active, failures, error = _read_c2pa(path)
    result["state"] = state
    if error:
        return _fail(result, error)
    result["untrusted"] = "signingCredential.untrusted" in failures
    serious = [f for f in failures if f != "signingCredential.untrusted"]
    if state not in ("Valid", "Trusted") or serious or active is None:
        return _fail(
            result,
            f"C2PA validation failed ({state}: {', '.join(serious) or 'no active manifest'})",
        )
    sig = active.get("signature_info") or {}
    result["signer"] = {k: sig.get(k) for k in ("issuer", "common_name", "alg", "time")}
    actions = (_assertion(active, "c2pa.actions") or {}).get("actions") or []
    result["actions"] = [a.get("action") for a in actions]
    created = next((a for a in actions if a.get("action") == "c2pa.created"), None)
    result["digital_source_type"] = created.get("digitalSourceType") if created else None
    aigc_data = _assertion(active, "com.overlay.aigc") or {}
    aigc = aigc_data.get("AIGC") if isinstance(aigc_data, dict) else None
    result["aigc"] = aigc
    binding = _assertion(active, "c2pa.soft-binding") or {}
    blocks = binding.get("blocks") or [{}]
    sid = blocks[0].get("value") if isinstance(blocks[0], dict) else None
    result["session_id"] = sid
    from overlay.provenance.recording import read_mp4_aigc

    result["mp4_aigc"] = read_mp4_aigc(path)
    missing = [
        what
        for what, ok in (
            ("c2pa.created with a digitalSourceType", bool(result["digital_source_type"])),
            ("c2pa.watermarked", "c2pa.watermarked" in result["actions"]),
            ("the soft-binding session id", isinstance(sid, str) and bool(_SID.match(sid))),
            ("the AIGC object", isinstance(aigc, dict) and aigc.get("Label") == "1"),
        )
        if not ok
    ]
    if missing:
        return _fail(result, f"C2PA-valid but missing overlay's assertions: {', '.join(missing)}")
    if isinstance(aigc, dict) and aigc.get("ProduceID") != sid:
        return _fail(result, "the AIGC ProduceID and the soft-binding session id differ")
    if result["mp4_aigc"] != aigc:
        return _fail(result, "the mp4's own AIGC metadata is missing or differs from C2PA's")
    if manifest is None:
        found = find_session(str(sid))
        manifest = found.manifest if found else None
    if manifest is not None:
        body, problem = _manifest_body(manifest, public_key)
        if problem:
            return _fail(result, problem)
        assert body is not None
        if body.get("session_id") != sid:
            return _fail(
                result,
                f"the recording is from session {sid}, the manifest from {body.get('session_id')}",
            )
        listed = [r.get("sha256") for r in body.get("recordings") or []]
        if body.get("status") == "complete":
            result["manifest_checked"] = True
            if result["sha256"] not in listed:
                return _fail(
                    result,
                    f"the file's SHA-256 is not one the session {sid} manifest lists "
                    "(the file was changed after it was signed)",
                )
    result.update(valid=True, reason=None)
    return result


# -- convenience --------------------------------------------------------------------------
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


def check_watermark_session(
    found_session_id: str | None, manifest: PathLike | dict[str, Any]
) -> dict[str, Any]:
    """Whether a watermark's session id belongs to a (valid) manifest."""
    body, problem = _manifest_body(manifest, None)
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


# -- matching a (re-encoded) copy to the log ------------------------------------------------
#: Largest Hamming distance (of 64 bits) at which a decoded frame counts as the logged one.
MATCH_DISTANCE = 12


def _logged_hashes(path: Path) -> tuple[list[int], list[int]]:
    indices: list[int] = []
    hashes: list[int] = []
    for line in path.read_bytes().split(b"\n"):
        if not line:
            continue
        rec = parse_canonical(line)
        if isinstance(rec, dict) and rec.get("type") == "frames":
            first = int(rec["first"])
            for k, h in enumerate(rec["phash"]):
                indices.append(first + k)
                hashes.append(int(str(h), 16))
    return indices, hashes


def match_recording(
    video_path: PathLike,
    log_path: PathLike,
    *,
    max_frames: int = 300,
    public_key: PathLike | bytes | None = None,
) -> dict[str, Any]:
    """Match a (possibly re-encoded or rescaled) video to a verified frame log.

    Each decoded frame's perceptual hash is looked up among the logged ones; a frame
    matches when the nearest is within ``MATCH_DISTANCE`` bits.

    Returns:
        ``valid`` (at least 90 % of the decoded frames match), ``reason``, ``frames``
        (decoded), ``matched``, ``first_index``/``last_index`` (the logged frame indices
        the video covers), ``median_distance``, ``session_id``.
    """
    import cv2
    import numpy as np

    result: dict[str, Any] = {
        "valid": False,
        "reason": None,
        "frames": 0,
        "matched": 0,
        "first_index": None,
        "last_index": None,
        "median_distance": None,
        "session_id": None,
    }
    checked = check_log(log_path, public_key=public_key)
    result["session_id"] = checked["session_id"]
    if not checked["valid"] and checked["records"] < 2:
        return _fail(result, f"the frame log cannot be used: {checked['reason']}")
    indices, hashes = _logged_hashes(Path(log_path))
    if not hashes:
        return _fail(result, "the frame log has no frames")
    table = np.array(hashes, dtype=np.uint64)
    if not Path(video_path).is_file():
        return _fail(result, f"video not found: {video_path}")
    capture = cv2.VideoCapture(str(video_path))
    from overlay.frames import as_bgr
    from overlay.provenance.framelog import perceptual_hash

    distances: list[int] = []
    hits: list[int] = []
    try:
        while result["frames"] < max_frames:
            ok, image = capture.read()
            if not ok or image is None:
                break
            result["frames"] += 1
            h = np.uint64(int(perceptual_hash(as_bgr(image)), 16))
            xor = np.bitwise_xor(table, h)
            bits = np.unpackbits(xor.view(np.uint8).reshape(-1, 8), axis=1).sum(axis=1)
            best = int(np.argmin(bits))
            distances.append(int(bits[best]))
            if bits[best] <= MATCH_DISTANCE:
                hits.append(indices[best])
    finally:
        capture.release()
    if not result["frames"]:
        return _fail(result, f"no frame could be decoded from {video_path}")
    result["matched"] = len(hits)
    result["median_distance"] = float(np.median(distances))
    if hits:
        result["first_index"], result["last_index"] = min(hits), max(hits)
    if len(hits) < 0.9 * result["frames"]:
        return _fail(
            result,
            f"only {len(hits)} of {result['frames']} frames match the log "
            f"(median distance {result['median_distance']:.0f} bits)",
        )
    result.update(valid=True, reason=None)
    return result


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
        log_path = _sibling(manifest_path, "log")
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
