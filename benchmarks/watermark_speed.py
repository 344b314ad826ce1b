"""Cost of embedding and detecting the watermark, against a plain frame copy.

    python benchmarks/watermark_speed.py [--runs 3] [--frames 150]

One OpenCV thread (the targets are per core). Prints one table; every figure is the
median over runs of the per-run median (p95 in brackets where it matters).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np
from skimage import data

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.watermark_attacks import paste  # noqa: E402
from benchmarks.watermark_dwtdct import DwtDct, load  # noqa: E402
from overlay.watermark import Detector, Embedder, Payload  # noqa: E402
from overlay.watermark.clips import pan_zoom  # noqa: E402

PAYLOAD = Payload(1, True, "1a2b3c4d")


def _ms(fn, n: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times), float(np.percentile(times, 95))


def run_once(frames: int) -> dict[str, tuple[float, float]]:
    photo = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    out: dict[str, tuple[float, float]] = {}
    for label, size in (("1080p", (1920, 1080)), ("720p", (1280, 720))):
        clip = list(pan_zoom(photo, size, 30))
        buf = np.empty_like(clip[0])
        out[f"copy {label}"] = _ms(lambda: np.copyto(buf, clip[0]), frames)
        embedder = Embedder(PAYLOAD, size)
        times = []
        for i in range(frames):
            np.copyto(buf, clip[i % len(clip)])
            t0 = time.perf_counter()
            embedder.apply(buf)
            times.append((time.perf_counter() - t0) * 1e3)
        out[f"embed {label}"] = (statistics.median(times), float(np.percentile(times, 95)))
        out[f"embed {label} max"] = (max(times), max(times))
    # Detection at 720p: per-frame accumulation, and one search (5 per 60-frame window).
    clip = [embedder.apply(f.copy()) for f in pan_zoom(photo, (1280, 720), 30)]
    detector = Detector()
    out["detect add 720p"] = _ms(lambda: detector.add(clip[0]), frames)
    out["detect search 720p"] = _ms(detector.detect, 10)
    small = [cv2.resize(f, (640, 360), interpolation=cv2.INTER_AREA) for f in clip]
    d360 = Detector()
    out["detect add 360p"] = _ms(lambda: d360.add(small[0]), frames)
    out["detect search 360p"] = _ms(d360.detect, 10)
    canvas = paste(clip[:1], 0.5)[0]
    wide = Detector(wide=True)
    wide.add(canvas)
    out["detect wide search 1080p canvas"] = _ms(wide.detect, 2)
    module = load()
    if module is not None:
        dwt = DwtDct(module, np.random.default_rng(0).integers(0, 2, 32))
        f1080 = cv2.resize(photo, (1920, 1080))
        f720 = clip[0]
        out["dwtDct embed 1080p"] = _ms(lambda: dwt.embed(f1080), 3)
        out["dwtDct read 720p"] = _ms(lambda: dwt.read(f720), 3)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--frames", type=int, default=150)
    args = parser.parse_args()
    cv2.setNumThreads(1)
    runs = [run_once(args.frames) for _ in range(args.runs)]
    keys = list(runs[0])

    def med(key: str, i: int) -> float:
        return statistics.median(r[key][i] for r in runs)

    print(f"watermark speed: one OpenCV thread, medians of {args.runs} runs x {args.frames} frames")
    print(f"{'what':34} {'median ms':>10} {'p95 ms':>8} {'x copy':>8}")
    for key in keys:
        if key.startswith("copy"):
            continue
        label = "1080p" if "1080p" in key and "canvas" not in key else "720p"
        copy = med(f"copy {label}", 0)
        print(f"{key:34} {med(key, 0):10.2f} {med(key, 1):8.2f} {med(key, 0) / copy:8.1f}")
    for label in ("1080p", "720p"):
        print(f"{'np.copyto ' + label:34} {med('copy ' + label, 0):10.2f}")
    per_frame = med("detect add 720p", 0) + 5 * med("detect search 720p", 0) / 60
    print(f"detect per 720p frame (add + 5 searches per 60-frame window): {per_frame:.2f} ms")
    if "dwtDct embed 1080p" not in keys:
        print("dwtDct: not installed (pip install --no-deps invisible-watermark PyWavelets)")


if __name__ == "__main__":
    main()
