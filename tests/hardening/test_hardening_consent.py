"""Consent and keys: the likeness must be a real picture of a face; consent is re-checked
while the session runs (clock injected) and a lapse switches to the slate; every private
key must be mode 0600 before the session starts."""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest

from overlay.cli import main
from overlay.errors import ConfigError, ProvenanceError, SourceError
from overlay.faces import FaceSettings
from overlay.paths import config_dir, data_dir
from overlay.provenance import consent
from overlay.provenance.guard import ConsentGuard
from overlay.provenance.likeness import check_likeness
from overlay.runner import RunSettings, open_session
from tests.hardening.hardening_helpers import one_line_error, png_declaring
from tests.helpers import future as _future


def _bad_likeness(tmp_path: Path, kind: str) -> Path:
    p = tmp_path / f"{kind}.png"
    if kind == "empty":
        p.touch()
    elif kind == "text":
        p.write_text("this is not a picture")
    elif kind == "corrupt":
        _ok, buf = cv2.imencode(".png", np.full((200, 200, 3), 90, np.uint8))
        p.write_bytes(buf.tobytes()[:60])
    elif kind == "tiny":
        cv2.imwrite(str(p), np.full((1, 1, 3), 90, np.uint8))
    elif kind == "folder":
        p.mkdir()
    elif kind == "huge":
        png_declaring(p, 60000, 60000)
    elif kind == "no-face":
        from skimage import data as skdata

        cv2.imwrite(str(p), cv2.cvtColor(skdata.coffee(), cv2.COLOR_RGB2BGR))
    return p


BAD = {
    "empty": "empty",
    "text": "not an image",
    "corrupt": "cannot",
    "tiny": "1x1 pixels",
    "folder": "is a directory",
    "huge": "megapixels",
    "no-face": "no face found",
}


@pytest.mark.parametrize("kind", sorted(BAD))
def test_consent_add_refuses_what_is_not_a_likeness(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, form: Path, kind: str
) -> None:
    p = _bad_likeness(tmp_path, kind)
    with pytest.raises((ConfigError, SourceError), match=BAD[kind]):
        check_likeness(p)
    argv = ["consent", "add", "--likeness", str(p), "--name", "Ann", "--expires"]
    err = one_line_error(capsys, [*argv, str(_future()), "--evidence", str(form)])
    assert BAD[kind] in err
    assert not list((config_dir() / "consent").glob("*.json"))


def test_consent_add_takes_a_photo_of_a_face(face: Path, form: Path) -> None:
    # Twin: a real photo with a face is recorded.
    record = consent.add_consent(subject="Ann", likeness=face, expires=_future(), evidence=form)
    assert record.likeness_sha256 == consent.file_sha256(face)


def _record_for_bytes(data_file: Path) -> None:
    """A record made for any file (as before the likeness check existed)."""
    now = datetime.now(UTC)
    consent._store(
        {
            "format": "overlay.consent/1",
            "id": "0123456789ab",
            "subject": "Old",
            "likeness_sha256": consent.file_sha256(data_file),
            "likeness_file": data_file.name,
            "scope": ["live", "record"],
            "granted_utc": (now - timedelta(days=1)).isoformat(timespec="seconds"),
            "expires_utc": (now + timedelta(days=10)).isoformat(timespec="seconds"),
            "evidence": {"kind": "document", "file": "f", "sha256": "0" * 64},
            "note": "",
            "revoked_utc": None,
            "revoked_reason": None,
        }
    )


