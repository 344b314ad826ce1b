"""The operator policy in the app: locked controls with the reason, refusals in the form."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from overlay.app.qt import QtWidgets
from overlay.cli import main
from overlay.operator_policy import OperatorPolicy, load_policy
from tests.app.conftest import SMALL


def _policy(tmp_path: Path, *lines: str) -> OperatorPolicy:
    path = tmp_path / "booth.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return load_policy(path)


def _lock(w: Any, name: str) -> QtWidgets.QLabel:
    return w.dialog.form._lock_labels[name]


def test_fixed_settings_are_locked_with_the_reason(make_window: Any, tmp_path: Path):
    policy = _policy(
        tmp_path, 'positions = ["top-left"]', 'banner_text = "AI booth"', "record = true"
    )
    w = make_window(policy=policy, settings=SMALL.with_changes(record_path=str(tmp_path)))
    form = w.dialog.form
    assert not form.position_combo.isEnabled() and form.position_combo.currentText() == "top-left"
    assert not form.text_edit.isEnabled() and form.text_edit.text() == "AI booth"
    assert not form.preset_combo.isEnabled()
    for name in ("position", "text", "preset"):
        assert _lock(w, name).text().startswith("Policy: fixed")
        assert str(policy.path) in _lock(w, name).toolTip() and not _lock(w, name).isHidden()
    assert w.record_switch.isChecked() and not w.record_switch.isEnabled()
    assert str(policy.path) in w.record_switch.toolTip()
    assert not w.source_bar.lock.isHidden() and str(policy.path) in w.source_bar.lock.toolTip()


def test_without_a_policy_nothing_is_locked(make_window: Any):
    w = make_window()
    assert all(label.isHidden() for label in w.dialog.form._lock_labels.values())
    assert w.record_switch.isEnabled() and w.source_bar.lock.isHidden()
    w.dialog.form.preset_combo.setCurrentIndex(w.dialog.form.preset_combo.findData("custom"))
    assert w.dialog.form.position_combo.isEnabled()


def test_a_size_above_the_policy_is_refused_in_the_form(
    make_window: Any, qtbot: Any, tmp_path: Path
):
    policy = _policy(tmp_path, 'max_size = "640x360"')
    w = make_window(policy=policy)
    assert w.start()
    qtbot.waitUntil(lambda: w.info is not None, timeout=10000)
    first = w.info.session_id
    assert "at most 640x360" in _lock(w, "size").text()
    w.open_settings()
    w.dialog.form.size_combo.setCurrentText("1280x720")
    assert "above the maximum 640x360" in w.reason and str(policy.path) in w.reason
    assert not w.dialog.apply_button.isEnabled()
    assert not w.apply()
    assert w.running and w.info.session_id == first  # the running session is untouched
    w.dialog.form.size_combo.setCurrentText("640x360")
    assert w.reason == "" and w.dialog.apply_button.isEnabled()


def test_a_label_below_the_policy_minimum_is_refused_in_the_form(make_window: Any, tmp_path: Path):
    policy = _policy(tmp_path, "min_text_height = 0.08")
    w = make_window(policy=policy)
    form = w.dialog.form
    assert w.settings.text_height >= 0.08 and w.settings.preset == "custom"  # moved inside
    form.height_spin.setValue(6.0)  # above the library's 5%, below the policy's 8%
    assert "below the minimum 8.0%" in w.reason and str(policy.path) in w.reason
    assert not w.start()
    form.height_spin.setValue(9.0)
    assert w.reason == ""


def test_a_language_outside_the_policy_is_refused(make_window: Any, tmp_path: Path):
    policy = _policy(tmp_path, 'languages = ["zh"]')
    w = make_window(policy=policy)
    form = w.dialog.form
    assert form.lang_combo.currentText() == "zh" and not form.lang_combo.isEnabled()
    form.preset_combo.setCurrentIndex(form.preset_combo.findData("eu"))  # an English preset
    assert "banner language 'en' is not allowed" in w.reason


def test_the_picker_lists_only_allowed_sources(make_window: Any, tmp_path: Path):
    policy = _policy(tmp_path, 'sources = ["synthetic", "file"]')
    w = make_window(policy=policy)
    names = {c.name for c in w.source_bar.choices}
    assert names == {"synthetic", "file"}  # not even the automatic camera-else-avatar
    unbounded = make_window()
    assert {"", "synthetic", "file", "avatar"} <= {c.name for c in unbounded.source_bar.choices}


def test_edited_saved_settings_start_inside_the_policy(
    make_window: Any, qtbot: Any, tmp_path: Path, config_dir: Path
):
    config_dir.mkdir(parents=True, exist_ok=True)
    saved = {"source": "synthetic", "size": "1920x1080", "setup_done": True}
    saved.update(preset="custom", position="bottom")
    (config_dir / "app.json").write_text(json.dumps(saved))
    policy = _policy(tmp_path, 'max_size = "640x360"', 'positions = ["top"]')
    w = make_window(settings=None, policy=policy)
    assert w.settings.size == "640x360" and w.settings.position == "top"
    assert any("1920x1080 -> 640x360" in n for n in w.policy_notes)
    assert w.start()
    qtbot.waitUntil(lambda: w.info is not None, timeout=10000)
    assert w.control.frame is not None and w.control.frame.shape == (360, 640, 3)
    manifest = Path(w.info.provenance.removeprefix("signed manifest "))
    body = json.loads(manifest.read_text())["body"]
    assert body["operator_policy"]["sha256"] == policy.sha256
    assert body["banner"]["position"] == "top"


def test_a_kiosk_policy_opens_the_kiosk(make_window: Any, qtbot: Any, tmp_path: Path):
    policy = _policy(tmp_path, "kiosk = true")
    w = make_window(policy=policy, kiosk=False)
    assert w.kiosk and w.controls is None
    qtbot.waitUntil(lambda: w.frames_shown >= 2, timeout=10000)
    assert w.isFullScreen()
    assert not make_window(policy=_policy(tmp_path, "record = false")).kiosk


@pytest.mark.parametrize(
    ("lines", "args", "reason"),
    [
        (["nonsense = 1"], [], "unknown key 'nonsense'"),
        (['sources = ["avatar"]'], ["--source", "synthetic"], "source 'synthetic' is not allowed"),
    ],
)
def test_overlay_app_refuses_before_any_window(
    lines: list[str], args: list[str], reason: str, tmp_path: Path, capsys: Any
):
    path = tmp_path / "p.toml"
    path.write_text("\n".join(lines))
    assert main(["app", "--policy", str(path), *args]) == 2
    err = capsys.readouterr().err
    assert reason in err and str(path) in err and err.count("\n") == 1
