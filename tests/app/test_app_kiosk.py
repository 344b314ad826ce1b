"""Kiosk mode: fullscreen preview, no controls, restarts after failures, Esc asks first."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from unittest import mock

from overlay.app.qt import QtCore, QtWidgets
from overlay.errors import SourceError
from overlay.sources.synthetic import SyntheticSource
from tests.app.conftest import SMALL


def test_kiosk_is_fullscreen_without_controls_and_starts_by_itself(make_window: Any, qtbot: Any):
    w = make_window(kiosk=True)
    qtbot.waitUntil(lambda: w.frames_shown >= 5, timeout=10000)
    assert w.isFullScreen()
    assert w.controls is None
    for kind in (QtWidgets.QAbstractButton, QtWidgets.QComboBox, QtWidgets.QLineEdit):
        assert w.findChildren(kind) == []
    assert w.note.isVisible() and "what others see" in w.note.text()


def test_the_normal_window_has_controls_and_is_not_fullscreen(make_window: Any, qtbot: Any):
    w = make_window(autostart=True)
    assert not w.isFullScreen()
    assert w.controls is not None and w.findChildren(QtWidgets.QComboBox)
    qtbot.waitUntil(lambda: w.frames_shown > 0, timeout=10000)  # it opens on a live picture


def _press_escape(w: Any, qtbot: Any) -> QtWidgets.QMessageBox:
    qtbot.keyClick(w, QtCore.Qt.Key.Key_Escape)
    box = w.confirm_box
    assert box is not None
    qtbot.waitUntil(box.isVisible, timeout=5000)
    return box


def test_escape_asks_and_no_keeps_the_kiosk_running(make_window: Any, qtbot: Any):
    w = make_window(kiosk=True)
    qtbot.waitUntil(lambda: w.frames_shown >= 2, timeout=10000)
    box = _press_escape(w, qtbot)
    assert "quit" in box.text().lower()
    box.button(QtWidgets.QMessageBox.StandardButton.No).click()
    qtbot.waitUntil(lambda: w.confirm_box is None, timeout=5000)
    assert w.isVisible() and w.running
    shown = w.frames_shown
    qtbot.waitUntil(lambda: w.frames_shown > shown, timeout=5000)


def test_escape_then_yes_quits(make_window: Any, qtbot: Any):
    w = make_window(kiosk=True)
    qtbot.waitUntil(lambda: w.frames_shown >= 2, timeout=10000)
    box = _press_escape(w, qtbot)
    box.button(QtWidgets.QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: not w.isVisible(), timeout=5000)
    assert not w.running


def test_escape_does_not_quit_the_normal_window(make_window: Any, qtbot: Any):
    w = make_window()
    qtbot.keyClick(w, QtCore.Qt.Key.Key_Escape)
    assert w.confirm_box is None and w.isVisible()


def _failing_after(n: int) -> Any:
    real = SyntheticSource._read

    def read(self: SyntheticSource) -> Any:
        if self._index >= n:
            raise SourceError("synthetic source failed (injected)")
        return real(self)

    return read


def test_kiosk_restarts_the_session_after_a_source_failure(make_window: Any, qtbot: Any):
    with mock.patch.object(SyntheticSource, "_read", _failing_after(10)):
        w = make_window(kiosk=True, restart_delay_ms=50)
        qtbot.waitUntil(lambda: w.restarts >= 2, timeout=30000)
        assert any("failed (injected)" in e and "restarting in" in e for e in w.errors)
    # Back to a healthy source: the next restart runs and keeps running.
    shown = w.frames_shown
    qtbot.waitUntil(lambda: w.running and w.frames_shown > shown + 30, timeout=15000)
    assert w.last_error == ""  # cleared once the restarted source sends frames


def test_kiosk_retries_a_source_that_cannot_open(make_window: Any, qtbot: Any, tmp_path: Path):
    missing = tmp_path / "booth.mp4"
    w = make_window(
        kiosk=True, restart_delay_ms=50, settings=SMALL.with_changes(source=f"file:{missing}")
    )
    qtbot.waitUntil(lambda: w.restarts >= 2, timeout=30000)
    assert "does not exist" in w.last_error and "restarting in" in w.last_error
    assert w.error_label.isVisible()


def test_the_normal_window_does_not_restart_after_a_failure(make_window: Any, qtbot: Any):
    with mock.patch.object(SyntheticSource, "_read", _failing_after(10)):
        w = make_window(restart_delay_ms=50)
        assert w.start()
        qtbot.waitUntil(lambda: not w.running, timeout=10000)
        qtbot.wait(300)
    assert w.restarts == 0 and not w.running
    assert "failed (injected)" in w.last_error and "restarting" not in w.last_error


def test_kiosk_restarts_recording_to_a_named_file_without_overwriting_it(
    make_window: Any, qtbot: Any, tmp_path: Path
):
    out = tmp_path / "booth.mp4"
    settings = SMALL.with_changes(record=True, record_path=str(out))
    with mock.patch.object(SyntheticSource, "_read", _failing_after(10)):
        w = make_window(kiosk=True, restart_delay_ms=50, settings=settings)
        qtbot.waitUntil(lambda: w.restarts >= 2 and not w.running, timeout=30000)
    w.stop()
    files = sorted(p.name for p in tmp_path.glob("booth*.mp4"))
    assert "booth.mp4" in files and len(files) >= 3  # the first, then one per restart
    assert all(n == "booth.mp4" or n.startswith("booth-") for n in files)
