"""The watermark stamp: the installation key file, and the real Pipeline end to end."""

from __future__ import annotations

import stat
from pathlib import Path

import numpy as np
import pytest

from overlay.config import BannerConfig
from overlay.errors import ProvenanceError
from overlay.frames import BGRImage, Frame
from overlay.pipeline import Pipeline
from overlay.session import Session
from overlay.sinks.memory import MemorySink
from overlay.sources.base import BaseSource
from overlay.sources.synthetic import SyntheticSource
from overlay.stamps import BannerStamp, MarkStamp, WatermarkStamp
from overlay.stamps.watermark import installation_key
from overlay.watermark import Detector, open_session_id

SIZE = (1280, 720)


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OVERLAY_CONFIG_DIR", str(tmp_path))
    return tmp_path


def test_key_is_created_once_with_mode_0600(config_dir: Path) -> None:
    key = installation_key()
    path = config_dir / "watermark.key"
    assert len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert installation_key() == key


def test_each_installation_has_its_own_key(tmp_path: Path) -> None:
    assert installation_key(tmp_path / "a.key") != installation_key(tmp_path / "b.key")


@pytest.mark.parametrize("content", ["not hex\n", "abcd\n", ""])
def test_a_damaged_key_file_is_an_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "watermark.key"
    path.write_text(content)
    with pytest.raises(ProvenanceError, match=r"watermark\.key"):
        installation_key(path)


def test_stamp_uses_the_installation_key(config_dir: Path) -> None:
    session = Session(SIZE, 30.0)
    stamp = WatermarkStamp(session)
    assert (config_dir / "watermark.key").exists()
    assert open_session_id(stamp.payload.sealed_id, installation_key()) == session.id
    explicit = WatermarkStamp(session, installation_key=bytes(32))
    assert explicit.payload.sealed_id != stamp.payload.sealed_id
    assert open_session_id(explicit.payload.sealed_id, bytes(32)) == session.id


class ClipSource(BaseSource):
    """A real source over prepared frames (a pan over a natural photo)."""

    spec = "clip"

    def __init__(self, frames: list[BGRImage]) -> None:
        super().__init__()
        self._frames = frames

    def _read(self) -> BGRImage | None:
        return self._frames[self._index] if self._index < len(self._frames) else None


def _run(
    session: Session, stamps: list | None, frames: int, source: BaseSource | None = None
) -> list[BGRImage]:
    sink = MemorySink(session.size)
    source = source or SyntheticSource(session.size)
    # the default stamps sealed with the installation's key (a bare Pipeline's is random)
    key = installation_key() if stamps is None else None
    with Pipeline(source, [sink], session=session, stamps=stamps, watermark_key=key) as pipe:
        for _ in range(frames):
            pipe.step()
    assert len(sink.images) == frames
    assert not any(sink.slates)
    return sink.images


def _detect(images: list[BGRImage]) -> Detector:
    detector = Detector()
    for image in images:
        detector.add(image)
    return detector


def test_pipeline_frames_carry_the_session_id_under_banner_and_mark(
    config_dir: Path, coffee_clip: list[BGRImage]
) -> None:
    session = Session(SIZE, 30.0)
    # Default stamps: banner (the start card, now), mark, face tag, then the watermark.
    images = _run(session, None, 4, ClipSource(coffee_clip))
    assert (images[0][:, -40:] != coffee_clip[0][:, -40:]).any()
    result = _detect(images[:4]).detect()
    assert result.detected
    assert result.payload is not None
    assert result.payload.ai_generated
    assert open_session_id(result.payload.sealed_id, installation_key()) == session.id


def test_pipeline_without_the_watermark_stamp_is_not_detected(
    config_dir: Path, coffee_clip: list[BGRImage]
) -> None:
    session = Session(SIZE, 30.0)
    banner = BannerConfig()
    stamps = [BannerStamp(session, banner), MarkStamp(session, banner.position)]
    images = _run(session, stamps, 4, ClipSource(coffee_clip))
    assert not _detect(images).detect().detected


def test_stamp_follows_a_frame_of_another_size(coffee_clip: list[BGRImage]) -> None:
    stamp = WatermarkStamp(Session(SIZE, 30.0), installation_key=bytes(32))
    image = np.ascontiguousarray(coffee_clip[0][::2, ::2])
    before = image.copy()
    stamp.apply(Frame(image, 0, 0.0))
    assert (image != before).any()
    assert np.abs(image.astype(np.int16) - before).max() <= 6


@pytest.mark.parametrize("session_id", ["00000000", "5e1f00d5", "ffffffff"])
def test_the_first_second_of_a_synthetic_session_verifies(
    config_dir: Path, tmp_path: Path, session_id: str
) -> None:
    # The start card covers most of the first 2 s; the watermark is stamped over it.
    from benchmarks.watermark_call import write_lossless
    from overlay.verify import verify

    session = Session(SIZE, 30.0, id=session_id)
    images = _run(session, None, 30)
    path = write_lossless(tmp_path / "first-second.avi", images, 30.0)
    report = verify(path, installation_key=installation_key(), provenance=False)
    assert report.watermark.state == "payload"
    assert report.watermark.session_id == session_id


def test_the_first_second_without_the_watermark_does_not_verify(
    config_dir: Path, tmp_path: Path
) -> None:
    from benchmarks.watermark_call import write_lossless
    from overlay.verify import verify

    session = Session(SIZE, 30.0, id="5e1f00d5")
    banner = BannerConfig()
    stamps = [BannerStamp(session, banner), MarkStamp(session, banner.position)]
    path = write_lossless(tmp_path / "plain.avi", _run(session, stamps, 30), 30.0)
    report = verify(path, installation_key=installation_key(), provenance=False)
    assert report.watermark.state == "absent"
    assert report.watermark.session_id is None
