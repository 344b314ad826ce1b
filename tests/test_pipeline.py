from __future__ import annotations

import logging
import threading
import time

import numpy as np
import pytest

from overlay.config import BannerConfig
from overlay.errors import SourceError
from overlay.frames import BGRImage, Frame
from overlay.pipeline import BAR_LEVEL, Fitter, Pipeline
from overlay.session import Session
from overlay.sinks.memory import MemorySink
from overlay.slate import render_slate
from overlay.sources.base import BaseSource, SourceMode
from overlay.sources.synthetic import SyntheticSource
from overlay.stamps import default_stamps
from tests.fake_clock import FakeClock

SIZE = (320, 180)


class ScriptedSource(BaseSource):
    """A live source on a simulated clock whose behaviour after ``ok_frames`` frames is
    scripted: ``stall`` until ``until`` (simulated seconds after opening), or ``raise``
    SourceError until then."""

    spec = "scripted"
    mode = SourceMode.LIVE

    def __init__(
        self, clock: FakeClock, ok_frames: int, then: str, until: float = 0.0, fps: float = 60.0
    ) -> None:
        super().__init__()
        self.clock, self.ok_frames, self.then = clock, ok_frames, then
        self.period, self.until = 1.0 / fps, until
        self.sent = 0
        self.opens = 0
        self.t0: float | None = None
        self.due = 0.0

    def _open(self) -> None:
        self.opens += 1
        if self.t0 is None:
            self.t0 = self.due = self.clock.now()

    def _read(self) -> BGRImage | None:
        assert self.t0 is not None
        if self.sent >= self.ok_frames and self.clock.now() < self.t0 + self.until:
            if self.then == "stall":
                self.clock.sleep(self.t0 + self.until - self.clock.now())
                self.due = self.clock.now()
            elif self.then == "raise":
                raise SourceError("scripted camera unplugged")
        self.clock.sleep(self.due - self.clock.now())  # a camera delivers at its rate
        self.due += self.period
        self.sent += 1
        return np.full((SIZE[1], SIZE[0], 3), 100, np.uint8)


def _pipeline(source: BaseSource, sink: MemorySink, **kw: object) -> Pipeline:
    session = Session(size=SIZE, fps=30)
    return Pipeline(source, [sink], session=session, **kw)  # type: ignore[arg-type]


def test_step_stamps_every_frame() -> None:
    sink = MemorySink(SIZE)
    src = SyntheticSource(SIZE, 30)
    with _pipeline(src, sink) as p:
        for _ in range(5):
            assert p.step() is not None
    assert sink.indices == [0, 1, 2, 3, 4]
    assert not any(sink.slates)
    raw = SyntheticSource(SIZE, 30).read()
    assert raw is not None
    assert not np.array_equal(sink.images[0], raw.image)  # stamps changed the frame
    assert set(sink.session_ids) == {p.session.id}


def test_step_returns_none_when_the_source_ends(tmp_path) -> None:
    from overlay.sources.file import FileSource
    from tests.helpers import still

    sink = MemorySink(SIZE)
    src = FileSource(still(tmp_path / "a.png", *SIZE), loop=False)
    with _pipeline(src, sink) as p:
        assert p.step() is not None
        assert p.step() is None
    assert len(sink.images) == 1


def test_sinks_refuse_unstamped_frames() -> None:
    sink = MemorySink(SIZE)
    with pytest.raises(TypeError, match="takes StampedFrame"):
        sink.send(Frame(np.zeros((180, 320, 3), np.uint8), 0, 0.0))  # type: ignore[arg-type]
    assert sink.images == []


def test_sinks_refuse_frames_of_another_size() -> None:
    sink = MemorySink((640, 360))
    with _pipeline(SyntheticSource(SIZE, 30), MemorySink(SIZE)) as p:
        stamped = p.step()
    assert stamped is not None
    with pytest.raises(ValueError, match="expects frames of shape"):
        sink.send(stamped)


