"""The library as a program uses it: ``import overlay``, an array in, frames out."""

from __future__ import annotations

import contextlib
import io
import os
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import overlay
from overlay import ArraySource, MemorySink, NullSink, OutputConfig, Pipeline
from overlay.errors import ConfigError, FrameFormatError, OverlayError
from overlay.faces import FaceSettings
from overlay.session import Session
from overlay.stamps.watermark import KEY_FILE, installation_key

README = Path(__file__).resolve().parents[1] / "README.md"
SIZE = (320, 180)


def _frames(n: int, size: tuple[int, int] = SIZE) -> np.ndarray:
    w, h = size
    return np.random.default_rng(n).integers(0, 256, (n, h, w, 3), np.uint8)


def _files_under(*folders: str) -> list[Path]:
    found: list[Path] = []
    for env in folders:
        root = Path(os.environ[env])
        if root.exists():
            found += [p for p in root.rglob("*") if p.is_file()]
    return found


def _readme_snippet() -> str:
    text = README.read_text()
    section = text.split("## Python API", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "README's Python API section has no python block"
    return match.group(1)


def test_readme_snippet_runs_as_shown(chdir_tmp: Path) -> None:
    code = _readme_snippet()
    assert len(code.strip().splitlines()) <= 8
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})
    assert out.getvalue().split() == ["30", "True"]  # what the snippet's comment says
    assert (chdir_tmp / "out.mp4").is_file()
    # the library wrote nothing else: no key, no manifest, no model download
    assert _files_under("OVERLAY_CONFIG_DIR", "OVERLAY_DATA_DIR", "OVERLAY_CACHE_DIR") == []


def test_readme_snippet_twin_unmarked_frames_are_not_found(chdir_tmp: Path) -> None:
    """The snippet's ``True`` is the mark's: the same frames recorded without overlay."""
    import av

    with av.open("plain.mp4", "w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 640, 360, "yuv420p"
        for image in np.random.default_rng(0).integers(0, 256, (30, 360, 640, 3), np.uint8):
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="bgr24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    assert overlay.verify("plain.mp4").found is False


def test_every_public_name_resolves() -> None:
    for name in overlay.__all__:
        assert getattr(overlay, name) is not None, name
    assert callable(overlay.verify) and callable(overlay.open_source)
    assert overlay.open_source("synthetic").spec == "synthetic"


def _face_tag(p: Pipeline) -> object:
    (tag,) = [s for s in p.chain.stamps if s.name == "facetag"]
    return tag


def test_a_bare_pipeline_loads_no_face_model_and_writes_no_file() -> None:
    with Pipeline(ArraySource(_frames(3)), [NullSink()]) as p:
        assert getattr(_face_tag(p), "watch", "?") is None  # no model loaded
        p.run(pace=False)
    assert p.frames_sent == 3
    assert _files_under("OVERLAY_CONFIG_DIR", "OVERLAY_DATA_DIR") == []


def test_a_pipeline_asked_for_faces_and_the_installation_key_has_both() -> None:
    """The twin: opting in loads the model and uses (creates) the installation's key."""
    key = installation_key()
    with Pipeline(
        ArraySource(_frames(2)), [NullSink()], faces=FaceSettings(), watermark_key=key
    ) as p:
        assert getattr(_face_tag(p), "watch", None) is not None
        p.run(pace=False)
    assert (Path(os.environ["OVERLAY_CONFIG_DIR"]) / KEY_FILE).is_file()


def test_a_closed_pipeline_refuses_to_run() -> None:
    p = Pipeline(ArraySource(_frames(4)), [MemorySink()])
    p.run(frames=2, pace=False)  # the twin: open, it runs
    assert p.frames_sent == 2
    p.close()
    for call in (lambda: p.run(frames=1), p.step):
        with pytest.raises(OverlayError, match="closed pipeline.*make a new Pipeline"):
            call()
    assert p.frames_sent == 2


@pytest.mark.parametrize("source", ["array", "synthetic"])
def test_run_frames_counts_each_call(source: str) -> None:
    src = ArraySource(_frames(4), loop=True) if source == "array" else "synthetic"
    sink = MemorySink()
    with Pipeline(src, [sink], output=OutputConfig(SIZE, 30)) as p:
        p.run(frames=5, pace=False)
        assert p.frames_sent == 5
        p.run(frames=5, pace=False)  # five more, not "until five in all"
        assert p.frames_sent == 10
    assert sink.indices == list(range(10))


def test_a_float32_frame_names_its_dtype_and_the_fix() -> None:
    frames = _frames(2).astype(np.float32) / 255
    with (
        Pipeline(ArraySource(frames), [NullSink()]) as p,
        pytest.raises(FrameFormatError) as err,
    ):
        p.run(pace=False)
    line = str(err.value)
    assert "frame 0 of source array has dtype float32" in line
    assert "np.clip(image * 255, 0, 255).astype(np.uint8)" in line and "\n" not in line
    # the twin: the same pictures as uint8 go through
    fixed = [np.clip(f * 255, 0, 255).astype(np.uint8) for f in frames]
    with Pipeline(ArraySource(fixed), [NullSink()]) as p:
        p.run(pace=False)
        assert p.frames_sent == 2


def test_array_source_over_an_iterator_ends_with_it() -> None:
    def gen() -> Iterator[np.ndarray]:
        yield from _frames(3)

    sink = MemorySink()
    with Pipeline(ArraySource(gen()), [sink], output=OutputConfig(SIZE, 30)) as p:
        p.run(pace=False)
    assert len(sink.images) == 3
    with pytest.raises(ValueError, match="pass list"):
        ArraySource(gen(), loop=True)
    # one picture is not a list of frames: said, with the fix
    with pytest.raises(FrameFormatError, match=r"N x H x W x 3.*image\[None\]"):
        ArraySource(_frames(1)[0])
    assert len(ArraySource(_frames(1)[0][None])) == 1


def test_sink_strings_are_opened_for_the_pipelines_output(tmp_path: Path) -> None:
    out = tmp_path / "out.mkv"
    with Pipeline(
        ArraySource(_frames(3)), [f"file:{out}"], output=OutputConfig((640, 360), 15)
    ) as p:
        p.run(pace=False)
        assert p.sinks[0].spec == f"file {out}"
    assert out.is_file()
    # stamps given: the default stamps' options would be ignored, so they are refused
    with pytest.raises(ConfigError, match="build them with"):
        Pipeline("synthetic", ["null"], stamps=[], faces=FaceSettings())
    # the size is given once: an output that disagrees with the session is refused
    with pytest.raises(ConfigError, match="disagrees"):
        Pipeline(
            "synthetic",
            ["null"],
            output=OutputConfig(SIZE, 30),
            session=Session(size=(640, 360), fps=30),
        )


def test_a_memory_sink_without_a_size_holds_later_frames_to_the_first() -> None:
    sink = MemorySink()
    big = OutputConfig((640, 360), 30)
    with (
        Pipeline("synthetic", [sink], output=OutputConfig(SIZE, 30)) as p,
        Pipeline("synthetic", [NullSink()], output=big) as other,
    ):
        p.run(frames=2, pace=False)
        assert sink.images[0].shape == (SIZE[1], SIZE[0], 3)
        frame = other.step()
        assert frame is not None
        with pytest.raises(ValueError, match="expects frames of shape"):
            sink.send(frame)
