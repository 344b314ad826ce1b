"""MediaPipe's FaceLandmarker: blendshapes and head pose of the most prominent face."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from overlay.faces.detector import close_at_exit, import_mediapipe, quiet_stderr
from overlay.faces.models import FaceModel
from overlay.frames import BGRImage

__all__ = ["FaceLandmarker", "FaceReading", "euler_from_matrix"]


def euler_from_matrix(matrix: npt.NDArray[np.float64]) -> tuple[float, float, float]:
    """(yaw, pitch, roll) in radians from a facial transformation matrix.

    Signs as seen in the image: yaw > 0 turns the face towards the image's right, pitch > 0
    tilts it up, roll > 0 tilts it counter-clockwise.
    """
    r = matrix[:3, :3]
    pitch = math.atan2(r[2, 1], r[2, 2])
    yaw = math.asin(max(-1.0, min(1.0, -r[2, 0])))
    roll = math.atan2(r[1, 0], r[0, 0])
    return yaw, pitch, roll


@dataclass(frozen=True, slots=True)
class FaceReading:
    """What the landmarker saw on one face.

    Attributes:
        blendshapes: MediaPipe's 52 ARKit-style scores (0-1), e.g. ``jawOpen``.
        matrix: the 4x4 facial transformation matrix (canonical face -> camera).
    """

    blendshapes: dict[str, float]
    matrix: npt.NDArray[np.float64]

    @property
    def pose(self) -> tuple[float, float, float]:
        """(yaw, pitch, roll) in radians; see :func:`euler_from_matrix`."""
        return euler_from_matrix(self.matrix)


class FaceLandmarker:
    """Reads one face's blendshapes and pose.

    Args:
        model: the resolved bundle.
        video: use MediaPipe's VIDEO mode (tracks the face between frames, much cheaper
            than detecting it again; timestamps must increase).
        width: frames wider than this are scaled down first.
    """

    def __init__(self, model: FaceModel, *, video: bool = True, width: int = 640) -> None:
        import_mediapipe()
        from mediapipe.tasks.python import BaseOptions, vision

        self.video = video
        self.width = width
        options = vision.FaceLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(model.path)),
            running_mode=vision.RunningMode.VIDEO if video else vision.RunningMode.IMAGE,
            num_faces=1,
            output_face_blendshapes=True,
            output_facial_transformation_matrixes=True,
        )
        with quiet_stderr():
            self._task: Any = vision.FaceLandmarker.create_from_options(options)
        close_at_exit(self._task)
        self._last_ms = -1
        self._first = True

    def read(self, image: BGRImage, timestamp_ms: int = 0) -> FaceReading | None:
        """The face in a BGR image, or None when there is none."""
        import mediapipe as mp

        if self._task is None:
            return None
        h, w = image.shape[:2]
        if w > self.width:
            small = cv2.resize(
                image, (self.width, round(h * self.width / w)), interpolation=cv2.INTER_AREA
            )
            rgb = cv2.cvtColor(small, cv2.COLOR_BGR2RGB)
        else:
            rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        mp_image = mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb)
        with quiet_stderr() if self._first else _nothing():
            if self.video:
                ts = max(int(timestamp_ms), self._last_ms + 1)
                self._last_ms = ts
                result = self._task.detect_for_video(mp_image, ts)
            else:
                result = self._task.detect(mp_image)
        self._first = False
        if not result.face_blendshapes:
            return None
        shapes = {c.category_name: float(c.score) for c in result.face_blendshapes[0]}
        matrix = np.asarray(result.facial_transformation_matrixes[0], np.float64)
        return FaceReading(shapes, matrix)

    def close(self) -> None:
        """Release the model. Idempotent."""
        if self._task is not None:
            with quiet_stderr():
                self._task.close()
            self._task = None


class _nothing:  # noqa: N801 - a tiny null context manager
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None
