"""Event-loop latency of the app's window while a session streams (prints a table).

A 5 ms QTimer on the GUI thread measures its own lateness (the gap between two timeouts
minus 5 ms): that is how long a click or a repaint waits. Scenarios: the window idle, and
a 1080p session at 30 fps (synthetic source, paced like a live session) with the preview
painting, with and without the mirrored self-view. Lateness is compared with one 1080p
``np.copyto`` measured in the same run.

    python benchmarks/app_event_loop.py [--seconds 6] [--repeats 3] [--size 1920x1080]

Runs offscreen unless QT_QPA_PLATFORM is set (e.g. ``xcb`` under xvfb-run).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OVERLAY_CONFIG_DIR", tempfile.mkdtemp(prefix="overlay-bench-"))

from overlay.app.qt import QtCore, QtWidgets
from overlay.app.settings import AppSettings
from overlay.app.window import MainWindow

INTERVAL_MS = 5


def copyto_ms(size: tuple[int, int], n: int = 200) -> float:
    w, h = size
    a = np.random.default_rng(0).integers(0, 255, (h, w, 3), np.uint8)
    b = np.empty_like(a)
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        np.copyto(b, a)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def measure(app: QtWidgets.QApplication, seconds: float) -> list[float]:
    """Lateness samples (ms) of a precise INTERVAL_MS timer over ``seconds``."""
    late: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        late.append(max(0.0, (now - last[0]) * 1e3 - INTERVAL_MS))
        last[0] = now

    timer = QtCore.QTimer()
    timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
    timer.setInterval(INTERVAL_MS)
    timer.timeout.connect(tick)
    timer.start()
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.0005)  # let the loop block like exec() would, without spinning hot
    timer.stop()
    return late[1:]


def run_scenario(
    app: QtWidgets.QApplication, name: str, size: str, seconds: float
) -> dict[str, float]:
    settings = AppSettings(
        source="synthetic", size=size, fps=30.0, self_view="self" in name, setup_done=True
    )
    window = MainWindow(settings=settings, autostart=False, tray=False)
    window.resize(1600, 900)
    window.show()
    fps = shown = 0.0
    if name != "idle window":
        if not window.start():
            raise SystemExit(f"could not start: {window.last_error}")
        deadline = time.perf_counter() + 10
        while window.frames_shown < 10 and time.perf_counter() < deadline:
            app.processEvents()
        shown0 = window.frames_shown
    else:
        shown0 = 0
    t0 = time.perf_counter()
    late = measure(app, seconds)
    elapsed = time.perf_counter() - t0
    if window.running:
        shown = (window.frames_shown - shown0) / elapsed
        r = window.last_readout
        fps = r.stats.fps if r else 0.0
        window.stop()
    window.quit()
    window.deleteLater()
    app.processEvents()
    a = np.array(late)
    return {
        "p50": float(np.percentile(a, 50)),
        "p95": float(np.percentile(a, 95)),
        "p99": float(np.percentile(a, 99)),
        "max": float(a.max()),
        "fps": fps,
        "shown": shown,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--size", default="1920x1080")
    args = parser.parse_args()
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    w, h = (int(x) for x in args.size.split("x"))
    copy = copyto_ms((w, h))
    scenarios = ["idle window", f"{args.size} session", f"{args.size} session + self-view"]
    results: dict[str, list[dict[str, float]]] = {s: [] for s in scenarios}
    for _ in range(args.repeats):
        for s in scenarios:
            results[s].append(run_scenario(app, s, args.size, args.seconds))
    print(
        f"event-loop lateness of a {INTERVAL_MS} ms timer, medians of {args.repeats} runs of "
        f"{args.seconds:g} s; platform {app.platformName()}; "
        f"np.copyto of one {args.size} frame: {copy:.3f} ms"
    )
    head = (
        f"{'scenario':<34}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'max ms':>8}"
        f"{'p95/copy':>10}{'out fps':>9}{'shown/s':>9}"
    )
    print(head)
    print("-" * len(head))
    for s in scenarios:
        med = {k: statistics.median(r[k] for r in results[s]) for k in results[s][0]}
        print(
            f"{s:<34}{med['p50']:>8.2f}{med['p95']:>8.2f}{med['p99']:>8.2f}{med['max']:>8.1f}"
            f"{med['p95'] / copy:>10.1f}{med['fps']:>9.1f}{med['shown']:>9.1f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
