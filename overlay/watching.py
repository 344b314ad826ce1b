"""Watching a source live for the disclosure watermark: the loop behind ``overlay watch``.

:class:`Watcher` samples a source (``--fps`` samples per second), feeds the samples to a
:class:`~overlay.watermark.stream.StreamDetector` and calls back with a
:class:`WatchEvent` at every change of state (``disclosed``, ``not found``, ``source
lost``) and, when asked, as a heartbeat.

Time: a live source (screen, region, window, webcam, device) is sampled on the wall
clock; a file or pipe is read in order, one sample every ``round(rate / fps)`` frames,
and its time is the media's own (frame index / frame rate), so watching a file gives the
same answer however fast the machine is.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import cv2

from overlay.errors import SourceError
from overlay.frames import BGRImage
from overlay.sources.base import FrameSource, SourceMode
from overlay.sources.file import FileSource
from overlay.watermark import PUBLIC_KEY, open_session_id
from overlay.watermark.stream import Decision, StreamDetector
from overlay.watermark.tiles import Box

__all__ = ["DISCLOSED", "LOST", "NOT_FOUND", "WatchEvent", "Watcher"]

log = logging.getLogger(__name__)

DISCLOSED = "disclosed"
NOT_FOUND = "not found"
LOST = "source lost"
#: Frame rate assumed for a non-live source that does not say its own.
DEFAULT_RATE = 30.0
#: A lost live source is tried again this often (seconds).
RETRY = 1.0


@dataclass(frozen=True, slots=True)
class Found:
    """One place the mark was found.

    Attributes:
        box: (x, y, width, height) of the tile, or None for the whole picture.
        payload: a payload was read (else: the mark is present, its payload unreadable).
        ai_generated: the payload's AI-generated flag (None without a payload).
        sealed_id: the session id as carried; ``session_id`` opened with the
            installation key when it opens it.
        false_positive_bound: the window's bound on unmarked content giving this.
    """

    box: Box | None
    payload: bool
    ai_generated: bool | None
    sealed_id: str | None
    session_id: str | None
    false_positive_bound: float


@dataclass(frozen=True, slots=True)
class WatchEvent:
    """A state of the watch (a change, or a heartbeat).

    Attributes:
        kind: ``"state"`` (a change) or ``"heartbeat"``.
        state: ``disclosed``, ``not found`` or ``source lost``.
        time: seconds since the watch began (media time for a file or pipe).
        since: when the current state began (same clock).
        found: where the mark is (``disclosed`` only), best first.
        samples: samples analysed so far.
        score: the best lattice score of the current window.
        window_bound: the bound on a false claim per window (every search counted).
        reason: why the source was lost.
    """

    kind: str
    state: str
    time: float
    since: float
    found: tuple[Found, ...] = ()
    samples: int = 0
    score: float = 0.0
    window_bound: float = 0.0
    reason: str | None = None
    boxes: tuple[Box, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "event": self.kind,
            "state": self.state,
            "time": round(self.time, 3),
            "since": round(self.since, 3),
            "for": round(self.time - self.since, 3),
            "found": [
                {
                    "box": list(f.box) if f.box is not None else None,
                    "payload": f.payload,
                    "ai_generated": f.ai_generated,
                    "sealed_id": f.sealed_id,
                    "session_id": f.session_id,
                    "false_positive_bound": f.false_positive_bound,
                }
                for f in self.found
            ],
            "samples": self.samples,
            "score": round(self.score, 2),
            "window_bound": self.window_bound,
            "tiles_searched": [list(b) for b in self.boxes],
            "reason": self.reason,
        }

    def line(self) -> str:
        """One line for a terminal."""
        if self.state == LOST:
            return f"source lost: {self.reason}"
        if self.state == NOT_FOUND:
            return f"not found (for {self.time - self.since:.0f} s; best score {self.score:.1f})"
        parts = []
        for f in self.found:
            where = "whole picture" if f.box is None else "tile {2}x{3} at {0},{1}".format(*f.box)
            if f.payload:
                who = f"session {f.session_id}" if f.session_id else f"sealed id {f.sealed_id}"
                flag = "AI-generated" if f.ai_generated else "not flagged AI"
                parts.append(f"{flag}, {who}, {where}")
            else:
                parts.append(f"present, payload unreadable, {where}")
        bound = min(f.false_positive_bound for f in self.found)
        return (
            f"DISCLOSED ({'; '.join(parts)}) since {self.since:.1f} s, "
            f"false-positive bound {bound:.1e}"
        )


Callback = Callable[[WatchEvent], None]


class Watcher:
    """Samples ``source`` and reports the disclosure state.

    Args:
        source: an opened or unopened source (``overlay.sources.open_source``).
        fps: samples per second.
        installation_key: opens the session id when given.
        public_key: the detection key.
        tiles: tiles searched on their own besides the whole picture.
        window_seconds: the detector's window (rounded to whole samples).
        clock: the wall clock for live sources (injected by tests).
    """

    def __init__(
        self,
        source: FrameSource,
        *,
        fps: float = 10.0,
        installation_key: bytes | None = None,
        public_key: bytes = PUBLIC_KEY,
        tiles: int = 4,
        window_seconds: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not fps > 0:
            raise ValueError(f"fps {fps} must be more than 0")
        self.source = source
        self.fps = fps
        self.installation_key = installation_key
        self.detector = StreamDetector(
            public_key, window=max(2, round(window_seconds * fps)), tiles=tiles
        )
        self.clock = clock
        self.samples = 0
        #: The latest sample (a reference, for a thumbnail; replaced at each sample).
        self.latest: BGRImage | None = None
        self._stop = threading.Event()
        self._opened_ids: dict[str, str | None] = {}

    def stop(self) -> None:
        """Ask :meth:`run` to return (from another thread or a signal handler)."""
        self._stop.set()

    def _found(self, decision: Decision) -> tuple[Found, ...]:
        out = []
        for f in decision.findings:
            p = f.detection.payload
            session = None
            if p is not None and self.installation_key is not None:
                if p.sealed_id not in self._opened_ids:
                    self._opened_ids[p.sealed_id] = open_session_id(
                        p.sealed_id, self.installation_key
                    )
                session = self._opened_ids[p.sealed_id]
            out.append(
                Found(
                    f.box,
                    p is not None,
                    None if p is None else p.ai_generated,
                    None if p is None else p.sealed_id,
                    session,
                    f.detection.false_positive_bound,
                )
            )
        return tuple(out)

    def _media_rate(self) -> float:
        if not isinstance(self.source, FileSource):
            return self.fps
        cap = cv2.VideoCapture(str(self.source.path))
        try:
            rate = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        finally:
            cap.release()
        return rate if 1.0 <= rate <= 1000.0 else DEFAULT_RATE

    def run(
        self,
        on_event: Callback,
        *,
        seconds: float | None = None,
        until_found: bool = False,
        heartbeat: float | None = None,
    ) -> WatchEvent:
        """Watch until ``seconds`` have passed, the source ends or is lost for good,
        :meth:`stop` is called or (``until_found``) the mark is found; returns the last
        state."""
        live = self.source.mode is SourceMode.LIVE
        self.source.open()
        rate = self.fps if live else self._media_rate()
        step = 1 if live else max(1, round(rate / self.fps))
        t0 = self.clock()
        state: tuple[Any, ...] | None = None
        last: WatchEvent | None = None
        next_beat = heartbeat
        n = 0
        while not self._stop.is_set():
            now = self.clock() - t0 if live else n / rate
            if seconds is not None and now >= seconds:
                break
            try:
                frame = self.source.read()
            except SourceError as exc:
                last = self._lost(on_event, last, now, str(exc))
                state = (LOST,)
                if not live or until_found:
                    break
                if self._stop.wait(RETRY):
                    break
                try:
                    self.source.close()
                    self.source.open()
                except SourceError:
                    continue
                self.detector.reset()
                continue
            if frame is None:
                last = self._lost(on_event, last, now, "the source ended")
                break
            n += 1
            if not live and (n - 1) % step:
                continue
            if live:
                now = self.clock() - t0
            decision = self._sample(frame.image, now)
            found = self._found(decision) if decision.present else ()
            name = DISCLOSED if decision.present else NOT_FOUND
            key = (name, tuple((f.sealed_id, f.payload, _coarse(f.box)) for f in found))
            if key != state:
                state = key
                last = self._event("state", name, now, decision.since, found, decision)
                on_event(last)
            elif heartbeat is not None and next_beat is not None and now >= next_beat:
                on_event(self._event("heartbeat", name, now, decision.since, found, decision))
            if heartbeat is not None and next_beat is not None and now >= next_beat:
                next_beat = now + heartbeat
            if until_found and name == DISCLOSED:
                break
            if live:
                # Pace the samples; Event.wait so that stop() is immediate.
                wait = self.samples / self.fps - (self.clock() - t0)
                if wait > 0 and self._stop.wait(wait):
                    break
        if last is None:
            last = WatchEvent("state", NOT_FOUND, 0.0, 0.0)
        return last

    def _sample(self, image: BGRImage, now: float) -> Decision:
        self.samples += 1
        self.latest = image
        return self.detector.add(image, now)

    def _event(
        self,
        kind: str,
        name: str,
        now: float,
        since: float,
        found: tuple[Found, ...],
        decision: Decision,
    ) -> WatchEvent:
        return WatchEvent(
            kind,
            name,
            now,
            since,
            found,
            self.samples,
            decision.score,
            decision.window_bound,
            None,
            decision.boxes,
        )

    def _lost(
        self, on_event: Callback, last: WatchEvent | None, now: float, reason: str
    ) -> WatchEvent:
        if last is not None and last.state == LOST:
            return last
        event = WatchEvent(
            "state", LOST, now, now, (), self.samples, 0.0, self.detector.window_bound, reason
        )
        on_event(event)
        return event


def _coarse(box: Box | None) -> tuple[int, int] | None:
    """A tile's place on a coarse grid (a box found again a few pixels off is the same)."""
    if box is None:
        return None
    x, y, w, h = box
    return ((x + w // 2) // 64, (y + h // 2) // 64)
