"""The avatar source: rendering responds to the pose, the idle animation is lively, a real
face (the astronaut) drives it through the real FaceLandmarker."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from overlay.errors import ConfigError, SourceError
from overlay.faces import FaceModel, FaceSettings
from overlay.frames import BGRImage
from overlay.pipeline import Pipeline
from overlay.session import Session
from overlay.sinks.memory import MemorySink
from overlay.sources import SourceOptions, open_source
from overlay.sources.avatar import (
    AvatarPose,
    AvatarRenderer,
    AvatarSource,
    IdleAnimation,
    pose_from_reading,
    still_pose,
)
from overlay.sources.base import BaseSource, SourceMode
from overlay.stamps import FaceTagStamp

SIZE = (640, 360)


@pytest.fixture(scope="module")
def renderer() -> AvatarRenderer:
    return AvatarRenderer(SIZE)


def _head_frame(r: AvatarRenderer) -> tuple[int, int, float]:
    """The head's centre and unit in pixels for a neutral pose."""
    w, h = r.size
    return w // 2, round(h * 0.5), r.unit


def _mouth(img: BGRImage, r: AvatarRenderer) -> BGRImage:
    cx, cy, u = _head_frame(r)
    return img[
        round(cy + 0.3 * u) : round(cy + 0.95 * u), round(cx - 0.4 * u) : round(cx + 0.4 * u)
    ]


def _eye(img: BGRImage, r: AvatarRenderer, side: int) -> BGRImage:
    cx, cy, u = _head_frame(r)
    ex = cx + side * 0.33 * u
    return img[
        round(cy - 0.2 * u) : round(cy + 0.1 * u), round(ex - 0.22 * u) : round(ex + 0.22 * u)
    ]


def _dark_red(region: BGRImage) -> int:
    b, g, rr = (region[..., i].astype(int) for i in range(3))
    return int(np.count_nonzero((rr > 90) & (rr < 160) & (g < 60) & (b < 70)))


def _white(region: BGRImage) -> int:
    return int(np.count_nonzero(region.min(axis=2) > 230))


def test_jaw_open_opens_the_mouth(renderer: AvatarRenderer) -> None:
    closed = renderer.render(still_pose(jaw=0.0))
    opened = renderer.render(still_pose(jaw=0.8))
    assert _dark_red(_mouth(closed, renderer)) == 0
    assert _dark_red(_mouth(opened, renderer)) > 200
    # only the mouth and chin change
    diff = np.any(closed != opened, axis=2)
    ys = np.nonzero(diff)[0]
    cy = _head_frame(renderer)[1]
    assert ys.min() >= cy  # eyes and brows (above the centre) do not move


def test_same_pose_same_pixels(renderer: AvatarRenderer) -> None:
    a = renderer.render(still_pose(jaw=0.3, smile=0.5))
    b = renderer.render(still_pose(jaw=0.3, smile=0.5))
    assert np.array_equal(a, b)


def test_blink_closes_that_eye_only(renderer: AvatarRenderer) -> None:
    open_ = renderer.render(still_pose())
    left_shut = renderer.render(still_pose(blink_left=1.0))
    # the avatar's left eye is on the image's right (side +1)
    assert _white(_eye(open_, renderer, +1)) > 100
    assert _white(_eye(left_shut, renderer, +1)) == 0
    assert np.array_equal(_eye(left_shut, renderer, -1), _eye(open_, renderer, -1))


def test_smile_lifts_the_mouth_corners(renderer: AvatarRenderer) -> None:
    flat = renderer.render(still_pose(smile=0.0))
    smile = renderer.render(still_pose(smile=1.0))
    assert not np.array_equal(_mouth(flat, renderer), _mouth(smile, renderer))


def test_roll_tilts_the_head(renderer: AvatarRenderer) -> None:
    def eye_heights(img: BGRImage) -> tuple[float, float]:
        mask = img.min(axis=2) > 230  # sclera
        ys, xs = np.nonzero(mask)
        mid = renderer.size[0] / 2
        return float(ys[xs < mid].mean()), float(ys[xs >= mid].mean())

    left, right = eye_heights(renderer.render(still_pose(roll=0.3)))
    assert right < left - 5  # counter-clockwise: the image-right eye rises
    left, right = eye_heights(renderer.render(still_pose()))
    assert abs(right - left) < 1


def test_blendshapes_map_to_the_pose() -> None:
    pose = pose_from_reading(
        {"jawOpen": 0.6, "eyeBlinkLeft": 0.9, "mouthSmileLeft": 0.8, "mouthSmileRight": 0.8}
    )
    assert pose.jaw > 0.6 and pose.blink_left == 1.0 and pose.blink_right == 0.0
    assert pose.smile > 0.8
    assert pose_from_reading({}) == AvatarPose()


