"""``overlay verify`` ties the watermark, the signed manifest, the frame log and C2PA together."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from overlay.cli import main


def _record(tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    out = tmp_path / name
    code = main(
        [
            "run",
            "--source",
            "avatar",
            "--sink",
            f"file:{out}",
            "--frames",
            "120",
            "--no-pace",
            "--json",
        ]
    )
    assert code == 0
    stats: dict[str, object] = json.loads(capsys.readouterr().out)
    stats["path"] = out
    return stats


def _unmarked(path: Path) -> Path:
    """One second of noise, never marked."""
    import cv2
    import numpy as np

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), 30, (320, 180))
    rng = np.random.default_rng(3)
    for _ in range(30):
        writer.write(rng.integers(0, 256, (180, 320, 3), dtype=np.uint8))
    writer.release()
    return path


def _verify(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    code = main(["verify", *argv, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_verify_ties_watermark_manifest_log_and_c2pa(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rec = _record(tmp_path, "a.mp4", capsys)
    code, report = _verify(capsys, str(rec["path"]))
    assert code == 0
    assert (
        report["watermark"]["detected"] and report["watermark"]["session_id"] == rec["session_id"]
    )
    for part in ("manifest", "log", "c2pa", "watermark_session"):
        assert report[part]["valid"], (part, report[part]["reason"])
    assert report["manifest"]["session_id"] == rec["session_id"]


def test_verify_says_when_the_manifest_is_another_sessions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = _record(tmp_path, "a.mp4", capsys)
    second = _record(tmp_path, "b.mp4", capsys)
    code, report = _verify(capsys, str(first["path"]), "--manifest", str(second["manifest"]))
    assert code == 3  # the watermark is there, but the records are another session's
    for part in ("manifest", "log", "c2pa", "watermark_session"):
        assert not report[part]["valid"], part
        assert str(second["session_id"]) in report[part]["reason"], (part, report[part])


def test_verify_reports_a_tampered_recording(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rec = _record(tmp_path, "a.mp4", capsys)
    path = Path(str(rec["path"]))
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    _, report = _verify(capsys, str(path))
    assert not report["c2pa"]["valid"] and report["c2pa"]["reason"]


def _lossless(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    out = tmp_path / "a.mkv"
    args = ["--sink", f"file:{out}", "--frames", "60", "--size", "640x360", "--no-pace"]
    assert main(["run", "--source", "synthetic", "--no-face-tag", *args, "--json"]) == 0
    capsys.readouterr()
    return out


def test_verify_of_a_lossless_mkv_recording_says_c2pa_is_absent_not_failed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # C2PA has no place for a manifest in Matroska: overlay's own lossless recording must
    # not exit 3 ("a provenance record failed") for it; its frames match the frame log.
    code, report = _verify(capsys, str(_lossless(tmp_path, capsys)))
    assert code == 0, report["c2pa"]
    assert report["watermark"]["detected"]
    assert not report["c2pa"]["present"] and ".mkv" in report["c2pa"]["reason"]
    assert report["frames"]["valid"] and report["manifest"]["valid"]


def test_verify_strict_of_a_lossless_mkv_recording_fails_on_the_absent_c2pa(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The twin: --strict asks for every record, so the absent C2PA manifest fails there.
    code = main(["verify", str(_lossless(tmp_path, capsys)), "--strict"])
    out = capsys.readouterr()
    assert code == 3
    assert "c2pa: C2PA has no place for a manifest in a .mkv file" in out.err + out.out


def test_verify_of_unmarked_content_finds_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = _verify(capsys, str(_unmarked(tmp_path / "plain.mp4")))
    assert code == 1
    assert not report["watermark"]["detected"]
    assert not report["c2pa"]["valid"] and not report["manifest"]["valid"]


def _shape(value: object) -> object:
    """A JSON value's keys (in order) and types, not its contents."""
    if isinstance(value, dict):
        return [[k, _shape(v)] for k, v in value.items()]
    if isinstance(value, list):
        kinds: list[object] = []
        for item in value:
            if _shape(item) not in kinds:
                kinds.append(_shape(item))
        return {"list of": kinds}
    names = {type(None): "null", bool: "bool", int: "int", float: "float", str: "str"}
    return names[type(value)]


#: ``overlay verify --json``'s keys and types, recorded from main's output (dict-returning
#: checks, before they became dataclasses) for a recording, a screenshot of it, the same
#: recording without its frame log, and unmarked video.
SHAPES = json.loads((Path(__file__).parent / "data" / "verify_json_shape.json").read_text())


def test_verify_json_keeps_its_keys_and_types(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import cv2

    rec = _record(tmp_path, "a.mp4", capsys)
    video = Path(str(rec["path"]))
    capture = cv2.VideoCapture(str(video))
    ok, first = capture.read()
    capture.release()
    assert ok
    cv2.imwrite(str(tmp_path / "a.png"), first)
    plain = _unmarked(tmp_path / "plain.mp4")

    shapes = {
        "valid": _shape(_verify(capsys, str(video))[1]),
        "image": _shape(_verify(capsys, str(tmp_path / "a.png"))[1]),
        "unmarked": _shape(_verify(capsys, str(plain))[1]),
    }
    Path(str(rec["log"])).unlink()
    shapes["no_log"] = _shape(_verify(capsys, str(video))[1])
    for name, shape in shapes.items():
        assert shape == SHAPES[name], name
    # the twin: the shapes tell the scenarios apart (a missing log is not the full object)
    assert shapes["no_log"] != shapes["valid"] and shapes["image"] != shapes["valid"]
