"""The pipeline: source -> fit to the output size -> stamps -> sinks.

``step()`` moves exactly one frame, synchronously, with no threads (tests drive it).
``run()`` adds a capture thread, pacing to the output rate, and the fail-closed rules:
when the source stalls longer than ``stall_timeout`` or fails (raises anything), or a
stamp raises, the sinks receive the labelled slate at the output rate instead.

Sinks are isolated: a sink that raises is reported and left out from then on while the
others go on; during ``run()`` every sink takes its frames on its own thread
(:mod:`overlay.sinks.worker`): a live one (virtual camera, preview) through a one-frame
mailbox that always holds the newest frame, the others (recordings, the frame log) through
a bounded queue, so no sink's slowness delays another or the pipeline. Frames a sink
missed are counted per sink in the statistics and the session's manifest.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import queue
import secrets
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

import cv2
import numpy as np

from overlay.clock import MONOTONIC, Clock
from overlay.closing import Closing
from overlay.config import BannerConfig, OutputConfig
from overlay.errors import ConfigError, FrameFormatError, OverlayError, SourceError, StampError
from overlay.frames import BGRImage, Frame, StampedFrame
from overlay.session import Session
from overlay.sinks.base import Companion, FrameSink
from overlay.sinks.worker import FramePool, SharedFrame, SinkWorker, queue_frames
from overlay.slate import render_slate
from overlay.sources.base import FrameSource, SourceMode
from overlay.stamps import Stamp, StampChain, default_stamps
from overlay.stats import Stats, StatsCollector

if TYPE_CHECKING:
    from overlay.faces import FaceSettings

__all__ = ["Fitter", "Pipeline"]

log = logging.getLogger(__name__)


#: The grey of letterbox bars: video black (what limited-range YUV, the virtual camera's
#: and every call's format, shows as black anyway), which leaves the watermark room to
#: go down as well as up, so the bars carry it too.
BAR_LEVEL = 16


class Fitter:
    """Copies source images into the output buffer, letterboxed (never cropped).

    Every pixel of the output is written on every frame (picture and bars), so nothing a
    stamp drew on an earlier frame survives into the next.
    """

    def __init__(self, out: BGRImage) -> None:
        self.out = out
        self._source_size: tuple[int, int] | None = None
        self._rect = (0, 0, 0, 0)
        self._bars: list[BGRImage] = []

    def fit(self, image: BGRImage) -> None:
        out = self.out
        if image.shape == out.shape:
            np.copyto(out, image)
            return
        sh, sw = image.shape[:2]
        if self._source_size != (sw, sh):
            oh, ow = out.shape[:2]
            scale = min(ow / sw, oh / sh)
            w = max(1, min(ow, round(sw * scale)))
            h = max(1, min(oh, round(sh * scale)))
            x, y = (ow - w) // 2, (oh - h) // 2
            self._source_size, self._rect = (sw, sh), (x, y, w, h)
            bars = [out[:y], out[y + h :], out[y : y + h, :x], out[y : y + h, x + w :]]
            self._bars = [b for b in bars if b.size]
        x, y, w, h = self._rect
        for bar in self._bars:
            bar.fill(BAR_LEVEL)
        interp = cv2.INTER_AREA if w < sw else cv2.INTER_LINEAR
        out[y : y + h, x : x + w] = cv2.resize(image, (w, h), interpolation=interp)


class _Latest:
    """Holds only the newest live frame; counts the ones replaced before use."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._frame: Frame | None = None
        self.dropped = 0

    def put(self, frame: Frame) -> None:
        with self._cond:
            if self._frame is not None:
                self.dropped += 1
            self._frame = frame
            self._cond.notify()

    def take(self, timeout: float) -> Frame | None:
        with self._cond:
            if self._frame is None and timeout > 0:
                self._cond.wait(timeout)
            frame, self._frame = self._frame, None
            return frame


class _Fifo:
    """A small bounded queue for sources read in order (files, pipes, synthetic)."""

    def __init__(self, size: int, stop: threading.Event) -> None:
        self._q: queue.Queue[Frame] = queue.Queue(size)
        self._stop = stop
        self.dropped = 0

    def put(self, frame: Frame) -> None:
        while not self._stop.is_set():
            try:
                self._q.put(frame, timeout=0.1)
                return
            except queue.Full:
                continue

    def take(self, timeout: float) -> Frame | None:
        try:
            return self._q.get(timeout=timeout) if timeout > 0 else self._q.get_nowait()
        except queue.Empty:
            return None

    def empty(self) -> bool:
        return self._q.empty()


