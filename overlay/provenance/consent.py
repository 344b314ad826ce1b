"""Consent records: who agreed that their likeness may be shown, for what, until when.

A record is a signed document (see :mod:`overlay.provenance.signed`) in
``config_dir()/consent/<id>.json``. It names the person, the likeness (the SHA-256 of the
reference image file's bytes: the same file must be given to ``overlay run --likeness``),
the scope (``live`` for the virtual camera, ``record`` for recordings), an expiry and the
evidence: a document's SHA-256, or a statement signed by the person (Ed25519, checked
when the record is added and again whenever it is used). Revoking re-signs the record
with the revocation time; the record is kept so old sessions can name it.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from overlay import paths
from overlay.errors import ConfigError, ConsentError, ProvenanceError
from overlay.hashing import sha256_file
from overlay.provenance._files import write_atomic
from overlay.provenance.keys import (
    load_public_key,
    load_signing_key,
    public_key_pem,
    public_keys,
    verify_signature,
)
from overlay.provenance.likeness import check_likeness
from overlay.provenance.signed import InvalidDocumentError, open_document, seal_document

__all__ = [
    "SCOPES",
    "ConsentRecord",
    "add_consent",
    "consent_dir",
    "file_sha256",
    "find_consent",
    "list_consent",
    "load_consent",
    "revoke_consent",
]

log = logging.getLogger(__name__)

CONSENT_FORMAT = "overlay.consent/1"
SCOPES = ("live", "record")
_ID = re.compile(r"^[0-9a-f]{12}$")
_MAX_STATEMENT = 64 * 1024


def consent_dir() -> Path:
    folder = paths.config_dir() / "consent"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def file_sha256(path: Path, what: str = "file") -> str:
    """SHA-256 (hex) of a file's bytes. Raises ConfigError if it cannot be read."""
    try:
        return sha256_file(path)
    except OSError as exc:
        raise ConfigError(f"cannot read {what} {path}: {exc.strerror}; check the path") from None


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    """A checked consent record (``body`` is the signed content)."""

    body: dict[str, Any]
    path: Path
    key_id: str
    sha256: str

    @property
    def id(self) -> str:
        return str(self.body["id"])

    @property
    def subject(self) -> str:
        return str(self.body["subject"])

    @property
    def likeness_sha256(self) -> str:
        return str(self.body["likeness_sha256"])

    @property
    def scope(self) -> list[str]:
        return [str(s) for s in self.body["scope"]]

    @property
    def expires(self) -> datetime:
        return _parse_time(str(self.body["expires_utc"]))

    @property
    def revoked(self) -> datetime | None:
        value = self.body.get("revoked_utc")
        return _parse_time(str(value)) if value else None

    def problem(self, now: datetime | None = None, scope: tuple[str, ...] = ()) -> str | None:
        """Why this record does not allow use now (None: it does)."""
        now = now or datetime.now(UTC)
        if self.revoked is not None and self.revoked <= now:
            return f"consent {self.id} for {self.subject} was revoked on {_iso(self.revoked)}"
        if self.expires <= now:
            return f"consent {self.id} for {self.subject} expired on {_iso(self.expires)}"
        missing = [s for s in scope if s not in self.scope]
        if missing:
            return (
                f"consent {self.id} for {self.subject} covers {', '.join(self.scope)} "
                f"but not {', '.join(missing)}"
            )
        evidence = self.body.get("evidence") or {}
        if evidence.get("kind") == "signed-statement" and not _statement_ok(evidence):
            return f"consent {self.id}: the signed statement no longer verifies"
        return None

    def summary(self) -> dict[str, Any]:
        """What a session manifest records about the consent it used."""
        return {
            "id": self.id,
            "subject": self.subject,
            "likeness_sha256": self.likeness_sha256,
            "scope": self.scope,
            "expires_utc": self.body["expires_utc"],
            "record_sha256": self.sha256,
            "key_id": self.key_id,
        }


def _statement_ok(evidence: dict[str, Any]) -> bool:
    try:
        key = load_public_key(str(evidence["public_key"]).encode())
        statement = str(evidence["statement"]).encode("utf-8")
        return verify_signature(key, statement, bytes.fromhex(str(evidence["signature"])))
    except (ProvenanceError, KeyError, ValueError):
        return False


def _evidence(
    document: Path | None,
    statement: Path | None,
    signature: Path | None,
    signer_key: Path | None,
) -> dict[str, Any]:
    if (document is None) == (statement is None):
        raise ConfigError(
            "consent needs evidence: --evidence DOCUMENT (its hash is kept) or --statement "
            "FILE --signature SIG --signer-key PUB.pem (a statement signed by the person)"
        )
    if document is not None:
        return {
            "kind": "document",
            "file": document.name,
            "sha256": file_sha256(document, "evidence document"),
        }
    assert statement is not None
    if signature is None or signer_key is None:
        raise ConfigError(
            "--statement needs --signature SIG (raw or hex Ed25519) and --signer-key PUB.pem"
        )
    try:
        text = statement.read_bytes()
        sig = signature.read_bytes()
        key_pem = signer_key.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {exc.filename}: {exc.strerror}") from None
    if len(text) > _MAX_STATEMENT:
        raise ConfigError(f"statement {statement} is {len(text)} bytes; keep it under 64 KiB")
    try:
        text_str = text.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"statement {statement} is not UTF-8 text") from None
    if len(sig) != 64:
        try:
            sig = bytes.fromhex(sig.decode("ascii").strip())
        except (UnicodeDecodeError, ValueError):
            sig = b""
    key = load_public_key(key_pem)
    if len(sig) != 64 or not verify_signature(key, text, sig):
        raise ConsentError(
            f"the signature {signature} does not verify {statement} with {signer_key}; "
            "ask the person to sign the exact statement file"
        )
    return {
        "kind": "signed-statement",
        "statement": text_str,
        "signature": sig.hex(),
        "public_key": public_key_pem(key).decode("ascii"),
    }


