"""How long `overlay app` takes to show its first disclosed frame (target: 2 s).

    python benchmarks/app_first_frame.py [--runs 3] [--platform offscreen]

Starts `overlay app` in a fresh process per run (empty config folder, the source given),
reads its log for "first frame on screen", and prints two times per run: from the
window's creation (the app's own log line) and from the process's launch (measured here,
Python start-up and imports included). Medians over the runs; the machine's load average
is printed too, as these are start-up times on a shared machine.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

LINE = re.compile(r"first frame on screen ([0-9.]+) s after the window opened")


def one_run(source: str, platform: str) -> tuple[float, float]:
    env = {**os.environ, "QT_QPA_PLATFORM": platform}
    for name in ("CONFIG", "DATA", "CACHE"):
        env[f"OVERLAY_{name}_DIR"] = tempfile.mkdtemp(prefix="overlay-first-")
    args = [sys.executable, "-m", "overlay", "app", "--quit-after", "20"]
    if source:
        args += ["--source", source]
    start = time.monotonic()
    proc = subprocess.Popen(args, env=env, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    window = launch = float("nan")
    for line in proc.stderr:
        m = LINE.search(line)
        if m:
            launch = time.monotonic() - start
            window = float(m.group(1))
            break
    proc.terminate()
    proc.wait(30)
    return window, launch


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--platform", default="offscreen")
    args = parser.parse_args()
    frame = np.zeros((1080, 1920, 3), np.uint8)
    out = np.empty_like(frame)
    t = time.perf_counter()
    for _ in range(20):
        np.copyto(out, frame)
    copy_ms = (time.perf_counter() - t) / 20 * 1e3
    print(
        f"overlay app, first disclosed frame; {args.runs} runs each, medians; platform "
        f"{args.platform}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; "
        f"np.copyto of one 1080p frame: {copy_ms:.3f} ms"
    )
    print(f"{'source':<28} {'window -> frame s':>18} {'launch -> frame s':>18} {'target':>7}")
    print("-" * 75)
    for label, source in (("automatic (camera, else avatar)", ""), ("synthetic", "synthetic")):
        runs = [one_run(source, args.platform) for _ in range(args.runs)]
        window = statistics.median(r[0] for r in runs)
        launch = statistics.median(r[1] for r in runs)
        met = "met" if window <= 2.0 else "NOT met"
        print(f"{label:<28} {window:>18.2f} {launch:>18.2f} {met:>7}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