class Pipeline(Closing):
    """Turns a source into disclosed frames for the sinks.

    Args:
        source: where frames come from: a source, or a ``--source`` string
            (``"file:clip.mp4"``) opened at the output size and rate.
        sinks: where stamped frames go (one or more): sinks, or ``--sink`` strings
            (``"file:out.mp4"``) opened for this session.
        output: the output size and rate (default 1280x720 at 30 fps); or give
            ``session``.
        session: the session (output size, fps, id); default: a new one for ``output``.
        banner: the banner settings (used for the default stamps and the slate).
        stamps: the stamps in order; default: :func:`~overlay.stamps.default_stamps`
            (face tag, banner, mark, watermark) with ``faces`` and ``watermark_key``.
        faces: the face tag and the banner's face avoidance; default off here (no face
            model is loaded): pass ``FaceSettings()`` to turn them on (the CLI and the
            app do).
        watermark_key: the 32-byte key that seals the session id in the watermark;
            default: a random key held in memory for this pipeline only, so nothing is
            written to disk: every detector still finds the AI-generated mark, but nobody
            can read which session it came from. Pass
            :func:`~overlay.stamps.watermark.installation_key` to seal it with this
            installation's key (what ``overlay run`` does, with its signed records).
        stall_timeout: seconds without a new source frame before the slate takes over.
        queue_size: frames a queued source (file, pipe) may read ahead.
        clock: what the pacing, the stall timeout, ``run(seconds=...)`` and source retries
            go by (default: the real monotonic clock; tests inject a simulated one).

    Use it as a context manager: leaving closes the source, every sink (a recording is
    finished, playable, up to its last frame) and the stamps; a closed pipeline refuses
    ``run()`` and ``step()``.
    """

    def __init__(
        self,
        source: FrameSource | str,
        sinks: Sequence[FrameSink | str],
        *,
        output: OutputConfig | None = None,
        session: Session | None = None,
        banner: BannerConfig | None = None,
        stamps: Sequence[Stamp] | None = None,
        faces: FaceSettings | None = None,
        watermark_key: bytes | None = None,
        stall_timeout: float = 0.5,
        queue_size: int = 2,
        clock: Clock | None = None,
    ) -> None:
        if not sinks:
            raise ValueError("a Pipeline needs at least one sink")
        session = _session_for(output, session)
        self.session = session
        self.banner = banner or BannerConfig()
        if stamps is not None and (faces is not None or watermark_key is not None):
            raise ConfigError(
                "faces and watermark_key shape the default stamps, and stamps were given; "
                "build them with overlay.stamps.default_stamps(session, banner, faces, "
                "watermark_key=...)"
            )
        if stamps is None:
            from overlay.faces import FaceSettings

            stamps = default_stamps(
                session,
                self.banner,
                faces or FaceSettings(enabled=False),
                watermark_key=watermark_key or secrets.token_bytes(32),
            )
        self.chain = StampChain(session, stamps)
        self.source, self.sinks = _open_parts(source, sinks, session, self.chain)
        self.stall_timeout = stall_timeout
        self.queue_size = queue_size
        self.clock: Clock = clock or MONOTONIC
        w, h = session.size
        self._out: BGRImage = np.zeros((h, w, 3), np.uint8)
        self._fitter = Fitter(self._out)
        self._slate = render_slate(session.size, self.banner, with_banner=False)
        self._slate_labelled = render_slate(session.size, self.banner, with_banner=True)
        self._n = 0
        self._stop = threading.Event()
        self._stage_names = ["stamp:" + n for n in self.chain.names]
        self._sink_names: list[str] = []
        seen: dict[str, int] = {}
        for sink in self.sinks:  # two sinks of one kind: "memory", "memory #2"
            name = f"sink:{sink.spec}"
            seen[name] = seen.get(name, 0) + 1
            self._sink_names.append(f"{name} #{seen[name]}" if seen[name] > 1 else name)
        self.collector = StatsCollector(now=self.clock.now)
        self._stamp_errors = 0
        self._closed = False
        self._delivery = [s.delivery for s in self.sinks]
        self._workers: list[SinkWorker | None] = []  # while run() runs
        self._last_workers: list[SinkWorker | None] = []
        self._pool = FramePool((h, w, 3))
        self._failed: dict[int, BaseException] = {}
        self._fail_lock = threading.Lock()
        #: Exceptions other than SourceError that the source raised (each sent the slate).
        self.source_errors = 0
        self.source_failure: BaseException | None = None

    # -- one frame -------------------------------------------------------------------
    def step(self) -> StampedFrame | None:
        """Read one source frame, stamp it and send it; None when the source has ended.

        A source that fails (SourceError) yields the slate for this step.
        """
        self._refuse_if_closed("step()")
        self.source.open()
        t0 = time.perf_counter()
        try:
            frame = self.source.read()
        except FrameFormatError:
            raise
        except SourceError as exc:
            log.warning("%s", exc)
            return self._emit(None, self.clock.now())
        except Exception as exc:
            self._source_raised(exc)
            return self._emit(None, self.clock.now())
        self.collector.stage("capture", (time.perf_counter() - t0) * 1e3)
        if frame is None:
            return None
        return self._emit(frame, frame.timestamp)

    def _emit(self, src: Frame | None, capture_ts: float) -> StampedFrame:
        """Stamp and send one frame; ``capture_ts`` is when it left the source (latency)."""
        rec = self.collector
        clock = time.perf_counter
        t0 = clock()
        if src is not None:
            self._fitter.fit(src.image)
            t1 = clock()
            rec.stage("fit", (t1 - t0) * 1e3)
            try:
                stamped = self.chain.apply(Frame(self._out, self._n, capture_ts))
                for name, ms in zip(self._stage_names, self.chain.last_ms, strict=True):
                    rec.stage(name, ms)
            except StampError as exc:
                self._stamp_errors += 1
                if self._stamp_errors <= 3 or self._stamp_errors % 100 == 0:
                    log.error("%s; sending the slate instead (%d so far)", exc, self._stamp_errors)
                stamped = self._slate_frame(capture_ts)
        else:
            stamped = self._slate_frame(capture_ts)
        shared: SharedFrame | None = None
        workers = self._workers
        for i, sink in enumerate(self.sinks):
            if i in self._failed:
                continue
            worker = workers[i] if workers else None
            if worker is not None:
                if shared is None:
                    tc = clock()
                    shared = SharedFrame(stamped, self._pool)
                    rec.stage("copy for sink threads", (clock() - tc) * 1e3)
                worker.offer(shared)
                continue
            ts = clock()
            try:
                sink.send(stamped)
            except Exception as exc:
                self._sink_failed(sink, exc)
                continue
            rec.stage(self._sink_names[i], (clock() - ts) * 1e3)
        if shared is not None:
            shared.release()
        rec.stage("total", (clock() - t0) * 1e3)
        rec.frame_sent(capture_ts, stamped.slate)
        self._n += 1
        return stamped

    def _sink_failed(self, sink: FrameSink, exc: BaseException) -> None:
        """Leave a failed sink out from now on (any thread); stop when none is left."""
        i = self.sinks.index(sink)
        with self._fail_lock:
            if i in self._failed:
                return
            self._failed[i] = exc
            # companions (the frame log) only record what the outputs get
            left = sum(
                1
                for j, s in enumerate(self.sinks)
                if j not in self._failed and not isinstance(s, Companion)
            )
        what = str(exc) if isinstance(exc, OverlayError) else f"{type(exc).__name__}: {exc}"
        self._tell_companions(f"{self._sink_names[i]} failed at frame {self._n}: {what}")
        if left:
            log.error(
                "%s failed at frame %d: %s; the other sinks go on",
                self._sink_names[i],
                self._n,
                what,
            )
        else:
            log.error(
                "%s failed at frame %d: %s; no output left, stopping",
                self._sink_names[i],
                self._n,
                what,
            )
            self._stop.set()

    def _tell_companions(self, line: str) -> None:
        """Companion sinks (the frame log) note failures for the session's record."""
        for sink in self.sinks:
            if isinstance(sink, Companion):
                sink.note_failure(line)

    def _source_raised(self, exc: BaseException) -> None:
        """Any exception but SourceError from the source: counted, logged once a streak."""
        self.source_errors += 1
        self._tell_companions(
            f"source {self.source.spec} raised {type(exc).__name__} at "
            f"frame {self._n}: {exc}; slate sent"
        )
        if self.source_failure is None:
            self.source_failure = exc
        log.error(
            "%s raised %s: %s; sending the slate and retrying",
            self.source.spec,
            type(exc).__name__,
            exc,
        )

    def failures(self) -> list[str]:
        """One line for each part that failed during the session (empty: none did)."""
        lines = []
        for i, exc in sorted(self._failed.items()):
            what = str(exc) if isinstance(exc, OverlayError) else f"{type(exc).__name__}: {exc}"
            lines.append(f"{self._sink_names[i]} failed: {what}")
        if self.source_failure is not None:
            exc = self.source_failure
            lines.append(
                f"source {self.source.spec} raised {type(exc).__name__}: {exc} "
                f"({self.source_errors} times; the slate was sent meanwhile)"
            )
        return lines

    def _slate_frame(self, capture_ts: float) -> StampedFrame:
        np.copyto(self._out, self._slate)
        frame = Frame(self._out, self._n, capture_ts)
        try:
            stamped = self.chain.apply(frame)
        except StampError:
            np.copyto(self._out, self._slate_labelled)
            return self.chain.seal_slate(frame)
        stamped.slate = True
        return stamped

    # -- the loop --------------------------------------------------------------------
    def stop(self) -> None:
        """Ask ``run()`` to end after the current frame (from any thread)."""
        self._stop.set()

    @property
    def frames_sent(self) -> int:
        return self._n

    def stats(self) -> Stats:
        """A snapshot of the statistics (any thread)."""
        sinks: dict[str, dict[str, object]] = {}
        workers = self._workers or self._last_workers
        for i, name in enumerate(self._sink_names):
            worker = workers[i] if workers else None
            failed = self._failed.get(i)
            sinks[name.removeprefix("sink:")] = {
                "delivery": self._delivery[i],
                "threaded": worker is not None,
                "sent": worker.sent if worker else None,
                "dropped": worker.dropped if worker else 0,
                "failed": None if failed is None else str(failed) or type(failed).__name__,
            }
        return dataclasses.replace(
            self.collector.snapshot(), sinks=sinks, source_errors=self.source_errors
        )

    def _start_workers(self, pace: bool) -> None:
        # Unpaced runs (measurements, file to file) wait for every sink: nothing is late.
        capacity = queue_frames(self.session.size, self.session.fps)
        self._workers = [
            SinkWorker(
                sink,
                f"{name} (own thread)",
                1 if delivery == "newest" else capacity,
                self.collector.stage,
                self._sink_failed,
                block=not pace,
                latest=delivery == "newest",
            )
            for sink, name, delivery in zip(
                self.sinks, self._sink_names, self._delivery, strict=True
            )
        ]

    def _stop_workers(self) -> None:
        workers, self._workers = self._workers, []
        self._last_workers = workers
        for worker in workers:
            if worker is not None:
                worker.close(timeout=5.0 if worker.latest else 60.0)
        self._report_sinks()

    def _report_sinks(self) -> None:
        """Tell companions (the frame log's recorder) what each output got and missed."""
        companions = {
            name.removeprefix("sink:")
            for name, sink in zip(self._sink_names, self.sinks, strict=True)
            if isinstance(sink, Companion)
        }
        counts = {k: v for k, v in self.stats().sinks.items() if k not in companions}
        for sink in self.sinks:
            if isinstance(sink, Companion):
                sink.note_sinks(counts)

    def run(
        self,
        *,
        frames: int | None = None,
        seconds: float | None = None,
        pace: bool = True,
    ) -> Stats:
        """Run until ``frames`` were sent, ``seconds`` passed, the source ended or ``stop()``.

        ``frames`` counts this call's frames (a second ``run(frames=10)`` sends 10 more).

        Raises:
            OverlayError: the pipeline is closed, or the source failed in a way a restart
                cannot fix (a file that will not decode further, a frame of the wrong
                format).
        """
        self._refuse_if_closed("run()")
        self._stop.clear()
        self.source.open()
        until = None if frames is None else self._n + frames  # the loops count from here
        self._start_workers(pace)
        try:
            return self._run(until, seconds, pace)
        finally:
            self._stop_workers()

    def _run(self, frames: int | None, seconds: float | None, pace: bool) -> Stats:
        mode = self.source.mode
        if mode is SourceMode.ON_DEMAND:
            self.collector.start()
            self._loop_on_demand(frames, seconds, pace)
            return self.stats()
        live = mode is SourceMode.LIVE
        feed: _Latest | _Fifo = _Latest() if live else _Fifo(self.queue_size, self._stop)
        ended = threading.Event()
        fatal: list[BaseException] = []
        capture_stop = threading.Event()
        thread = threading.Thread(
            target=self._capture,
            args=(feed, ended, fatal, capture_stop),
            name="overlay-capture",
            daemon=True,
        )
        self.collector.start()
        thread.start()
        try:
            self._loop(feed, ended, fatal, frames, seconds, pace)
        finally:
            capture_stop.set()
            self._stop.set()
            thread.join(timeout=5.0)
            if thread.is_alive():
                log.warning("the capture thread did not stop within 5 s")
            self.collector.dropped = feed.dropped
        if fatal:
            raise fatal[0]
        return self.stats()

    def _loop(
        self,
        feed: _Latest | _Fifo,
        ended: threading.Event,
        fatal: list[BaseException],
        frames: int | None,
        seconds: float | None,
        pace: bool,
    ) -> None:
        stall = self.stall_timeout
        period = 1.0 / self.session.fps
        start = self.clock.now()
        # Wait briefly for the first frame so a healthy source does not start on the slate.
        queued = isinstance(feed, _Fifo)
        last = feed.take(stall)
        last_new = self.clock.now()
        if last is not None:
            self._emit(last, self._left_source(last, last_new, queued))
        next_tick = self.clock.now() + period
        while not self._stop.is_set() and not fatal:
            if frames is not None and self._n >= frames:
                return
            now = self.clock.now()
            if seconds is not None and now - start >= seconds:
                return
            if pace:
                if next_tick > now:
                    if self.clock.wait(self._stop, next_tick - now):
                        return
                    now = self.clock.now()
                next_tick = max(next_tick + period, now - period)
                new = feed.take(0)
            else:
                new = feed.take(stall)
                now = self.clock.now()
            if new is not None:
                last, last_new = new, now
                self.collector.dropped = feed.dropped
                self._emit(new, self._left_source(new, now, queued))
                continue
            if ended.is_set() and (isinstance(feed, _Latest) or feed.empty()):
                return
            if last is not None and pace and now - last_new <= stall:
                self._emit(last, now)  # repeat the newest frame; keeps the rate
            elif now - last_new > stall or last is None:
                self._emit(None, now)

    def _left_source(self, frame: Frame, taken: float, queued: bool) -> float:
        """When ``frame`` left the source: read for a live one; taken from the queue for a
        queued one (its wait there is read-ahead, reported apart from the latency)."""
        if not queued:
            return frame.timestamp
        self.collector.stage_read_ahead((taken - frame.timestamp) * 1e3)
        return taken

    def _loop_on_demand(self, frames: int | None, seconds: float | None, pace: bool) -> None:
        """Sources that draw frames when asked: one read per tick on this thread, no queue.

        A SourceError from such a source is final and ends the run (as a file's end); any
        other exception sends the slate for that tick, and the source is opened again at
        most once a second.
        """
        period = 1.0 / self.session.fps
        start = next_tick = self.clock.now()
        retry_at = 0.0
        while not self._stop.is_set():
            if frames is not None and self._n >= frames:
                return
            now = self.clock.now()
            if seconds is not None and now - start >= seconds:
                return
            if pace:
                if next_tick > now and self.clock.wait(self._stop, next_tick - now):
                    return
                next_tick = max(next_tick + period, self.clock.now() - period)
            t0 = time.perf_counter()
            try:
                frame = self.source.read()
            except (FrameFormatError, SourceError):
                raise  # a failure it reports as final ends the run (as a file's end)
            except Exception as exc:
                self._source_raised(exc)
                self._emit(None, self.clock.now())
                if self.clock.now() >= retry_at:
                    retry_at = self.clock.now() + 1.0
                    try:
                        self.source.close()
                        self.source.open()
                    except Exception as again:
                        log.debug("retry failed: %s", again)
                continue
            self.collector.stage("capture", (time.perf_counter() - t0) * 1e3)
            if frame is None:
                return
            self._emit(frame, self.clock.now())  # it left the source just now

    def _capture(
        self,
        feed: _Latest | _Fifo,
        ended: threading.Event,
        fatal: list[BaseException],
        stop: threading.Event,
    ) -> None:
        src = self.source
        live = src.mode is SourceMode.LIVE
        failing = False
        while not stop.is_set():
            t0 = time.perf_counter()
            try:
                frame = src.read()
                if frame is None and live:
                    raise SourceError(f"{src.spec} ended")
            except FrameFormatError as exc:
                fatal.append(exc)
                return
            except SourceError as exc:
                if not src.mode.restartable:
                    fatal.append(exc)
                    return
                if not failing:
                    log.warning("%s; sending the slate and retrying", exc)
                    failing = True
                if self.clock.wait(stop, 1.0):
                    return
                try:
                    src.close()
                    src.open()
                except SourceError as again:
                    log.debug("retry failed: %s", again)
                continue
            except Exception as exc:  # a bug in a source: a failure like any other
                if not failing:
                    self._source_raised(exc)
                    failing = True
                else:
                    self.source_errors += 1
                if self.clock.wait(stop, 1.0):
                    return
                try:
                    src.close()
                    src.open()
                except Exception as again:
                    log.debug("retry failed: %s", again)
                continue
            if frame is None:
                ended.set()
                return
            if failing:
                log.warning("%s is back", src.spec)
                failing = False
            self.collector.stage("capture", (time.perf_counter() - t0) * 1e3)
            feed.put(frame)

    # -- lifecycle -------------------------------------------------------------------
    def _refuse_if_closed(self, what: str) -> None:
        if self._closed:
            raise OverlayError(
                f"{what} on a closed pipeline (session {self.session.id}): its source, sinks "
                "and stamps are released; make a new Pipeline"
            )

    def close(self) -> None:
        """Close the source, every sink and the stamps that hold something (the face tag's
        model); each once; errors logged, the first re-raised."""
        if self._closed:
            return
        self._closed = True
        errors: list[BaseException] = [*self.chain.close()]
        closables: list[FrameSource | FrameSink] = [self.source, *self.sinks]
        for thing in closables:
            try:
                thing.close()
            except Exception as exc:
                log.error("closing %s failed: %s", getattr(thing, "spec", thing), exc)
                errors.append(exc)
        if errors:
            err = errors[0]
            if isinstance(err, OverlayError):
                raise err
            raise OverlayError(f"closing the pipeline failed: {err}") from err


