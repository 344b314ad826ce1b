"""``overlay app`` and the ``overlay-app`` gui-script: start, and one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest

from overlay.app import main as app_main
from overlay.cli import main


def _run_app(
    args: list[str], config: Path, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    # A subprocess: QApplication.exec() leaves the test process's Qt event loops unable
    # to run afterwards, which would break the other Qt tests.
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "OVERLAY_CONFIG_DIR": str(config)}
    code = "import sys; from overlay.app import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_overlay_app_opens_the_window_and_exits_cleanly(tmp_path: Path):
    r = _run_app(["--source", "synthetic", "--quit-after", "0.5"], tmp_path)
    assert r.returncode == 0, r.stderr
    saved = json.loads((tmp_path / "app.json").read_text())  # settings saved on close
    assert saved["source"] == "synthetic"


def test_overlay_app_kiosk_streams_until_closed(tmp_path: Path):
    (tmp_path / "app.json").write_text(json.dumps({"size": "320x180"}))
    r = _run_app(["--kiosk", "--source", "synthetic", "--quit-after", "5"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    assert "overlay: session " in r.stderr and "synthetic -> nowhere (preview only)" in r.stderr


def test_a_zero_quit_after_is_refused(capsys: pytest.CaptureFixture[str]):
    assert main(["app", "--quit-after", "0"]) == 2
    assert "--quit-after 0.0 must be more than 0" in capsys.readouterr().err


def test_no_display_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    for var in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(var, raising=False)
    assert main(["app"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "no display" in err and "xvfb-run" in err


def test_missing_xcb_cursor_names_the_packages(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    monkeypatch.setenv("DISPLAY", ":99")
    with mock.patch("ctypes.util.find_library", return_value=None):
        assert main(["app"]) == 2
    err = capsys.readouterr().err.strip()
    assert "libxcb-cursor0" in err and "apt-get install" in err and "\n" not in err


def test_a_bad_flag_is_a_usage_error(capsys: pytest.CaptureFixture[str]):
    assert app_main(["--kiosk-mode"]) == 2
    assert "unrecognized arguments: --kiosk-mode" in capsys.readouterr().err


def test_help_lists_the_app_command(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as exc:
        main(["app", "--help"])
    assert exc.value.code == 0
    assert "--kiosk" in capsys.readouterr().out


def test_overlay_app_with_a_kiosk_policy_streams_inside_it(tmp_path: Path):
    policy = tmp_path / "booth.toml"
    policy.write_text('kiosk = true\nmax_size = "320x180"\nsources = ["synthetic"]\n')
    (tmp_path / "app.json").write_text(json.dumps({"size": "1920x1080", "source": "avatar"}))
    r = _run_app(["--policy", str(policy), "--quit-after", "5"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert "size 1920x1080 -> 320x180" in r.stderr and "source avatar -> synthetic" in r.stderr
    assert "synthetic -> nowhere (preview only)" in r.stderr  # kiosk: started by itself
    saved = json.loads((tmp_path / "app.json").read_text())
    assert (saved["size"], saved["source"]) == ("320x180", "synthetic")
