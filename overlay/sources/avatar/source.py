"""The avatar as a source: idle, or following the face in another source."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import cv2

from overlay.errors import ConfigError
from overlay.frames import BGRImage, as_bgr
from overlay.images import read_image
from overlay.sources.avatar.pose import AvatarPose, IdleAnimation, pose_from_reading
from overlay.sources.avatar.render import AvatarRenderer, palette_from_image
from overlay.sources.base import BaseSource, FrameSource, SourceMode, SourceOptions

if TYPE_CHECKING:
    from overlay.faces.landmarker import FaceLandmarker, FaceReading

__all__ = ["AvatarSource"]

log = logging.getLogger(__name__)


class AvatarSource(BaseSource):
    """The avatar as a source.

    Args:
        size: (width, height) of the frames.
        fps: frame rate (the idle animation's clock).
        driver: a source whose face drives the avatar; None plays the idle animation.
        likeness: a picture whose colours tint the avatar (consent rules apply upstream).
        model: an explicit face model path for the driver.
    """

    origin = "synthetic"

    def __init__(
        self,
        size: tuple[int, int] = (1280, 720),
        fps: float = 30.0,
        *,
        driver: FrameSource | None = None,
        likeness: str | None = None,
        model: str | None = None,
    ) -> None:
        super().__init__()
        self.size = size
        self.fps = fps
        self.driver = driver
        self.likeness = likeness
        self.model = model
        self.spec = "avatar" + (f":{driver.spec}" if driver is not None else "")
        # the idle animation is drawn when asked; a driven one keeps its driver's pace
        self.mode = SourceMode.ON_DEMAND if driver is None else driver.mode
        palette = None
        if likeness is not None:
            picture = read_image(likeness, "likeness image", cv2.IMREAD_COLOR)
            palette = palette_from_image(as_bgr(picture))
        self.renderer = AvatarRenderer(size, palette)
        self.idle = IdleAnimation()
        self._landmarker: FaceLandmarker | None = None
        self._pose = AvatarPose()
        self._face_weight = 0.0
        self._neutral: tuple[float, float] | None = None
        #: The last pose rendered.
        self.pose = AvatarPose()

    @classmethod
    def from_spec(cls, arg: str | None, options: SourceOptions) -> AvatarSource:
        driver = None
        if arg:
            from overlay.sources import open_source

            if arg.partition(":")[0].strip().lower() == "avatar":
                raise ConfigError(
                    "--source avatar:avatar makes no sense; drive it with e.g. avatar:webcam:0"
                )
            driver = open_source(arg, options)
        return cls(
            options.size,
            options.fps,
            driver=driver,
            likeness=options.likeness,
            model=options.face_model,
        )

    def _open(self) -> None:
        if self.driver is None:
            return
        from overlay.faces import default_model

        model = default_model(self.model)
        if model is None:
            log.warning(
                "the avatar plays its idle animation: no face model to follow %s", self.driver.spec
            )
            self.driver = None
            return
        from overlay.faces.landmarker import FaceLandmarker

        self.driver.open()
        self._landmarker = FaceLandmarker(model, video=True)

    def _close(self) -> None:
        if self.driver is not None:
            self.driver.close()
        if self._landmarker is not None:
            self._landmarker.close()
            self._landmarker = None

    def _read(self) -> BGRImage | None:
        t = self._index / self.fps
        idle = self.idle.pose(t)
        if self.driver is None or self._landmarker is None:
            pose = idle
        else:
            frame = self.driver.read()
            if frame is None:
                return None
            reading = self._landmarker.read(frame.image, round(frame.timestamp * 1000))
            pose = self._follow(reading, idle)
        self.pose = pose
        return self.renderer.render(pose)

    def _follow(self, reading: FaceReading | None, idle: AvatarPose) -> AvatarPose:
        # With a face: follow it (lightly smoothed against landmark jitter). Without one:
        # ease back into the idle animation over about half a second.
        if reading is not None:
            yaw, pitch, roll = reading.pose
            # The camera is rarely straight ahead: pose is relative to a slow neutral.
            if self._neutral is None:
                self._neutral = (yaw, pitch)
            ny, np_ = self._neutral
            self._neutral = (ny + (yaw - ny) * 0.01, np_ + (pitch - np_) * 0.01)
            target = pose_from_reading(reading.blendshapes, yaw - ny, pitch - np_, roll)
            self._pose = self._pose.mix(target, 0.6)
            self._face_weight = min(1.0, self._face_weight + 0.25)
        else:
            self._face_weight = max(0.0, self._face_weight - 0.07)
        return idle.mix(self._pose, self._face_weight)
