"""Cost of embedding and detecting the watermark (format 2, format 1 beside it), against
a plain frame copy measured in the same run.

    python benchmarks/watermark_speed.py [--runs 3] [--frames 150]

One OpenCV thread (the targets are per core). Embed: every frame's ``apply`` is timed,
pooled over the runs (median, p95, p99), on moving content (a pan and zoom over a photo,
played forward and back) and on a still picture (format 2 skips the fit when the picture
did not change; format 1 refits once a second whatever the picture). Detect at 720p: a
60-frame window (2 s) of marked moving content, every ``add`` and one ``detect()`` at
the end timed; the per-frame cost is their sum over 60 (format 2 reads every
``SEARCH_EVERY``-th frame under every geometry hypothesis, the others under the nominal
one only). The ratio column divides the median wall time by that of ``np.copyto`` of one frame of
the same size. CPU columns: ``time.thread_time`` (on a loaded machine the wall time
includes waiting for a core).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np
from skimage import data

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import wm_v1
from benchmarks.watermark_dwtdct import DwtDct, load
from overlay.frames import BGRImage
from overlay.watermark import FORMAT_VERSION, Detector, Embedder, Payload
from overlay.watermark.clips import pan_zoom
from overlay.watermark.detect import SEARCH_EVERY

SIZES = {"720p": (1280, 720), "1080p": (1920, 1080)}
WINDOW = 60
CLIP = 30


class _Embedder(Protocol):
    def apply(self, image: BGRImage) -> BGRImage: ...


class _Detector(Protocol):
    def add(self, image: BGRImage) -> None: ...
    def detect(self) -> object: ...
    def reset(self) -> None: ...


#: One measurement: (wall ms, this thread's CPU ms).
Sample = tuple[float, float]


def _timed(fn: Callable[..., object], *args: object) -> Sample:
    """Wall and thread CPU time of ``fn(*args)``, in ms."""
    c0 = time.thread_time()
    t0 = time.perf_counter()
    fn(*args)
    wall = (time.perf_counter() - t0) * 1e3
    return wall, (time.thread_time() - c0) * 1e3


def _embedders(size: tuple[int, int]) -> dict[str, _Embedder]:
    return {
        "v2": Embedder(Payload(FORMAT_VERSION, True, "1a2b3c4d"), size),
        "v1": wm_v1.Embedder(wm_v1.Payload(1, True, "1a2b3c4d"), size),
    }


def _detectors() -> dict[str, _Detector]:
    return {"v2": Detector(), "v1": wm_v1.Detector()}


def _ping_pong(clip: Sequence[BGRImage], i: int) -> BGRImage:
    """Frame ``i`` of the clip played forward, then backward (no jump at the wrap)."""
    k = i % (2 * len(clip) - 2)
    return clip[k if k < len(clip) else 2 * len(clip) - 2 - k]


def run_once(n: int, photo: BGRImage, times: dict[str, list[Sample]]) -> None:
    """One run: appends per-call samples to ``times`` under each row's name."""

    def put(key: str, *samples: Sample) -> None:
        times.setdefault(key, []).extend(samples)

    for label, size in SIZES.items():
        clip = list(pan_zoom(photo, size, CLIP))
        still = cv2.resize(photo, size, interpolation=cv2.INTER_AREA)
        buf = np.empty_like(clip[0])
        first = clip[0]
        for _ in range(n):
            put(f"np.copyto {label}", _timed(np.copyto, buf, first))
        for fmt in ("v2", "v1"):
            for content in ("moving", "still"):
                embedder = _embedders(size)[fmt]
                for i in range(n):
                    np.copyto(buf, _ping_pong(clip, i) if content == "moving" else still)
                    put(f"{fmt} embed {label}, {content}", _timed(embedder.apply, buf))
    size = SIZES["720p"]
    clip = list(pan_zoom(photo, size, CLIP))
    for fmt, detector in _detectors().items():
        embedder = _embedders(size)[fmt]
        marked = [embedder.apply(_ping_pong(clip, i).copy()) for i in range(WINDOW)]
        adds = [_timed(detector.add, frame) for frame in marked]
        search = _timed(detector.detect)
        if fmt == "v2":
            put("v2 detect add 720p, full search frame", *adds[::SEARCH_EVERY])
            put(
                "v2 detect add 720p, nominal frame",
                *(a for i, a in enumerate(adds) if i % SEARCH_EVERY),
            )
        else:
            put("v1 detect add 720p", *adds)
        put(f"{fmt} detect() 720p, 60-frame window", search)
        per = [sum(a[j] for a in [*adds, search]) / WINDOW for j in (0, 1)]
        put(f"{fmt} detect per 720p frame (60-frame window)", (per[0], per[1]))
        # verify searches each window 5 times (after 1, 4, 15, 30 and 60 frames).
        per = [(sum(a[j] for a in adds) + 5 * search[j]) / WINDOW for j in (0, 1)]
        put(f"{fmt} detect per 720p frame, 5 searches a window (verify)", (per[0], per[1]))
    module = load()
    if module is not None:
        dwt = DwtDct(module, np.random.default_rng(0).integers(0, 2, 32))
        f1080 = cv2.resize(photo, SIZES["1080p"])
        put("dwtDct embed 1080p", _timed(dwt.embed, f1080))
        put("dwtDct read 720p", _timed(dwt.read, clip[0]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--frames", type=int, default=150, help="embedded frames per row")
    args = parser.parse_args()
    if args.runs < 1 or args.frames < 2:
        sys.exit(f"--runs {args.runs} / --frames {args.frames}: need >= 1 run and >= 2 frames")
    cv2.setNumThreads(1)
    photo = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    times: dict[str, list[Sample]] = {}
    for _ in range(args.runs):
        run_once(args.frames, photo, times)

    def med(key: str, j: int = 0) -> float:
        return statistics.median(v[j] for v in times[key])

    print(
        f"watermark speed: 1 OpenCV thread, {args.runs} runs x {args.frames} frames per "
        f"embed row (pooled), {args.runs} windows of {WINDOW} frames per detect row; "
        "wall time, and this thread's CPU time (what the load of other processes adds to "
        "the wall time but not to the CPU time)"
    )
    print()
    print("| what | median ms | p95 ms | p99 ms | CPU median ms | CPU p99 ms | x np.copyto |")
    print("|---|---|---|---|---|---|---|")
    for key, samples in times.items():
        copy = "np.copyto 1080p" if "1080p" in key else "np.copyto 720p"
        p95, p99 = np.percentile([v[0] for v in samples], [95, 99])
        cpu99 = float(np.percentile([v[1] for v in samples], 99))
        print(
            f"| {key} | {med(key):.3f} | {p95:.3f} | {p99:.3f} | {med(key, 1):.3f} | "
            f"{cpu99:.3f} | {med(key) / med(copy):.1f} |"
        )
    print()
    for fmt in ("v2", "v1"):
        key = f"{fmt} detect per 720p frame (60-frame window)"
        wall, cpu = med(key), med(key, 1)
        print(
            f"{fmt} detect at 720p: {wall:.2f} ms per frame = {1e3 / wall:.1f} frames/s "
            f"(CPU {cpu:.2f} ms = {1e3 / cpu:.1f} frames/s) on one core"
        )
    if "dwtDct embed 1080p" not in times:
        print("dwtDct: not installed (pip install --no-deps invisible-watermark PyWavelets)")


if __name__ == "__main__":
    main()
