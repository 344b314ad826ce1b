"""``overlay watch``: a marked clip and its unmarked twin through ``--json
--until-found``, a call grid, a feed that goes away, a source lost mid-watch, bad input.

Files are watched on their own clock (frame index / frame rate), so nothing here depends
on how fast the machine is.
"""

from __future__ import annotations

import json
from pathlib import Path
from unittest import mock

import av
import cv2
import numpy as np
import pytest
from watermark_content import SIZE, clip

from overlay.cli import main
from overlay.errors import SourceError
from overlay.frames import BGRImage
from overlay.sources.file import FileSource
from overlay.watermark import FORMAT_VERSION, Embedder, Payload, seal_session_id

KEY = bytes(range(32))
SESSION = "7a7c4e11"
GRID = ((10, 6, 944, 531), (966, 6, 944, 531), (10, 543, 944, 531), (966, 543, 944, 531))


def write_mp4(path: Path, frames: list[BGRImage], size: tuple[int, int], crf: int = 23) -> Path:
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=30)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": str(crf), "preset": "veryfast"}
        for f in frames:
            small = cv2.resize(f, size, interpolation=cv2.INTER_AREA)
            for p in stream.encode(av.VideoFrame.from_ndarray(small, format="bgr24")):
                out.mux(p)
        for p in stream.encode():
            out.mux(p)
    return path


def _grid(tiles: list[list[BGRImage]]) -> list[BGRImage]:
    out = []
    for i in range(len(tiles[0])):
        page = np.full((1080, 1920, 3), 32, np.uint8)
        for (x, y, w, h), frames in zip(GRID, tiles, strict=True):
            page[y : y + h, x : x + w] = cv2.resize(frames[i], (w, h), interpolation=cv2.INTER_AREA)
        out.append(page)
    return out


@pytest.fixture(scope="module")
def key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("keys") / "watermark.key"
    path.write_text(KEY.hex() + "\n")
    return path


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("watch")
    embedder = Embedder(Payload(FORMAT_VERSION, True, seal_session_id(SESSION, KEY)), SIZE)
    plain = clip("coffee", 30)
    marked = [embedder.apply(f.copy()) for f in plain]
    others = [clip(name, 12, seed=i) for i, name in enumerate(("chelsea", "rocket", "camera"))]
    astronaut = clip("astronaut", 12)
    marked_astronaut = [embedder.apply(f.copy()) for f in astronaut]
    small = (640, 360)
    return {
        "marked": write_mp4(d / "marked.mp4", marked, small),
        "clean": write_mp4(d / "clean.mp4", plain, small),
        # Marked for the first 0.5 s, then the same content unmarked for 5.5 s.
        "goes": write_mp4(d / "goes.mp4", marked[:15] + plain * 5 + plain[:15], small),
        "grid": write_mp4(d / "grid.mp4", _grid([*others, marked_astronaut]), (1920, 1080), 18),
        "grid-clean": write_mp4(d / "grid0.mp4", _grid([*others, astronaut]), (1920, 1080), 18),
    }


def watch(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, list[dict], str]:
    code = main(["watch", *map(str, args)])
    out = capsys.readouterr()
    events = [json.loads(line) for line in out.out.splitlines() if line.startswith("{")]
    return code, events, out.err


def test_marked_clip_is_disclosed_with_its_session(capsys, clips, key_file) -> None:
    code, events, err = watch(
        capsys, f"file:{clips['marked']}", "--json", "--until-found", 3, "--key", key_file
    )
    assert code == 0, err
    last = events[-1]
    assert last["event"] == "state" and last["state"] == "disclosed"
    (found,) = last["found"]
    assert found["session_id"] == SESSION and found["ai_generated"] is True
    assert found["box"] is None  # the whole picture
    assert found["false_positive_bound"] <= 1e-9 and last["window_bound"] <= 1e-9
    assert last["time"] <= 1.0


def test_unmarked_twin_is_not_found_and_exits_1(capsys, clips, key_file) -> None:
    code, events, err = watch(
        capsys, f"file:{clips['clean']}", "--json", "--until-found", 3, "--key", key_file
    )
    assert code == 1, err
    assert [e["state"] for e in events if e["event"] == "state"] == ["not found", "source lost"]
    assert events[-1]["reason"] == "the source ended"
    assert all(e["found"] == [] for e in events)


