"""Signed JSON documents (session manifests, consent records).

A document is one line of canonical JSON::

    {"alg":"Ed25519","body":{...},"key_id":"<16 hex>","signature":"<128 hex>"}

The signature covers the canonical JSON of the same object without ``signature``, so the
algorithm and the key id are signed too. The file must be exactly that canonical line
plus a newline; any other byte sequence is rejected before the signature is checked.
"""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from overlay.provenance.canonical import canonical_json, parse_canonical
from overlay.provenance.keys import ALG, SigningKey, verify_signature

__all__ = ["InvalidDocumentError", "open_document", "seal_document"]


class InvalidDocumentError(ValueError):
    """A signed document failed a check; ``str()`` is the reason, ``key_id`` if known."""

    def __init__(self, reason: str, key_id: str | None = None) -> None:
        super().__init__(reason)
        self.key_id = key_id


def seal_document(body: dict[str, Any], key: SigningKey) -> bytes:
    """``body`` signed with ``key``, as the bytes of the file (canonical JSON + newline)."""
    unsigned = {"alg": ALG, "body": body, "key_id": key.key_id}
    signature = key.sign(canonical_json(unsigned)).hex()
    return canonical_json({**unsigned, "signature": signature}) + b"\n"


def open_document(data: bytes, keys: dict[str, Ed25519PublicKey]) -> tuple[dict[str, Any], str]:
    """Check a sealed document and return (body, key id).

    Args:
        data: the file's bytes.
        keys: trusted public keys by key id.

    Raises:
        InvalidDocumentError: the reason (damaged, unknown key, bad signature).
    """
    if not data.endswith(b"\n") or data.count(b"\n") != 1:
        raise InvalidDocumentError("not one line ending in a newline (the file was changed or cut)")
    try:
        doc = parse_canonical(data[:-1])
    except ValueError as exc:
        raise InvalidDocumentError(str(exc)) from None
    if not isinstance(doc, dict) or set(doc) != {"alg", "body", "key_id", "signature"}:
        raise InvalidDocumentError("not a signed overlay document (fields missing or extra)")
    alg, body, kid, sig = doc["alg"], doc["body"], doc["key_id"], doc["signature"]
    if alg != ALG:
        raise InvalidDocumentError(f"signature algorithm {alg!r} is not {ALG}")
    if not isinstance(body, dict) or not isinstance(kid, str) or not isinstance(sig, str):
        raise InvalidDocumentError("not a signed overlay document (field types)")
    try:
        raw = bytes.fromhex(sig)
    except ValueError:
        raise InvalidDocumentError("the signature is not hex", kid) from None
    if len(raw) != 64 or raw.hex() != sig:
        raise InvalidDocumentError("the signature is not 64 bytes of lower-case hex", kid)
    public = keys.get(kid)
    if public is None:
        raise InvalidDocumentError(
            f"signed by key {kid}, which this installation does not know; verify with that "
            "key's exported public key (overlay keys export-public on the machine that made it)",
            kid,
        )
    unsigned = {"alg": alg, "body": body, "key_id": kid}
    if not verify_signature(public, canonical_json(unsigned), raw):
        raise InvalidDocumentError(f"the signature does not match the content (key {kid})", kid)
    return body, kid
