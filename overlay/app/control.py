"""Session control: one session at a time on a QThread; start, stop, restart, the frame buffer.

The window asks for a session with :meth:`SessionControl.start` and listens to the
signals; it never touches the worker or its thread. Restarting (a changed setting, the
kiosk's retry after a failure) is the same stop-then-start, so the user never has to.
"""

from __future__ import annotations

import logging
import time

import numpy as np

from overlay.app.qt import QtCore
from overlay.app.worker import Readout, SessionInfo, SessionWorker
from overlay.frames import BGRImage
from overlay.runner import RunSettings
from overlay.session import Session

__all__ = ["SessionControl"]

log = logging.getLogger(__name__)


class SessionControl(QtCore.QObject):
    """Runs one session at a time and keeps the newest frame in :attr:`frame`.

    Args:
        frames: stop each session after this many frames (tests, benchmarks).
        pace: pace to the output rate (False: as fast as possible, for tests).
        restart_delay_ms: with ``restart_on_failure``: pause before the retry.

    Signals:
        started(SessionInfo): the source and sinks are open.
        frameShown(): :attr:`frame` holds a new frame.
        statsChanged(Readout): about twice a second.
        errored(str): the session could not open or failed; the message says why.
        ended(bool): the session ended; True if it was asked to.
        restartDue(): with ``restart_on_failure``: time to start a new session.
        sourceProblem(str): a live source failed and the slate is sent (why); "" when back.
    """

    started = QtCore.Signal(object)
    frameShown = QtCore.Signal()  # noqa: N815  (Qt signal names)
    statsChanged = QtCore.Signal(object)  # noqa: N815
    errored = QtCore.Signal(str)
    ended = QtCore.Signal(bool)
    restartDue = QtCore.Signal()  # noqa: N815
    sourceProblem = QtCore.Signal(str)  # noqa: N815

    def __init__(
        self,
        parent: QtCore.QObject | None = None,
        *,
        frames: int | None = None,
        pace: bool = True,
        restart_delay_ms: int = 2000,
    ) -> None:
        super().__init__(parent)
        self.frames = frames
        self.pace = pace
        self.restart_delay_ms = restart_delay_ms
        #: Start again after a failure (kiosk mode).
        self.restart_on_failure = False
        self.worker: SessionWorker | None = None
        self.thread_: QtCore.QThread | None = None
        self.info: SessionInfo | None = None
        self.last_readout: Readout | None = None
        #: The newest frame (the buffer the preview's QImage wraps; replaced per session).
        self.frame: BGRImage | None = None
        #: Whether the newest frame is the slate.
        self.slate = False
        self.frames_shown = 0
        self.session_frames = 0
        self.restarts = 0
        self.started_at = 0.0
        self.closing = False
        self._restart_timer = QtCore.QTimer(self)
        self._restart_timer.setSingleShot(True)
        self._restart_timer.timeout.connect(self._restart)

    @property
    def running(self) -> bool:
        return self.worker is not None

    def start(self, settings: RunSettings, session: Session) -> None:
        """Start a session (stop the running one first)."""
        self.stop()
        w, h = session.size
        if self.frame is None or self.frame.shape != (h, w, 3):
            # Same size: keep the last picture until the new session's first frame.
            self.frame = np.zeros((h, w, 3), np.uint8)
        self.slate = False
        self.session_frames = 0
        self.started_at = time.monotonic()
        worker = SessionWorker(settings, session, frames=self.frames, pace=self.pace)
        thread = QtCore.QThread(self)
        thread.setObjectName("overlay-session")
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        # Direct: quit() is thread-safe, and a queued call would wait for the GUI thread,
        # which may be blocked in stop() waiting for this thread.
        worker.finished.connect(thread.quit, QtCore.Qt.ConnectionType.DirectConnection)
        worker.sessionStarted.connect(self._on_started)
        worker.frameReady.connect(self._on_frame)
        worker.statsChanged.connect(self._on_stats)
        worker.errored.connect(self._on_error)
        worker.sourceProblem.connect(self._on_source_problem)
        worker.finished.connect(self._on_finished)
        self.worker, self.thread_ = worker, thread
        self.info = None
        self.last_readout = None
        thread.start()

    def stop(self, wait: bool = True) -> None:
        """End the session (the recording is finished); ``wait`` for its thread."""
        self._restart_timer.stop()
        worker, thread = self.worker, self.thread_
        if worker is None or thread is None:
            return
        worker.stop()
        if wait:
            if not thread.wait(15000):
                log.error("the session thread did not end within 15 s")
            self._ended(worker)

    def _is_current(self) -> bool:
        return self.worker is not None and self.sender() is self.worker

    def _on_started(self, info: SessionInfo) -> None:
        if self._is_current():
            self.info = info
            self.started.emit(info)

    def _on_frame(self) -> None:
        worker, frame = self.worker, self.frame
        if worker is None or frame is None or frame.shape != worker.sink.shape:
            return
        if worker.sink.take_into(frame):
            self.frames_shown += 1
            self.session_frames += 1
            self.slate = worker.sink.slate
            self.frameShown.emit()

    def _on_stats(self, r: Readout) -> None:
        if self._is_current():
            self.last_readout = r
            self.statsChanged.emit(r)

    def _on_error(self, message: str) -> None:
        if self._is_current():
            self.errored.emit(message)

    def _on_source_problem(self, problem: str) -> None:
        if self._is_current():
            self.sourceProblem.emit(problem)

    def _on_finished(self) -> None:
        if self._is_current() and self.worker is not None:
            worker = self.worker
            if self.thread_ is not None:
                self.thread_.wait(15000)
            self._ended(worker)

    def _ended(self, worker: SessionWorker) -> None:
        if worker is not self.worker:
            return
        requested = worker.stopped_by_request
        thread = self.thread_
        self.worker, self.thread_ = None, None
        worker.deleteLater()
        if thread is not None:
            thread.deleteLater()
        self.ended.emit(requested)
        if self.restart_on_failure and not requested and not self.closing:
            self._restart_timer.start(self.restart_delay_ms)

    def _restart(self) -> None:
        if not self.running and not self.closing:
            self.restarts += 1
            self.restartDue.emit()
