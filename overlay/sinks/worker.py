"""Sinks on their own threads: one sink's slowness or error never reaches another.

During ``Pipeline.run()`` every sink gets a :class:`SinkWorker`: a thread and a queue. The
pipeline copies each stamped frame once into a pooled buffer (:class:`SharedFrame`) and
offers it to every worker; the buffer returns to the pool when the last worker is done.

- A ``queue`` sink (recordings, any sink of the caller's) has a bounded queue of up to
  two seconds. When it is full the frame is dropped (counted, and told to a
  :class:`~overlay.sinks.base.DropListener`); an ``every`` sink (one that must see every
  frame: the frame log) makes the pipeline wait instead.
- A ``newest`` sink (a virtual camera, a preview) has a one-frame mailbox: its thread
  sends the newest frame as soon as it is offered, so the output gets each frame at once;
  a frame still waiting when the next one arrives is stale and is replaced (counted as
  dropped). A ``newest`` sink that takes longer than a frame period shows fewer frames; no
  other sink waits for it.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable

import numpy as np

from overlay.frames import BGRImage, StampedFrame
from overlay.sinks.base import DropListener, FrameSink

__all__ = ["FramePool", "SharedFrame", "SinkWorker", "queue_frames"]

log = logging.getLogger(__name__)

#: Seconds of frames a recording's queue holds: x264 at 720p needs 10-15 ms of CPU per
#: frame, but on a busy machine its thread can wait more than a second for a core (the
#: soak saw bursts of 15-17 drops with a one-second queue at load average 11 on 2 vCPUs).
QUEUE_SECONDS = 2.0
#: The memory one worker's queue may hold (frames of the output size): 2 s at 720p, 1 s
#: at 1080p. Buffers are made only when the queue is that deep.
QUEUE_BYTES = 192 * 1024 * 1024


def queue_frames(size: tuple[int, int], fps: float) -> int:
    """How many frames a worker's queue holds: QUEUE_SECONDS, within QUEUE_BYTES."""
    w, h = size
    by_memory = QUEUE_BYTES // max(1, w * h * 3)
    return int(max(4, min(round(fps * QUEUE_SECONDS), by_memory)))


# Sink threads keep the process's priority. They ran at niceness +10 before; under load
# from other processes that starved the encoder (a 720p recording dropped a third of its
# frames at load average 5) while giving the pipeline thread almost nothing: CFS shares
# a core among all runnable threads, so a niced encoder loses its share to the other
# processes, not to the frame's path.


class FramePool:
    """Output-sized buffers, made on demand and reused (no full-frame allocation per frame)."""

    def __init__(self, shape: tuple[int, int, int]) -> None:
        self._shape = shape
        self._free: list[BGRImage] = []
        self._lock = threading.Lock()
        self.made = 0

    def take(self) -> BGRImage:
        with self._lock:
            if self._free:
                return self._free.pop()
            self.made += 1
        return np.empty(self._shape, np.uint8)

    def give(self, buffer: BGRImage) -> None:
        with self._lock:
            self._free.append(buffer)


class SharedFrame:
    """One copy of a stamped frame, shared by the workers it was offered to."""

    __slots__ = ("_lock", "_pool", "_users", "frame", "ready")

    def __init__(self, frame: StampedFrame, pool: FramePool) -> None:
        self.frame = frame.copy_into(pool.take())
        #: When the copy was ready (perf_counter): a live sink's wait is measured from it.
        self.ready = time.perf_counter()
        self._pool = pool
        self._users = 1  # the pipeline's own hold, released after offering
        self._lock = threading.Lock()

    def hold(self) -> None:
        with self._lock:
            self._users += 1

    def release(self) -> None:
        with self._lock:
            self._users -= 1
            done = self._users == 0
        if done:
            self._pool.give(self.frame.image)


class SinkWorker:
    """Sends frames to one sink on its own thread, through a bounded queue.

    Args:
        sink: the sink.
        name: its name in the statistics.
        capacity: frames the queue holds (1 for a ``latest`` mailbox).
        record: called with (stage name, ms) for each frame sent.
        on_error: called once, from the worker thread, when the sink raises.
        block: never drop: a full queue makes ``offer`` wait (unpaced runs, where no one
            waits for the output, and sinks whose ``delivery`` is ``every``).
        latest: a ``newest`` sink's mailbox: a full queue gives up its oldest frame (stale,
            counted as dropped) for the new one, so the sink always gets the newest frame.
    """

    def __init__(
        self,
        sink: FrameSink,
        name: str,
        capacity: int,
        record: Callable[[str, float], None],
        on_error: Callable[[FrameSink, BaseException], None],
        *,
        block: bool = False,
        latest: bool = False,
    ) -> None:
        self.sink = sink
        self.name = name
        self.capacity = max(1, capacity)
        self.block = block or sink.delivery == "every"
        self.latest = latest
        self.dropped = 0
        self.sent = 0
        self.deepest = 0
        self.failed: BaseException | None = None
        self._record = record
        self._on_error = on_error
        self._items: collections.deque[SharedFrame | None] = collections.deque()
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._run, name=f"overlay-{name}", daemon=True)
        self._thread.start()

    def offer(self, shared: SharedFrame) -> bool:
        """Queue the frame; False when it was dropped (queue full) or the sink has failed."""
        if self.failed is not None:
            return False
        stale: SharedFrame | None = None
        with self._cond:
            while self.block and len(self._items) >= self.capacity and self.failed is None:
                self._cond.wait(0.1)
            if self.failed is not None:
                return False
            if len(self._items) >= self.capacity:
                lost = shared
                if self.latest:  # the waiting frame is stale: the new one takes its place
                    stale = self._items.pop()
                    if stale is not None:
                        lost = stale
                    shared.hold()
                    self._items.append(shared)
                    self._cond.notify_all()
            else:
                shared.hold()
                self._items.append(shared)
                self.deepest = max(self.deepest, len(self._items))
                self._cond.notify_all()
                return True
        self.dropped += 1
        if isinstance(self.sink, DropListener):
            self.sink.note_dropped(lost.frame.index)
        if stale is not None:
            stale.release()
            return True
        return False

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._items:
                    self._cond.wait()
                item = self._items.popleft()
                self._cond.notify_all()
            if item is None:
                return
            try:
                if self.failed is None:
                    t0 = time.perf_counter()
                    if self.latest:
                        self._record(f"{self.name} wait", (t0 - item.ready) * 1e3)
                    self.sink.send(item.frame)
                    self._record(self.name, (time.perf_counter() - t0) * 1e3)
                    self.sent += 1
            except Exception as exc:
                self.failed = exc
                self._on_error(self.sink, exc)
            finally:
                item.release()

    def close(self, timeout: float = 60.0) -> None:
        """Send what is queued, then end the thread (the sink itself stays open)."""
        with self._cond:
            self._items.append(None)
            self._cond.notify_all()
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.warning("%s did not finish its queue within %.0f s", self.name, timeout)
