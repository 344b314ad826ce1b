from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from overlay.config import BannerConfig
from overlay.errors import ConfigError, SinkError
from overlay.pipeline import Pipeline
from overlay.session import Session
from overlay.sinks import SinkOptions, open_sink
from overlay.sinks.file import FileSink
from overlay.sinks.vcam import VirtualCameraSink
from overlay.sources.file import FileSource
from overlay.sources.synthetic import SyntheticSource
from overlay.stamps import BannerStamp
from tests.helpers import mad, read_video, still

SIZE = (320, 180)


def test_vcam_sink_sends_through_the_real_pyvirtualcam_camera(recording_backend: type) -> None:
    session = Session(size=SIZE, fps=30)
    sink = open_sink("vcam", SinkOptions(session=session, backend="recording"))
    assert isinstance(sink, VirtualCameraSink)
    with Pipeline(SyntheticSource(SIZE, 30), [sink], session=session) as p:
        sent = [p.step() for _ in range(3)]
        originals = [s.image.copy() for s in sent if s is not None]  # only the last survives
    cam = recording_backend.instances[-1]
    assert cam.closed and len(cam.frames) == 3
    received = cam.frame_bgr(2)
    # What the call app gets went through 4:2:0: close to, not equal to, what was sent.
    assert mad(received, originals[-1]) < 4
    assert received.shape == (180, 320, 3)


def test_vcam_sink_without_a_device_says_how_to_fix_it(recording_backend: type) -> None:
    session = Session(size=SIZE, fps=30)
    with pytest.raises(SinkError, match="no virtual camera available: .*overlay doctor"):
        open_sink("vcam", SinkOptions(session=session, backend="recording", device="/dev/missing0"))


def test_vcam_sink_with_an_unknown_backend(recording_backend: type) -> None:
    session = Session(size=SIZE, fps=30)
    with pytest.raises(SinkError, match="unknown backend 'nope'"):
        open_sink("vcam", SinkOptions(session=session, backend="nope"))


def test_close_is_idempotent(recording_backend: type) -> None:
    session = Session(size=SIZE, fps=30)
    sink = open_sink("vcam", SinkOptions(session=session, backend="recording"))
    sink.close()
    sink.close()
    assert recording_backend.instances[-1].closed


def test_recording_shows_the_card_then_the_banner_and_an_advancing_mark(tmp_path: Path) -> None:
    size, fps = (640, 360), 30.0
    session = Session(size=size, fps=fps)
    out = tmp_path / "rec.mp4"
    banner = BannerConfig()
    src = FileSource(still(tmp_path / "grey.png", *size), loop=True)
    with Pipeline(src, [FileSink(out, size, fps)], session=session, banner=banner) as p:
        p.run(frames=75, pace=False)
    assert out.exists() and not (tmp_path / "rec.partial.mp4").exists()
    frames = read_video(out)
    assert len(frames) == 75
    stamp = BannerStamp(session, banner)
    ys, xs = (
        slice(stamp.y, stamp.y + stamp.sprite.height),
        slice(stamp.x, stamp.x + stamp.sprite.width),
    )
    card = (
        slice(stamp.card_y, stamp.card_y + stamp.card.height),
        slice(stamp.card_x, stamp.card_x + stamp.card.width),
    )
    grey = np.full((360, 640, 3), 128, np.uint8)
    for i, f in enumerate(frames):
        # The banner is on every frame: its region is far from the plain grey.
        assert mad(f[ys, xs], grey[ys, xs]) > 30, i
        # The enlarged card for the first 2 s (60 frames), then gone.
        if i < 60:
            assert mad(f[card], grey[card]) > 20, i
        else:
            assert mad(f[card], grey[card]) < 6, i  # mp4v leaves a faint trace
    # The mark advances: some of its glyphs change from frame to frame...
    mark = (slice(300, 360), slice(0, 400))
    diffs = [
        np.abs(frames[i][mark].astype(np.int16) - frames[i + 1][mark]).max() for i in range(60, 74)
    ]
    assert min(diffs) > 60
    # ...while the banner stays put (its twin: no change beyond codec noise).
    assert max(mad(frames[i][ys, xs], frames[i + 1][ys, xs]) for i in range(60, 74)) < 1.5


def test_recording_with_no_frames_leaves_no_file(tmp_path: Path) -> None:
    sink = FileSink(tmp_path / "empty.mp4", SIZE, 30)
    sink.close()
    assert list(tmp_path.iterdir()) == []


def test_recording_interrupted_by_an_error_is_playable(tmp_path: Path) -> None:
    session = Session(size=SIZE, fps=30)
    out = tmp_path / "cut.mp4"
    pipeline = Pipeline(SyntheticSource(SIZE, 30), [FileSink(out, SIZE, 30)], session=session)
    with pytest.raises(RuntimeError, match="power cut"), pipeline:
        for _ in range(12):
            pipeline.step()
        raise RuntimeError("power cut")
    assert len(read_video(out)) == 12


@pytest.mark.parametrize(
    ("name", "error", "words"),
    [
        ("out.avi", ConfigError, "not an .mp4 or .mkv file"),
        ("missing/out.mp4", SinkError, "does not exist"),
    ],
)
def test_bad_recording_paths(tmp_path: Path, name: str, error: type, words: str) -> None:
    with pytest.raises(error, match=words):
        FileSink(tmp_path / name, SIZE, 30)
    assert list(tmp_path.iterdir()) == []


def test_an_existing_recording_is_never_overwritten(tmp_path: Path) -> None:
    target = tmp_path / "keep.mp4"
    target.write_bytes(b"precious")
    with pytest.raises(SinkError, match="the file exists"):
        FileSink(target, SIZE, 30)
    assert target.read_bytes() == b"precious"


def test_finalizers_run_on_the_finished_file_before_it_is_published(tmp_path: Path) -> None:
    seen: list[tuple[str, str, bool, int]] = []
    out = tmp_path / "fin.mp4"

    def finalize(path: Path, final: Path) -> None:
        cap = cv2.VideoCapture(str(path))
        n = 0
        while cap.read()[0]:
            n += 1
        cap.release()
        seen.append((path.name, final.name, out.exists(), n))

    session = Session(size=SIZE, fps=30)
    sink = FileSink(out, SIZE, 30, finalizers=[finalize])
    with Pipeline(SyntheticSource(SIZE, 30), [sink], session=session) as p:
        for _ in range(5):
            p.step()
    assert seen == [("fin.partial.mp4", "fin.mp4", False, 5)]
    assert out.exists()
