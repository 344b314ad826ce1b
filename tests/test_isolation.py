"""One part's fault never stops or slows another: sinks that raise or crawl, sources that
raise anything."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from unittest import mock

import numpy as np
import pytest

from overlay.cli import main
from overlay.frames import BGRImage, StampedFrame
from overlay.pipeline import Pipeline
from overlay.session import Session
from overlay.sinks.base import BaseSink, Delivery
from overlay.sinks.memory import MemorySink
from overlay.sources.base import BaseSource, SourceMode
from overlay.sources.synthetic import SyntheticSource

SIZE = (320, 180)


class Faulty(BaseSink):
    """Raises at frame ``at`` (once); delivered the newest frame or through a queue."""

    def __init__(self, at: int, delivery: Delivery) -> None:
        super().__init__(SIZE)
        self.at, self.delivery, self.got = at, delivery, 0
        self.spec = f"faulty-{delivery}"

    def _send(self, frame: StampedFrame) -> None:
        if frame.index == self.at:
            raise RuntimeError("injected sink fault")
        self.got += 1


class Slow(BaseSink):
    """Takes 200 ms per frame, on its own thread."""

    spec = "slow"

    def __init__(self) -> None:
        super().__init__(SIZE)
        self.got = 0
        self.ms: list[float] = []

    def _send(self, frame: StampedFrame) -> None:
        time.sleep(0.2)
        self.got += 1


@pytest.mark.parametrize(
    "delivery", ["newest", "queue"], ids=["newest-frame sink raises", "queued sink raises"]
)
def test_a_sink_that_raises_is_left_out_and_the_others_go_on(delivery: Delivery) -> None:
    session = Session(size=SIZE, fps=30)
    faulty, memory = Faulty(5, delivery), MemorySink(SIZE)
    with Pipeline(SyntheticSource(SIZE, 30), [faulty, memory], session=session) as p:
        p.run(frames=40, pace=False)
        stats = p.stats()
    assert len(memory.images) == 40 == p.frames_sent
    assert faulty.got == 5  # frames 0-4; never sent to again after it raised
    (line,) = p.failures()
    assert faulty.spec in line and "RuntimeError: injected sink fault" in line
    assert "injected" in str(stats.sinks[faulty.spec]["failed"])
    assert stats.sinks["memory"]["failed"] is None
    # the twin: a sink that never reaches its fault leaves no failure
    healthy = Faulty(10_000, delivery)
    with Pipeline(SyntheticSource(SIZE, 30), [healthy], session=session) as p:
        p.run(frames=10, pace=False)
    assert p.failures() == [] and healthy.got == 10


def test_a_failed_live_output_leaves_the_recording_whole(tmp_path: Path) -> None:
    """The virtual camera goes away: the recording still gets every frame."""
    import av

    from overlay.sinks.file import FileSink

    session = Session(size=SIZE, fps=30)
    camera, recording = Faulty(3, "newest"), FileSink(tmp_path / "x.mp4", SIZE, 30)
    with Pipeline(SyntheticSource(SIZE, 30), [camera, recording], session=session) as p:
        p.run(frames=30, pace=False)  # unpaced: the recording is waited for, never drops
    assert recording.frames == 30 and recording.dropped == 0 and camera.got == 3
    with av.open(str(tmp_path / "x.mp4")) as c:
        assert sum(1 for _ in c.decode(video=0)) == 30
    (line,) = p.failures()
    assert "faulty-newest" in line


def test_step_isolates_sinks_too() -> None:
    session = Session(size=SIZE, fps=30)
    faulty, memory = Faulty(2, "newest"), MemorySink(SIZE)
    with Pipeline(SyntheticSource(SIZE, 30), [faulty, memory], session=session) as p:
        for _ in range(6):
            p.step()
    assert len(memory.images) == 6 and faulty.got == 2 and len(p.failures()) == 1


def test_when_every_sink_failed_the_run_stops() -> None:
    session = Session(size=SIZE, fps=30)
    faulty = Faulty(3, "newest")
    with Pipeline(SyntheticSource(SIZE, 30), [faulty], session=session) as p:
        p.run(frames=1000, pace=False)
    # the sink runs on its own thread: the frames in flight when it raised (its mailbox,
    # the one being offered) are sent too, then the run stops
    assert faulty.got == 3 and faulty.at < p.frames_sent <= faulty.at + 3
    assert len(p.failures()) == 1


@pytest.mark.parametrize("delivery", ["queue", "newest"], ids=["slow recording", "slow live sink"])
def test_a_slow_sink_does_not_slow_the_others(delivery: Delivery) -> None:
    """A sink taking 200 ms a frame (5 fps) next to a live sink in a paced 30 fps run; a
    slow live sink (a stuck virtual camera) is as isolated as a slow recording."""
    session = Session(size=SIZE, fps=30)
    slow, memory = Slow(), MemorySink(SIZE)
    slow.delivery = delivery
    with Pipeline(SyntheticSource(SIZE, 30), [slow, memory], session=session) as p:
        p.run(frames=90, pace=True)
        stats = p.stats()
    assert p.frames_sent == 90
    # Every frame reached each sink or was counted as dropped for it; the slow one got what
    # it could (a recording's queue of two seconds is sent before it closes; a live sink's
    # mailbox holds only the newest frame), the fast one (nearly) everything.
    dropped = stats.sinks["slow"]["dropped"]
    assert isinstance(dropped, int) and dropped > 0 and slow.got + dropped == 90
    assert stats.sinks["slow"]["sent"] == slow.got
    mem_dropped = stats.sinks["memory"]["dropped"]
    assert isinstance(mem_dropped, int) and len(memory.images) + mem_dropped == 90
    assert len(memory.images) > slow.got
    assert memory.indices == sorted(memory.indices)  # in order, newest last
    # The pipeline's own time per frame stays far below the slow sink's.
    slow_ms = stats.stage_ms["sink:slow (own thread)"][0]
    assert slow_ms >= 200
    assert stats.stage_ms["total"][0] < slow_ms / 2
    assert stats.latency_ms[1] < slow_ms / 2
    # the twin: without threads (step(), one frame at a time) the slow sink sets the pace
    crawling = Slow()
    crawling.delivery = delivery
    with Pipeline(SyntheticSource(SIZE, 30), [crawling, MemorySink(SIZE)], session=session) as p:
        for _ in range(3):
            p.step()
        assert p.stats().stage_ms["total"][0] >= 200


class Raising(BaseSource):
    """A queued source that raises ``exc`` on reads ``bad`` (a set of read numbers)."""

    spec = "raising"
    mode = SourceMode.QUEUED

    def __init__(self, bad: set[int], exc: BaseException) -> None:
        super().__init__()
        self.bad, self.exc, self.reads, self.opens = bad, exc, 0, 0

    def _open(self) -> None:
        self.opens += 1

    def _read(self) -> BGRImage | None:
        self.reads += 1
        if self.reads in self.bad:
            raise self.exc
        return np.full((SIZE[1], SIZE[0], 3), 90, np.uint8)


def test_a_source_raising_anything_gives_the_slate_then_is_retried(
    caplog: pytest.LogCaptureFixture,
) -> None:
    session = Session(size=SIZE, fps=30)
    source = Raising({4}, RuntimeError("injected source bug"))
    memory = MemorySink(SIZE)
    with Pipeline(source, [memory], session=session, stall_timeout=0.2) as p:
        p.run(frames=60, pace=True)
        stats = p.stats()
    assert p.frames_sent == 60  # not an end
    assert stats.slates > 0 and any(memory.slates) and not all(memory.slates)
    assert memory.slates[-1] is False  # the source came back
    assert source.opens >= 2 and stats.source_errors == 1
    (line,) = p.failures()
    assert "RuntimeError: injected source bug" in line
    assert sum("injected source bug" in r.message for r in caplog.records) == 1
    # the twin: a source that never raises
    healthy = Raising(set(), RuntimeError("never"))
    with Pipeline(healthy, [MemorySink(SIZE)], session=session) as p:
        p.run(frames=10, pace=True)
        assert p.stats().slates == 0 and p.failures() == []


def test_cli_exit_code_says_the_source_raised(capsys: pytest.CaptureFixture[str]) -> None:
    real = SyntheticSource._read
    reads = {"n": 0}

    def flaky(self: SyntheticSource) -> BGRImage | None:
        reads["n"] += 1
        if reads["n"] in (5, 6, 7):
            raise ValueError("injected generator bug")
        return real(self)

    with mock.patch.object(SyntheticSource, "_read", flaky):
        args = ["--sink", "null", "--frames", "20", "--json", "--size", "320x180"]
        code = main(["run", "--source", "synthetic", "--no-face-tag", *args])
    out, err = capsys.readouterr()
    info = json.loads(out)
    assert code == 2
    assert info["frames"] == 20 and info["slates"] == 3 and info["source_errors"] == 3
    errors = [line for line in err.splitlines() if line.startswith("overlay: error:")]
    assert len(errors) == 1 and "ValueError: injected generator bug" in errors[0]
    assert "Traceback" not in err
    # the session's signed record says it too
    from overlay.provenance import check_session

    body = check_session(info["session_id"]).manifest.body
    assert len(body["failures"]) == 3 and "injected generator bug" in body["failures"][0]


def test_workers_finish_their_queues_before_the_sinks_close() -> None:
    """Every frame queued for a threaded sink reaches it before close()."""
    closed_with: list[int] = []

    class Counting(BaseSink):
        spec = "counting"

        def __init__(self) -> None:
            super().__init__(SIZE)
            self.got = 0

        def _send(self, frame: StampedFrame) -> None:
            time.sleep(0.002)
            self.got += 1

        def _close(self) -> None:
            closed_with.append(self.got)

    sink = Counting()
    with Pipeline(SyntheticSource(SIZE, 30), [sink], session=Session(size=SIZE, fps=30)) as p:
        p.run(frames=50, pace=False)
    assert closed_with == [50]
    assert threading.active_count() < 50  # no worker left behind per run


def test_read_ahead_of_a_queued_source_is_reported_apart_from_latency(tmp_path: Path) -> None:
    import cv2

    from overlay.sources.file import FileSource

    still = tmp_path / "still.png"
    cv2.imwrite(str(still), np.full((SIZE[1], SIZE[0], 3), 80, np.uint8))
    session = Session(size=SIZE, fps=30)
    with Pipeline(FileSource(still, loop=True), [MemorySink(SIZE)], session=session) as p:
        p.run(frames=30, pace=True)
        stats = p.stats()
    assert stats.read_ahead_ms is not None
    # frames wait about a period per queued frame; the latency counts from the take
    assert stats.latency_ms[0] < stats.read_ahead_ms[0]
    assert "read-ahead" in stats.format() and stats.as_dict()["read_ahead_ms"]
    # the twin: a live source has no read-ahead; its wait for the tick is latency
    with Pipeline(Raising(set(), RuntimeError()), [MemorySink(SIZE)], session=session) as p:
        p.source.mode = SourceMode.LIVE  # type: ignore[misc]
        p.run(frames=10, pace=True)
        assert p.stats().read_ahead_ms is None


class Gate(BaseSink):
    """Holds its first frame until ``release`` is set; keeps the indices it got."""

    spec = "gate"

    def __init__(self) -> None:
        super().__init__(SIZE)
        self.started, self.release = threading.Event(), threading.Event()
        self.indices: list[int] = []
        self.noted: list[int] = []

    def _send(self, frame: StampedFrame) -> None:
        self.started.set()
        self.release.wait(10)
        self.indices.append(frame.index)

    def note_dropped(self, index: int) -> None:
        self.noted.append(index)


@pytest.mark.parametrize("latest", [True, False], ids=["live mailbox", "bounded queue"])
def test_a_busy_live_sink_gets_the_newest_frame_and_stale_ones_are_counted(latest: bool) -> None:
    from overlay.sinks.worker import FramePool, SharedFrame, SinkWorker

    session = Session(size=SIZE, fps=30)
    with Pipeline(SyntheticSource(SIZE, 30), [MemorySink(SIZE)], session=session) as p:
        frames = [p.step() for _ in range(5)]
    gate, pool = Gate(), FramePool((SIZE[1], SIZE[0], 3))
    worker = SinkWorker(gate, "gate", 1, lambda *a: None, lambda *a: None, latest=latest)
    for i, stamped in enumerate(frames):
        assert stamped is not None
        shared = SharedFrame(stamped, pool)
        worker.offer(shared)
        shared.release()
        if i == 0:
            assert gate.started.wait(10)  # frame 0 is being sent; the rest queue behind it
    gate.release.set()
    worker.close()
    assert worker.dropped == 3 == len(gate.noted)
    if latest:  # the stale frames gave way: the newest was shown
        assert gate.indices == [0, 4] and gate.noted == [1, 2, 3]
    else:  # the twin: a recording's queue keeps the oldest, refuses the new
        assert gate.indices == [0, 1] and gate.noted == [2, 3, 4]
    assert pool.made <= 3  # buffers came back to the pool (no full-frame copy per frame)


def test_the_manifest_counts_what_each_output_missed() -> None:
    from overlay.config import OutputConfig
    from overlay.faces import FaceSettings
    from overlay.provenance import check_session
    from overlay.runner import RunSettings, open_session

    settings = RunSettings(
        source="synthetic",
        sinks=("null",),
        faces=FaceSettings(tag=False),
        output=OutputConfig(SIZE, 30),
    )
    slow = Slow()
    slow.delivery = "newest"
    with open_session(settings, extra_sinks=[slow]) as opened:
        opened.pipeline.run(frames=30, pace=True)
        session = opened.session.id
    body = check_session(session).manifest.body
    counts = body["sink_counts"]
    assert "provenance" not in counts  # the log itself is not an output
    assert counts["slow"]["delivery"] == counts["null"]["delivery"] == "newest"
    assert counts["slow"]["dropped"] > 0
    assert counts["slow"]["sent"] + counts["slow"]["dropped"] == 30
    # the twin: the fast output next to it missed (nearly) nothing, all of it counted
    assert counts["null"]["sent"] + counts["null"]["dropped"] == 30
    assert counts["null"]["sent"] > counts["slow"]["sent"]


def test_two_sinks_of_the_same_kind_run_and_are_both_counted() -> None:
    session = Session(size=SIZE, fps=30)
    a, b = MemorySink(SIZE), MemorySink(SIZE)
    with Pipeline(SyntheticSource(SIZE, 30), [a, b], session=session) as p:
        p.run(frames=10, pace=False)
        sinks = p.stats().sinks
    assert len(a.images) == len(b.images) == 10 and p.failures() == []
    # each counted under its own name
    assert sinks["memory"]["sent"] == sinks["memory #2"]["sent"] == 10
