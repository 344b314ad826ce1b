"""``overlay verify`` tells scripts when provenance fails: exit 3 (disclosure found,
provenance failed), ``--strict``, another session's records reported in each section,
and the recording's frames matched against the log."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import pytest

from overlay.cli import main
from overlay.provenance.checks import Outcome
from overlay.verify import (
    EXIT_FOUND,
    EXIT_NOT_FOUND,
    EXIT_PROVENANCE_FAILED,
    PROVENANCE_SECTIONS,
    VerifyReport,
    WatermarkReport,
    exit_code,
    provenance_failures,
)
from tests.helpers import read_video

pytestmark = pytest.mark.slow


def _record(
    tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str], source: str = "avatar"
) -> dict[str, str]:
    out = tmp_path / name
    argv = ["run", "--source", source, "--sink", f"file:{out}", "--frames", "120"]
    assert main([*argv, "--no-pace", "--json", "--no-face-tag"]) == 0
    stats = json.loads(capsys.readouterr().out)
    return {
        "path": str(out),
        "session_id": stats["session_id"],
        "manifest": stats["manifest"],
        "log": stats["log"],
    }


def _verify(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    code = main(["verify", *argv, "--json"])
    return code, json.loads(capsys.readouterr().out)


def _reencode(path: Path, frames: list, fps: float = 30.0) -> Path:  # type: ignore[type-arg]
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, (w, h))
    for f in frames:
        writer.write(f)
    writer.release()
    return path


@pytest.fixture
def two_sessions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[dict, dict]:  # type: ignore[type-arg]
    # Different content: the perceptual hashes see the picture, not the session's marks.
    return _record(tmp_path, "a.mp4", capsys), _record(tmp_path, "b.mp4", capsys, "synthetic")


def test_exit_codes_for_recordings_copies_and_swaps(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    two_sessions: tuple[dict, dict],  # type: ignore[type-arg]
) -> None:
    a, b = two_sessions
    # The untouched recording: every section valid, its frames match its log; also strict.
    code, report = _verify(capsys, a["path"])
    assert code == EXIT_FOUND
    assert report["frames"]["valid"] and report["frames"]["matched"] == report["frames"]["frames"]
    assert main(["verify", a["path"], "--strict"]) == EXIT_FOUND
    capsys.readouterr()

    # A tampered byte: the watermark is still found, C2PA fails -> 3, one stderr line.
    tampered = tmp_path / "tampered.mp4"
    data = bytearray(Path(a["path"]).read_bytes())
    data[len(data) // 2] ^= 0xFF
    tampered.write_bytes(bytes(data))
    assert main(["verify", str(tampered)]) == EXIT_PROVENANCE_FAILED
    err = capsys.readouterr().err
    assert "disclosure found but provenance failed" in err and "c2pa" in err

    # Another session's manifest and log swapped in under this session's names.
    sessions = Path(a["manifest"]).parent
    for kind in ("manifest", "log"):
        shutil.copyfile(b[kind], a[kind])
    code, report = _verify(capsys, a["path"])
    assert code == EXIT_PROVENANCE_FAILED
    for part in ("manifest", "log", "frames"):
        assert not report[part]["valid"], part
        assert f"is for session {b['session_id']}" in report[part]["reason"], report[part]
    assert sessions.is_dir()


def test_frames_are_matched_against_the_log(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    two_sessions: tuple[dict, dict],  # type: ignore[type-arg]
) -> None:
    a, b = two_sessions
    frames_a = read_video(Path(a["path"]))
    frames_b = read_video(Path(b["path"]))
    # A re-encoded copy of A: no C2PA (absent, not failed), frames match A's log -> 0;
    # --strict wants the C2PA manifest too -> 3.
    copy = _reencode(tmp_path / "copy.mp4", frames_a)
    code, report = _verify(capsys, str(copy), "--manifest", a["manifest"])
    assert code == EXIT_FOUND, report
    assert not report["c2pa"]["present"]
    assert report["frames"]["valid"]
    assert main(["verify", str(copy), "--manifest", a["manifest"], "--strict"]) == 3
    capsys.readouterr()
    # Twin: half of the frames replaced with another session's: the log does not match.
    spliced = _reencode(tmp_path / "spliced.mp4", frames_a[:60] + frames_b[60:])
    code, report = _verify(capsys, str(spliced), "--manifest", a["manifest"])
    assert report["watermark"]["session_id"] == a["session_id"]
    assert code == EXIT_PROVENANCE_FAILED
    assert not report["frames"]["valid"]
    assert "frames match the log" in report["frames"]["reason"]


def _report(**parts: Outcome | None) -> VerifyReport:
    wm = WatermarkReport(state="payload", detected=True, present=True)
    return VerifyReport("x.png", "image", 64, 64, wm, **parts)  # type: ignore[arg-type]


def test_exit_code_rules() -> None:
    ok = Outcome(True, None)
    absent = Outcome.missing("no C2PA manifest in the file")
    bad = Outcome(False, "C2PA validation failed")
    full = {"c2pa": ok, "manifest": ok, "log": ok, "watermark_session": ok, "frames": ok}
    assert exit_code(_report(**full)) == EXIT_FOUND
    assert [name for name, _ in _report(**full).sections()] == list(PROVENANCE_SECTIONS)
    assert exit_code(_report(**full), strict=True) == EXIT_FOUND
    assert exit_code(_report(**{**full, "c2pa": absent})) == EXIT_FOUND
    assert exit_code(_report(**{**full, "c2pa": absent}), strict=True) == EXIT_PROVENANCE_FAILED
    assert exit_code(_report(**{**full, "frames": None}), strict=True) == EXIT_PROVENANCE_FAILED
    assert exit_code(_report(**{**full, "c2pa": bad})) == EXIT_PROVENANCE_FAILED
    assert provenance_failures(_report(**{**full, "c2pa": bad})) == ["c2pa: C2PA validation failed"]
    not_found = _report(**{**full, "c2pa": bad})
    not_found.watermark.detected = not_found.watermark.present = False
    assert exit_code(not_found) == EXIT_NOT_FOUND
    # The mark present beyond doubt, its payload unreadable: a disclosure (exit 0), and a
    # failure only under --strict (no session id to tie it to its records).
    unread = _report(**full)
    unread.watermark.detected = False
    unread.watermark.state = "present"
    assert exit_code(unread) == EXIT_FOUND
    assert exit_code(unread, strict=True) == EXIT_PROVENANCE_FAILED
