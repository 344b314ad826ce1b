"""The face tag follows a moving face; the banner moves off faces. Real BlazeFace, real photo."""

from __future__ import annotations

import logging
import time

import numpy as np
import pytest

import overlay.faces as faces_pkg
from overlay.config import BannerConfig
from overlay.faces import FaceModel, FaceSettings
from overlay.faces.detector import FaceDetector
from overlay.faces.watch import FaceWatch
from overlay.frames import BGRImage, Frame
from overlay.pipeline import Pipeline
from overlay.session import Session
from overlay.sinks.memory import MemorySink
from overlay.sources.synthetic import SyntheticSource
from overlay.stamps import BannerStamp, FaceTagStamp, StampChain, default_stamps
from tests.faces.conftest import paste

SIZE = (1280, 720)
FPS = 30.0


def _centre(box: tuple[float, float, float, float]) -> np.ndarray:
    return np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2])


@pytest.fixture(scope="module")
def offset(face_model: FaceModel, head: BGRImage) -> np.ndarray:
    """Where BlazeFace puts the face centre relative to the pasted head's corner."""
    det = FaceDetector(face_model)
    try:
        found = [
            _centre(det.detect(paste(head, 300 + d, 150 + d))[0]) - (300 + d, 150 + d)
            for d in range(0, 30, 5)
        ]
    finally:
        det.close()
    return np.mean(found, axis=0)


def _path(k: int) -> tuple[int, int]:
    """A face crossing the frame at 270 px/s, bobbing 60 px up and down."""
    return 100 + 9 * k, int(150 + 60 * np.sin(k / 10))


def test_tag_follows_a_moving_face(
    face_model: FaceModel, head: BGRImage, offset: np.ndarray
) -> None:
    session = Session(SIZE, FPS)
    tag = FaceTagStamp(session, FaceWatch(face_model, every=3))
    errors, gaps = [], []
    for k in range(90):
        x, y = _path(k)
        frame = Frame(paste(head, x, y), k, k / FPS)
        tag.apply(frame)
        boxes = tag.faces()
        assert len(boxes) == 1, f"frame {k}: {len(boxes)} faces"
        assert len(tag.last_tags) == 1
        errors.append(float(np.hypot(*(_centre(boxes[0]) - (x, y) - offset))))
        tx, ty = tag.last_tags[0][:2]
        gaps.append(tx - boxes[0][2])  # the tag sits just right of the face box
        assert abs(ty - boxes[0][1]) <= 1
    face_h = boxes[0][3] - boxes[0][1]
    assert 130 < face_h < 190
    # Stated bound: after a third of a second, within 20% of the face height (~32 px)
    # at 270 px/s, median under 8%.
    assert max(errors[10:]) < 0.20 * face_h, errors
    assert float(np.median(errors[10:])) < 0.08 * face_h, errors
    assert all(0 <= g < 0.15 * face_h for g in gaps)
    tag.close()


def test_tag_is_steady_on_a_still_face(face_model: FaceModel, head: BGRImage) -> None:
    session = Session(SIZE, FPS)
    tag = FaceTagStamp(session, FaceWatch(face_model, every=3))
    image = paste(head, 500, 200)
    places = []
    for k in range(60):
        tag.apply(Frame(image.copy(), k, k / FPS))
        if k >= 15:
            places.append(tag.last_tags[0][:2])
    later = np.array(places)
    assert np.ptp(later[:, 0]) <= 3 and np.ptp(later[:, 1]) <= 3, later
    tag.close()


def test_no_face_no_tag_and_pixels_untouched(face_model: FaceModel) -> None:
    session = Session(SIZE, FPS)
    tag = FaceTagStamp(session, FaceWatch(face_model, every=1))
    source = SyntheticSource(SIZE, FPS)
    for _ in range(10):
        frame = source.read()
        assert frame is not None
        before = frame.image.copy()
        tag.apply(frame)
        assert tag.faces() == [] and tag.last_tags == []
        assert np.array_equal(frame.image, before)
    tag.close()


