"""Cost of embedding and detecting the watermark, against a plain frame copy.

    python benchmarks/watermark_speed.py [--runs 3] [--frames 150]

One OpenCV thread (the targets are per core). Every figure is the median over runs of
the per-run median (p95 beside it). The embedder recomputes its amplitudes every third
frame ("update" frames) and only adds the stored change on the others.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from skimage import data

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.watermark_attacks import paste
from benchmarks.watermark_dwtdct import DwtDct, load
from overlay.watermark import Detector, Embedder, Payload
from overlay.watermark.clips import pan_zoom
from overlay.watermark.embed import UPDATE_EVERY

PAYLOAD = Payload(1, True, "1a2b3c4d")
Stat = tuple[float, float]


def _stat(times: list[float]) -> Stat:
    return statistics.median(times), float(np.percentile(times, 95))


def _ms(fn: Callable[[], object], n: int) -> Stat:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return _stat(times)


def _embed(label: str, size: tuple[int, int], photo: np.ndarray, n: int) -> dict[str, Stat]:
    clip = list(pan_zoom(photo, size, 30))
    buf = np.empty_like(clip[0])
    first = clip[0]
    out = {f"np.copyto {label}": _ms(lambda: np.copyto(buf, first), n)}
    embedder = Embedder(PAYLOAD, size)
    every, update = [], []
    for i in range(n):
        np.copyto(buf, clip[i % len(clip)])
        t0 = time.perf_counter()
        embedder.apply(buf)
        ms = (time.perf_counter() - t0) * 1e3
        every.append(ms)
        if i % UPDATE_EVERY == 0:
            update.append(ms)
    out[f"embed {label} (all frames)"] = _stat(every)
    out[f"embed {label} (update frames)"] = _stat(update)
    return out


def run_once(n: int) -> dict[str, Stat]:
    photo = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    out: dict[str, Stat] = {}
    out |= _embed("1080p", (1920, 1080), photo, n)
    out |= _embed("720p", (1280, 720), photo, n)
    embedder = Embedder(PAYLOAD, (1280, 720))
    clip = [embedder.apply(f.copy()) for f in pan_zoom(photo, (1280, 720), 30)]
    clean = list(pan_zoom(cv2.flip(photo, 1), (1280, 720), 30))
    marked = Detector()
    out["detect add 720p"] = _ms(lambda: marked.add(clip[0]), n)
    out["detect search 720p, marked"] = _ms(marked.detect, 10)
    unmarked = Detector()
    unmarked.add(clean[0])
    out["detect search 720p, unmarked"] = _ms(unmarked.detect, 10)
    canvas = paste(clip[:1], 0.5)[0]
    wide = Detector(wide=True)
    wide.add(canvas)
    out["detect wide search 1080p canvas"] = _ms(wide.detect, 2)
    module = load()
    if module is not None:
        dwt = DwtDct(module, np.random.default_rng(0).integers(0, 2, 32))
        f1080 = cv2.resize(photo, (1920, 1080))
        out["dwtDct embed 1080p"] = _ms(lambda: dwt.embed(f1080), 3)
        out["dwtDct read 720p"] = _ms(lambda: dwt.read(clip[0]), 3)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--frames", type=int, default=150)
    args = parser.parse_args()
    cv2.setNumThreads(1)
    runs = [run_once(args.frames) for _ in range(args.runs)]

    def med(key: str, i: int = 0) -> float:
        return statistics.median(r[key][i] for r in runs)

    print(f"watermark speed: 1 OpenCV thread, median of {args.runs} runs x {args.frames} frames")
    print(f"| {'what':34} | {'median ms':>9} | {'p95 ms':>8} | {'x np.copyto':>11} |")
    print(f"|{'-' * 36}|{'-' * 11}|{'-' * 10}|{'-' * 13}|")
    for key in runs[0]:
        label = "1080p" if "1080p" in key and "canvas" not in key else "720p"
        ratio = med(key) / med(f"np.copyto {label}")
        print(f"| {key:34} | {med(key):9.2f} | {med(key, 1):8.2f} | {ratio:11.1f} |")
    searches = 5  # per 60-frame window (verify's checkpoints)
    for kind in ("marked", "unmarked"):
        per = med("detect add 720p") + searches * med(f"detect search 720p, {kind}") / 60
        print(
            f"detect per 720p frame, {kind} (add + {searches} searches / 60 frames): {per:.2f} ms"
        )
    if "dwtDct embed 1080p" not in runs[0]:
        print("dwtDct: not installed (pip install --no-deps invisible-watermark PyWavelets)")


if __name__ == "__main__":
    main()