def test_plain_output_is_one_line_per_state(capsys, clips, key_file) -> None:
    code, _, _ = watch(capsys, f"file:{clips['marked']}", "--key", key_file)
    out = capsys.readouterr().out
    assert code == 0
    main(["watch", f"file:{clips['marked']}", "--key", str(key_file)])
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("DISCLOSED (AI-generated, session " + SESSION) for line in lines), (
        lines
    )
    assert lines[-1] == "source lost: the source ended"
    assert out == ""  # the first run's output was read by watch()
    main(["watch", f"file:{clips['clean']}", "--key", str(key_file)])
    twin = capsys.readouterr().out.splitlines()
    assert not any("DISCLOSED" in line for line in twin)
    assert twin[0].startswith("not found (for 0 s")


def test_grid_names_the_marked_tile_by_position(capsys, clips, key_file) -> None:
    code, events, err = watch(
        capsys, f"file:{clips['grid']}", "--json", "--until-found", 1, "--key", key_file
    )
    assert code == 0, err
    (found,) = events[-1]["found"]
    x, y, w, h = found["box"]
    assert max(abs(a - b) for a, b in zip((x, y, w, h), GRID[3], strict=True)) <= 3
    assert found["session_id"] == SESSION


def test_grid_without_a_marked_tile_names_none(capsys, clips, key_file) -> None:
    code, events, err = watch(
        capsys, f"file:{clips['grid-clean']}", "--json", "--until-found", 1, "--key", key_file
    )
    assert code == 1, err
    assert all(e["found"] == [] for e in events)
    # The four tiles were searched.
    assert max(len(e["tiles_searched"]) for e in events) == 4


def test_a_feed_that_goes_away_is_not_found_within_two_windows(capsys, clips, key_file) -> None:
    code, events, err = watch(capsys, f"file:{clips['goes']}", "--json", "--key", key_file)
    assert code == 0, err
    states = [(e["state"], e["time"]) for e in events if e["event"] == "state"]
    names = [s for s, _ in states]
    assert names[-3:] == ["disclosed", "not found", "source lost"], states
    gone = 0.5  # the last marked frame
    not_found_at = states[-2][1]
    assert gone < not_found_at <= gone + 4.0  # two windows of 2 s
    heartbeats = [e for e in events if e["event"] == "heartbeat"]
    assert heartbeats and all(h["state"] in ("disclosed", "not found") for h in heartbeats)


def test_a_source_lost_mid_watch_is_reported_and_exits_3(capsys, clips, key_file) -> None:
    real = FileSource._read
    calls = [0]

    def failing(self: FileSource) -> BGRImage | None:
        calls[0] += 1
        if calls[0] > 12:
            raise SourceError("capture failed: the window went away")
        return real(self)

    with mock.patch.object(FileSource, "_read", failing):
        code, events, err = watch(capsys, f"file:{clips['marked']}", "--json", "--key", key_file)
    assert code == 3, err
    assert events[-1]["state"] == "source lost"
    assert events[-1]["reason"] == "capture failed: the window went away"
    assert "disclosed" in [e["state"] for e in events]


def test_a_source_that_ends_is_not_an_error(capsys, clips, key_file) -> None:
    code, events, err = watch(capsys, f"file:{clips['marked']}", "--json", "--key", key_file)
    assert code == 0, err
    assert events[-1]["state"] == "source lost" and events[-1]["reason"] == "the source ended"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["file:/no/such/clip.mp4"], "clip.mp4"),
        (["file:{marked}", "--fps", "0"], "--fps 0"),
        (["file:{marked}", "--until-found", "-1"], "--until-found -1"),
        (["file:{marked}", "--tiles", "9"], "--tiles 9"),
        (["nosuchsource:1"], "nosuchsource"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, clips, args: list[str], words: str) -> None:
    code = main(["watch", *(a.format(marked=clips["marked"]) for a in args)])
    out = capsys.readouterr()
    assert code == 2
    assert out.out == ""
    assert len(out.err.strip().splitlines()) == 1 and words in out.err, out.err
    assert "Traceback" not in out.err


def test_watch_is_a_listed_command(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "watch" in capsys.readouterr().out