def test_tag_leaves_when_the_face_leaves(face_model: FaceModel, head: BGRImage) -> None:
    session = Session(SIZE, FPS)
    tag = FaceTagStamp(session, FaceWatch(face_model, every=3))
    with_face, empty = paste(head, 500, 200), np.full((720, 1280, 3), 90, np.uint8)
    for k in range(10):
        tag.apply(Frame(with_face.copy(), k, k / FPS))
    assert tag.last_tags
    gone_at = None
    for k in range(10, 40):
        tag.apply(Frame(empty.copy(), k, k / FPS))
        if not tag.last_tags and gone_at is None:
            gone_at = k
    assert gone_at is not None and gone_at - 10 <= 12  # within 0.4 s
    tag.close()


def test_tag_off_still_watches_faces(face_model: FaceModel, head: BGRImage) -> None:
    session = Session(SIZE, FPS)
    tag = FaceTagStamp(session, FaceWatch(face_model), draw=False)
    image = paste(head, 500, 200)
    frame = Frame(image.copy(), 0, 0.0)
    tag.apply(frame)
    assert len(tag.faces()) == 1 and tag.last_tags == []
    assert np.array_equal(frame.image, image)
    tag.close()


def _chain(session: Session, banner: BannerConfig) -> tuple[StampChain, FaceTagStamp, BannerStamp]:
    stamps = default_stamps(session, banner)
    tag, ban = stamps[0], stamps[1]
    assert isinstance(tag, FaceTagStamp) and isinstance(ban, BannerStamp)
    assert [s.name for s in stamps] == ["facetag", "banner", "mark", "watermark"]
    return StampChain(session, stamps), tag, ban


def _covers(ban: BannerStamp, box: tuple[float, float, float, float]) -> bool:
    w, h = ban.sprite.width, ban.sprite.height
    return not (ban.x + w <= box[0] or box[2] <= ban.x or ban.y + h <= box[1] or box[3] <= ban.y)


def test_banner_moves_off_a_face_under_it(head: BGRImage) -> None:
    session = Session(SIZE, FPS)
    chain, tag, ban = _chain(session, BannerConfig(position="top-right"))
    home = (ban.x, ban.y)
    image = paste(head, 1280 - head.shape[1] - 20, 0)  # the face right under the banner
    for k in range(6):
        chain.apply(Frame(image.copy(), k, k / FPS))
    assert len(tag.faces()) == 1
    assert ban.position_index != 0 and (ban.x, ban.y) != home
    assert not _covers(ban, tag.faces()[0])
    # the same sprite: the text height rule holds wherever it goes
    assert ban.text_height_fraction >= 0.05
    # face gone: back home after about a second, not at once
    empty = np.full((720, 1280, 3), 90, np.uint8)
    back = None
    for k in range(6, 60):
        chain.apply(Frame(empty.copy(), k, k / FPS))
        if (ban.x, ban.y) == home and back is None:
            back = k
    assert back is not None and back - 6 >= 20


def test_banner_stays_when_the_face_is_elsewhere(head: BGRImage) -> None:
    session = Session(SIZE, FPS)
    chain, tag, ban = _chain(session, BannerConfig(position="top-right"))
    home = (ban.x, ban.y)
    image = paste(head, 100, 300)
    for k in range(6):
        chain.apply(Frame(image.copy(), k, k / FPS))
        assert (ban.x, ban.y) == home
    assert len(tag.faces()) == 1


def test_banner_never_moves_onto_the_mark() -> None:
    session = Session(SIZE, FPS)
    _, _, ban = _chain(session, BannerConfig(position="top-left"))
    mark = (18, 720 - 100, 700, 100)  # roughly; the real rect is checked below
    stamps = default_stamps(session, BannerConfig(position="top-left"))
    m = stamps[2]
    mark = (m.x, m.y, m.x + m.plate_w, m.y + m.plate_h)  # type: ignore[attr-defined]
    for x, y, w, h in ban.places:
        assert x + w <= mark[0] or mark[2] <= x or y + h <= mark[1] or mark[3] <= y


