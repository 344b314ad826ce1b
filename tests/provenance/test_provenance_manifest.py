"""Session manifests: signed canonical JSON; every changed byte is caught."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from overlay.config import BannerConfig
from overlay.provenance import keys
from overlay.provenance.canonical import canonical_json, parse_canonical
from overlay.provenance.checks import (
    check_manifest,
    check_watermark_session,
    find_session,
    provenance_report,
)
from overlay.provenance.policy import decide
from overlay.provenance.recorder import SessionRecorder
from overlay.provenance.signed import InvalidDocumentError, open_document, seal_document
from overlay.session import Session


def _recorder(size: tuple[int, int] = (32, 24)) -> SessionRecorder:
    session = Session(size=size, fps=10.0)
    disclosure = decide(
        origin="synthetic", source_name="avatar", source_spec="avatar", likeness=None
    )
    return SessionRecorder(
        session,
        source_spec="avatar",
        source_origin="synthetic",
        disclosure=disclosure,
        banner=BannerConfig(),
        sinks=["null"],
    )


def test_canonical_form_is_enforced() -> None:
    value = {"b": [1, "é"], "a": None}
    data = canonical_json(value)
    assert data == '{"a":null,"b":[1,"é"]}'.encode()
    assert parse_canonical(data) == value
    for bad in (b'{"b":[1,"\\u00e9"],"a":null}', b'{"a": null,"b":[1,"\xc3\xa9"]}', b"{}x"):
        with pytest.raises(ValueError):
            parse_canonical(bad)
    with pytest.raises(ValueError, match="canonical"):
        parse_canonical(b'{"a":1,"a":2}')  # duplicate keys


def test_manifest_written_at_start_and_finalised() -> None:
    rec = _recorder()
    rec.start()
    running = check_manifest(rec.manifest_path)
    assert running.valid and running.status == "running" and not running.complete
    rec.finish()
    done = check_manifest(rec.manifest_path)
    assert done.valid and done.complete and done.session_id == rec.session.id
    body = done.body
    assert body["AIGC"]["ProduceID"] == rec.session.id and body["AIGC"]["Label"] == "1"
    assert set(body["AIGC"]) == {
        "Label",
        "ContentProducer",
        "ProduceID",
        "ReservedCode1",
        "ContentPropagator",
        "PropagateID",
        "ReservedCode2",
    }
    assert body["digital_source_type"].endswith("/trainedAlgorithmicMedia")
    assert body["log"]["records"] == 2  # header + end
    found = find_session(rec.session.id)
    assert found is not None and found.manifest == rec.manifest_path
    assert found.log == rec.log_path
    assert find_session("00000000" if rec.session.id != "00000000" else "11111111") is None
    assert find_session("../etc") is None


def test_every_flipped_byte_of_a_manifest_is_detected() -> None:
    rec = _recorder()
    rec.start()
    rec.finish()
    data = rec.manifest_path.read_bytes()
    assert check_manifest(rec.manifest_path).valid
    tampered = rec.manifest_path.with_name("t.json")
    undetected = []
    for i in range(len(data)):
        for flip in (0x01, 0x20):
            changed = bytearray(data)
            changed[i] ^= flip
            tampered.write_bytes(bytes(changed))
            result = check_manifest(tampered)
            if result.valid or not result.reason:
                undetected.append((i, flip))
    assert undetected == [], f"{len(undetected)} of {2 * len(data)} changes not detected"


def test_manifest_missing_truncated_and_foreign(tmp_path: Path) -> None:
    missing = check_manifest(tmp_path / "nope.json")
    assert not missing.valid and "not found" in missing.reason
    rec = _recorder()
    rec.start()
    data = rec.manifest_path.read_bytes()
    cut = tmp_path / "cut.json"
    cut.write_bytes(data[: len(data) // 2])
    assert not check_manifest(cut).valid
    # the same content signed by another installation's key
    foreign = keys.SigningKey("f" * 16, Ed25519PrivateKey.generate())
    other = tmp_path / "foreign.json"
    other.write_bytes(seal_document(rec.body, foreign))
    result = check_manifest(other)
    assert not result.valid and "does not know" in result.reason
    # ... and a key id that claims to be ours but is not
    mine = keys.load_signing_key()
    forged = keys.SigningKey(mine.key_id, Ed25519PrivateKey.generate())
    other.write_bytes(seal_document(rec.body, forged))
    result = check_manifest(other)
    assert not result.valid and "signature does not match" in result.reason


def test_exported_public_key_verifies_on_another_machine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rec = _recorder()
    rec.start()
    pem = keys.public_key_pem(rec.key.public)
    monkeypatch.setenv("OVERLAY_CONFIG_DIR", str(tmp_path / "elsewhere"))
    assert not check_manifest(rec.manifest_path).valid
    pub = tmp_path / "pub.pem"
    pub.write_bytes(pem)
    assert check_manifest(rec.manifest_path, public_key=pub).valid
    # verify ties the watermark's session to it with that key, and without it does not
    sid, path = rec.session.id, rec.manifest_path
    found = provenance_report(None, session_id=sid, manifest=path, public_key=pub)
    assert found.watermark_session is not None and found.watermark_session.valid
    alone = provenance_report(None, session_id=sid, manifest=path)
    assert alone.watermark_session is not None and not alone.watermark_session.valid
    pub.write_bytes(b"not a key")
    bad = check_manifest(rec.manifest_path, public_key=pub)
    assert not bad.valid and "public key" in bad.reason


def test_open_document_names_the_key() -> None:
    key = keys.load_signing_key()
    data = seal_document({"x": 1}, key)
    assert open_document(data, keys.public_keys()) == ({"x": 1}, key.key_id)
    with pytest.raises(InvalidDocumentError) as info:
        open_document(data, {})
    assert info.value.key_id == key.key_id


def test_watermark_session_belongs_to_manifest() -> None:
    rec = _recorder()
    rec.start()
    assert check_watermark_session(rec.session.id, rec.manifest_path).valid
    other = "0" * 8 if rec.session.id != "0" * 8 else "1" * 8
    wrong = check_watermark_session(other, rec.manifest_path)
    assert not wrong.valid and other in wrong.reason
    assert not check_watermark_session(None, rec.manifest_path).valid


def test_watermark_key_id_is_recorded_once_the_key_exists(overlay_dirs: dict[str, Path]) -> None:
    import hashlib

    rec = _recorder()
    rec.start()
    assert rec.body["watermark"]["key_id"] is None  # no watermark key yet
    key = b"k" * 32
    (overlay_dirs["config"] / "watermark.key").write_bytes(key)
    rec.finish()
    body = check_manifest(rec.manifest_path).body
    assert body["watermark"]["key_id"] == hashlib.sha256(key).hexdigest()[:16]
    text = rec.manifest_path.read_text()
    assert key.hex() not in text and key.decode() not in text  # the key itself is not recorded