def test_idle_animation_is_lively_and_repeatable() -> None:
    a, b = AvatarSource(SIZE, 30.0), AvatarSource(SIZE, 30.0)
    poses = []
    for _ in range(180):  # 6 s
        fa, fb = a.read(), b.read()
        assert fa is not None and fb is not None
        poses.append(a.pose)
        if fa.index in (0, 90, 179):
            assert np.array_equal(fa.image, fb.image)
    assert max(p.jaw for p in poses) > 0.4  # talks
    assert min(p.jaw for p in poses) < 0.05  # and pauses
    assert max(p.blink_left for p in poses) > 0.9  # blinks
    assert np.ptp([p.yaw for p in poses]) > 0.2  # moves its head
    assert np.ptp([p.gaze_x for p in poses]) > 0.3  # glances
    assert a.origin == "synthetic" and a.mode is SourceMode.ON_DEMAND
    # the same pose for a time whether reached frame by frame or asked for directly
    assert IdleAnimation().pose(179 / 30.0) == poses[-1]


def test_spec_names_the_avatar_and_its_driver() -> None:
    idle = open_source("avatar", SourceOptions(size=SIZE))
    assert isinstance(idle, AvatarSource) and idle.driver is None
    driven = open_source("avatar:synthetic", SourceOptions(size=SIZE))
    assert isinstance(driven, AvatarSource) and driven.driver is not None
    assert driven.spec == "avatar:synthetic" and driven.origin == "synthetic"
    with pytest.raises(ConfigError, match="avatar:webcam"):
        open_source("avatar:avatar", SourceOptions(size=SIZE))


def test_likeness_tints_the_avatar(tmp_path: Path, renderer: AvatarRenderer) -> None:
    photo = np.zeros((200, 200, 3), np.uint8)
    photo[:] = (40, 90, 160)  # brown skin
    photo[:30] = (10, 10, 10)  # black hair
    path = tmp_path / "me.png"
    cv2.imwrite(str(path), photo)
    src = AvatarSource(SIZE, 30.0, likeness=str(path))
    assert src.likeness == str(path)
    assert src.renderer.palette.skin == (40, 90, 160)
    assert src.renderer.palette.hair == (10, 10, 10)
    plain = AvatarSource(SIZE, 30.0)
    assert plain.renderer.palette.skin != (40, 90, 160)


def test_unreadable_likeness_is_one_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "not-an-image.png"
    bad.write_text("hello")
    with pytest.raises(SourceError, match="likeness image"):
        AvatarSource(SIZE, 30.0, likeness=str(bad))


class _Stills(BaseSource):
    """A source showing given pictures in turn (a stand-in camera with real photos)."""

    mode = SourceMode.QUEUED

    def __init__(self, images: list[BGRImage]) -> None:
        super().__init__()
        self.spec = "stills"
        self.images = images

    def _read(self) -> BGRImage | None:
        return self.images[self._index % len(self.images)]


def _astronaut(angle: float = 0.0) -> BGRImage:
    from skimage import data

    a = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    m = cv2.getRotationMatrix2D((224, 130), angle, 1.0)  # > 0: counter-clockwise
    return cv2.warpAffine(a, m, (512, 512))  # type: ignore[return-value]


@pytest.mark.parametrize("angle", [20.0, -20.0])
def test_a_real_face_drives_the_avatar(face_model: FaceModel, angle: float) -> None:
    src = AvatarSource(SIZE, 30.0, driver=_Stills([_astronaut(angle)]))
    with src:
        for _ in range(12):
            assert src.read() is not None
    pose = src.pose
    assert pose.smile > 0.5  # she smiles
    assert pose.roll * np.sign(angle) > 0.2  # the avatar tilts the same way
    assert pose.blink_left < 0.3 and pose.blink_right < 0.3


def test_no_face_in_the_driver_plays_the_idle_animation(face_model: FaceModel) -> None:
    grey = np.full((360, 640, 3), 120, np.uint8)
    driven = AvatarSource(SIZE, 30.0, driver=_Stills([grey]))
    idle = AvatarSource(SIZE, 30.0)
    with driven:
        for _ in range(10):
            fd, fi = driven.read(), idle.read()
            assert fd is not None and fi is not None
            assert np.array_equal(fd.image, fi.image)


def test_the_avatar_is_disclosed_with_a_tag_on_its_face() -> None:
    session = Session((1280, 720), 30.0)
    sink = MemorySink((1280, 720))
    with Pipeline(
        AvatarSource((1280, 720), 30.0), [sink], session=session, faces=FaceSettings()
    ) as p:
        for _ in range(6):
            p.step()
    tag = p.chain.stamps[0]
    assert isinstance(tag, FaceTagStamp)
    assert len(tag.faces()) == 1 and len(tag.last_tags) == 1
    x0, _, x1, _ = tag.faces()[0]
    assert 450 < (x0 + x1) / 2 < 830  # the avatar's face, mid-frame
    tag.close()
