"""Evidence 2: the frame log (every record chained and signed, complete, the manifest's)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from overlay.provenance.canonical import canonical_json, parse_canonical
from overlay.provenance.checks.common import HEX, PathLike, fail, inputs
from overlay.provenance.checks.manifest import ManifestCheck, manifest_body
from overlay.provenance.framelog import LOG_FORMAT, line_hash
from overlay.provenance.keys import verify_signature
from overlay.provenance.naming import sibling

__all__ = ["BrokenRecord", "LogCheck", "check_log"]


@dataclass(frozen=True, slots=True)
class BrokenRecord:
    """The first record of a frame log that does not verify.

    Attributes:
        record: its index (0 is the header).
        byte: its offset in the file.
        reason: what is wrong with it.
    """

    record: int
    byte: int
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class LogCheck:
    """A frame log's chain, signatures and completeness.

    Attributes:
        valid: every record verifies, the log is complete and agrees with its manifest.
        reason: None when valid, else what is wrong in one line.
        path: the log file.
        session_id: the session its header names.
        key_id: the key its header names.
        records: records (lines) that verify.
        frames: frames those records cover.
        complete: the ``end`` record is there.
        first_broken: the first record that does not verify, if any.
        manifest_checked: the log was held to its manifest (the session id; for a
            finalised manifest also the record count and the last record's hash).
        present: the file exists.
    """

    valid: bool = False
    reason: str | None = None
    path: str = ""
    session_id: str | None = None
    key_id: str | None = None
    records: int = 0
    frames: int = 0
    complete: bool = False
    first_broken: BrokenRecord | None = None
    manifest_checked: bool = False
    present: bool = True

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of ``overlay verify``."""
        return asdict(self)


def _check_record(rec: Any, seq: int, prev: str | None, key: Ed25519PublicKey | None) -> str | None:
    if not isinstance(rec, dict):
        return "not a record"
    if rec.get("seq") != seq:
        return f"sequence number {rec.get('seq')!r}, expected {seq}"
    if rec.get("prev") != prev:
        return "does not chain to the previous record (a record was removed, added or changed)"
    sig = rec.get("sig")
    if not isinstance(sig, str) or len(sig) != 128 or not HEX.match(sig):
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
    manifest: PathLike | ManifestCheck | None = None,
    *,
    public_key: PathLike | bytes | None = None,
) -> LogCheck:
    """Check a frame log: every record's chain link and signature, and completeness.

    Args:
        path: the ``.log.jsonl`` file.
        manifest: the session manifest (path or :func:`check_manifest` result); default:
            the manifest next to the log, if there is one. A finalised manifest also fixes
            the record count and the last record's hash, so a cut log is caught.
    """
    path = Path(path)
    result = LogCheck(path=str(path), present=path.exists())
    loaded = inputs(path, "frame log", public_key)
    if isinstance(loaded, str):
        return fail(result, loaded)
    keys, data = loaded
    if manifest is None:
        manifest = sibling(path, "manifest")
    body, manifest_problem = manifest_body(manifest, public_key)

    lines = data.split(b"\n")
    tail = lines.pop()  # b"" when the file ends with a newline
    prev: str | None = None
    key: Ed25519PublicKey | None = None
    offset = 0
    expected_first: int | None = None
    ended = False
    records = frames = 0

    def broken(index: int, offset: int, why: str) -> LogCheck:
        return fail(
            replace(
                result,
                records=records,
                frames=frames,
                first_broken=BrokenRecord(index, offset, why),
            ),
            f"frame log record {index} (byte {offset}) is broken: {why}",
        )

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
            result = replace(result, key_id=kid if isinstance(kid, str) else None)
            key = keys.get(kid) if isinstance(kid, str) else None
            if key is None:
                return fail(
                    result,
                    f"frame log signed by key {kid}, which this installation does not know; "
                    "pass that key's exported public key",
                )
            sid = rec.get("session_id")
            result = replace(result, session_id=sid if isinstance(sid, str) else None)
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
                frames += int(rec["last"]) - int(rec["first"]) + 1
            elif kind == "end":
                if rec.get("frames") != frames:
                    return broken(index, offset, "the end record's frame count does not match")
                ended = True
            else:
                return broken(index, offset, f"unknown record type {kind!r}")
        prev = line_hash(line)
        records = index + 1
        offset += len(line) + 1
    result = replace(result, records=records, frames=frames, complete=ended)
    if not lines:
        return fail(result, "the frame log is empty" if not tail else "the frame log header is cut")
    if tail:
        return fail(
            replace(result, first_broken=BrokenRecord(len(lines), offset, "cut mid-record")),
            f"frame log ends mid-record at byte {offset} after {len(lines)} intact records "
            "(the session crashed or the file was cut)",
        )
    if manifest_problem:
        return fail(result, manifest_problem)
    if body is not None:
        result = replace(result, manifest_checked=True)
        if body.get("session_id") != result.session_id:
            return fail(
                result,
                f"the log is for session {result.session_id}, the manifest for "
                f"{body.get('session_id')}",
            )
        summary = body.get("log") or {}
        if body.get("status") == "complete" and (
            summary.get("records") != records or summary.get("head") != prev
        ):
            return fail(
                result,
                f"the manifest lists {summary.get('records')} log records ending in "
                f"{str(summary.get('head'))[:12]}…, the log has {records} ending in "
                f"{str(prev)[:12]}… (records were cut or replaced)",
            )
    if not ended:
        return fail(
            result,
            f"frame log has no end record after {records} intact records "
            "(the session crashed or the log was cut)",
        )
    return replace(result, valid=True, reason=None)
