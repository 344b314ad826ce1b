"""The OpenCV preview window on its own thread: several runs and step() in one process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from overlay.errors import SinkError

SCRIPT = textwrap.dedent(
    """
    from overlay.pipeline import Pipeline
    from overlay.session import Session
    from overlay.sinks.memory import MemorySink
    from overlay.sinks.preview import PreviewSink
    from overlay.sources.synthetic import SyntheticSource

    size = (320, 180)
    preview = PreviewSink(size)
    with Pipeline(SyntheticSource(size, 30), [preview, MemorySink(size)],
                  session=Session(size=size, fps=30)) as p:
        p.run(frames=20, pace=True)
        first = p.stats().sinks["preview"]
        p.run(frames=30, pace=True)  # a second run: another sink thread, the same window
        second = p.stats().sinks["preview"]
        for _ in range(3):
            p.step()  # and on the caller's thread
    print("shown", first["sent"] + first["dropped"], second["sent"] + second["dropped"],
          p.frames_sent, p.failures())
    """
)


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="needs xvfb-run (Debian xvfb)")
def test_the_preview_window_works_from_any_thread() -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb"}
    done = subprocess.run(
        ["xvfb-run", "-a", sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    # Before, a second run's thread waited forever on the window the first one made.
    assert done.returncode == 0, done.stderr[-2000:]
    assert "shown 20 30 53 []" in done.stdout, done.stdout  # run(frames=N) counts per call


def test_the_preview_needs_a_display(monkeypatch: pytest.MonkeyPatch) -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("the display check is for Linux")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    from overlay.sinks.preview import PreviewSink

    with pytest.raises(SinkError, match="no display for the preview window"):
        PreviewSink((320, 180))
