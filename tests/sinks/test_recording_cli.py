"""Recordings through real `overlay run` processes: signals, SIGKILL, a full disk, bad
paths. Each process records a small synthetic session with provenance on."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import av
import pytest

from overlay.cli import main
from overlay.provenance import check_c2pa, check_session

RUN = [sys.executable, "-m", "overlay", "run", "--source", "synthetic", "--no-face-tag"]
SMALL = ["--size", "320x180"]
FAST = ["--json", "--no-pace"]  # unpaced: the recording is waited for, never drops


def count_frames(path: Path) -> int:
    try:
        with av.open(str(path)) as c:
            return sum(1 for _ in c.decode(video=0))
    except (av.error.FFmpegError, OSError):
        return 0


def start(out: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*RUN, *SMALL, "--sink", f"file:{out}", "--json", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_frames(partial: Path, proc: subprocess.Popen[str], n: int) -> int:
    """Poll the partial file until at least ``n`` frames decode (no wall-clock counts)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        got = count_frames(partial) if partial.exists() else 0
        if got >= n:
            return got
        time.sleep(0.2)
    raise AssertionError(f"{partial} never reached {n} frames")


def test_sigkill_keeps_every_finished_second(tmp_path: Path) -> None:
    out = tmp_path / "x.mp4"
    partial = tmp_path / "x.partial.mp4"
    proc = start(out, "--seconds", "120")
    before = wait_for_frames(partial, proc, 60)
    proc.kill()
    proc.communicate()
    after = count_frames(partial)
    assert after >= before >= 60  # nothing that had been written is lost
    assert not out.exists()
    # the next run to the same path refuses to overwrite the leftover, in one line
    code = subprocess.run(
        [*RUN, *SMALL, "--sink", f"file:{out}", "--frames", "3"],
        capture_output=True,
        text=True,
    )
    assert code.returncode == 2
    lines = code.stderr.strip().splitlines()
    assert "x.partial.mp4 exists" in lines[-1] and "Traceback" not in code.stderr
    assert count_frames(partial) == after


@pytest.mark.parametrize("how", ["SIGTERM", "SIGINT", "SIGTERM, then signals while finishing"])
def test_signals_finish_and_sign_the_recording(tmp_path: Path, how: str) -> None:
    out = tmp_path / "x.mp4"
    proc = start(out, "--seconds", "120")
    wait_for_frames(tmp_path / "x.partial.mp4", proc, 30)
    proc.send_signal(signal.SIGINT if how == "SIGINT" else signal.SIGTERM)
    if "then" in how:
        # keep signalling until it exits: no moment of the finishing may be cut short
        while proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            time.sleep(0.02)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr
    info = json.loads(stdout)
    assert out.exists() and not (tmp_path / "x.partial.mp4").exists()
    (rec,) = info["recordings"]
    # every frame sent is in the file, or counted as dropped (a loaded machine starves
    # the encoder of a paced session)
    assert count_frames(out) == rec["frames"] and rec["frames"] + rec["dropped"] == info["frames"]
    assert check_c2pa(out, info["manifest"]).valid
    session = check_session(info["session_id"])
    assert session.manifest.complete and session.log.valid
    assert session.log.frames == info["frames"]


def _file_size_limit(limit: int) -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_a_full_disk_is_one_line_exit_2_and_keeps_what_was_written(tmp_path: Path) -> None:
    out = tmp_path / "x.mp4"
    proc = subprocess.run(
        [*RUN, *SMALL, "--sink", f"file:{out}", "--sink", "null", "--frames", "240", *FAST],
        capture_output=True,
        text=True,
        preexec_fn=lambda: _file_size_limit(200_000),
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("overlay: error:")]
    assert len(errors) == 1 and "File too large" in errors[0] and "x.partial.mp4" in errors[0]
    info = json.loads(proc.stdout)
    assert info["frames"] == 240  # the live output went on to the end
    failed = info["sinks"][f"file {out}"]["failed"]
    assert failed and "File too large" in failed
    kept = count_frames(tmp_path / "x.partial.mp4")
    assert kept >= 30 and not out.exists()
    manifest = json.loads(Path(info["manifest"]).read_text())
    body = manifest["body"]
    (rec,) = body["recordings"]
    assert rec["file"] == "x.partial.mp4" and "File too large" in rec["error"]
    assert any("File too large" in line for line in body["failures"])


def test_the_same_run_without_a_limit_exits_0(tmp_path: Path) -> None:
    """The twin of the full-disk test."""
    out = tmp_path / "x.mp4"
    proc = subprocess.run(
        [*RUN, *SMALL, "--sink", f"file:{out}", "--sink", "null", "--frames", "60", *FAST],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert count_frames(out) == 60
    assert "overlay: error" not in proc.stderr


@pytest.mark.parametrize(
    ("sink", "words"),
    [
        ("file:{tmp}/missing/x.mp4", "does not exist"),
        ("file:{tmp}/x.avi", "not an .mp4 or .mkv file"),
        ("file:{tmp}/ro/x.mp4", "is not writable"),
    ],
)
def test_bad_recording_paths_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sink: str, words: str
) -> None:
    (tmp_path / "ro").mkdir(mode=0o500)
    if os.geteuid() == 0 and "ro" in sink:
        pytest.skip("root writes to read-only folders")
    code = main(["run", "--source", "synthetic", "--sink", sink.format(tmp=tmp_path), *SMALL])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and words in err[-1] and "Traceback" not in "".join(err)
    assert not list(tmp_path.glob("**/*.mp4"))


@pytest.mark.parametrize("quality", ["-1", "52"])
def test_record_quality_out_of_range(capsys: pytest.CaptureFixture[str], quality: str) -> None:
    code = main(["run", "--source", "synthetic", "--sink", "null", "--record-quality", quality])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and f"--record-quality {quality}" in err[-1] and "0 (lossless)" in err[-1]