def add_consent(
    *,
    subject: str,
    likeness: Path,
    expires: date | datetime,
    scope: tuple[str, ...] = SCOPES,
    evidence: Path | None = None,
    statement: Path | None = None,
    signature: Path | None = None,
    signer_key: Path | None = None,
    note: str = "",
) -> ConsentRecord:
    """Create and sign a consent record.

    Raises:
        ConfigError: a bad value (empty name, unknown scope, expiry in the past, unreadable file).
        ConsentError: the signed statement does not verify.
    """
    if not subject.strip():
        raise ConfigError("--name is empty; give the name of the person who consents")
    bad = [s for s in scope if s not in SCOPES]
    if bad or not scope:
        raise ConfigError(f"--scope {','.join(scope)}: use one or more of {', '.join(SCOPES)}")
    if isinstance(expires, datetime):
        until = expires if expires.tzinfo else expires.replace(tzinfo=UTC)
    else:
        until = datetime.combine(expires, time(23, 59, 59), UTC)
    now = datetime.now(UTC)
    if until <= now:
        raise ConfigError(f"--expires {_iso(until)} is in the past; give a future date")
    body: dict[str, Any] = {
        "format": CONSENT_FORMAT,
        "id": secrets.token_hex(6),
        "subject": subject.strip(),
        "likeness_sha256": file_sha256(check_likeness(likeness), "likeness image"),
        "likeness_file": likeness.name,
        "scope": sorted(set(scope)),
        "granted_utc": _iso(now),
        "expires_utc": _iso(until),
        "evidence": _evidence(evidence, statement, signature, signer_key),
        "note": note,
        "revoked_utc": None,
        "revoked_reason": None,
    }
    return _store(body)


def _store(body: dict[str, Any]) -> ConsentRecord:
    key = load_signing_key()
    data = seal_document(body, key)
    path = consent_dir() / f"{body['id']}.json"
    write_atomic(path, data, private=True)
    return ConsentRecord(body, path, key.key_id, hashlib.sha256(data).hexdigest())


def load_consent(path: Path) -> ConsentRecord:
    """Read and check one record (signature by a key of this installation).

    Raises:
        ConsentError: unreadable, damaged or signed by an unknown key.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConsentError(f"cannot read consent record {path}: {exc.strerror}") from None
    try:
        body, kid = open_document(data, public_keys())
    except InvalidDocumentError as exc:
        raise ConsentError(
            f"consent record {path.name} is not valid ({exc}); delete it and add a new one"
        ) from None
    if body.get("format") != CONSENT_FORMAT or not _ID.match(str(body.get("id"))):
        raise ConsentError(f"consent record {path.name} is not an overlay consent record")
    return ConsentRecord(body, path, kid, hashlib.sha256(data).hexdigest())


def list_consent() -> list[ConsentRecord | ConsentError]:
    """Every record in the consent folder (a damaged one appears as its error)."""
    out: list[ConsentRecord | ConsentError] = []
    for path in sorted(consent_dir().glob("*.json")):
        try:
            out.append(load_consent(path))
        except ConsentError as exc:
            out.append(exc)
    return out


def _by_id(record_id: str) -> ConsentRecord:
    if not _ID.match(record_id):
        raise ConfigError(
            f"consent id {record_id!r} is not 12 hex digits; see 'overlay consent list'"
        )
    path = consent_dir() / f"{record_id}.json"
    if not path.exists():
        raise ConsentError(f"no consent record {record_id}; see 'overlay consent list'")
    return load_consent(path)


def revoke_consent(record_id: str, reason: str = "") -> ConsentRecord:
    """Mark a record revoked from now (re-signed; the record stays for old sessions)."""
    record = _by_id(record_id)
    if record.revoked is not None:
        raise ConsentError(f"consent {record_id} was already revoked on {_iso(record.revoked)}")
    body = {**record.body, "revoked_utc": _iso(datetime.now(UTC)), "revoked_reason": reason}
    return _store(body)


def find_consent(
    likeness_sha256: str, scope: tuple[str, ...], *, likeness_name: str = "IMAGE"
) -> ConsentRecord:
    """The valid record for this likeness and scope.

    Raises:
        ConsentError: none, or each one found is expired, revoked, out of scope or damaged
            (the message names why and how to add a record).
    """
    problems: list[str] = []
    damaged: list[str] = []
    for item in list_consent():
        if isinstance(item, ConsentError):
            damaged.append(str(item))
            continue
        if item.likeness_sha256 != likeness_sha256:
            continue
        why = item.problem(scope=scope)
        if why is None:
            return item
        problems.append(why)
    add = (
        f"add one with: overlay consent add --likeness {likeness_name} --name NAME "
        "--expires YYYY-MM-DD --evidence SIGNED_FORM.pdf"
    )
    if damaged:
        # A damaged record cannot be matched: its likeness hash is not trustworthy.
        problems.append(f"{len(damaged)} consent record(s) skipped: {damaged[0]}")
    if problems:
        raise ConsentError(f"{'; '.join(problems)}; {add}")
    raise ConsentError(
        f"no consent record for {likeness_name} (sha256 {likeness_sha256[:12]}…); {add}"
    )
