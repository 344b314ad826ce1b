"""``--sink pipe:``: exactly the frames a virtual camera gets, on stdout, nothing else."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import numpy as np
import pytest

from overlay.cli import main
from overlay.errors import SinkError
from overlay.pipeline import Pipeline
from overlay.session import Session
from overlay.sinks.memory import MemorySink
from overlay.sinks.pipe import PipeSink
from overlay.sources.synthetic import SyntheticSource

SIZE = (160, 120)
FRAME = SIZE[0] * SIZE[1] * 3
RUN = [sys.executable, "-m", "overlay", "run", "--source", "synthetic", "--no-face-tag"]


def test_the_pipe_carries_exactly_the_stamped_frames() -> None:
    r, w = os.pipe()
    chunks: list[bytes] = []

    def reader() -> None:
        while data := os.read(r, 1 << 16):
            chunks.append(data)

    thread = threading.Thread(target=reader)
    thread.start()
    memory = MemorySink(SIZE)
    session = Session(size=SIZE, fps=30)
    with Pipeline(SyntheticSource(SIZE, 30), [PipeSink(SIZE, fd=w), memory], session=session) as p:
        p.run(frames=12, pace=False)
    thread.join(10)
    os.close(r)
    data = b"".join(chunks)
    assert len(data) == 12 * FRAME
    frames = np.frombuffer(data, np.uint8).reshape(12, SIZE[1], SIZE[0], 3)
    for got, sent in zip(frames, memory.images, strict=True):
        assert np.array_equal(got, sent)
    # the twin: a neighbouring frame is not what was sent at that moment
    assert not np.array_equal(frames[3], memory.images[4])


def test_stdout_carries_only_frames() -> None:
    proc = subprocess.run(
        [*RUN, "--sink", "pipe:", "--frames", "8", "--size", "160x120"],
        capture_output=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout) == 8 * FRAME
    assert b"overlay:" in proc.stderr and b"frames 8" in proc.stderr


def test_a_closed_stdout_is_one_line_and_exit_2() -> None:
    proc = subprocess.Popen(
        [*RUN, "--sink", "pipe:", "--seconds", "60", "--size", "160x120"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    assert len(proc.stdout.read(3 * FRAME)) == 3 * FRAME
    proc.stdout.close()
    _, err = proc.communicate(timeout=60)
    text = err.decode()
    assert proc.returncode == 2, text
    errors = [line for line in text.splitlines() if line.startswith("overlay: error:")]
    assert len(errors) == 1 and "stdout was closed by its reader" in errors[0]
    assert "Traceback" not in text and "Exception ignored" not in text


def test_pipe_refuses_an_argument_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SinkError, match="use --sink pipe:"):
        PipeSink.from_spec("out.raw", None)  # type: ignore[arg-type]
    code = main(["run", "--source", "synthetic", "--sink", "pipe:", "--json"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and "--json prints to stdout" in err[-1]
