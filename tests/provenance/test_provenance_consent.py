"""Consent: a likeness starts only with a valid, unexpired, unrevoked, in-scope record."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from overlay.cli import main
from overlay.errors import ConfigError, ConsentError
from overlay.frames import StampedFrame
from overlay.provenance import consent, keys
from overlay.provenance.checks import check_manifest
from overlay.provenance.policy import decide
from overlay.runner import RunSettings, open_session
from overlay.sinks import SINKS, BaseSink, SinkOptions, register_sink
from overlay.sinks.base import SinkScope
from tests.helpers import future as _future


def _run(*args: str) -> tuple[int, str, str]:
    import sys
    from io import StringIO

    out, err = StringIO(), StringIO()
    old = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        code = main(list(args))
    finally:
        sys.stdout, sys.stderr = old
    return code, out.getvalue(), err.getvalue()


def _sessions(data: Path) -> list[Path]:
    folder = data / "sessions"
    return sorted(folder.glob("*.manifest.json")) if folder.exists() else []


def test_likeness_without_consent_refuses_to_start(
    face: Path, tmp_path: Path, overlay_dirs: dict[str, Path]
) -> None:
    out = tmp_path / "x.mp4"
    code, _, err = _run(
        "run",
        "--source",
        "synthetic",
        "--likeness",
        str(face),
        "--sink",
        f"file:{out}",
        "--frames",
        "3",
        "--no-pace",
        "--size",
        "160x120",
    )
    assert code == 2
    lines = err.strip().splitlines()
    assert "no consent record" in lines[-1] and "overlay consent add" in lines[-1]
    assert "Traceback" not in err
    assert not out.exists() and not list(tmp_path.glob("*.mp4"))
    assert _sessions(overlay_dirs["data"]) == []


def test_likeness_with_consent_starts_and_is_recorded(
    face: Path, form: Path, overlay_dirs: dict[str, Path]
) -> None:
    record = consent.add_consent(
        subject="Ann Example", likeness=face, expires=_future(), evidence=form
    )
    code, out, err = _run(
        "run",
        "--source",
        "synthetic",
        "--likeness",
        str(face),
        "--declare",
        "avatar",
        "--sink",
        "null",
        "--frames",
        "3",
        "--no-pace",
        "--size",
        "160x120",
        "--json",
    )
    assert code == 0, err
    body = check_manifest(json.loads(out)["manifest"]).body
    assert body["consent"]["id"] == record.id and body["consent"]["subject"] == "Ann Example"
    assert body["likeness_sha256"] == record.likeness_sha256
    assert body["declared"] == "avatar"
    assert body["digital_source_type"].endswith("/trainedAlgorithmicMedia")
    assert record.body["evidence"] == {
        "kind": "document",
        "file": "form.pdf",
        "sha256": consent.file_sha256(form),
    }


def test_other_image_does_not_match(face: Path, form: Path, tmp_path: Path) -> None:
    consent.add_consent(subject="Ann", likeness=face, expires=_future(), evidence=form)
    other = tmp_path / "other.png"
    cv2.imwrite(str(other), np.zeros((20, 20, 3), np.uint8))
    with pytest.raises(ConsentError, match="no consent record"):
        consent.find_consent(consent.file_sha256(other), ())
    assert consent.find_consent(consent.file_sha256(face), ()).subject == "Ann"


def _store_with(face: Path, **changes: object) -> consent.ConsentRecord:
    now = datetime.now(UTC)
    body = {
        "format": "overlay.consent/1",
        "id": "0123456789ab",
        "subject": "Bo",
        "likeness_sha256": consent.file_sha256(face),
        "likeness_file": face.name,
        "scope": ["live", "record"],
        "granted_utc": (now - timedelta(days=10)).isoformat(timespec="seconds"),
        "expires_utc": (now + timedelta(days=10)).isoformat(timespec="seconds"),
        "evidence": {"kind": "document", "file": "f", "sha256": "0" * 64},
        "note": "",
        "revoked_utc": None,
        "revoked_reason": None,
        **changes,
    }
    return consent._store(body)


def test_expired_consent_refuses(face: Path) -> None:
    past = (datetime.now(UTC) - timedelta(seconds=1)).isoformat(timespec="seconds")
    _store_with(face, expires_utc=past)
    settings = RunSettings(source="synthetic", sinks=("null",), likeness=str(face))
    with pytest.raises(ConsentError, match="expired"), open_session(settings):
        pass


def test_revoked_consent_refuses(face: Path, form: Path) -> None:
    record = consent.add_consent(subject="Cy", likeness=face, expires=_future(), evidence=form)
    settings = RunSettings(source="synthetic", sinks=("null",), likeness=str(face))
    with open_session(settings) as opened:
        pipeline = opened.pipeline
        assert pipeline.step() is not None
    code, out, _ = _run("consent", "revoke", record.id, "--reason", "asked to stop")
    assert code == 0 and "revoked" in out
    with pytest.raises(ConsentError, match="revoked"), open_session(settings):
        pass
    again = consent.load_consent(record.path)
    assert again.body["revoked_reason"] == "asked to stop"
    with pytest.raises(ConsentError, match="already revoked"):
        consent.revoke_consent(record.id)


def test_scope_must_cover_the_sinks(face: Path, form: Path, tmp_path: Path) -> None:
    consent.add_consent(
        subject="Di", likeness=face, expires=_future(), evidence=form, scope=("live",)
    )
    out = tmp_path / "x.mp4"
    recording = RunSettings(source="synthetic", sinks=(f"file:{out}",), likeness=str(face))
    with pytest.raises(ConsentError, match="not record"), open_session(recording):
        pass
    assert not out.exists() and not list(tmp_path.glob("*.mp4"))
    # the negative twin: a sink that neither streams nor records needs no scope
    with open_session(
        RunSettings(source="synthetic", sinks=("null",), likeness=str(face))
    ) as opened:
        p = opened.pipeline
        assert p.step() is not None


class _Broadcast(BaseSink):
    """A third party's sink, registered with ``register_sink``; ``scope`` on its type."""

    def __init__(self, options: SinkOptions, scope: SinkScope) -> None:
        super().__init__(options.session.size)
        self.spec = f"broadcast ({scope})"
        self.scope = scope
        self.sent = 0

    def _send(self, frame: StampedFrame) -> None:
        self.sent += 1