def test_no_model_warns_once_and_the_pipeline_works(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(faces_pkg, "_resolved", {})
    monkeypatch.setattr(faces_pkg, "resolve_model", lambda explicit=None: None)
    session = Session((640, 360), FPS)
    sink = MemorySink((640, 360))
    with caplog.at_level(logging.WARNING, logger="overlay.faces"):
        with Pipeline(
            SyntheticSource((640, 360), FPS), [sink], session=session, faces=FaceSettings()
        ) as p:
            for _ in range(3):
                assert p.step() is not None
        with Pipeline(
            SyntheticSource((640, 360), FPS),
            [MemorySink((640, 360))],
            session=session,
            faces=FaceSettings(),
        ) as p:
            assert p.step() is not None
    warnings = [r for r in caplog.records if "no MediaPipe face model" in r.getMessage()]
    assert len(warnings) == 1
    assert "--face-model" in warnings[0].getMessage()
    tag = p.chain.stamps[0]
    assert isinstance(tag, FaceTagStamp) and tag.watch is None


def test_faces_disabled_builds_no_watch() -> None:
    session = Session((640, 360), FPS)
    stamps = default_stamps(session, BannerConfig(), FaceSettings(enabled=False))
    assert isinstance(stamps[0], FaceTagStamp) and stamps[0].watch is None
    assert stamps[1].faces is None  # type: ignore[attr-defined]


def test_asynchronous_watch_finds_and_follows(face_model: FaceModel, head: BGRImage) -> None:
    session = Session(SIZE, FPS)
    tag = FaceTagStamp(session, FaceWatch(face_model, every=2, asynchronous=True))
    seen = 0
    for k in range(40):
        x, y = 300 + 3 * k, 150
        tag.apply(Frame(paste(head, x, y), k, time.monotonic()))
        seen += bool(tag.last_tags)
        time.sleep(0.01)
    assert seen >= 25
    assert abs(tag.faces()[0][0] - (x + 90)) < 40
    tag.close()


def test_a_failing_detector_warns_and_the_frames_go_on(
    face_model: FaceModel, head: BGRImage, caplog: pytest.LogCaptureFixture
) -> None:
    from unittest import mock

    session = Session(SIZE, FPS)
    watch = FaceWatch(face_model, every=1)
    tag = FaceTagStamp(session, watch)
    chain = StampChain(session, [tag])
    with (
        mock.patch.object(watch.detector, "detect", side_effect=RuntimeError("boom")),
        caplog.at_level(logging.WARNING, logger="overlay.faces"),
    ):
        for k in range(5):
            stamped = chain.apply(Frame(paste(head, 500, 200), k, k / FPS))
            assert not stamped.slate
    assert watch.failures >= 5
    assert sum("face detection failed" in r.getMessage() for r in caplog.records) == 1
    # and once it works again, the face is found
    for k in range(5, 12):
        chain.apply(Frame(paste(head, 500, 200), k, k / FPS))
    assert len(tag.faces()) == 1
    tag.close()


def test_broken_mediapipe_warns_once_and_the_pipeline_works(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import overlay.faces.watch as watch_mod

    def broken(*args: object, **kwargs: object) -> None:
        raise ImportError("libGL.so.1: cannot open shared object file")

    monkeypatch.setattr(faces_pkg, "_warned", set())
    monkeypatch.setattr(watch_mod, "FaceWatch", broken)
    session = Session((640, 360), FPS)
    with caplog.at_level(logging.WARNING, logger="overlay.faces"):
        for _ in range(2):
            with Pipeline(
                SyntheticSource((640, 360), FPS),
                [MemorySink((640, 360))],
                session=session,
                faces=FaceSettings(),
            ) as p:
                assert p.step() is not None
    msgs = [r.getMessage() for r in caplog.records if "unavailable" in r.getMessage()]
    assert len(msgs) == 1 and "libGL" in msgs[0]
