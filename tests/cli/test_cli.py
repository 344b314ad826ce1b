from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from overlay.cli import main
from tests.helpers import read_video, still


def _one_line_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    code = main(argv)
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    return err


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["run", "--frobnicate"], "unrecognized arguments: --frobnicate"),
        (["run", "--source", "nope", "--sink", "null"], "unknown source 'nope'"),
        (["run", "--source", "synthetic", "--sink", "nope"], "unknown sink 'nope'"),
        (["run", "--source", "webcam:7", "--sink", "null"], "cannot open webcam 7"),
        (
            ["run", "--source", "synthetic", "--sink", "null", "--banner-height", "0.03"],
            "below the minimum 5%",
        ),
        (
            ["run", "--source", "synthetic", "--sink", "null", "--banner-text", "Deepfake"],
            'does not contain "AI"',
        ),
        (["run", "--source", "synthetic", "--sink", "null", "--size", "big"], "not WIDTHxHEIGHT"),
        (["run", "--source", "synthetic", "--sink", "null", "--size", "1281x720"], "odd side"),
        (["run", "--source", "synthetic", "--sink", "null", "--frames", "0"], "--frames 0"),
        (["run", "--source", "synthetic", "--sink", "null", "--fps", "0"], "outside 1-240"),
        (["run", "--source", "pipe:", "--sink", "null"], "--pipe-size"),
        (["bench", "--frames", "0"], "--frames 0"),
        (["nonsense"], "invalid choice: 'nonsense'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], words: str
) -> None:
    assert words in _one_line_error(capsys, argv)


@pytest.mark.parametrize(
    ("image", "words"),
    [
        (np.zeros((40, 40), np.uint8), "greyscale"),
        (np.zeros((40, 40, 4), np.uint8), "4-channel"),
        (np.zeros((40, 40, 3), np.uint16), "uint16"),
    ],
)
def test_unsupported_image_files(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, image: np.ndarray, words: str
) -> None:
    p = tmp_path / "in.png"
    cv2.imwrite(str(p), image)
    out = tmp_path / "out.mp4"
    err = _one_line_error(
        capsys, ["run", "--source", f"file:{p}", "--sink", f"file:{out}", "--frames", "3"]
    )
    assert words in err
    assert list(tmp_path.iterdir()) == [p]  # no half-written recording


def test_corrupt_video_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(os.urandom(4096))
    assert "cannot decode video" in _one_line_error(
        capsys, ["run", "--source", f"file:{bad}", "--sink", "null"]
    )


def test_a_good_run_records_and_reports(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "ok.mp4"
    src = still(tmp_path / "in.png", 320, 240)
    code = main(
        [
            "run",
            "--source",
            f"file:{src}",
            "--sink",
            f"file:{out}",
            "--size",
            "320x180",
            "--frames",
            "10",
            "--no-pace",
            "--json",
        ]
    )
    assert code == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["frames"] == 10 and len(stats["session_id"]) == 8
    assert len(read_video(out)) == 10


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.startswith("overlay ")


def test_default_run_records_in_the_current_folder(
    chdir_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--frames", "5", "--no-pace", "--size", "320x180"]) == 0
    err = capsys.readouterr().err
    assert "overlay doctor" in err  # how to set up a virtual camera
    recordings = list(chdir_tmp.glob("overlay-*.mp4"))
    assert len(recordings) == 1 and len(read_video(recordings[0])) == 5


def test_ctrl_c_stops_cleanly_and_leaves_a_playable_recording(tmp_path: Path) -> None:
    out = tmp_path / "live.mp4"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "overlay",
            "run",
            "--source",
            "synthetic",
            "--sink",
            f"file:{out}",
            "--size",
            "320x180",
        ],
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert proc.stderr is not None
    started = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait until the session runs, however loaded the machine
        line = proc.stderr.readline()
        started.append(line)
        if ("session" in line and "->" in line) or not line:
            break
    # Ctrl-C once the recording holds a second of video (its first fragment on disk), not
    # after a wall-clock wait: on a loaded machine that may be no frame at all.
    from tests.sinks.test_recording_cli import wait_for_frames

    before = wait_for_frames(tmp_path / "live.partial.mp4", proc, 30)
    proc.send_signal(signal.SIGINT)
    _, rest = proc.communicate(timeout=60)
    err = "".join(started) + rest
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    frames = read_video(out)
    assert len(frames) >= before >= 30  # nothing written before the signal is lost
    assert not (tmp_path / "live.partial.mp4").exists()


def test_errors_in_a_subprocess_have_no_traceback(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "overlay",
            "run",
            "--source",
            f"file:{tmp_path / 'none.mp4'}",
            "--sink",
            "null",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"overlay: error: file {tmp_path / 'none.mp4'} does not exist; check the path"
    ]


def test_doctor_prints_a_fix_for_each_failure(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from overlay.doctor import linux_checks

    checks = linux_checks(sys_root=tmp_path / "sys", dev_root=tmp_path / "dev")
    assert [c.ok for c in checks] == [False, False]
    assert all("modprobe v4l2loopback" in c.fix for c in checks)


def test_doctor_passes_a_good_setup(tmp_path: Path) -> None:
    from overlay.doctor import linux_checks

    sysroot, dev = tmp_path / "sys", tmp_path / "dev"
    (sysroot / "module/v4l2loopback/parameters").mkdir(parents=True)
    (sysroot / "module/v4l2loopback/parameters/exclusive_caps").write_text("Y\n")
    (sysroot / "devices/virtual/video4linux/video5").mkdir(parents=True)
    dev.mkdir()
    (dev / "video5").write_bytes(b"")
    checks = linux_checks(sys_root=sysroot, dev_root=dev)
    assert all(c.ok for c in checks), checks
    assert len(checks) == 4
    (sysroot / "module/v4l2loopback/parameters/exclusive_caps").write_text("N\n")
    assert not linux_checks(sys_root=sysroot, dev_root=dev)[-1].ok


def test_one_opencv_build_is_installed() -> None:
    import cv2

    from overlay.doctor import opencv_check

    check = opencv_check()
    assert check.ok, check.detail
    assert cv2.VideoWriter.fourcc(*"mp4v") > 0  # and it imports and works


def test_mixed_opencv_builds_are_reported() -> None:
    from overlay.doctor import opencv_check

    check = opencv_check({"opencv-python": "5.0.0.93", "opencv-contrib-python": "4.11.0.86"})
    assert not check.ok and "force-reinstall" in check.fix


def test_a_truncated_video_is_one_line_even_from_ffmpeg(tmp_path: Path) -> None:
    good = tmp_path / "good.mp4"
    writer = cv2.VideoWriter(str(good), cv2.VideoWriter.fourcc(*"mp4v"), 30, (160, 120))
    for i in range(30):
        writer.write(np.full((120, 160, 3), i * 8, np.uint8))
    writer.release()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(good.read_bytes()[:2000])  # no moov box: FFmpeg would log about it
    for argv in (["run", "--source", f"file:{cut}", "--sink", "null"], ["verify", str(cut)]):
        proc = subprocess.run(
            [sys.executable, "-m", "overlay", *argv],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=Path(__file__).resolve().parents[2],
        )
        assert proc.returncode == 2
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("overlay: error:"), lines
