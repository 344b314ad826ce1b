"""``overlay verify``: exit codes, the JSON report, the plot, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from watermark_content import SIZE

from overlay.cli import main
from overlay.frames import BGRImage
from overlay.watermark import FORMAT_VERSION, Embedder, Payload, seal_session_id
from tests.helpers import write_360p

KEY = bytes(range(32))
SESSION = "5e551a00"


@pytest.fixture(scope="module")
def key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("keys") / "watermark.key"
    path.write_text(KEY.hex() + "\n")
    return path


def _write_mp4(path: Path, frames: list[BGRImage]) -> Path:
    path.write_bytes(b"")
    return write_360p(path, frames, crf=23)


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory, coffee_clip: list[BGRImage]) -> dict:
    d = tmp_path_factory.mktemp("videos")
    payload = Payload(FORMAT_VERSION, True, seal_session_id(SESSION, KEY))
    embedder = Embedder(payload, SIZE)
    marked = [embedder.apply(f.copy()) for f in coffee_clip]
    out = {
        "marked": _write_mp4(d / "marked.mp4", marked),
        "clean": _write_mp4(d / "clean.mp4", coffee_clip),
    }
    cv2.imwrite(str(d / "marked.png"), marked[0])
    cv2.imwrite(str(d / "clean.png"), coffee_clip[0])
    out["marked.png"], out["clean.png"] = d / "marked.png", d / "clean.png"
    return out


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["verify", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_marked_video_is_found_with_the_session_id(capsys, videos, key_file) -> None:
    code, out, _ = run(capsys, videos["marked"], "--json", "--key", key_file)
    assert code == 0
    report = json.loads(out)
    wm = report["watermark"]
    assert wm["detected"] is True
    assert wm["session_id"] == SESSION
    assert wm["frames_checked"] == 8
    assert wm["frames_detected"] == 8
    assert wm["score"] > 0
    assert 0 < wm["false_positive_bound"] <= 1e-9
    assert report["found"] is True


def test_clean_video_is_not_found(capsys, videos, key_file) -> None:
    code, out, _ = run(capsys, videos["clean"], "--json", "--key", key_file)
    assert code == 1
    wm = json.loads(out)["watermark"]
    assert wm["detected"] is False
    assert wm["session_id"] is None
    assert wm["frames_checked"] == 8
    assert wm["frames_detected"] == 0
    assert wm["false_positive_bound"] == 1.0


def test_without_the_key_the_mark_is_found_but_the_id_stays_sealed(
    capsys, videos, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("OVERLAY_CONFIG_DIR", str(tmp_path))  # no key here
    code, out, _ = run(capsys, videos["marked"], "--json")
    wm = json.loads(out)["watermark"]
    assert code == 0
    assert wm["session_id"] is None
    assert wm["sealed_id"] == seal_session_id(SESSION, KEY)
    assert not (tmp_path / "watermark.key").exists()  # verify never creates a key


def test_with_another_installation_key_the_id_is_wrong(capsys, videos, tmp_path) -> None:
    other = tmp_path / "other.key"
    other.write_text(bytes(32).hex())
    code, out, _ = run(capsys, videos["marked"], "--json", "--key", other)
    assert code == 0
    assert json.loads(out)["watermark"]["session_id"] != SESSION


def test_images_marked_and_clean(capsys, videos, key_file) -> None:
    code, out, _ = run(capsys, videos["marked.png"], "--key", key_file)
    assert code == 0
    assert "FOUND" in out
    assert SESSION in out
    code, out, _ = run(capsys, videos["clean.png"], "--key", key_file)
    assert code == 1
    assert "no AI-disclosure watermark" in out


def test_plot_is_written(capsys, videos, tmp_path) -> None:
    out_png = tmp_path / "score.png"
    code, _, _ = run(capsys, videos["marked"], "--plot", out_png)
    assert code == 0
    assert out_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = cv2.imread(str(out_png))
    assert image is not None
    assert image.std() > 5  # something was drawn


def _bad_inputs(tmp: Path, videos: dict) -> dict[str, Path]:
    empty = tmp / "empty.mp4"
    empty.write_bytes(b"")
    truncated = tmp / "truncated.mp4"
    data = videos["marked"].read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    garbage = tmp / "garbage.mp4"
    garbage.write_bytes(np.random.default_rng(0).bytes(5000))
    tiny = tmp / "tiny.png"
    cv2.imwrite(str(tiny), np.zeros((1, 1, 3), np.uint8))
    grey = tmp / "grey.png"
    cv2.imwrite(str(grey), np.full((360, 640), 128, np.uint8))
    deep = tmp / "deep.png"
    cv2.imwrite(str(deep), np.full((360, 640, 3), 30000, np.uint16))
    broken = tmp / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 50)
    return {
        "empty": empty,
        "truncated": truncated,
        "garbage": garbage,
        "tiny": tiny,
        "grey": grey,
        "deep": deep,
        "broken": broken,
        "directory": tmp,
        "missing": tmp / "nope.mp4",
    }


@pytest.mark.parametrize(
    "kind",
    ["empty", "truncated", "garbage", "tiny", "grey", "deep", "broken", "directory", "missing"],
)
def test_bad_input_is_one_line_and_exit_2(capsys, videos, tmp_path, kind: str) -> None:
    path = _bad_inputs(tmp_path, videos)[kind]
    code, out, err = run(capsys, path, "--json")
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("overlay: error: ")
    assert "Traceback" not in err
    assert str(path.name) in lines[0]


def test_good_input_twin_of_the_bad_ones(capsys, videos) -> None:
    code, _, err = run(capsys, videos["clean"])
    assert code == 1
    assert err == ""


def test_library_reports_progress_per_window(videos) -> None:
    from overlay.verify import verify

    seen: list[tuple[int, int]] = []
    report = verify(videos["marked"], window=4, progress=lambda n, total: seen.append((n, total)))
    assert seen == [(4, 8), (8, 8)]
    assert report.watermark.windows == 2
    assert report.watermark.presence_threshold > 5


def test_verify_is_a_listed_command(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "verify" in capsys.readouterr().out