@pytest.mark.parametrize("scope", ["live", "local"])
def test_a_registered_third_party_sink_is_held_to_its_declared_scope(
    face: Path, form: Path, scope: SinkScope
) -> None:
    consent.add_consent(
        subject="Fa", likeness=face, expires=_future(), evidence=form, scope=("record",)
    )
    register_sink("broadcast", lambda arg, options: _Broadcast(options, scope))
    try:
        settings = RunSettings(source="synthetic", sinks=("broadcast",), likeness=str(face))
        if scope == "live":
            # sent out live: a record-only consent does not cover it
            with pytest.raises(ConsentError, match="not live"), open_session(settings):
                pass
        else:
            # the negative twin: a sink that keeps frames in this process needs no scope
            with open_session(settings) as opened:
                p = opened.pipeline
                assert p.step() is not None
    finally:
        SINKS.unregister("broadcast")


def test_edited_consent_record_is_not_valid(face: Path, form: Path) -> None:
    record = consent.add_consent(subject="Ed", likeness=face, expires=_future(), evidence=form)
    text = record.path.read_text()
    later = text.replace(record.body["expires_utc"], "2099-01-01T00:00:00Z")
    assert later != text
    record.path.write_text(later)
    with pytest.raises(ConsentError, match="not valid"):
        consent.find_consent(record.likeness_sha256, ())
    code, out, _ = _run("consent", "list")
    assert code == 0 and "DAMAGED" in out


def test_declarations_and_defaults() -> None:
    with pytest.raises(ConsentError, match="--likeness IMAGE"):
        decide(
            origin="generator",
            source_name="device",
            source_spec="device:/dev/video9",
            likeness=None,
            declared="face-swap",
        )
    with pytest.raises(ConsentError, match="--likeness IMAGE"):
        decide(
            origin="generator",
            source_name="pipe",
            source_spec="pipe",
            likeness=None,
            declared_generator=True,
        )
    plain = decide(origin="generator", source_name="device", source_spec="d", likeness=None)
    assert not plain.consent_needed and not plain.stated
    assert plain.digital_source_type.endswith("/compositeWithTrainedAlgorithmicMedia")
    ok = decide(
        origin="generator",
        source_name="device",
        source_spec="device:x",
        likeness=None,
        declared="generated",
    )
    assert not ok.consent_needed and ok.digital_source_type.endswith("/trainedAlgorithmicMedia")
    with_face = decide(origin="generator", source_name="device", source_spec="d", likeness="f.png")
    assert with_face.consent_needed and with_face.why == "a likeness image was given"
    with pytest.raises(ConfigError, match="--declare"):
        decide(origin="camera", source_name="webcam", source_spec="w", likeness=None, declared="x")
    camera = decide(origin="camera", source_name="webcam", source_spec="webcam:0", likeness=None)
    assert not camera.consent_needed and not camera.stated
    stated = decide(
        origin="camera",
        source_name="webcam",
        source_spec="webcam:0",
        likeness=None,
        digital_source_type="digitalCapture",
    )
    assert stated.stated and stated.digital_source_type.endswith("/digitalCapture")
    with pytest.raises(ConfigError, match="unknown digital source type"):
        decide(
            origin="camera",
            source_name="webcam",
            source_spec="w",
            likeness=None,
            digital_source_type="x",
        )


