from __future__ import annotations

import io
import logging
from pathlib import Path

import cv2
import numpy as np
import pytest

from overlay.errors import ConfigError, FrameFormatError, SourceError
from overlay.sources import SourceOptions, open_source
from overlay.sources.file import FileSource
from overlay.sources.pipe import PipeSource
from overlay.sources.synthetic import SyntheticSource
from tests.helpers import still


def _video(path: Path, n: int = 6, size: tuple[int, int] = (160, 120)) -> Path:
    w, h = size
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), 30, (w, h))
    for i in range(n):
        writer.write(np.full((h, w, 3), (20 + 30 * i) % 250, np.uint8))
    writer.release()
    return path


def test_synthetic_is_deterministic_and_moves() -> None:
    a, b = SyntheticSource((320, 180), 30), SyntheticSource((320, 180), 30)
    fa = [a.read() for _ in range(3)]
    fb = [b.read() for _ in range(3)]
    assert all(
        x is not None and y is not None and np.array_equal(x.image, y.image)
        for x, y in zip(fa, fb, strict=True)
    )
    assert fa[0] is not None and fa[2] is not None
    assert not np.array_equal(fa[0].image, fa[2].image)


def test_file_video_loops_by_default(tmp_path: Path) -> None:
    src = FileSource(_video(tmp_path / "v.mp4"), loop=True)
    frames = [src.read() for _ in range(9)]
    src.close()
    assert all(f is not None for f in frames)
    assert [f.index for f in frames if f] == list(range(9))


def test_file_video_ends_without_loop(tmp_path: Path) -> None:
    src = FileSource(_video(tmp_path / "v.mp4"), loop=False)
    frames = []
    while (f := src.read()) is not None:
        frames.append(f)
    src.close()
    assert len(frames) == 6


def test_still_image_repeats_or_ends(tmp_path: Path) -> None:
    p = still(tmp_path / "s.png", 200, 100)
    looping = FileSource(p, loop=True)
    assert all(looping.read() is not None for _ in range(4))
    once = FileSource(p, loop=False)
    assert once.read() is not None and once.read() is None


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda d: d / "nope.mp4", "does not exist"),
        (lambda d: d, "is a directory"),
        (lambda d: _write(d / "e.mp4", b""), "is empty"),
        (lambda d: _write(d / "c.mp4", b"\x00garbage" * 500), "cannot decode video"),
        (lambda d: _write(d / "c.png", b"\x89PNG broken"), "cannot read image"),
    ],
)
def test_bad_files(tmp_path: Path, make, words: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SourceError, match=words):
        FileSource(make(tmp_path)).open()


def test_truncated_video_is_refused(tmp_path: Path) -> None:
    good = _video(tmp_path / "v.mp4", n=30)
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(good.read_bytes()[:600])
    with pytest.raises(SourceError, match="cannot decode video"):
        FileSource(cut).open()


@pytest.mark.parametrize(
    ("image", "words"),
    [
        (np.zeros((50, 50), np.uint8), "greyscale"),
        (np.zeros((50, 50, 4), np.uint8), "4-channel"),
        (np.zeros((50, 50, 3), np.uint16), "dtype uint16"),
        (np.zeros((1, 1, 3), np.uint8), "at least 2x2"),
    ],
)
def test_unsupported_still_images(tmp_path: Path, image: np.ndarray, words: str) -> None:
    p = tmp_path / "x.png"
    cv2.imwrite(str(p), image)
    with pytest.raises(FrameFormatError, match=words):
        FileSource(p).open()


def test_pipe_reads_raw_frames() -> None:
    w, h = 8, 4
    data = b"".join(bytes([i]) * (w * h * 3) for i in range(3))
    src = PipeSource((w, h), io.BytesIO(data))
    frames = [src.read() for _ in range(4)]
    assert [int(f.image[0, 0, 0]) for f in frames[:3] if f] == [0, 1, 2]
    assert frames[3] is None


def test_pipe_partial_frame_is_dropped_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    src = PipeSource((8, 4), io.BytesIO(b"\x01" * (8 * 4 * 3 + 10)))
    assert src.read() is not None
    assert src.read() is None
    assert "pipe ended mid-frame (10 of 96 bytes)" in caplog.text


def test_pipe_needs_a_size() -> None:
    with pytest.raises(ConfigError, match="--pipe-size"):
        open_source("pipe:", SourceOptions())


def test_pipe_takes_its_size_from_the_spec() -> None:
    w, h = 8, 4
    src = open_source(f"pipe:{w}x{h}", SourceOptions(stdin=io.BytesIO(bytes(w * h * 3 * 2))))
    assert src.spec == "pipe:8x4"
    frame = src.read()
    assert frame is not None and frame.image.shape == (h, w, 3)
    # the twin: a size the stream does not have gives other frames
    other = open_source("pipe:4x4", SourceOptions(stdin=io.BytesIO(bytes(w * h * 3 * 2))))
    first = other.read()
    assert first is not None and first.image.shape == (4, 4, 3)


@pytest.mark.parametrize(
    ("argv", "expect"),
    [
        (["--source", "pipe:", "--pipe-size", "640x360"], "pipe:640x360"),
        (["--source", "pipe:640x360"], "pipe:640x360"),
        (["--source", "pipe:640x360", "--pipe-size", "320x180"], "disagree"),
        (["--source", "synthetic", "--pipe-size", "320x180"], "is for --source pipe:"),
    ],
)
def test_pipe_size_flag_is_folded_into_the_spec(argv: list[str], expect: str) -> None:
    from overlay.cli import build_parser
    from overlay.cli.run import settings_from_args

    args = build_parser().parse_args(["run", *argv])
    if expect.startswith("pipe:"):
        assert settings_from_args(args).source == expect
    else:
        with pytest.raises(ConfigError, match=expect):
            settings_from_args(args)


def test_unknown_source_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="unknown source 'nope'; use one of: .*synthetic"):
        open_source("nope")


def test_missing_camera_is_a_clear_error() -> None:
    with pytest.raises(SourceError, match="cannot open webcam 9"):
        open_source("webcam:9").open()
    with pytest.raises(ConfigError, match="not a number"):
        open_source("webcam:x")
