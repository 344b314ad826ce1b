"""The window's shape and paths: geometry, switches, shortcuts, first run, failures, closing."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from overlay.app import wording
from overlay.app.qt import QtCore, QtWidgets
from overlay.config import BannerConfig
from overlay.doctor import linux_checks, listed_as
from overlay.errors import SourceError
from overlay.slate import render_slate
from overlay.sources import SOURCES, SourceMode
from overlay.sources.synthetic import SyntheticSource
from tests.app.conftest import SMALL

SCREENS = [(1366, 768), (1920, 1080)]


# -- geometry ----------------------------------------------------------------------------
def _layout_at(w: Any, qtbot: Any, size: tuple[int, int]) -> float:
    w.resize(*size)
    qtbot.waitUntil(lambda: (w.width(), w.height()) == size, timeout=5000)
    QtWidgets.QApplication.processEvents()
    hint = w.minimumSizeHint()
    assert hint.width() <= size[0] and hint.height() <= size[1], hint  # nothing is cut off
    p = w.preview.geometry()
    return p.width() * p.height() / (size[0] * size[1])


@pytest.mark.parametrize("size", SCREENS)
def test_the_preview_takes_most_of_the_window_without_scrolling(
    make_window: Any, qtbot: Any, size: tuple[int, int]
):
    w = make_window()
    assert w.findChildren(QtWidgets.QScrollArea) == []  # nothing scrolls, anywhere
    share = _layout_at(w, qtbot, size)
    assert share >= 0.60, f"preview is {share:.0%} of {size}"
    # The settings dialog fits on the same screen without scrolling too.
    hint = w.dialog.sizeHint()
    assert hint.width() <= size[0] and hint.height() <= size[1], hint


def test_the_geometry_check_catches_a_cramped_preview(make_window: Any, qtbot: Any):
    w = make_window()
    w.note.setMinimumHeight(400)  # a tall strip under the preview squeezes it
    assert _layout_at(w, qtbot, SCREENS[0]) < 0.60


# -- the front: switches, chips, shortcuts, names ----------------------------------------
def test_opens_on_a_live_disclosed_preview(make_window: Any, qtbot: Any):
    w = make_window(autostart=True)
    assert w.preview.placeholder and w.frames_shown == 0
    qtbot.waitUntil(lambda: w.frames_shown >= 3, timeout=15000)
    assert w.first_frame_after is not None
    assert w.info is not None and w.info.text_height_fraction >= 0.05  # the banner is on
    assert not np.array_equal(w.control.frame, np.zeros_like(w.control.frame))
    assert "banner" in w.note.text() and "watermark" in w.note.text()
    assert "signed record" in w.note.text() and "mark" in w.note.text()


def test_virtual_camera_in_one_click_and_recording_in_one_more(
    make_window: Any, qtbot: Any, vcam_backend: Any, tmp_path: Path
):
    w = make_window(
        autostart=True, settings=SMALL.with_changes(backend="recording", record_path=str(tmp_path))
    )
    qtbot.waitUntil(lambda: w.frames_shown > 0, timeout=15000)
    assert w.chips["vcam"].text() == "Virtual camera: off"
    qtbot.mouseClick(w.vcam_switch, QtCore.Qt.MouseButton.LeftButton)  # click 1
    qtbot.waitUntil(lambda: w.chips["vcam"].text().startswith("Virtual camera: on"), timeout=15000)
    assert w.vcam_switch.text() == "● Virtual camera: on"
    assert w.info.sinks == ("vcam /dev/video-test",)
    qtbot.mouseClick(w.record_switch, QtCore.Qt.MouseButton.LeftButton)  # click 2
    qtbot.waitUntil(lambda: w.chips["recording"].text().startswith("Recording"), timeout=15000)
    assert w.chips["vcam"].text().startswith("Virtual camera: on")
    assert w.record_detail.text().startswith("0:0") and ".mp4" in w.record_detail.text()
    qtbot.waitUntil(lambda: w.control.session_frames >= 5, timeout=15000)
    w.stop()
    assert list(tmp_path.glob("overlay-*.mp4"))


def test_a_refused_switch_goes_back_and_says_why(make_window: Any, qtbot: Any, tmp_path: Path):
    taken = tmp_path / "taken.mp4"
    taken.write_bytes(b"keep")
    w = make_window(autostart=True, settings=SMALL.with_changes(record_path=str(taken)))
    qtbot.waitUntil(lambda: w.frames_shown > 0, timeout=15000)
    first = w.info.session_id
    w.record_switch.click()
    assert not w.record_switch.isChecked() and "exists" in w.error_label.text()
    assert w.running and w.info.session_id == first and taken.read_bytes() == b"keep"


def test_keyboard_shortcuts_toggle_the_switches(make_window: Any, qtbot: Any):
    w = make_window()
    assert set(w.switch_bar.shortcuts) == {"Ctrl+Shift+V", "Ctrl+Shift+R"}
    assert "Ctrl+Shift+V" in w.vcam_switch.toolTip()
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow, timeout=5000)
    mods = QtCore.Qt.KeyboardModifier.ControlModifier | QtCore.Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(w, QtCore.Qt.Key.Key_R, mods)
    assert w.record_switch.isChecked()
    qtbot.keyClick(w, QtCore.Qt.Key.Key_R, mods)
    assert not w.record_switch.isChecked()
    qtbot.keyClick(w, QtCore.Qt.Key.Key_X, mods)  # not a shortcut: nothing changes
    assert not w.record_switch.isChecked() and not w.vcam_switch.isChecked()


def test_every_control_has_a_name_a_screen_reader_can_say(make_window: Any):
    w = make_window()
    for root in (w, w.dialog, w.first_run):
        for kind in (QtWidgets.QComboBox, QtWidgets.QLineEdit, QtWidgets.QDoubleSpinBox):
            for widget in root.findChildren(kind):
                if isinstance(widget.parent(), QtWidgets.QComboBox | QtWidgets.QAbstractSpinBox):
                    continue  # a combo's or spin box's own line edit
                assert widget.accessibleName(), widget
        for button in root.findChildren(QtWidgets.QAbstractButton):
            assert button.text() or button.accessibleName(), button


def test_no_class_names_reach_the_user(make_window: Any, qtbot: Any):
    w = make_window()
    assert w.start()
    qtbot.waitUntil(lambda: w.last_readout is not None, timeout=15000)
    shown = [x.text() for x in w.findChildren(QtWidgets.QLabel)] + [
        x.toolTip() for x in w.findChildren(QtWidgets.QWidget)
    ]
    camel = re.compile(r"\b[A-Z][a-z]+(?:[A-Z][a-z]+)+\b")  # WatermarkStamp, FileSink, …
    assert not [t for t in shown if camel.search(t)], [t for t in shown if camel.search(t)]
    assert w.chips["watermark"].text() == "Watermark: on"
    assert camel.search("Watermark: in the chain (WatermarkStamp)")  # the check can fail


# -- first run ---------------------------------------------------------------------------
def _fake_sys(tmp_path: Path, *, loaded: bool) -> tuple[Path, Path]:
    sysroot, dev = tmp_path / "sys", tmp_path / "dev"
    dev.mkdir(exist_ok=True)
    if loaded:
        (sysroot / "module/v4l2loopback/parameters").mkdir(parents=True, exist_ok=True)
        (sysroot / "module/v4l2loopback/parameters/exclusive_caps").write_text("Y\n")
        (sysroot / "devices/virtual/video4linux/video5").mkdir(parents=True, exist_ok=True)
        (sysroot / "devices/virtual/video4linux/video5/name").write_text("overlay\n")
        (dev / "video5").write_bytes(b"")
    return sysroot, dev


def test_first_run_without_a_virtual_camera_shows_the_set_up_page(
    make_window: Any, qtbot: Any, tmp_path: Path, config_dir: Path
):
    sysroot, dev = _fake_sys(tmp_path, loaded=False)
    w = make_window(
        settings=SMALL.with_changes(setup_done=False),
        checks=lambda: linux_checks(sys_root=sysroot, dev_root=dev),
    )
    assert w.pages.currentWidget() is w.first_run
    page = w.first_run
    assert "modprobe v4l2loopback" in page.list.text() and "Fix on Linux" in page.list.text()
    assert not page.ok
    page.check_button.click()  # still broken: the page stays
    assert w.pages.currentWidget() is page
    _fake_sys(tmp_path, loaded=True)  # the user loads the module
    page.check_button.click()
    assert page.ok and w.pages.currentWidget() is w.main_page
    assert w.settings.setup_done and '"setup_done": true' in (config_dir / "app.json").read_text()
    assert listed_as("/dev/video5", None, platform="linux", sys_root=sysroot) == "overlay"


def test_a_set_up_machine_opens_on_the_preview(make_window: Any, tmp_path: Path):
    sysroot, dev = _fake_sys(tmp_path, loaded=True)
    w = make_window(
        settings=SMALL.with_changes(setup_done=False),
        checks=lambda: linux_checks(sys_root=sysroot, dev_root=dev),
    )
    assert w.pages.currentWidget() is w.main_page


def test_continue_without_the_virtual_camera(make_window: Any, tmp_path: Path):
    sysroot, dev = _fake_sys(tmp_path, loaded=False)
    w = make_window(
        settings=SMALL.with_changes(setup_done=False),
        checks=lambda: linux_checks(sys_root=sysroot, dev_root=dev),
    )
    w.first_run.skip_button.click()
    assert w.pages.currentWidget() is w.main_page and w.settings.setup_done


# -- a source that fails while the app runs ----------------------------------------------
class _Flaky(SyntheticSource):
    """A live, restartable source that fails after ``fail_after`` reads until ``healed``."""

    mode = SourceMode.LIVE
    fail_after = 15
    healed = threading.Event()

    def _read(self) -> Any:
        if self._index >= self.fail_after and not self.healed.is_set():
            raise SourceError("flaky camera unplugged (injected)")
        return super()._read()


@pytest.fixture
def flaky() -> Iterator[type[_Flaky]]:
    _Flaky.healed = threading.Event()
    SOURCES.register("flaky", lambda arg, options: _Flaky(options.size, options.fps))
    yield _Flaky
    _Flaky.healed.set()
    SOURCES.unregister("flaky")


def test_a_live_source_that_fails_shows_the_slate_and_the_chip_says_why(
    make_window: Any, qtbot: Any, flaky: type[_Flaky]
):
    w = make_window(settings=SMALL.with_changes(source="flaky"))
    assert w.start()
    qtbot.waitUntil(lambda: w.chips["source"].text().startswith("Source paused"), timeout=20000)
    assert w.running and w.control.slate  # the preview shows the slate being sent
    assert "flaky camera unplugged (injected)" in w.chips["source"].toolTip()
    flaky.healed.set()  # the camera comes back
    qtbot.waitUntil(lambda: w.chips["source"].text() == "Source: live", timeout=20000)
    assert not w.control.slate


def test_a_source_that_ends_the_session_leaves_the_slate_and_the_reason(
    make_window: Any, qtbot: Any
):
    from unittest import mock

    real = SyntheticSource._read

    def read(self: SyntheticSource) -> Any:
        if self._index >= 10:
            raise SourceError("synthetic source failed (injected)")
        return real(self)

    with mock.patch.object(SyntheticSource, "_read", read):
        w = make_window()
        assert w.start()
        qtbot.waitUntil(lambda: not w.running and bool(w.last_error), timeout=20000)
    expected = render_slate((320, 180), BannerConfig(), with_banner=True)
    np.testing.assert_array_equal(w.control.frame, expected)
    assert w.chips["source"].text() == "Source stopped"
    assert "failed (injected)" in w.chips["source"].toolTip()
    assert w.retry_button.isVisible()
    assert w.chips["fps"].text() == "0 fps"


def test_a_healthy_session_shows_no_slate(make_window: Any, qtbot: Any):
    w = make_window()
    assert w.start()
    qtbot.waitUntil(lambda: w.frames_shown > 5, timeout=20000)
    assert w.chips["source"].text() == "Source: live" and not w.control.slate
    assert not w.retry_button.isVisible()


# -- closing with the virtual camera on --------------------------------------------------
def _with_vcam(make_window: Any, qtbot: Any, **kw: Any) -> Any:
    w = make_window(settings=SMALL.with_changes(vcam=True, backend="recording"), **kw)
    assert w.start()
    qtbot.waitUntil(lambda: w.info is not None, timeout=15000)
    return w


def test_closing_with_the_virtual_camera_on_keeps_it_in_the_tray(
    make_window: Any, qtbot: Any, vcam_backend: Any
):
    w = _with_vcam(make_window, qtbot, tray=True)
    assert w.tray is not None
    w.close()
    assert not w.isVisible() and w.kept_in_tray and w.running  # still streaming
    assert "virtual camera on" in w.tray.icon.toolTip()
    w.tray.quit_action.trigger()
    assert not w.running


def test_closing_with_the_virtual_camera_on_asks_without_a_tray(
    make_window: Any, qtbot: Any, vcam_backend: Any
):
    w = _with_vcam(make_window, qtbot)
    w.close()
    box = w.confirm_box
    assert box is not None and "virtual camera is on" in box.text()
    box.button(QtWidgets.QMessageBox.StandardButton.No).click()
    qtbot.waitUntil(lambda: w.confirm_box is None, timeout=5000)
    assert w.isVisible() and w.running
    w.close()
    w.confirm_box.button(QtWidgets.QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: not w.isVisible(), timeout=5000)
    assert not w.running


def test_closing_without_the_virtual_camera_just_closes(make_window: Any, qtbot: Any):
    w = make_window()
    assert w.start()
    qtbot.waitUntil(lambda: w.info is not None, timeout=15000)
    w.close()
    assert w.confirm_box is None and not w.isVisible() and not w.running


# -- words -------------------------------------------------------------------------------
def test_words_for_times_paths_and_the_disclosure():
    assert wording.elapsed(7) == "0:07" and wording.elapsed(3723) == "1:02:03"
    home = Path("/home/ann")
    assert wording.short_path("/home/ann/Videos/a.mp4", home) == "~/Videos/a.mp4"
    assert wording.short_path("/home/ann", home) == "~"
    assert wording.short_path("/srv/a.mp4", home) == "/srv/a.mp4"
    line = wording.disclosure_line(BannerConfig(lang="zh", position="top-left"))
    assert "“AI生成” banner (top left)" in line and "recording" not in line
    assert "recording is signed" in wording.disclosure_line(BannerConfig(), recording=True)
    assert wording.watermark_chip("on: every frame carries the session id").state == "on"
    assert wording.watermark_chip("not in this session").state == "warn"


# -- theme and scaling -------------------------------------------------------------------
def test_the_window_is_dark_fusion(make_window: Any):
    from overlay.app.qt import QtGui

    make_window()
    app = QtWidgets.QApplication.instance()
    assert app.style().name().lower() == "fusion"
    window = app.palette().color(QtGui.QPalette.ColorRole.Window)
    text = app.palette().color(QtGui.QPalette.ColorRole.WindowText)
    assert window.lightness() < 60 < 200 < text.lightness()  # dark ground, light text


def test_hidpi_scaling_keeps_the_exact_factor():
    import subprocess
    import sys

    code = (
        "from overlay.app.theme import enable_hidpi; enable_hidpi();"
        "from overlay.app.qt import QtGui;"
        "print(QtGui.QGuiApplication.highDpiScaleFactorRoundingPolicy().name)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "PassThrough", out.stderr


def test_apply_without_a_change_keeps_the_session(make_window: Any, qtbot: Any):
    w = make_window()
    assert w.start()
    qtbot.waitUntil(lambda: w.info is not None, timeout=15000)
    first = w.info.session_id
    assert w.apply() and w.info.session_id == first  # nothing changed: no restart
    w.dialog.form.fps_spin.setValue(25.0)
    assert w.apply()
    qtbot.waitUntil(lambda: w.info is not None and w.info.session_id != first, timeout=15000)
    assert w.settings.fps == 25.0