def test_face_swap_file_needs_consent(tmp_path: Path, face: Path, form: Path) -> None:
    clip = tmp_path / "swap.mp4"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter.fourcc(*"mp4v"), 10, (160, 120))
    for i in range(5):
        writer.write(np.full((120, 160, 3), i * 40, np.uint8))
    writer.release()
    base = (
        "run",
        "--source",
        f"file:{clip}",
        "--sink",
        "null",
        "--frames",
        "3",
        "--no-pace",
        "--size",
        "160x120",
        "--declare",
        "face-swap",
    )
    code, _, err = _run(*base)
    assert code == 2 and "--likeness IMAGE" in err
    code, _, err = _run(*base, "--likeness", str(face))
    assert code == 2 and "no consent record" in err
    consent.add_consent(subject="Flo", likeness=face, expires=_future(), evidence=form)
    code, out, err = _run(*base, "--likeness", str(face), "--json")
    assert code == 0, err
    body = check_manifest(json.loads(out)["manifest"]).body
    assert body["digital_source_type"].endswith("/compositeWithTrainedAlgorithmicMedia")
    assert body["source"]["origin"] == "media" and body["declared"] == "face-swap"
    # the same file without the declaration needs nothing
    code, _, err = _run(*base[:-2])
    assert code == 0, err


def test_signed_statement_evidence(tmp_path: Path, face: Path) -> None:
    person = Ed25519PrivateKey.generate()
    statement = tmp_path / "statement.txt"
    statement.write_text("I, Gil, agree that my likeness may be used until 2030.\n")
    sig = tmp_path / "statement.sig"
    sig.write_bytes(person.sign(statement.read_bytes()))
    pub = tmp_path / "gil.pem"
    pub.write_bytes(keys.public_key_pem(person.public_key()))
    record = consent.add_consent(
        subject="Gil",
        likeness=face,
        expires=_future(),
        statement=statement,
        signature=sig,
        signer_key=pub,
    )
    assert record.body["evidence"]["kind"] == "signed-statement"
    assert record.problem() is None
    sig.write_bytes(Ed25519PrivateKey.generate().sign(statement.read_bytes()))
    with pytest.raises(ConsentError, match="does not verify"):
        consent.add_consent(
            subject="Gil",
            likeness=face,
            expires=_future(),
            statement=statement,
            signature=sig,
            signer_key=pub,
        )


def test_consent_cli_add_list_and_bad_input(face: Path, form: Path) -> None:
    code, out, err = _run(
        "consent",
        "add",
        "--likeness",
        str(face),
        "--name",
        "Hal",
        "--expires",
        str(_future()),
        "--evidence",
        str(form),
    )
    assert code == 0, err
    record_id = out.split()[1].rstrip(":")
    code, out, _ = _run("consent", "list")
    assert code == 0 and record_id in out and "valid" in out and "Hal" in out
    bad = [
        ("--expires", "2001-01-01", "in the past"),
        ("--expires", "tomorrow", "not a date"),
        ("--scope", "everything", "--scope"),
    ]
    for flag, value, message in bad:
        options = {"--expires": str(_future()), "--scope": "live", flag: value}
        args = ["consent", "add", "--likeness", str(face), "--name", "Hal", "--evidence", str(form)]
        for name, given in options.items():
            args += [name, given]
        code, _, err = _run(*args)
        assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
    code, _, err = _run(
        "consent", "add", "--likeness", str(face), "--name", "Hal", "--expires", str(_future())
    )
    assert code == 2 and "evidence" in err
    code, _, err = _run(
        "consent",
        "add",
        "--likeness",
        "/nope.png",
        "--name",
        "H",
        "--expires",
        str(_future()),
        "--evidence",
        str(form),
    )
    assert code == 2 and "/nope.png" in err
    code, _, err = _run("consent", "revoke", "zzz")
    assert code == 2 and "12 hex" in err
    code, _, err = _run("consent", "revoke", "0" * 12)
    assert code == 2 and "no consent record" in err
