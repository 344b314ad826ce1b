"""The run command with faces: the avatar by default, --face-model, --no-face-tag."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from overlay.cli import main
from overlay.runner import DEFAULT_SOURCE, RunSettings, open_session
from overlay.sources.avatar import AvatarSource
from overlay.stamps import FaceTagStamp


def test_the_default_source_without_a_webcam_is_the_avatar() -> None:
    if Path("/dev/video0").exists():
        pytest.skip("a camera is present: the default is the webcam")
    assert DEFAULT_SOURCE == "avatar"
    with open_session(RunSettings(sinks=("null",))) as opened:
        p = opened.pipeline
        assert isinstance(p.source, AvatarSource)
        for _ in range(4):
            p.step()
        tag = p.chain.stamps[0]
        assert isinstance(tag, FaceTagStamp) and tag.watch is not None
    assert tag.watch.detector._task is None  # closed with the pipeline


def test_run_avatar_to_null(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", "--source", "avatar", "--sink", "null", "--frames", "5", "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["frames"] == 5


def test_missing_face_model_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.task"
    code = main(
        [
            "run",
            "--source",
            "synthetic",
            "--sink",
            "null",
            "--frames",
            "1",
            "--face-model",
            str(missing),
        ]
    )
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(missing) in err[0] and "Traceback" not in err[0]


def test_no_face_tag_flag_keeps_watching_without_drawing() -> None:
    from overlay.cli import build_parser
    from overlay.cli.run import settings_from_args

    args = build_parser().parse_args(["run", "--no-face-tag"])
    settings = settings_from_args(args)
    assert settings.faces.enabled and not settings.faces.tag
    default = settings_from_args(build_parser().parse_args(["run"]))
    assert default.faces.tag and default.faces.model is None