def test_old_record_for_an_empty_file_does_not_let_dev_null_pass(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    empty = tmp_path / "empty.png"
    empty.touch()
    _record_for_bytes(empty)
    base = ["run", "--source", "synthetic", "--sink", "null", "--frames", "2", "--no-face-tag"]
    assert "not a regular file" in one_line_error(capsys, [*base, "--likeness", "/dev/null"])
    assert "empty" in one_line_error(capsys, [*base, "--likeness", str(empty)])


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr("overlay.provenance.guard._utc_now", fake)
    return fake


def _session(face: Path) -> RunSettings:
    return RunSettings(
        source="synthetic", sinks=("null",), likeness=str(face), faces=FaceSettings(tag=False)
    )


def test_revoked_consent_switches_the_running_session_to_the_slate(
    face: Path, form: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    record = consent.add_consent(subject="Ann", likeness=face, expires=_future(), evidence=form)
    with open_session(_session(face)) as opened:
        p = opened.pipeline
        guard = p.chain.stamps[0]
        assert isinstance(guard, ConsentGuard) and guard.interval <= timedelta(minutes=1)
        first = p.step()
        assert first is not None and not first.slate
        consent.revoke_consent(record.id, "changed her mind")
        clock.advance(guard.interval.total_seconds() - 1)
        frame = p.step()
        assert frame is not None and not frame.slate  # not re-read yet
        with caplog.at_level(logging.ERROR):
            clock.advance(2)
            frame = p.step()
        assert frame is not None and frame.slate
        assert f"consent {record.id} for Ann was revoked" in caplog.text
        assert "sends the slate" in caplog.text
        for _ in range(3):
            frame = p.step()
            assert frame is not None and frame.slate
        # The likeness is gone: the frame is the consent slate (plus the stamps).
        h, w = frame.image.shape[:2]
        centre = frame.image[h // 3 : 2 * h // 3, w // 4 : 3 * w // 4]
        assert float(centre.std()) > 10  # the message is drawn
        assert p.stats().as_dict()["slates"] >= 4


def test_consent_that_holds_never_switches(face: Path, form: Path, clock: FakeClock) -> None:
    # Twin: ten minutes of checks with a valid record: no slate.
    consent.add_consent(subject="Ann", likeness=face, expires=_future(), evidence=form)
    with open_session(_session(face)) as opened:
        p = opened.pipeline
        guard = p.chain.stamps[0]
        assert isinstance(guard, ConsentGuard)
        for _ in range(20):
            clock.advance(31)
            frame = p.step()
            assert frame is not None and not frame.slate
        assert guard.checks == 20


def test_consent_expiring_during_the_session(face: Path, form: Path, clock: FakeClock) -> None:
    consent.add_consent(subject="Bo", likeness=face, expires=_future(1), evidence=form)
    with open_session(_session(face)) as opened:
        p = opened.pipeline
        guard = p.chain.stamps[0]
        assert isinstance(guard, ConsentGuard)
        assert p.step() is not None
        clock.advance(2 * 86400)
        frame = p.step()
        assert frame is not None and frame.slate
        assert guard.reason is not None and "expired" in guard.reason


def test_deleted_record_lapses(face: Path, form: Path, clock: FakeClock) -> None:
    record = consent.add_consent(subject="Cy", likeness=face, expires=_future(), evidence=form)
    with open_session(_session(face)) as opened:
        p = opened.pipeline
        record.path.unlink()
        clock.advance(31)
        frame = p.step()
        assert frame is not None and frame.slate


def test_check_interval_is_at_most_a_minute(face: Path, form: Path) -> None:
    from overlay.config import BannerConfig

    record = consent.add_consent(subject="Di", likeness=face, expires=_future(), evidence=form)
    with pytest.raises(ValueError, match="0-60 s"):
        ConsentGuard(record, (), (320, 240), BannerConfig(), interval=timedelta(minutes=2))


# -- keys ------------------------------------------------------------------------------------
def _key_files() -> dict[str, Path]:
    from overlay.provenance.keys import load_signing_key
    from overlay.provenance.recording import ensure_certificate
    from overlay.stamps.watermark import installation_key

    installation_key()
    signing = load_signing_key()
    ensure_certificate()
    cfg = config_dir()
    return {
        "watermark": cfg / "watermark.key",
        "signing": cfg / "keys" / f"{signing.key_id}.key",
        "c2pa-signer": cfg / "c2pa" / "signer.key",
        "c2pa-ca": cfg / "c2pa" / "ca.key",
    }


@pytest.mark.parametrize("which", ["watermark", "signing", "c2pa-signer", "c2pa-ca"])
def test_key_readable_by_others_is_refused_before_the_session(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, which: str
) -> None:
    keys = _key_files()
    for path in keys.values():
        assert os.stat(path).st_mode & 0o777 == 0o600
    os.chmod(keys[which], 0o644)
    out = tmp_path / "out.mp4"
    argv = ["run", "--source", "synthetic", "--sink", f"file:{out}", "--frames", "30"]
    err = one_line_error(capsys, [*argv, "--no-face-tag"])
    assert "0644" in err and "chmod 600" in err and keys[which].name in err
    # Refused at start: no recording, no session records.
    assert not out.exists()
    sessions = data_dir() / "sessions"
    assert not sessions.exists() or not any(sessions.iterdir())
    # Twin: back to 0600, the same session runs and records.
    os.chmod(keys[which], 0o600)
    assert main([*argv, "--no-face-tag"]) == 0
    assert out.exists()


def test_check_key_files_lists_every_kind() -> None:
    from overlay.provenance.keys import check_key_files

    keys = _key_files()
    assert set(check_key_files()) >= set(keys.values())
    os.chmod(keys["c2pa-ca"], 0o640)
    with pytest.raises(ProvenanceError, match="0640"):
        check_key_files()
