"""``overlay watch window:TITLE`` on a real X window (Xvfb) playing a marked clip, and
its unmarked twin. Skipped with the reason where Xvfb, openbox or Qt's xcb plugin are
missing (capture_x11.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from capture_x11 import HERE, LineProcess, XServer

from tests.helpers import marked_call_clip

KEY = bytes(range(32))
SESSION = "3f9a0c11"


def _clip(path: Path, marked: bool) -> Path:
    return marked_call_clip(path, marked=marked, frames=30, session=SESSION, key=KEY)


class Player(LineProcess):
    def __init__(self, xserver: XServer, title: str, clip: Path) -> None:
        script = HERE / "player_app.py"
        super().__init__([sys.executable, str(script), title, str(clip), "800", "450"], xserver.env)
        self.expect_window()


@pytest.mark.parametrize("marked", [True, False])
def test_watch_finds_the_marked_window_and_not_its_twin(
    xserver: XServer, tmp_path: Path, marked: bool
) -> None:
    key = tmp_path / "watermark.key"
    key.write_text(KEY.hex() + "\n")
    title = f"overlay-test player {'marked' if marked else 'clean'}"
    player = Player(xserver, title, _clip(tmp_path / "clip.mp4", marked))
    try:
        ran = subprocess.run(
            [
                sys.executable,
                "-m",
                "overlay",
                "watch",
                f"window:{title}",
                "--json",
                "--until-found",
                "20" if marked else "6",
                "--key",
                str(key),
            ],
            env=xserver.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        player.close()
    events = [json.loads(line) for line in ran.stdout.splitlines()]
    states = [e["state"] for e in events if e["event"] == "state"]
    if marked:
        assert ran.returncode == 0, (ran.stderr, states)
        assert events[-1]["state"] == "disclosed"
        assert events[-1]["found"][0]["session_id"] == SESSION
    else:
        assert ran.returncode == 1, ran.stderr
        assert "disclosed" not in states and states[0] == "not found"
