"""``overlay app`` and the ``overlay-app`` gui-script: start, and one-line errors."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest

from overlay.app import main as app_main
from overlay.app.qt import QtCore, QtWidgets
from overlay.cli import main


def _close_windows_soon(ms: int = 400) -> list[QtWidgets.QWidget]:
    seen: list[QtWidgets.QWidget] = []

    def close_all() -> None:
        for w in QtWidgets.QApplication.topLevelWidgets():
            if w.isVisible():
                seen.append(w)
                w.close()
        QtWidgets.QApplication.quit()

    QtCore.QTimer.singleShot(ms, close_all)
    return seen


def test_overlay_app_opens_the_window_and_exits_cleanly(qapp: Any, config_dir: Any):
    seen = _close_windows_soon()
    assert main(["app", "--source", "synthetic"]) == 0
    assert any(w.windowTitle().startswith("overlay") for w in seen)
    assert (config_dir / "app.json").exists()  # settings saved on close


def test_overlay_app_kiosk_opens_fullscreen(qapp: Any):
    seen = _close_windows_soon(600)
    assert app_main(["--kiosk", "--source", "synthetic"]) == 0
    assert any(w.isFullScreen() for w in seen)


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
