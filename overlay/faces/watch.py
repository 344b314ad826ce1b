"""Which faces are in the frame now: detection every Nth frame, tracking in between."""

from __future__ import annotations

import logging
import threading
import weakref

from overlay.faces.detector import FaceDetector, Region, roi_around, square_tiles
from overlay.faces.models import FaceModel
from overlay.faces.tracker import Box, FaceTracker
from overlay.frames import BGRImage, Frame

__all__ = ["FaceWatch"]

log = logging.getLogger(__name__)


def _whole(boxes: list[Box], region: Region, size: tuple[int, int]) -> list[Box]:
    """The boxes not cut by an inner edge of a tile (the neighbouring tile sees those whole)."""
    w, h = size
    x, y, side = region
    left, top = x + 2 if x > 0 else -1e9, y + 2 if y > 0 else -1e9
    right = x + side - 2 if x + side < w else 1e9
    bottom = y + side - 2 if y + side < h else 1e9
    return [b for b in boxes if b[0] > left and b[1] > top and b[2] < right and b[3] < bottom]


class _Worker:
    """One detection at a time on a thread; the caller never waits for the detector."""

    def __init__(self, detector: FaceDetector) -> None:
        self.detector = detector
        self.size = (0, 0)
        self.failures = 0
        self._cond = threading.Condition()
        self._job: tuple[float, BGRImage, Region, bool] | None = None
        self._result: tuple[float, list[Box], Region, bool] | None = None
        self._busy = False
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="overlay-faces", daemon=True)
        self._thread.start()

    def idle(self) -> bool:
        with self._cond:
            return not self._busy

    def submit(self, t: float, rgb: BGRImage, region: Region, scan: bool) -> None:
        with self._cond:
            self._job = (t, rgb, region, scan)
            self._busy = True
            self._cond.notify()

    def take(self) -> tuple[float, list[Box], Region, bool] | None:
        with self._cond:
            result, self._result = self._result, None
            return result

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._job is None and not self._stop:
                    self._cond.wait()
                if self._stop:
                    return
                assert self._job is not None
                t, rgb, region, scan = self._job
                self._job = None
            try:
                boxes = self.detector.detect_crop(rgb, region)
            except Exception as exc:  # keep the last tracks; a bad frame must not kill it
                self.failures += 1
                if self.failures == 1 or self.failures % 1000 == 0:
                    log.warning("face detection failed (%d so far): %s", self.failures, exc)
                boxes = []
            with self._cond:
                self._result = (
                    t,
                    _whole(boxes, region, self.size) if scan else boxes,
                    region,
                    scan,
                )
                self._busy = False

    def stop(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify()
        self._thread.join(timeout=2.0)


class FaceWatch:
    """Keeps the boxes of the faces in the frames it is shown.

    Every ``every``-th frame runs one detection, on one square: a region around a tracked
    face (precise; the faces take turns), or, every ``scan_every``-th round and whenever no
    face is tracked, one tile of the whole frame (finds new faces). Between detections the
    tracker predicts, so the boxes move on every frame.

    Args:
        model: the resolved face model.
        every: detect on every ``every``-th frame; track in between.
        scan_every: one round in this many scans the whole frame for new faces.
        asynchronous: detect on a worker thread (results land a frame or two later,
            at the time of the frame they were made on); False: detect inline, so a
            frame's boxes depend only on the frames before it (tests).
        min_score: detector confidence threshold.
    """

    def __init__(
        self,
        model: FaceModel,
        *,
        every: int = 3,
        scan_every: int = 4,
        asynchronous: bool = False,
        min_score: float = 0.5,
    ) -> None:
        self.every = max(1, every)
        self.scan_every = max(1, scan_every)
        self.detector = FaceDetector(model, min_score=min_score)
        self._round = 0
        self._tile = 0
        self._face_turn = 0
        self.tracker = FaceTracker()
        self._worker = _Worker(self.detector) if asynchronous else None
        self._last_index: int | None = None
        self._last_t: float | None = None
        self._boxes: list[Box] = []
        self.detections = 0
        self.failures = 0
        if self._worker is not None:
            weakref.finalize(self, self._worker.stop)

    def update(self, frame: Frame) -> list[Box]:
        """Look at ``frame`` (detecting if due) and return the face boxes at its time."""
        t = frame.timestamp
        due = (
            self._last_index is None
            or frame.index - self._last_index >= self.every
            or frame.index < self._last_index
        ) and t != self._last_t  # a repeated frame shows nothing new
        worker = self._worker
        if worker is not None:
            result = worker.take()
            if result is not None:
                t_k, boxes, region, scan = result
                self.tracker.update(t_k, boxes, region, scan=scan)
            if due and worker.idle():
                region, scan = self._next_region(frame)
                worker.size = (frame.image.shape[1], frame.image.shape[0])
                worker.submit(t, self.detector.crop(frame.image, region), region, scan)
                self._mark(frame)
        elif due:
            size = (frame.image.shape[1], frame.image.shape[0])
            if self._last_index is None:  # the first frame: every tile at once
                jobs = [(tile, True) for tile in square_tiles(size)]
            else:
                jobs = [self._next_region(frame)]
            self._mark(frame)
            for region, scan in jobs:
                try:
                    boxes = self.detector.detect(frame.image, region)
                except Exception as exc:
                    # The tag is an extra: a detector fault must not turn the video into
                    # the slate (the banner and mark still disclose every frame).
                    self.failures += 1
                    if self.failures == 1 or self.failures % 1000 == 0:
                        log.warning("face detection failed (%d so far): %s", self.failures, exc)
                    continue
                self.tracker.update(
                    t, _whole(boxes, region, size) if scan else boxes, region, scan=scan
                )
        self._boxes = self.tracker.boxes(t)
        return self._boxes

    def _next_region(self, frame: Frame) -> tuple[Region, bool]:
        h, w = frame.image.shape[:2]
        tracks = self.tracker.tracks
        self._round += 1
        if not tracks or self._round % self.scan_every == 0:
            tiles = square_tiles((w, h))
            self._tile = (self._tile + 1) % len(tiles)
            return tiles[self._tile - 1], True
        self._face_turn = (self._face_turn + 1) % len(tracks)
        box = self.tracker.boxes(frame.timestamp)[self._face_turn - 1]
        return roi_around(box, (w, h)), False

    def _mark(self, frame: Frame) -> None:
        self._last_index = frame.index
        self._last_t = frame.timestamp
        self.detections += 1

    @property
    def boxes(self) -> list[Box]:
        """The face boxes at the last frame's time."""
        return self._boxes

    def close(self) -> None:
        """Stop the worker and release the model. Idempotent."""
        if self._worker is not None:
            self._worker.stop()
            self._worker = None
        self.detector.close()
