"""Sessions from the window: start/stop, recording, virtual camera, errors, presets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import pytest

from overlay.app.settings import AppSettings
from tests.app.conftest import SMALL


def _count_frames(path: Path) -> int:
    cap = cv2.VideoCapture(str(path))
    n = 0
    while cap.read()[0]:
        n += 1
    cap.release()
    return n


def test_start_and_stop_records_an_mp4_with_frames(make_window: Any, qtbot: Any, tmp_path: Path):
    out = tmp_path / "rec.mp4"
    w = make_window(settings=SMALL.with_changes(record=True, record_path=str(out)))
    assert w.start()
    qtbot.waitUntil(lambda: w.frames_shown >= 20, timeout=10000)
    assert w.info is not None and w.info.sinks == (f"file {out}",)
    w.stop()
    assert not w.running
    assert out.exists()
    assert not (tmp_path / "rec.partial.mp4").exists()
    assert _count_frames(out) >= 20


def test_a_recording_path_that_exists_is_refused_and_nothing_runs(make_window: Any, tmp_path: Path):
    out = tmp_path / "taken.mp4"
    out.write_bytes(b"keep me")
    w = make_window(settings=SMALL.with_changes(record=True, record_path=str(out)))
    assert not w.start()
    assert not w.running
    assert "exists" in w.reason and "exists" in w.last_error
    assert out.read_bytes() == b"keep me"


def test_recording_to_a_folder_names_the_file_after_the_session(
    make_window: Any, qtbot: Any, tmp_path: Path
):
    w = make_window(settings=SMALL.with_changes(record=True, record_path=str(tmp_path)))
    assert w.start()
    qtbot.waitUntil(lambda: w.frames_shown >= 5, timeout=10000)
    sid = w.info.session_id
    w.stop()
    files = list(tmp_path.glob("overlay-*.mp4"))
    assert len(files) == 1 and files[0].stem.endswith(sid)


def test_virtual_camera_receives_the_frames(make_window: Any, qtbot: Any, vcam_backend: Any):
    backend = vcam_backend
    before = len(backend.instances)
    w = make_window(settings=SMALL.with_changes(vcam=True, backend="recording"))
    assert w.start()
    qtbot.waitUntil(lambda: w.frames_shown >= 10, timeout=10000)
    w.stop()
    cam = backend.instances[before]
    assert cam.closed and len(cam.frames) >= 10
    assert w.info is not None and w.info.sinks == ("vcam /dev/video-test",)
    assert w.last_error == ""


def test_no_virtual_camera_is_shown_in_the_window_with_the_doctors_fix(
    make_window: Any, qtbot: Any
):
    # No v4l2loopback on this machine: the real pyvirtualcam backend fails to open.
    w = make_window(settings=SMALL.with_changes(vcam=True, backend="v4l2loopback"))
    assert w.vcam_switch.isChecked()
    assert w.start()
    qtbot.waitUntil(lambda: w.pages.currentWidget() is w.first_run, timeout=10000)
    error = next(e for e in w.errors if "virtual camera" in e)
    assert "no virtual camera available" in error
    assert "overlay doctor" in error and "modprobe v4l2loopback" in error
    # The set-up page takes the window's place, with the checks and their fixes ...
    qtbot.waitUntil(lambda: w.pages.currentWidget() is w.first_run, timeout=10000)
    assert "no virtual camera available" in w.first_run.problem.text()
    assert "modprobe v4l2loopback" in w.first_run.list.text()
    assert not w.vcam_switch.isChecked()
    # ... and the preview goes on without the virtual camera behind it.
    qtbot.waitUntil(lambda: w.running and w.frames_shown > 0, timeout=10000)
    assert not w.settings.vcam


def test_a_missing_file_source_is_shown_in_the_window(make_window: Any, qtbot: Any, tmp_path: Path):
    missing = tmp_path / "nope.mp4"
    w = make_window(settings=SMALL.with_changes(source=f"file:{missing}"))
    assert w.start()
    qtbot.waitUntil(lambda: not w.running, timeout=10000)
    assert f"file {missing} does not exist" in w.last_error
    assert w.error_label.isVisible() and str(missing) in w.error_label.text()


def test_a_working_session_shows_no_error(make_window: Any, qtbot: Any):
    w = make_window()
    assert w.start()
    qtbot.waitUntil(lambda: w.last_readout is not None, timeout=10000)
    assert w.last_error == "" and not w.error_label.isVisible()
    assert w.chips["fps"].text().endswith("fps")
    assert w.dialog.form.granted_label.text() == "320x180"


def test_switching_presets_while_running_restarts_with_the_new_banner(make_window: Any, qtbot: Any):
    w = make_window()
    assert w.start()
    qtbot.waitUntil(lambda: w.info is not None, timeout=10000)
    first = w.info.session_id
    assert w.info.text_height_fraction == pytest.approx(0.055, abs=0.006)
    w.dialog.form.preset_combo.setCurrentIndex(w.dialog.form.preset_combo.findData("gb45438"))
    assert (
        w.dialog.form.lang_combo.currentText() == "zh"
        and w.dialog.form.position_combo.currentText() == "top-left"
    )
    assert not w.dialog.form.lang_combo.isEnabled()  # a preset's fields are read-only
    assert w.apply()
    qtbot.waitUntil(lambda: w.info is not None and w.info.session_id != first, timeout=10000)
    assert w.info.text_height_fraction >= 0.06
    assert w.settings.preset == "gb45438"
    assert "6.1% of the shortest side" in w.dialog.form.text_height_label.text()


def test_a_refused_setting_does_not_change_the_running_session(make_window: Any, qtbot: Any):
    w = make_window()
    assert w.start()
    qtbot.waitUntil(lambda: w.info is not None, timeout=10000)
    first = w.info.session_id
    w.dialog.form.preset_combo.setCurrentIndex(w.dialog.form.preset_combo.findData("custom"))
    w.dialog.form.text_edit.setText("Hello")  # no "AI"
    assert 'does not contain "AI"' in w.reason
    assert not w.dialog.apply_button.isEnabled()
    assert not w.apply()
    assert w.running and w.info.session_id == first
    assert w.settings.preset == "eu"
    w.dialog.form.text_edit.setText("AI avatar")
    w.dialog.form.height_spin.setValue(4.0)  # below the 5% minimum
    assert "below the minimum 5%" in w.reason
    assert not w.apply()
    assert w.running and w.info.session_id == first


def test_a_valid_custom_banner_is_accepted(make_window: Any, qtbot: Any):
    w = make_window()
    w.dialog.form.preset_combo.setCurrentIndex(w.dialog.form.preset_combo.findData("custom"))
    w.dialog.form.text_edit.setText("AI avatar")
    w.dialog.form.position_combo.setCurrentText("bottom")
    w.dialog.form.height_spin.setValue(7.0)
    assert w.reason == ""
    assert "7.2% of the shortest side" in w.dialog.form.text_height_label.text()
    assert w.start()
    qtbot.waitUntil(lambda: w.info is not None, timeout=10000)
    assert w.info.text_height_fraction >= 0.07


def test_a_banner_too_wide_for_the_output_is_refused(make_window: Any):
    w = make_window()
    w.dialog.form.preset_combo.setCurrentIndex(w.dialog.form.preset_combo.findData("custom"))
    w.dialog.form.text_edit.setText("AI " + "W" * 36)
    w.dialog.form.height_spin.setValue(12.0)
    assert "wider than the 320x180 frame allows" in w.reason
    assert not w.start()


def test_no_control_can_turn_the_disclosure_off(make_window: Any):
    from overlay.app.qt import QtWidgets

    w = make_window()
    words = ("banner", "watermark", "disclos", "label", "mark")
    for box in w.findChildren(QtWidgets.QAbstractButton):
        if isinstance(box, QtWidgets.QCheckBox):
            assert not any(x in box.text().lower() for x in words), box.text()
    presets = [
        w.dialog.form.preset_combo.itemData(i) for i in range(w.dialog.form.preset_combo.count())
    ]
    assert presets == ["eu", "gb45438", "custom"]
    # The watermark stamp is always in the chain; the banner too (checked above by size).
    w.start()


def test_settings_persist_between_runs(make_window: Any, config_dir: Path, tmp_path: Path):
    w = make_window(settings=AppSettings())
    w.dialog.form.size_combo.setCurrentText("640x360")
    w.dialog.form.preset_combo.setCurrentIndex(w.dialog.form.preset_combo.findData("gb45438"))
    w.dialog.form.record_edit.setText(str(tmp_path))
    w.record_switch.setChecked(True)
    w.close()
    assert (config_dir / "app.json").exists()
    again = make_window(settings=None)
    s = again.form_settings()
    assert (s.size, s.preset, s.record, s.record_path) == (
        "640x360",
        "gb45438",
        True,
        str(tmp_path),
    )


def test_without_saved_settings_the_defaults_load(make_window: Any, config_dir: Path):
    w = make_window(settings=None)
    assert not (config_dir / "app.json").exists()
    assert w.form_settings() == AppSettings()
    assert w.form_settings().source == ""  # automatic: the camera, else the avatar


def test_a_missing_camera_device_is_shown_in_the_window(make_window: Any, qtbot: Any):
    w = make_window(settings=SMALL.with_changes(source="device:/dev/video99"))
    assert w.start()
    qtbot.waitUntil(lambda: not w.running, timeout=10000)
    assert "/dev/video99 does not exist" in w.last_error


def test_listed_cameras_screens_and_windows_join_the_picker(make_window: Any, qtbot: Any):
    from overlay.sources.listing import SourceChoice, SourceListing

    w = make_window()
    qtbot.waitUntil(lambda: w.sources_listed >= 1, timeout=20000)  # the real listing ran
    labels = [w.source_combo.itemText(i) for i in range(w.source_combo.count())]
    assert not any("Booth" in x for x in labels)
    listing = SourceListing(
        (SourceChoice("window", "window:Booth demo", "Booth demo: 640x480 at 0,0"),),
        {"screen": "cannot capture the screen: no X display"},
    )
    w._on_sources_listed(listing)
    labels = [w.source_combo.itemText(i) for i in range(w.source_combo.count())]
    assert labels[0] == "Automatic: the camera, else the avatar"
    assert labels[1] == "Window: Booth demo: 640x480 at 0,0"
    assert w.form_settings().source == "synthetic"  # the selection survives the refresh
    assert "no X display" in w.sources_problem.toolTip()
    w.source_combo.setCurrentIndex(1)
    assert w.form_settings().source == "window:Booth demo"


def test_face_swap_without_a_likeness_is_refused_in_the_window(make_window: Any, qtbot: Any):
    w = make_window(settings=SMALL.with_changes(declare="face-swap"))
    assert w.dialog.form.declare_combo.currentData() == "face-swap"
    assert w.start()
    qtbot.waitUntil(lambda: not w.running, timeout=10000)
    assert "declared face-swap output" in w.last_error and "--likeness" in w.last_error
    assert w.frames_shown == 0


def test_a_generated_source_runs_with_a_provenance_record(make_window: Any, qtbot: Any):
    w = make_window(settings=SMALL.with_changes(declare="generated"))
    assert w.start()
    qtbot.waitUntil(lambda: w.info is not None and w.frames_shown > 3, timeout=10000)
    assert w.last_error == ""
    assert w.chips["provenance"].toolTip().startswith("signed manifest ")
    assert w.chips["provenance"].text() == "Signed record: on"
    assert w.info.sinks == ()  # preview only
