"""Screen-capture cost: a 1280x720 region through the stamps, on one core.

Usage:
    python benchmarks/capture_region.py [--size 1280x720] [--frames 300] [--window]

Uses $DISPLAY, or starts its own Xvfb (1920x1080) when DISPLAY is unset; ``--window`` also
opens the tests' pattern window (tests/sources/window_app.py, PySide6) at the region size,
with openbox when the Xvfb is our own, and measures ``window:`` capture too. The process is
pinned to one CPU (the X server, a separate process, is not: it fills the shared-memory
image, as a desktop's X server would). Prints one table of per-frame medians and p95s with
the ratio to ``np.copyto`` of one output frame measured in the same run, then a paced
30 fps run of the real pipeline with its CPU use.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np

from overlay.config import parse_size
from overlay.faces import FaceSettings
from overlay.pipeline import Pipeline
from overlay.session import Session
from overlay.sinks.memory import NullSink
from overlay.sources.screen import RegionSource, WindowSource

WINDOW_APP = Path(__file__).resolve().parent.parent / "tests" / "sources" / "window_app.py"
WINDOW_TITLE = "overlay capture benchmark window"


@contextlib.contextmanager
def pattern_window(size: tuple[int, int], own_display: bool) -> Iterator[None]:
    """The tests' pattern window, resized to ``size`` (and openbox on our own Xvfb)."""
    procs: list[subprocess.Popen[str]] = []
    try:
        if own_display:
            procs.append(subprocess.Popen(["openbox", "--sm-disable"], stderr=subprocess.DEVNULL))
            time.sleep(1.0)
        app = subprocess.Popen(
            [sys.executable, str(WINDOW_APP), WINDOW_TITLE, "0", "0"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        procs.append(app)
        assert app.stdin is not None and app.stdout is not None
        if app.stdout.readline().strip() != "ready":
            sys.exit("the pattern window did not open")
        app.stdin.write(f"resize {size[0]} {size[1]}\n")
        app.stdin.flush()
        app.stdout.readline()
        time.sleep(0.5)
        yield
    finally:
        for p in reversed(procs):
            p.terminate()
            p.wait(timeout=5)


@contextlib.contextmanager
def x_display() -> Iterator[tuple[str, bool]]:
    """($DISPLAY, False) if set, else (a private Xvfb's display, True) for the duration."""
    if os.environ.get("DISPLAY"):
        yield os.environ["DISPLAY"], False
        return
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        sys.exit("no DISPLAY and no Xvfb (Debian: apt-get install xvfb)")
    r, w = os.pipe()
    proc = subprocess.Popen(
        [
            xvfb,
            "-displayfd",
            str(w),
            "-screen",
            "0",
            "1920x1080x24",
            "-nolisten",
            "tcp",
            "-noreset",
        ],
        pass_fds=(w,),
        stderr=subprocess.DEVNULL,
    )
    os.close(w)
    text = b""
    while not text.endswith(b"\n") and select.select([r], [], [], 15)[0]:
        chunk = os.read(r, 16)
        if not chunk:
            break
        text += chunk
    os.close(r)
    display = f":{text.decode().strip()}"
    os.environ["DISPLAY"] = display
    try:
        yield display, True
    finally:
        del os.environ["DISPLAY"]
        proc.terminate()
        proc.wait(timeout=5)


def timed(fn: Callable[[], object], n: int, warmup: int = 20) -> np.ndarray:
    for _ in range(warmup):
        fn()
    samples = np.empty(n)
    for i in range(n):
        t0 = time.perf_counter()
        fn()
        samples[i] = (time.perf_counter() - t0) * 1e3
    return samples


def row(name: str, ms: np.ndarray | tuple[float, float | None], copy_med: float) -> str:
    if isinstance(ms, np.ndarray):
        med, p95 = float(np.median(ms)), float(np.percentile(ms, 95))
    else:
        med, p95 = ms
    p95_text = "-" if p95 is None else f"{p95:9.3f}"
    return f"| {name:<38} | {med:9.3f} | {p95_text:>9} | {med / copy_med:8.2f} |"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="1280x720", help="region size (default 1280x720)")
    ap.add_argument("--frames", type=int, default=300, help="frames per measurement")
    ap.add_argument("--seconds", type=float, default=5.0, help="length of the paced run")
    ap.add_argument("--window", action="store_true", help="also measure window: capture")
    args = ap.parse_args()
    w, h = parse_size(args.size)
    n = args.frames
    cpu = sorted(os.sched_getaffinity(0))[0]
    os.sched_setaffinity(0, {cpu})
    cv2.setNumThreads(1)

    with x_display() as (display, own), contextlib.ExitStack() as stack:
        if args.window:
            stack.enter_context(pattern_window((w, h), own))
        a = np.random.default_rng(0).integers(0, 256, (h, w, 3), dtype=np.uint8)
        b = np.empty_like(a)
        copy = timed(lambda: np.copyto(b, a), n)
        copy_med = float(np.median(copy))

        src = RegionSource((0, 0, w, h), pace=False)
        src.open()
        grabber = src._grabber  # the source's own mss grabber: grab alone, no conversion
        box = {"left": 0, "top": 0, "width": w, "height": h}
        grab = timed(lambda: grabber.grab(box), n)
        shot = grabber.grab(box)
        bgra = np.frombuffer(shot.raw, np.uint8).reshape(h, w, 4)
        out = np.empty((h, w, 3), np.uint8)
        convert = timed(lambda: cv2.cvtColor(bgra, cv2.COLOR_BGRA2BGR, dst=out), n)
        slice_copy = timed(lambda: np.ascontiguousarray(bgra[..., :3]), n)
        read = timed(src.read, n)
        src.close()

        window = None
        if args.window:
            wsrc = WindowSource(WINDOW_TITLE, pace=False)
            wsrc.open()
            window = timed(wsrc.read, n)
            wsize = wsrc.granted_size
            wsrc.close()

        session = Session(size=(w, h), fps=30.0)
        with Pipeline(
            RegionSource((0, 0, w, h), pace=False),
            [NullSink((w, h))],
            session=session,
            faces=FaceSettings(),
        ) as p:
            for _ in range(60):  # past the start card, caches warm
                p.step()
            p.collector = type(p.collector)()
            t0 = time.perf_counter()
            for _ in range(n):
                p.step()
            unpaced_fps = n / (time.perf_counter() - t0)
            stages = p.stats().stage_ms

        session = Session(size=(w, h), fps=30.0)
        with Pipeline(
            RegionSource((0, 0, w, h), fps=30.0),
            [NullSink((w, h))],
            session=session,
            faces=FaceSettings(),
        ) as p:
            c0, t0 = time.process_time(), time.perf_counter()
            stats = p.run(seconds=args.seconds)
            cpu_share = (time.process_time() - c0) / (time.perf_counter() - t0)

    print(f"display {display}, region {w}x{h}, {n} frames per row, pinned to CPU {cpu}")
    print(f"| {'step':<38} | {'median ms':>9} | {'p95 ms':>9} | {'x copy':>8} |")
    print(f"|{'-' * 40}|{'-' * 11}|{'-' * 11}|{'-' * 10}|")
    print(row(f"np.copyto {w}x{h}x3 (reference)", copy, copy_med))
    print(row("mss grab (XShm, BGRA)", grab, copy_med))
    print(row("BGRA->BGR cv2.cvtColor into a buffer", convert, copy_med))
    print(row("BGRA->BGR by slicing (not used)", slice_copy, copy_med))
    print(row("RegionSource.read (grab+convert)", read, copy_med))
    if window is not None:
        print(row(f"WindowSource.read {wsize[0]}x{wsize[1]} (+geometry)", window, copy_med))
    for name in ("capture", "fit", "stamp:watermark", "stamp:banner", "stamp:mark", "total"):
        if name in stages:
            label = "pipeline capture (= read)" if name == "capture" else f"pipeline {name}"
            print(row(label, stages[name], copy_med))
    capture_plus = stages["capture"][0] + stages["total"][0]
    print(row("capture + fit + stamps + sink (sum)", (capture_plus, None), copy_med))
    print(f"unpaced pipeline on one core: {unpaced_fps:.1f} fps")
    print(
        f"paced run {args.seconds:g} s at 30 fps: {stats.frames} frames ({stats.fps:.1f} fps), "
        f"{stats.slates} slates, {stats.dropped} dropped, process CPU {cpu_share * 100:.0f}% "
        "of one core"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