def _session_for(output: OutputConfig | None, session: Session | None) -> Session:
    """The pipeline's session: ``session``, or a new one for ``output`` (one size, once)."""
    if session is None:
        output = output or OutputConfig()
        return Session(size=output.size, fps=output.fps)
    if output is not None and (output.size, output.fps) != (session.size, session.fps):
        raise ConfigError(
            f"output {output.size[0]}x{output.size[1]} at {output.fps:g} fps disagrees with "
            f"the session's {session.width}x{session.height} at {session.fps:g} fps; give "
            "one of them"
        )
    return session


def _open_parts(
    source: FrameSource | str,
    sinks: Sequence[FrameSink | str],
    session: Session,
    chain: StampChain,
) -> tuple[FrameSource, list[FrameSink]]:
    """Open the parts named by strings for ``session``; on failure close what was opened
    here (and the stamps), then raise."""
    from overlay.sinks import SinkOptions, open_sink
    from overlay.sources import SourceOptions, open_source

    opened: list[FrameSource | FrameSink] = []
    try:
        if isinstance(source, str):
            source = open_source(source, SourceOptions(size=session.size, fps=session.fps))
            opened.append(source)
        out: list[FrameSink] = []
        for part in sinks:
            if isinstance(part, str):
                named = open_sink(part, SinkOptions(session=session))
                opened.append(named)
                out.append(named)
            else:
                out.append(part)
    except BaseException:
        for thing in opened:
            with contextlib.suppress(Exception):
                thing.close()
        chain.close()
        raise
    return source, out
