"""The session worker: runs ``Pipeline.run()`` on a QThread and reports through signals."""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from overlay.app.handoff import LatestFrameSink
from overlay.app.qt import QtCore
from overlay.errors import OverlayError, SinkError
from overlay.pipeline import Pipeline
from overlay.runner import OpenSession, RunSettings, open_session
from overlay.session import Session
from overlay.stamps.banner import BannerStamp
from overlay.stamps.watermark import WatermarkStamp
from overlay.stats import Stats

__all__ = [
    "Readout",
    "SessionInfo",
    "SessionWorker",
    "describe_error",
    "provenance_status",
    "watermark_status",
]

log = logging.getLogger(__name__)

#: Seconds between statistics updates sent to the window.
STATS_INTERVAL = 0.5


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """What the window shows once a session is open.

    Attributes:
        session_id: the id every frame of the session carries.
        source: the source's label.
        sinks: the labels of the outputs the frames leave by (a null sink, the preview
            and the frame log are not outputs).
        vcam_device: the virtual camera's device ("" when the session sends to none).
        recording: the recording's file ("" when the session records none).
        text_height_px: the banner's cap height in pixels.
        text_height_fraction: that height as a fraction of the shortest side.
        watermark: the watermark stamp's status line.
        provenance: where the session's signed manifest goes ("" when none is written).
    """

    session_id: str
    source: str
    sinks: tuple[str, ...]
    vcam_device: str
    recording: str
    text_height_px: int
    text_height_fraction: float
    watermark: str
    provenance: str = ""


@dataclass(frozen=True, slots=True)
class Readout:
    """A statistics update: the pipeline's snapshot and the size the source delivers."""

    stats: Stats
    granted_size: tuple[int, int] | None


def watermark_status(pipeline: Pipeline) -> str:
    """A plain line about the invisible watermark ("not in this session" without one)."""
    if any(isinstance(stamp, WatermarkStamp) for stamp in pipeline.chain.stamps):
        return "on: every frame carries the session id, invisibly"
    return "not in this session"


def provenance_status(opened: OpenSession) -> str:
    """The manifest path of the session's provenance record, or "" without one."""
    recorder = opened.provenance
    return f"signed manifest {recorder.manifest_path}" if recorder is not None else ""


def describe_error(exc: BaseException) -> str:
    """The message the window shows; a missing virtual camera gets the doctor's fixes."""
    text = str(exc) if isinstance(exc, OverlayError) else f"unexpected error: {exc!r}"
    if isinstance(exc, SinkError) and "virtual camera" in text:
        from overlay.doctor import vcam_checks

        try:
            checks = vcam_checks(sys.platform)
        except Exception as again:  # the doctor is advice; never hide the first error
            log.debug("doctor failed: %s", again)
            checks = []
        fixes = [f"- {c.what}: {c.fix}" for c in checks if not c.ok and c.fix]
        if fixes:
            text += "\nFix (from 'overlay doctor'):\n" + "\n".join(fixes)
    return text


class _SourceWatch(logging.Handler):
    """Hears the pipeline say that a live source failed (the slate is sent) or came back.

    The pipeline reports these only in its log; listening there keeps the window's "why"
    in step with the log without a new pipeline API.
    """

    def __init__(self, report: Callable[[str], None]) -> None:
        super().__init__(logging.INFO)
        self.report = report

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if text.endswith("; sending the slate and retrying"):
            self.report(text.removesuffix("; sending the slate and retrying"))
        elif text.endswith(" is back"):
            self.report("")


class SessionWorker(QtCore.QObject):
    """Opens a session from ``settings`` and runs it; lives on a QThread.

    Signals:
        sessionStarted(SessionInfo): the source and sinks are open.
        frameReady(): a new frame waits in ``sink`` (at most one notification pending).
        statsChanged(Readout): about every STATS_INTERVAL seconds, and once at the end.
        errored(str): the session could not open or failed; the message says why.
        sourceProblem(str): a live source failed and the slate is being sent (why), or it
            is back ("").
        finished(): the session ended (after ``errored`` if it failed).
    """

    sessionStarted = QtCore.Signal(object)  # noqa: N815  (Qt signal names)
    frameReady = QtCore.Signal()  # noqa: N815  (Qt signal names)
    statsChanged = QtCore.Signal(object)  # noqa: N815  (Qt signal names)
    errored = QtCore.Signal(str)
    sourceProblem = QtCore.Signal(str)  # noqa: N815  (Qt signal names)
    finished = QtCore.Signal()

    def __init__(
        self,
        settings: RunSettings,
        session: Session,
        *,
        frames: int | None = None,
        pace: bool = True,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.session = session
        self.frames = frames
        self.pace = pace
        self.sink = LatestFrameSink(session.size, notify=self._on_frame)
        self._pipeline: Pipeline | None = None
        self._stop = threading.Event()
        self._last_stats = 0.0
        self.stopped_by_request = False

    @property
    def pipeline(self) -> Pipeline | None:
        return self._pipeline

    @QtCore.Slot()
    def run(self) -> None:
        watch = _SourceWatch(self.sourceProblem.emit)
        pipeline_log = logging.getLogger("overlay.pipeline")
        pipeline_log.addHandler(watch)
        try:
            with open_session(self.settings, extra_sinks=[self.sink], session=self.session) as s:
                p = s.pipeline
                self._pipeline = p
                self.sessionStarted.emit(self._info(s))
                if not self._stop.is_set():
                    p.run(frames=self.frames, pace=self.pace)
                self._emit_stats(p)
        except Exception as exc:  # shown in the window; a bug still gets its traceback logged
            if not isinstance(exc, OverlayError):
                log.exception("the session failed")
            self.errored.emit(describe_error(exc))
        finally:
            pipeline_log.removeHandler(watch)
            self._pipeline = None
            self.stopped_by_request = self._stop.is_set()
            self.finished.emit()

    def stop(self) -> None:
        """Ask the session to end (any thread)."""
        self._stop.set()
        p = self._pipeline
        if p is not None:
            p.stop()

    def _info(self, opened: OpenSession) -> SessionInfo:
        p = opened.pipeline
        banner = next((s for s in p.chain.stamps if isinstance(s, BannerStamp)), None)
        vcam, recording = opened.output("vcam"), opened.output("file")
        return SessionInfo(
            session_id=p.session.id,
            source=p.source.spec,
            sinks=tuple(o.label for o in opened.outputs if o.sink.scope != "local"),
            vcam_device=vcam.where if vcam else "",
            recording=recording.where if recording else "",
            text_height_px=banner.sprite.text_height_px if banner else 0,
            text_height_fraction=banner.text_height_fraction if banner else 0.0,
            watermark=watermark_status(p),
            provenance=provenance_status(opened),
        )

    def _emit_stats(self, p: Pipeline) -> None:
        self.statsChanged.emit(Readout(p.stats(), p.source.granted_size))

    def _on_frame(self) -> None:
        # Runs on the pipeline's thread, inside the preview sink's send().
        p = self._pipeline
        if p is None:
            return
        if self._stop.is_set():
            p.stop()  # covers a stop() that raced with run() clearing the pipeline's flag
        self.frameReady.emit()
        now = time.monotonic()
        if now - self._last_stats >= STATS_INTERVAL:
            self._last_stats = now
            self._emit_stats(p)
