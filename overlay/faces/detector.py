"""MediaPipe's BlazeFace detector on a reduced copy of the frame (the only mediapipe user
besides the landmarker)."""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import sys
import threading
import weakref
from collections.abc import Iterator
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from overlay.faces.models import FaceModel
from overlay.faces.tracker import Box
from overlay.frames import BGRImage, as_bgr

__all__ = ["FaceDetector", "import_mediapipe"]

log = logging.getLogger(__name__)


def import_mediapipe() -> object:
    """Import the parts of mediapipe overlay uses, C++ logging turned down, telemetry
    blocked (see :mod:`overlay.faces.offline`)."""
    from overlay.faces.offline import load_mediapipe

    return load_mediapipe()


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """Silence file descriptor 2 for a moment: MediaPipe's C++ side prints INFO and
    warning lines there when a model loads, on its first run and when it closes."""
    if os.environ.get("OVERLAY_MEDIAPIPE_LOGS"):
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real stderr (embedded, pytest capture): nothing to do
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _close_quietly(ref: weakref.ReferenceType[object]) -> None:
    task = ref()
    if task is not None:
        try:
            with quiet_stderr():
                task.close()  # type: ignore[attr-defined]
        except Exception as exc:  # pragma: no cover - shutdown order
            log.debug("closing a mediapipe task: %s", exc)


def close_at_exit(task: object) -> None:
    """Close a mediapipe task before interpreter teardown (its __del__ fails after it).

    The task calls through a thread pool that ``concurrent.futures`` shuts down in
    threading's exit hooks, before ``atexit`` handlers run; so register there when possible.
    """
    hook = getattr(threading, "_register_atexit", None)
    ref = weakref.ref(task)
    if hook is not None:
        try:
            hook(_close_quietly, ref)
            return
        except RuntimeError:  # already shutting down
            pass
    atexit.register(_close_quietly, ref)


#: BlazeFace short range takes 128x128 pixels; crops are resized straight to it.
INPUT = 128
#: (x, y, side) of a square region of a frame, in its pixels.
Region = tuple[int, int, int]


def square_tiles(size: tuple[int, int]) -> list[Region]:
    """Square tiles covering a frame, overlapping by at least half a tile.

    The overlap keeps every face up to half a tile wide whole in some tile (a tile's
    edge cuts faces, and a cut face is not trusted).
    """
    w, h = size
    side = min(w, h)
    n = 1 + -(-2 * (max(w, h) - side) // side)  # ceil: steps of at most half a tile
    if n == 1:
        return [(0, 0, side)]
    span = max(w, h) - side
    starts = [round(i * span / (n - 1)) for i in range(n)]
    return [(s, 0, side) if w >= h else (0, s, side) for s in starts]


def roi_around(box: Box, size: tuple[int, int], zoom: float = 2.2) -> Region:
    """A square region ``zoom`` times the face's size, centred on it, inside the frame."""
    w, h = size
    x0, y0, x1, y1 = box
    side = round(min(max(x1 - x0, y1 - y0) * zoom, w, h))
    side = max(side, min(INPUT, w, h))
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    x = round(min(max(cx - side / 2, 0), w - side))
    y = round(min(max(cy - side / 2, 0), h - side))
    return (x, y, side)


class FaceDetector:
    """Finds faces with BlazeFace (short range) in square regions of a frame.

    The model sees 128x128 pixels: on a whole 720p tile a face needs about 100 px to be
    found; a region around a tracked face (see :func:`roi_around`) gives precise boxes.

    Args:
        model: the resolved bundle (the detector is read from inside it).
        min_score: detections below this confidence are dropped.
    """

    def __init__(self, model: FaceModel, *, min_score: float = 0.5) -> None:
        import_mediapipe()
        import mediapipe as mp
        from mediapipe.tasks.python import BaseOptions, vision

        options = vision.FaceDetectorOptions(
            base_options=BaseOptions(model_asset_buffer=model.detector_bytes()),
            running_mode=vision.RunningMode.IMAGE,
            min_detection_confidence=min_score,
        )
        with quiet_stderr():
            self._task: Any = vision.FaceDetector.create_from_options(options)
            # the first run prints a memory-alignment warning: run it here, silenced
            blank = np.zeros((INPUT, INPUT, 3), np.uint8)
            self._task.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=blank))
        close_at_exit(self._task)

    @staticmethod
    def crop(image: BGRImage, region: Region) -> BGRImage:
        """A new 128x128 RGB copy of ``region`` (one area resize, one colour swap)."""
        x, y, side = region
        part: npt.NDArray[np.uint8] = image[y : y + side, x : x + side]
        if side > 2 * INPUT:
            # INTER_AREA at a fractional ratio costs ~1.5 ms on a 720 px square; bilinear to
            # twice the size, then an exact 2:1 area step, costs a fraction of that and
            # still averages enough pixels not to alias
            part = as_bgr(cv2.resize(part, (2 * INPUT, 2 * INPUT), interpolation=cv2.INTER_LINEAR))
        small = cv2.resize(part, (INPUT, INPUT), interpolation=cv2.INTER_AREA)
        cv2.cvtColor(small, cv2.COLOR_BGR2RGB, dst=small)
        return small  # type: ignore[return-value]

    def detect_crop(self, rgb: BGRImage, region: Region) -> list[Box]:
        """Detect on an image made by :meth:`crop`; boxes in the frame's pixels."""
        import mediapipe as mp

        if self._task is None:
            return []
        x, y, side = region
        k = side / INPUT
        result = self._task.detect(
            mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        )
        boxes: list[Box] = []
        for d in result.detections:
            b = d.bounding_box
            boxes.append(
                (
                    x + b.origin_x * k,
                    y + b.origin_y * k,
                    x + (b.origin_x + b.width) * k,
                    y + (b.origin_y + b.height) * k,
                )
            )
        return boxes

    def detect(self, image: BGRImage, region: Region | None = None) -> list[Box]:
        """Faces in ``region`` of a BGR frame (default: every tile), in frame pixels."""
        h, w = image.shape[:2]
        regions = [region] if region is not None else square_tiles((w, h))
        boxes: list[Box] = []
        for r in regions:
            for b in self.detect_crop(self.crop(image, r), r):
                cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
                # overlapping tiles see a face twice: keep the first
                if not any(k[0] <= cx <= k[2] and k[1] <= cy <= k[3] for k in boxes):
                    boxes.append(b)
        return boxes

    def close(self) -> None:
        """Release the model. Idempotent."""
        if self._task is not None:
            with quiet_stderr():
                self._task.close()
            self._task = None
