"""The operator policy: one test per bound against the CLI, library callers and saved settings.

The app's controls are tested in tests/app/test_app_policy.py.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import replace
from pathlib import Path

import pytest

from overlay.app.settings import CUSTOM, AppSettings
from overlay.cli import main
from overlay.config import BannerConfig, OutputConfig
from overlay.errors import ConfigError
from overlay.operator_policy import PolicyError, find_policy, load_policy
from overlay.runner import RunSettings, open_session

ROOT = Path(__file__).resolve().parents[1]

#: bound -> (the policy line, CLI flags outside it, CLI flags inside it, what the refusal says)
BOUNDS: dict[str, tuple[str, list[str], list[str], str]] = {
    "max_size": (
        'max_size = "640x360"',
        ["--size", "1280x720"],
        ["--size", "640x360"],
        "output size 1280x720 is above the maximum 640x360",
    ),
    "min_text_height": (
        "min_text_height = 0.08",
        ["--banner-height", "0.06"],
        ["--banner-height", "0.09"],
        "banner text height 6.0% is below the minimum 8.0%",
    ),
    "positions": (
        'positions = ["top-left"]',
        ["--position", "bottom"],
        ["--position", "top-left"],
        "banner position 'bottom' is not allowed",
    ),
    "languages": (
        'languages = ["zh"]',
        ["--lang", "en"],
        ["--lang", "zh"],
        "banner language 'en' is not allowed",
    ),
    "banner_text": (
        'banner_text = "AI booth"',
        ["--banner-text", "AI-generated"],
        ["--banner-text", "AI booth"],
        "is not the text 'AI booth' fixed by",
    ),
    "sources": (
        'sources = ["avatar"]',
        ["--source", "synthetic"],
        ["--source", "avatar"],
        "source 'synthetic' is not allowed",
    ),
}


def _data_dir() -> Path:
    return Path(os.environ["OVERLAY_DATA_DIR"])  # the session records (see tests/conftest.py)


def _policy(tmp_path: Path, *lines: str, name: str = "policy.toml") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["run", "--frames", "3", "--no-pace", "--json", *args])
    return code, capsys.readouterr().err


# -- CLI flags ---------------------------------------------------------------------------
@pytest.mark.parametrize("bound", sorted(BOUNDS))
def test_cli_refuses_a_flag_outside_each_bound_in_one_line(
    bound: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line, outside, _, reason = BOUNDS[bound]
    policy = _policy(tmp_path, line)
    source = [] if "--source" in outside else ["--source", "synthetic"]
    code, err = _run(["--policy", str(policy), "--sink", "null", *source, *outside], capsys)
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert reason in err and str(policy) in err
    assert not list(_data_dir().rglob("*.manifest.json"))  # refused before any record


@pytest.mark.parametrize("bound", sorted(BOUNDS))
def test_cli_runs_a_flag_inside_each_bound_and_records_the_policy_hash(
    bound: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line, _, inside, _ = BOUNDS[bound]
    policy = _policy(tmp_path, line)
    source = [] if "--source" in inside else ["--source", "synthetic"]
    code = main(
        [
            "run",
            "--frames",
            "3",
            "--no-pace",
            "--json",
            "--policy",
            str(policy),
            "--sink",
            "null",
            *source,
            *inside,
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    manifest = json.loads(Path(json.loads(out)["manifest"]).read_text())["body"]
    assert manifest["operator_policy"]["sha256"] == hashlib.sha256(policy.read_bytes()).hexdigest()
    assert manifest["operator_policy"]["file"] == str(policy)


def test_cli_defaults_move_inside_the_policy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [BOUNDS[b][0] for b in ("max_size", "min_text_height", "positions", "languages")]
    policy = _policy(tmp_path, *lines, 'banner_text = "AI booth"')
    code = main(
        [
            "run",
            "--frames",
            "3",
            "--no-pace",
            "--json",
            "--source",
            "synthetic",
            "--sink",
            "null",
            "--policy",
            str(policy),
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    body = json.loads(Path(json.loads(out)["manifest"]).read_text())["body"]
    assert body["output"]["size"] == [640, 360]
    assert body["banner"]["text"] == "AI booth" and body["banner"]["lang"] == "zh"
    assert body["banner"]["position"] == "top-left" and body["banner"]["text_height"] == 0.08


def test_cli_without_a_policy_records_none(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    code = main(
        [
            "run",
            "--frames",
            "2",
            "--no-pace",
            "--json",
            "--source",
            "synthetic",
            "--sink",
            "null",
            "--size",
            "1280x720",
        ]
    )
    out, _ = capsys.readouterr()
    assert code == 0
    assert (
        json.loads(Path(json.loads(out)["manifest"]).read_text())["body"]["operator_policy"] is None
    )


def test_recording_required_refuses_a_session_without_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = _policy(tmp_path, "record = true")
    code, err = _run(["--policy", str(policy), "--source", "synthetic", "--sink", "null"], capsys)
    assert code == 2 and "requires every session to be recorded" in err and str(policy) in err
    out = tmp_path / "rec.mp4"
    code = main(
        [
            "run",
            "--frames",
            "3",
            "--no-pace",
            "--source",
            "synthetic",
            "--sink",
            f"file:{out}",
            "--policy",
            str(policy),
        ]
    )
    assert code == 0 and out.stat().st_size > 0


# -- library callers ---------------------------------------------------------------------
def test_library_callers_that_pass_a_policy_are_held_to_each_bound(tmp_path: Path) -> None:
    policy = load_policy(_policy(tmp_path, *(v[0] for v in BOUNDS.values()), "record = true"))
    inside = RunSettings(
        source="avatar",
        sinks=(f"file:{tmp_path / 'never.mp4'}",),
        output=OutputConfig((640, 360)),
        banner=BannerConfig(lang="zh", position="top-left", text_height=0.08, text="AI booth"),
        policy=policy,
    )
    policy.check(inside)  # the twin: every bound met
    banner = inside.banner
    cases = [
        (replace(inside, output=OutputConfig((1280, 720))), "above the maximum 640x360"),
        (replace(inside, banner=banner.with_changes(text_height=0.06)), "below the minimum 8.0%"),
        (replace(inside, banner=banner.with_changes(position="bottom")), "position 'bottom'"),
        (replace(inside, banner=banner.with_changes(lang="en")), "language 'en'"),
        (replace(inside, banner=banner.with_changes(text="AI other")), "is not the text"),
        (replace(inside, source="synthetic"), "source 'synthetic' is not allowed"),
        (replace(inside, source=None), "the automatic source"),
        (replace(inside, sinks=("null",)), "requires every session to be recorded"),
        (replace(inside, provenance=False), "needs the signed record"),
    ]
    for settings, reason in cases:
        with pytest.raises(PolicyError, match=reason), open_session(settings):
            pytest.fail("the session opened")  # pragma: no cover
    assert not list(_data_dir().rglob("*.manifest.json"))  # refused before any record
    assert not (tmp_path / "never.mp4").exists()


def test_a_library_session_inside_the_policy_runs_and_records_it(tmp_path: Path) -> None:
    policy = load_policy(_policy(tmp_path, 'max_size = "640x360"', "record = true"))
    out = tmp_path / "lib.mp4"
    settings = RunSettings(
        source="synthetic",
        sinks=(f"file:{out}",),
        output=OutputConfig((640, 360)),
        policy=policy,
    )
    with open_session(settings) as opened:
        p = opened.pipeline
        p.run(frames=3, pace=False)
        recorder = opened.provenance
    assert recorder is not None and recorder.body["operator_policy"]["sha256"] == policy.sha256
    # The same settings without the policy are not held to it (and record no policy).
    with open_session(replace(settings, policy=None, sinks=("null",))) as opened:
        recorder = opened.provenance
    assert recorder is not None and recorder.body["operator_policy"] is None


# -- settings file edits -----------------------------------------------------------------
def test_saved_settings_outside_the_policy_move_inside_it(tmp_path: Path) -> None:
    lines = [v[0] for v in BOUNDS.values()]
    policy = load_policy(_policy(tmp_path, *lines, "record = true"))
    edited = AppSettings(size="1920x1080", preset="eu", source="synthetic", record=False)
    fitted, notes = edited.within(policy)
    assert fitted.size == "640x360"
    assert fitted.preset == CUSTOM and fitted.text == "AI booth" and fitted.lang == "zh"
    assert fitted.position == "top-left" and fitted.text_height == 0.08
    assert fitted.record and fitted.source == "avatar"
    assert len(notes) == 4
    fitted.with_changes(record_path=str(tmp_path)).validate(policy=policy)  # now accepted
    with pytest.raises(PolicyError, match="above the maximum"):
        fitted.with_changes(size="1280x720", record_path=str(tmp_path)).validate(policy=policy)
    # Settings already inside stay as they are.
    assert fitted.within(policy) == (fitted, [])


# -- the file itself ---------------------------------------------------------------------
def test_the_documented_example_policy_loads() -> None:
    policy = load_policy(ROOT / "docs" / "policy.example.toml")
    assert policy.max_size == (1280, 720) and policy.record and policy.kiosk
    assert policy.banner_text == "AI-generated demo"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("max_sise = '640x360'", "unknown key 'max_sise'"),
        ("min_text_height = 0.03", "a policy can only raise the 5% minimum"),
        ("banner_text = 'Demo'", 'does not contain "AI"'),
        ("positions = ['middle']", "positions has 'middle'"),
        ("languages = 'en'", "is not a list of names"),
        ("record = 'yes'", "record must be true or false"),
        ("max_size = [640, 360]", "max_size must be a string"),
        ("max_size = '640x'", "is not WIDTHxHEIGHT"),
        ("record = ", "is not valid TOML"),
    ],
)
def test_a_bad_policy_file_is_one_line_naming_it(
    line: str, reason: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _policy(tmp_path, line)
    with pytest.raises(ConfigError, match=reason.replace("(", r"\(")):
        load_policy(path)
    assert main(["run", "--policy", str(path), "--frames", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(path) in err


def test_a_missing_policy_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    assert main(["run", "--policy", str(tmp_path / "nope.toml"), "--frames", "1"]) == 2
    assert "nope.toml does not exist" in capsys.readouterr().err


def test_the_system_wide_policy_applies_and_cannot_be_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    site = _policy(tmp_path, 'max_size = "640x360"', name="site.toml")
    other = _policy(tmp_path, 'max_size = "1920x1080"', name="mine.toml")
    assert find_policy() is None  # no system-wide file on this machine
    monkeypatch.setattr("overlay.operator_policy.site_policy_path", lambda: site)
    policy = find_policy()
    assert policy is not None and policy.path == site
    assert find_policy(site) == policy
    with pytest.raises(PolicyError, match="cannot replace it"):
        find_policy(other)
    code, err = _run(["--source", "synthetic", "--sink", "null", "--size", "1280x720"], capsys)
    assert code == 2 and str(site) in err
