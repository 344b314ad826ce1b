"""The hand-off to the window: the newest stamped frame to the GUI thread, never a queue.

(The window paints it in its preview, :mod:`overlay.app.view`.)

The pipeline reuses its output buffer, so the sink copies each frame into a back buffer
and swaps it with the front one under a lock. The GUI copies the front buffer when it
gets round to it; frames it did not get round to are replaced, not queued, so a slow or
busy window costs the stream nothing and memory stays flat.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np

from overlay.frames import BGRImage, StampedFrame
from overlay.sinks.base import BaseSink

__all__ = ["LatestFrameSink"]


class LatestFrameSink(BaseSink):
    """Keeps only the newest stamped frame for the window.

    Args:
        size: output (width, height).
        notify: called from the pipeline thread when a frame arrives and the previous
            notification has been consumed (at most one pending at a time).
    """

    spec = "app preview"
    scope = "local"
    delivery = "newest"

    def __init__(self, size: tuple[int, int], notify: Callable[[], None] | None = None) -> None:
        super().__init__(size)
        w, h = size
        self._back: BGRImage = np.zeros((h, w, 3), np.uint8)
        self._front: BGRImage = np.zeros((h, w, 3), np.uint8)
        self._lock = threading.Lock()
        self._fresh = False
        self._pending = False
        self.notify = notify
        #: Frames received from the pipeline.
        self.received = 0
        #: Frames the GUI took.
        self.taken = 0
        #: Whether the newest frame is the slate (the source paused or failed).
        self.slate = False

    @property
    def shape(self) -> tuple[int, int, int]:
        h, w, c = self._back.shape
        return h, w, c

    def _send(self, frame: StampedFrame) -> None:
        np.copyto(self._back, frame.image)
        with self._lock:
            self._back, self._front = self._front, self._back
            self._fresh = True
            self.slate = frame.slate
            self.received += 1
            ring = not self._pending
            self._pending = True
        if ring and self.notify is not None:
            self.notify()

    def take_into(self, out: BGRImage) -> bool:
        """Copy the newest frame into ``out`` (GUI thread); False if none arrived since."""
        with self._lock:
            self._pending = False
            if not self._fresh:
                return False
            np.copyto(out, self._front)
            self._fresh = False
            self.taken += 1
            return True
