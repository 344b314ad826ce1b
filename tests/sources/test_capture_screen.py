"""screen[:N] and region:X,Y,W,H on a real X server (Xvfb), in this process.

mss opens its own connection per grabber, so DISPLAY is set with monkeypatch only for
these tests. (Nothing here lists windows: pywinctl would bind this process to the display.)
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from capture_x11 import ROOT_BGR, SCREEN, XServer

from overlay.cli import main
from overlay.errors import SourceError
from overlay.pipeline import Pipeline
from overlay.session import Session
from overlay.sinks.memory import MemorySink
from overlay.sources import SourceMode, SourceOptions, open_source
from overlay.sources.listing import list_sources
from overlay.sources.screen import RegionSource, ScreenSource


@pytest.fixture
def on_x(xserver: XServer, monkeypatch: pytest.MonkeyPatch) -> XServer:
    monkeypatch.setenv("DISPLAY", xserver.display)
    return xserver


def test_region_delivers_the_screen_pixels_in_bgr(on_x: XServer) -> None:
    # The root window is pure red: BGR (0, 0, 255). Swapped channels would give blue.
    with RegionSource((10, 20, 64, 48), pace=False) as src:
        frame = src.read()
    assert frame is not None
    assert frame.image.shape == (48, 64, 3) and frame.image.dtype == np.uint8
    assert (frame.image == np.array(ROOT_BGR, np.uint8)).all()
    assert not (frame.image == np.array(ROOT_BGR[::-1], np.uint8)).all()
    assert src.granted_size == (64, 48)


def test_screen_source_is_the_whole_monitor_and_marked_generator(on_x: XServer) -> None:
    src = open_source("screen", SourceOptions(fps=30))
    assert isinstance(src, ScreenSource)
    assert src.origin == "generator" and src.mode is SourceMode.LIVE
    with src:
        frame = src.read()
    assert frame is not None and frame.image.shape[:2] == (SCREEN[1], SCREEN[0])
    # Its negative twin: a camera is not generator output.
    assert open_source("webcam:0").origin == "camera"


def test_frames_reuse_a_small_ring_of_buffers(on_x: XServer) -> None:
    with RegionSource((0, 0, 32, 32), pace=False) as src:
        images = [src.read().image for _ in range(4)]  # type: ignore[union-attr]
    assert len({id(a) for a in images[:3]}) == 3  # the next frames do not overwrite a frame
    assert images[3] is images[0]  # ... but no new buffer per frame


def test_reads_are_paced_to_the_requested_rate(on_x: XServer) -> None:
    with RegionSource((0, 0, 32, 32), fps=20) as src:
        t0 = time.monotonic()
        for _ in range(6):
            src.read()
        paced = time.monotonic() - t0
    with RegionSource((0, 0, 32, 32), fps=20, pace=False) as src:
        t0 = time.monotonic()
        for _ in range(6):
            src.read()
        unpaced = time.monotonic() - t0
    assert paced >= 5 / 20 - 0.01  # five waits of 1/20 s: it does not spin
    assert unpaced < 5 / 20


def test_close_wakes_a_waiting_read(on_x: XServer) -> None:
    src = RegionSource((0, 0, 32, 32), fps=0.5)
    src.open()
    src.read()
    src.close()
    src.open()  # reopening starts a new schedule: the first read is immediate
    t0 = time.monotonic()
    src.read()
    assert time.monotonic() - t0 < 1.0
    src.close()
    src.close()  # idempotent


def test_close_from_another_thread_ends_a_waiting_read(on_x: XServer) -> None:
    src = RegionSource((0, 0, 32, 32), fps=0.5)  # the next turn is 2 s away
    src.open()
    src.read()
    errors: list[BaseException] = []

    def read() -> None:
        try:
            src.read()
        except SourceError as exc:
            errors.append(exc)

    t = threading.Thread(target=read)
    t0 = time.monotonic()
    t.start()
    time.sleep(0.1)
    src.close()
    t.join(timeout=5)
    assert time.monotonic() - t0 < 1.0
    assert len(errors) == 1 and "was closed" in str(errors[0])


def test_pipeline_stamps_region_frames(on_x: XServer) -> None:
    session = Session(size=(320, 180), fps=30)
    sink = MemorySink(session.size)
    with Pipeline(RegionSource((0, 0, 160, 90), pace=False), [sink], session=session) as p:
        for _ in range(3):
            p.step()
    assert sink.slates == [False, False, False]
    out = sink.images[-1]
    # Red everywhere (give or take the invisible watermark) except under the banner and mark.
    red = (np.abs(out.astype(np.int16) - np.array(ROOT_BGR, np.int16)) <= 8).all(axis=2)
    assert red.mean() > 0.5 and not red.all()


@pytest.mark.parametrize(
    ("spec", "needle"),
    [
        ("screen:7", "screen 7 does not exist; this system has screen 1"),
        ("region:5000,0,100,100", "region 5000,0,100,100 is not inside the screen"),
        ("region:1200,700,200,200", "spans 0,0 to 1280,800"),
        ("region:0,0,100", "region '0,0,100' is not X,Y,W,H"),
        ("region:0,0,1,100", "is 1x100; width and height must be at least 2"),
        ("screen:two", "screen 'two' is not a number"),
    ],
)
def test_bad_screen_and_region_are_one_line_and_exit_2(
    on_x: XServer, capsys: pytest.CaptureFixture[str], spec: str, needle: str
) -> None:
    code = main(["run", "--source", spec, "--sink", "null", "--frames", "2"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and needle in err[0], err
    assert "Traceback" not in err[0]


@pytest.mark.parametrize("spec", ["screen", "screen:1", "screen:0", "region:1200,700,80,100"])
def test_good_screen_and_region_run(on_x: XServer, spec: str) -> None:
    assert main(["run", "--source", spec, "--sink", "null", "--frames", "2", "--no-pace"]) == 0


def test_listing_has_the_screen_with_its_spec(on_x: XServer) -> None:
    listing = list_sources(windows=False)
    screens = listing.of_kind("screen")
    assert [s.spec for s in screens] == ["screen:1"]
    assert screens[0].size == SCREEN and screens[0].rect == (0, 0, *SCREEN)
    assert "screen" not in listing.problems


def test_off_screen_at_reopen_is_a_source_error(on_x: XServer) -> None:
    # A restart must raise SourceError (the pipeline retries), never anything else.
    src = RegionSource((1279, 799, 64, 64))
    with pytest.raises(SourceError, match="not inside the screen"):
        src.open()
    src.close()
