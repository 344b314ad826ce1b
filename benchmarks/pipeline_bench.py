"""Pipeline benchmark: banner + mark cost and unpaced fps, against a plain frame copy.

Run: python benchmarks/pipeline_bench.py [--frames N]

Prints, per output size, the median/p95 ms of each stage of synthetic -> stamps -> null
(unpaced, one thread), each as a multiple of np.copyto of the same frame measured in the
same run, the fps, the RSS growth over the run, and for reference the common tutorial
pattern (copy + full-frame cv2.addWeighted + a [..., ::-1] channel flip).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from types import SimpleNamespace

import cv2
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from overlay.cli.bench import bench


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def tutorial_ms(size: tuple[int, int], n: int = 60) -> float:
    w, h = size
    frame = np.random.default_rng(0).integers(0, 256, (h, w, 3), dtype=np.uint8)
    overlay_img = np.zeros_like(frame)
    cv2.putText(
        overlay_img,
        "AI-generated",
        (w - 400, 60),
        cv2.FONT_HERSHEY_SIMPLEX,
        1.5,
        (255, 255, 255),
        3,
    )
    t = []
    for _ in range(n):
        t0 = time.perf_counter()
        out = frame.copy()
        out = cv2.addWeighted(out, 1.0, overlay_img, 0.8, 0)
        out = np.ascontiguousarray(out[..., ::-1])
        t.append((time.perf_counter() - t0) * 1e3)
    return float(np.median(t))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=600)
    args = ap.parse_args()
    banner_args = SimpleNamespace(
        preset=None, lang=None, position=None, banner_text=None, banner_height=None
    )
    print(f"# overlay pipeline benchmark ({os.cpu_count()} CPUs visible, one pipeline thread)")
    print(f"{'run':<28}{'stage':<18}{'median ms':>10}{'p95 ms':>9}{'x copy':>8}")
    summary = []
    for size, visible_only in (
        ((1280, 720), False),
        ((1920, 1080), False),
        ((1280, 720), True),
        ((1920, 1080), True),
    ):
        rss0 = rss_mb()
        r = bench(size, args.frames, banner_args, visible_only=visible_only)
        rss1 = rss_mb()
        c = r["copy_ms"]
        label = r["size"] + (" banner+mark only" if visible_only else " all stamps")
        print(f"{label:<28}{'np.copyto':<18}{c['median_ms']:>10.3f}{c['p95_ms']:>9.3f}{1.0:>8.2f}")
        for name, s in r["stages"].items():
            print(
                f"{label:<28}{name:<18}{s['median_ms']:>10.3f}{s['p95_ms']:>9.3f}{s['x_copy']:>8.2f}"
            )
        tut = tutorial_ms(size)
        print(f"{label:<28}{'tutorial pattern':<18}{tut:>10.3f}{'':>9}{tut / c['median_ms']:>8.2f}")
        summary.append(
            (label, r["banner_plus_mark_median_ms"], r["fps"], rss1 - rss0, c["median_ms"])
        )
    print()
    print(
        f"{'run':<28}{'banner+mark ms':>15}{'x copy':>8}{'pipeline fps':>14}{'RSS growth MB':>15}"
    )
    for label, bm, fps, grow, cp in summary:
        print(f"{label:<28}{bm:>15.3f}{bm / cp:>8.2f}{fps:>14.0f}{grow:>15.1f}")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
