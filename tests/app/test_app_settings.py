"""The form's rules and saved settings, without a window."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from overlay.app.handoff import LatestFrameSink
from overlay.app.qt import clean_cv2_qt_env
from overlay.app.settings import AppSettings, load_settings, save_settings, settings_path
from overlay.app.sources import choice_for_spec, source_choices
from overlay.errors import ConfigError
from overlay.pipeline import Pipeline
from overlay.session import Session
from overlay.sinks.memory import MemorySink
from overlay.sources import SOURCES
from overlay.sources.synthetic import SyntheticSource


def test_defaults_validate_to_a_preview_only_session():
    v = AppSettings().validate()
    # No source named: the runner's default, the webcam if one opens, else the avatar.
    assert v.run.sinks == ("null",) and v.run.source is None
    assert AppSettings(source="synthetic").validate().run.source == "synthetic"
    assert v.text_height_fraction >= 0.05


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"preset": "custom", "text": "Hello"}, 'does not contain "AI"'),
        ({"preset": "custom", "text_height": 0.04}, "below the minimum 5%"),
        ({"preset": "custom", "lang": "fr"}, "unknown banner language"),
        ({"preset": "off"}, "unknown banner preset 'off'"),
        ({"size": "641x360"}, "odd side"),
        ({"size": "big"}, "not WIDTHxHEIGHT"),
        ({"fps": 0.5}, "outside 1-240"),
        ({"source": "nosuch"}, "unknown source 'nosuch'"),
        ({"source": "pipe"}, "frame size of the raw BGR stream"),
        ({"record": True, "record_path": "/nonexistent/dir/"}, "does not exist"),
    ],
)
def test_refused_settings_say_why(changes: dict[str, object], reason: str):
    with pytest.raises(ConfigError, match=reason.replace("(", r"\(")):
        AppSettings().with_changes(**changes).validate()


def test_sinks_follow_the_output_switches(tmp_path: Path):
    s = AppSettings(vcam=True, device="/dev/video7", record=True, record_path=str(tmp_path))
    session = Session((1280, 720), 30.0)
    v = s.validate(session)
    assert v.run.sinks[0] == "vcam:/dev/video7"
    assert v.run.sinks[1].startswith(f"file:{tmp_path}") and session.id in v.run.sinks[1]
    assert v.run.device == "/dev/video7"


def test_pipe_source_takes_its_frame_size():
    v = AppSettings(source="pipe:640x360").validate()
    assert v.run.source == "pipe:640x360"  # the size travels in the spec


def test_settings_round_trip(tmp_path: Path):
    s = AppSettings(source="webcam:1", preset="custom", text="AI生成", lang="zh", self_view=True)
    path = save_settings(s, tmp_path / "app.json")
    assert load_settings(path) == s
    assert not (tmp_path / "app.json.tmp").exists()


def test_settings_live_in_the_config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("OVERLAY_CONFIG_DIR", str(tmp_path / "cfg"))
    assert settings_path() == tmp_path / "cfg" / "app.json"


def test_damaged_or_wrong_settings_fall_back_to_defaults(tmp_path: Path):
    path = tmp_path / "app.json"
    path.write_text("{not json")
    assert load_settings(path) == AppSettings()
    path.write_text(json.dumps({"fps": "fast", "size": "640x360", "vcam": 1, "extra": 3}))
    s = load_settings(path)
    assert s.size == "640x360"  # a good field is kept
    assert s.fps == AppSettings().fps and s.vcam is False  # wrong types are not
    path.write_text(json.dumps([1, 2]))
    assert load_settings(path) == AppSettings()


def test_source_picker_lists_registered_sources_without_importing_them(
    request: pytest.FixtureRequest,
):
    names = {c.name for c in source_choices()}
    assert {"synthetic", "file", "device", "webcam"} <= names
    assert "zzbooth" not in names
    SOURCES.register("zzbooth", lambda arg, options: SyntheticSource())
    request.addfinalizer(lambda: SOURCES.unregister("zzbooth"))
    choices = source_choices()
    booth = [c for c in choices if c.name == "zzbooth"]
    assert len(booth) == 1 and booth[0].spec("x") == "zzbooth:x" and booth[0].spec() == "zzbooth"
    assert AppSettings(source="zzbooth").validate().run.source == "zzbooth"


def test_choice_for_spec_finds_the_entry_and_its_argument():
    choices = source_choices()
    i, arg = choice_for_spec("file:/tmp/a.mp4", choices)
    assert choices[i].name == "file" and arg == "/tmp/a.mp4"
    assert choice_for_spec("nosuch:1", choices) == (-1, "")


def test_cv2_qt_variables_are_removed_but_the_users_own_kept():
    env = {
        "QT_QPA_PLATFORM_PLUGIN_PATH": "/x/site-packages/cv2/qt/plugins",
        "QT_QPA_FONTDIR": "/usr/share/fonts",
    }
    assert clean_cv2_qt_env(env) == ["QT_QPA_PLATFORM_PLUGIN_PATH"]
    assert env == {"QT_QPA_FONTDIR": "/usr/share/fonts"}
    assert "cv2" not in os.environ.get("QT_QPA_PLATFORM_PLUGIN_PATH", "")


def test_preview_sink_shows_exactly_what_is_sent_and_keeps_only_the_latest():
    session = Session((320, 180), 30.0)
    rings: list[int] = []
    preview = LatestFrameSink(session.size, notify=lambda: rings.append(1))
    memory = MemorySink(session.size)
    with Pipeline(
        SyntheticSource(session.size, session.fps), [memory, preview], session=session
    ) as p:
        for _ in range(5):
            p.step()
        out = np.zeros((180, 320, 3), np.uint8)
        assert preview.take_into(out)
        assert not preview.take_into(out)  # nothing new since
        assert preview.received == 5 and preview.taken == 1
        assert len(rings) == 1  # one notification pending at a time, not five
        # The newest frame, bit for bit what the other sink received (not an older one).
        np.testing.assert_array_equal(out, memory.images[-1])
        assert not np.array_equal(out, memory.images[-2])
        p.step()
    assert len(rings) == 2
