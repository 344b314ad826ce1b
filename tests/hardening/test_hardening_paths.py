"""Non-UTF-8 names, images declaring huge sizes, pipes and folders given as files,
and Ctrl-C during start-up: one line and a non-zero exit, never a crash."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from overlay.cli import main
from overlay.errors import ConfigError, SourceError
from overlay.images import MAX_IMAGE_PIXELS, read_image
from overlay.paths import checked_path, display_path
from overlay.sinks.file import FileSink
from overlay.sources.file import FileSource
from overlay.sources.pipe import PipeSource
from overlay.verify import verify
from tests.hardening.hardening_helpers import one_line_error, png_declaring
from tests.helpers import still

#: A Latin-1 "é" (byte 0xE9) in a name: Python holds it as the surrogate escape \udce9.
LATIN1 = os.fsdecode(b"caf\xe9")


def test_checked_path_refuses_surrogates_and_keeps_utf8(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"caf\\xe9.mp4: its name is not valid UTF-8"):
        checked_path(tmp_path / f"{LATIN1}.mp4", "recording")
    with pytest.raises(ConfigError, match="its folder is not valid UTF-8"):
        checked_path(tmp_path / LATIN1 / "out.mp4", "recording")
    good = tmp_path / "café-录像.mp4"
    assert checked_path(good, "recording") == good
    assert display_path(tmp_path / f"{LATIN1}.mp4").endswith("caf\\xe9.mp4")


def test_non_utf8_recording_is_refused_before_opencv(tmp_path: Path) -> None:
    # OpenCV's VideoWriter segfaulted on this name.
    with pytest.raises(ConfigError, match="not valid UTF-8"):
        FileSink(tmp_path / f"{LATIN1}.mp4", (320, 240), 30)
    assert list(tmp_path.iterdir()) == []
    # Twin: a UTF-8 name with non-ASCII letters records.
    sink = FileSink(tmp_path / "café-录像.mp4", (320, 240), 30)
    sink.close()
    assert list(tmp_path.iterdir()) == []  # no frame, no file


@pytest.mark.parametrize("suffix", [".png", ".mp4"])
def test_non_utf8_source_and_verify_are_refused(tmp_path: Path, suffix: str) -> None:
    bad = tmp_path / f"{LATIN1}{suffix}"
    good = tmp_path / f"café{suffix}"
    still(tmp_path / "s.png", 320, 240)
    if suffix == ".png":
        (tmp_path / "s.png").rename(good)
    else:
        writer = cv2.VideoWriter(str(good), cv2.VideoWriter.fourcc(*"mp4v"), 30, (320, 240))
        for _ in range(3):
            writer.write(np.full((240, 320, 3), 90, np.uint8))
        writer.release()
    os.link(good, bad)
    with pytest.raises(ConfigError, match="not valid UTF-8"):
        FileSource(bad).open()
    with pytest.raises(ConfigError, match="not valid UTF-8"):
        verify(bad, provenance=False)
    # Twin: the same bytes under a UTF-8 name are read.
    src = FileSource(good)
    src.open()
    assert src.read() is not None
    src.close()
    assert verify(good, provenance=False).watermark.frames_checked >= 1


def test_cli_refuses_non_utf8_arguments_in_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cases = [
        [
            "run",
            "--source",
            "synthetic",
            "--sink",
            f"file:{tmp_path / LATIN1}.mp4",
            "--frames",
            "2",
        ],
        ["verify", f"{tmp_path / LATIN1}.mp4"],
        ["run", "--source", f"file:{tmp_path / LATIN1}.png", "--sink", "null", "--frames", "2"],
        [
            "run",
            "--source",
            "synthetic",
            "--sink",
            "null",
            "--likeness",
            f"{tmp_path / LATIN1}.png",
        ],
        [
            "consent",
            "add",
            "--likeness",
            f"{tmp_path / LATIN1}.png",
            "--name",
            "A",
            "--expires",
            "2099-01-01",
            "--evidence",
            "x",
        ],
        ["run", "--source", "synthetic", "--sink", "null", "--banner-text", f"AI {LATIN1}"],
    ]
    for argv in cases:
        err = one_line_error(capsys, argv)
        assert "not valid UTF-8" in err and "caf\\xe9" in err, err
    assert list(tmp_path.iterdir()) == []


def test_png_declaring_60000x60000_is_refused_before_decoding(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    huge = png_declaring(tmp_path / "huge.png", 60000, 60000)
    assert huge.stat().st_size < 200
    with pytest.raises(ConfigError, match="megapixels"):
        read_image(huge)
    out = tmp_path / "out.mp4"
    for argv in (
        ["run", "--source", f"file:{huge}", "--sink", f"file:{out}", "--frames", "2"],
        ["verify", str(huge)],
        [
            "run",
            "--source",
            "avatar",
            "--likeness",
            str(huge),
            "--sink",
            "null",
            "--frames",
            "2",
            "--no-face-tag",
        ],
    ):
        assert "megapixels" in one_line_error(capsys, argv)
    assert not out.exists()
    # Twin: a header at the limit's side of the line is decoded (an ordinary picture).
    ok = still(tmp_path / "ok.png", 320, 240)
    assert read_image(ok).shape == (240, 320, 3)


def test_pixel_limit_is_on_the_declared_size(tmp_path: Path) -> None:
    side = int(MAX_IMAGE_PIXELS**0.5) + 1
    with pytest.raises(ConfigError, match=f"{side}x{side}"):
        read_image(png_declaring(tmp_path / "over.png", side, side))
    # Just under the limit the header passes and the (empty) data fails to decode instead.
    with pytest.raises(SourceError, match="cannot decode"):
        read_image(png_declaring(tmp_path / "under.png", side - 2, side - 2))


def test_huge_pipe_size_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["run", "--source", "pipe:", "--pipe-size", "100000x100000", "--sink", "null"]
    assert "megapixels" in one_line_error(capsys, argv)
    assert "too small" in one_line_error(capsys, [*argv[:4], "1x1", *argv[5:]])
    # Twin: a sane size reads frames.
    import io

    src = PipeSource((64, 48), io.BytesIO(bytes(64 * 48 * 3 * 2)))
    src.open()
    assert src.read() is not None


@pytest.mark.parametrize("kind", ["fifo", "folder", "empty", "text"])
def test_not_an_image_file(capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str) -> None:
    p = tmp_path / "in.png"
    if kind == "fifo":
        os.mkfifo(p)  # a reader would block forever
    elif kind == "folder":
        p.mkdir()
    elif kind == "empty":
        p.touch()
    else:
        p.write_text("not a picture")
    words = {
        "fifo": "not a regular file",
        "folder": "is a directory",
        "empty": "empty",
        "text": "not an image",
    }
    for argv in (
        ["run", "--source", f"file:{p}", "--sink", "null", "--frames", "2"],
        ["verify", str(p)],
    ):
        assert words[kind] in one_line_error(capsys, argv)


def _startup_interrupt(where: str) -> subprocess.CompletedProcess[str]:
    """Run ``overlay run`` in a child that sends itself SIGINT at ``where`` in start-up."""
    # The child restores Python's SIGINT handler: under a shell's background job (CI) SIGINT
    # is inherited ignored, and Python then never raises KeyboardInterrupt.
    code = f"""