def test_a_stalled_source_gives_the_slate_at_the_output_rate() -> None:
    clock = FakeClock()
    # 3 frames, then nothing until 1.6 s: after 0.5 s of repeating the last frame the
    # slate goes out, at the output rate, until the source is back.
    src = ScriptedSource(clock, ok_frames=3, then="stall", until=1.6)
    sink = MemorySink(SIZE)
    with _pipeline(src, sink, clock=clock) as p:
        p.run(seconds=2.2)
        stats = p.stats()
    # The output rate held through the stall: one frame per tick of 2.2 s at 30 fps (and
    # the first one at 0 s; the last tick may fall just inside the end).
    assert p.frames_sent == stats.frames
    assert round(2.2 * 30) <= p.frames_sent <= round(2.2 * 30) + 2
    # The slate ran from 0.5 s after the last frame (at 2/60 s) until 1.6 s, at 30 fps.
    assert abs(stats.slates - round((1.6 - 2 / 60 - 0.5) * 30)) <= 1
    assert stats.dropped > 0  # the 60 fps source's extra frames, counted
    # What the live sink got: each frame, or counted as dropped (newest kept)
    got, missed = len(sink.slates), stats.sinks["memory"]["dropped"]
    assert isinstance(missed, int) and got + missed == p.frames_sent
    assert sink.slates[0] is False and sink.slates[-1] is False  # recovered
    slate_img = sink.images[sink.slates.index(True)].astype(np.int16)
    expected = render_slate(SIZE, BannerConfig(), with_banner=False).astype(np.int16)
    # Away from the banner, the card and the mark, the slate is the pre-rendered one.
    corner = (slice(SIZE[1] * 3 // 4, None), slice(SIZE[0] * 3 // 4, None))
    assert np.mean(np.abs(slate_img[corner] - expected[corner])) < 3
    assert np.mean(np.abs(slate_img[corner] - 100)) > 30  # not the source's grey


def test_a_healthy_source_gives_no_slate() -> None:
    clock = FakeClock()
    src = ScriptedSource(clock, ok_frames=10_000, then="stall")
    sink = MemorySink(SIZE)
    with _pipeline(src, sink, clock=clock) as p:
        p.run(seconds=1.0)
        stats = p.stats()
    assert round(1.0 * 30) <= p.frames_sent <= round(1.0 * 30) + 2 and stats.slates == 0
    assert not any(sink.slates) and len(sink.slates) > 0
    # the twin: the same source stalling for the whole second gives slates
    clock = FakeClock()
    src = ScriptedSource(clock, ok_frames=3, then="stall", until=10.0)
    with _pipeline(src, MemorySink(SIZE), clock=clock) as p:
        p.run(seconds=1.0)
        assert p.stats().slates > 0


def test_a_failing_camera_is_retried_and_picked_up_again(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    src = ScriptedSource(clock, ok_frames=3, then="raise", until=1.5)
    sink = MemorySink(SIZE)
    caplog.set_level(logging.WARNING)
    with _pipeline(src, sink, clock=clock) as p:
        p.run(seconds=3.5)
        stats = p.stats()
    assert round(3.5 * 30) <= p.frames_sent <= round(3.5 * 30) + 2
    # retried once a (simulated) second: the slate from 0.5 s after the last frame until
    # the first retry after 1.5 s
    assert stats.slates > 0 and any(sink.slates)
    assert sink.slates[-1] is False
    assert src.opens >= 2  # closed and opened again
    assert "unplugged" in caplog.text and "is back" in caplog.text


class BoomStamp:
    name = "boom"

    def __init__(self, fail_on: set[int]) -> None:
        self.fail_on = fail_on

    def apply(self, frame: Frame) -> Frame:
        if frame.index in self.fail_on:
            raise RuntimeError("stamp exploded")
        return frame


def test_a_stamp_that_raises_turns_the_frame_into_the_slate(
    caplog: pytest.LogCaptureFixture,
) -> None:
    session = Session(size=SIZE, fps=30)
    banner = BannerConfig()
    stamps = [*default_stamps(session, banner), BoomStamp({2})]
    sink = MemorySink(SIZE)
    caplog.set_level(logging.ERROR)
    with Pipeline(SyntheticSource(SIZE, 30), [sink], session=session, stamps=stamps) as p:
        for _ in range(4):
            p.step()
    assert sink.slates == [False, False, True, False]
    assert np.array_equal(sink.images[2], render_slate(SIZE, banner, with_banner=True))
    assert "stamp exploded" in caplog.text


def test_fitter_letterboxes_never_crops() -> None:
    out = np.full((180, 320, 3), 7, np.uint8)
    src = np.full((240, 240, 3), 255, np.uint8)  # square into 16:9
    Fitter(out).fit(src)
    cols = np.flatnonzero(np.all(out == 255, axis=(0, 2)))
    assert cols.size == 180 and cols[0] == 70  # full height, centred
    assert np.all(out[:, :70] == BAR_LEVEL) and np.all(
        out[:, 250:] == BAR_LEVEL
    )  # video-black bars


def test_fitter_repaints_the_bars_every_frame() -> None:
    out = np.zeros((180, 320, 3), np.uint8)
    fitter = Fitter(out)
    src = np.full((240, 240, 3), 255, np.uint8)
    fitter.fit(src)
    out[:, :10] = 99  # a stamp drew on the bar
    fitter.fit(src)
    assert np.all(out[:, :70] == BAR_LEVEL)


def test_start_card_leaves_no_trace_on_letterbox_bars() -> None:
    class Square(BaseSource):
        spec = "square"

        def _read(self) -> BGRImage:
            return np.full((400, 400, 3), 200, np.uint8)

    session = Session(size=(1280, 720), fps=30)
    sink = MemorySink((1280, 720))
    with Pipeline(Square(), [sink], session=session) as p:
        for _ in range(62):
            p.step()
    bar = (slice(300, 420), slice(100, 200))  # left bar, where the card spills over
    # The bars carry the watermark (at most 2 levels on a flat area), nothing more.
    off = [np.abs(sink.images[i][bar].astype(np.int16) - BAR_LEVEL) for i in (10, 61)]
    assert off[0].max() > 2  # the card is there during the first 2 s
    assert off[1].max() <= 2  # and fully gone after


def test_fitter_copies_same_size_frames_exactly() -> None:
    out = np.zeros((180, 320, 3), np.uint8)
    src = np.random.default_rng(0).integers(0, 256, (180, 320, 3), dtype=np.uint8)
    Fitter(out).fit(src)
    assert np.array_equal(out, src)
    assert out is not src


def test_run_stops_at_the_frame_limit_and_reports_stats() -> None:
    sink = MemorySink(SIZE)
    with _pipeline(SyntheticSource(SIZE, 30), sink) as p:
        stats = p.run(frames=20, pace=False)
    assert len(sink.images) == 20 and stats.frames == 20
    assert {"fit", "stamp:banner", "stamp:mark", "total"} <= set(stats.stage_ms)
    assert stats.latency_ms[1] >= stats.latency_ms[0] > 0


def test_stop_from_another_thread_ends_run_promptly() -> None:
    sink = MemorySink(SIZE, limit=5)
    with _pipeline(SyntheticSource(SIZE, 30), sink) as p:
        threading.Timer(0.3, p.stop).start()
        t0 = time.monotonic()
        p.run()
        assert time.monotonic() - t0 < 1.5


class ThreadNoting(BaseSource):
    spec = "noting"

    def __init__(self, on_demand: bool) -> None:
        super().__init__()
        self.mode = SourceMode.ON_DEMAND if on_demand else SourceMode.QUEUED
        self.threads: set[str] = set()

    def _read(self) -> BGRImage:
        self.threads.add(threading.current_thread().name)
        return np.zeros((SIZE[1], SIZE[0], 3), np.uint8)


def test_on_demand_sources_are_read_on_the_pipeline_thread() -> None:
    src = ThreadNoting(on_demand=True)
    with _pipeline(src, MemorySink(SIZE, limit=2)) as p:
        p.run(frames=5, pace=False)
    assert src.threads == {threading.current_thread().name}


def test_other_sources_are_read_on_the_capture_thread() -> None:
    src = ThreadNoting(on_demand=False)
    with _pipeline(src, MemorySink(SIZE, limit=2)) as p:
        p.run(frames=5, pace=False)
    assert src.threads == {"overlay-capture"}


class ClosingStamp:
    name = "closing"

    def __init__(self) -> None:
        self.closed = 0

    def apply(self, frame: Frame) -> Frame:
        return frame

    def close(self) -> None:
        self.closed += 1


def test_closing_the_pipeline_closes_its_stamps_once() -> None:
    session = Session(size=SIZE, fps=30)
    stamp = ClosingStamp()
    p = Pipeline(SyntheticSource(SIZE, 30), [MemorySink(SIZE)], session=session, stamps=[stamp])
    p.step()
    assert stamp.closed == 0  # running: untouched
    p.close()
    p.close()
    assert stamp.closed == 1


def test_the_real_clock_is_the_default_and_waits_for_its_event() -> None:
    from overlay.clock import MONOTONIC, Clock

    with _pipeline(SyntheticSource(SIZE, 30), MemorySink(SIZE)) as p:
        assert p.clock is MONOTONIC and isinstance(p.clock, Clock)
    done = threading.Event()
    t0 = MONOTONIC.now()
    assert MONOTONIC.wait(done, 0.01) is False and MONOTONIC.now() > t0
    done.set()
    assert MONOTONIC.wait(done, 60.0) is True  # returns at once when set
    # the twin: an injected clock is the one used (simulated seconds, no sleeping)
    clock = FakeClock(participants=0)
    with _pipeline(SyntheticSource(SIZE, 30), MemorySink(SIZE), clock=clock) as p:
        p.run(seconds=10.0, pace=True)  # 10 simulated seconds, in far less real time
        assert p.clock is clock and p.frames_sent >= 10 * 30
        assert p.stats().elapsed_s >= 10.0