import os, signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)
import overlay.runner as runner
from overlay.cli import main
orig = runner.{where}
def hooked(*a, **k):
    os.kill(os.getpid(), signal.SIGINT)
    return orig(*a, **k)
runner.{where} = hooked
sys.exit(main(["run", "--source", "avatar", "--sink", "null", "--frames", "30", "--no-face-tag"]))
"""
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize("where", ["open_source", "default_stamps", "open_sink"])
def test_ctrl_c_during_start_up_exits_130_in_one_line(where: str) -> None:
    done = _startup_interrupt(where)
    assert done.returncode == 130, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == ["overlay: stopped"]


def test_ctrl_c_in_the_cli_before_the_command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import overlay.cli as cli

    def interrupted() -> None:
        os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(cli, "build_parser", lambda: interrupted())
    # Python's own handler, as in a terminal (a background job inherits SIGINT ignored).
    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        assert main(["run"]) == 130
    finally:
        signal.signal(signal.SIGINT, old)
    assert capsys.readouterr().err.strip() == "overlay: stopped"


def test_verify_max_frames_zero_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    p = still(tmp_path / "p.png", 200, 200)
    assert "--max-frames 0" in one_line_error(capsys, ["verify", str(p), "--max-frames", "0"])
    # Twin: --max-frames 1 reads.
    assert main(["verify", str(p), "--max-frames", "1"]) == 1
    capsys.readouterr()


def test_refusals_in_a_real_process_are_one_line(tmp_path: Path) -> None:
    """The whole stderr of a real process (MediaPipe's native lines included) is one line."""
    env = {
        **os.environ,
        "OVERLAY_CONFIG_DIR": str(tmp_path / "cfg"),
        "OVERLAY_DATA_DIR": str(tmp_path / "data"),
    }
    (tmp_path / "cfg").mkdir(mode=0o700)
    key = tmp_path / "cfg" / "watermark.key"
    key.write_text("00" * 32 + "\n")
    key.chmod(0o644)
    run = [sys.executable, "-m", "overlay", "run", "--source", "avatar", "--sink", "null"]
    for extra, words in (([], "chmod 600"), (["--likeness", "/dev/null"], "not a regular file")):
        if extra:
            key.chmod(0o600)
        done = subprocess.run(
            [*run, "--frames", "3", *extra], capture_output=True, text=True, env=env, timeout=120
        )
        assert done.returncode == 2
        assert done.stderr.strip().count("\n") == 0, done.stderr
        assert words in done.stderr


def test_consent_refusal_in_a_real_process_is_one_line(tmp_path: Path) -> None:
    # MediaPipe's native warnings (printed while the face check runs) stay off stderr.
    flat = still(tmp_path / "flat.png", 320, 240)
    form = tmp_path / "form.pdf"
    form.write_bytes(b"%PDF")
    env = {**os.environ, "OVERLAY_CONFIG_DIR": str(tmp_path / "cfg")}
    argv = ["consent", "add", "--likeness", str(flat), "--name", "A", "--expires", "2099-01-01"]
    done = subprocess.run(
        [sys.executable, "-m", "overlay", *argv, "--evidence", str(form)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert "no face found" in done.stderr
