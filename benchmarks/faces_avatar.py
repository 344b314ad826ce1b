"""Avatar speed: render cost per frame (idle animation) at 720p/1080p, and the
FaceLandmarker's cost on still photos, measured separately (this machine has no webcam).

    taskset -c 0 python benchmarks/faces_avatar.py [--frames 300] [--repeat 3]

Run it pinned to one core (taskset) for the "one core" figure. The driven estimate is
1000 / (render ms + landmarker ms): what a webcam-driven avatar would reach on that core
(the camera's own capture cost not included).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import cv2
import numpy as np

from overlay.faces import default_model
from overlay.faces.landmarker import FaceLandmarker
from overlay.sources.avatar import AvatarSource


def render_ms(size: tuple[int, int], frames: int) -> tuple[float, float]:
    src = AvatarSource(size, 30.0)
    times = []
    for _ in range(frames):
        t0 = time.perf_counter()
        src.read()
        times.append((time.perf_counter() - t0) * 1e3)
    w, h = size
    a, b = np.zeros((h, w, 3), np.uint8), np.ones((h, w, 3), np.uint8)
    copies = []
    for _ in range(50):
        t0 = time.perf_counter()
        np.copyto(a, b)
        copies.append((time.perf_counter() - t0) * 1e3)
    return statistics.fmean(times), statistics.median(copies)


def landmarker_ms(image: np.ndarray, video: bool, frames: int) -> float:
    model = default_model()
    assert model is not None
    lm = FaceLandmarker(model, video=video)
    assert lm.read(image, 0) is not None, "no face found in the benchmark photo"
    times = []
    for i in range(1, frames + 1):
        t0 = time.perf_counter()
        lm.read(image, i * 33)
        times.append((time.perf_counter() - t0) * 1e3)
    lm.close()
    return statistics.fmean(times)


def main() -> None:
    from skimage import data

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    cv2.setNumThreads(1)
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
    print(f"cores allowed: {cores}; load average: {os.getloadavg()[0]:.1f}")
    astro = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    frame720 = np.full((720, 1280, 3), 90, np.uint8)
    head = cv2.resize(astro[20:240, 120:330], None, fx=1.6, fy=1.6)
    frame720[150 : 150 + head.shape[0], 500 : 500 + head.shape[1]] = head

    print(f"{'avatar render':<34} {'ms/frame':>9} {'fps':>7} {'ms/copy':>8} {'ratio':>6}")
    renders = {}
    for size in ((1280, 720), (1920, 1080)):
        runs = [render_ms(size, args.frames) for _ in range(args.repeat)]
        ms = statistics.median(r[0] for r in runs)
        copy = statistics.median(r[1] for r in runs)
        renders[size] = ms
        print(
            f"{f'{size[0]}x{size[1]} idle animation':<34} {ms:9.2f} {1000 / ms:7.1f} "
            f"{copy:8.3f} {ms / copy:6.1f}"
        )
    print()
    print(f"{'FaceLandmarker on a still photo':<34} {'ms/frame':>9}")
    lms = {}
    for name, image, video in (
        ("astronaut 512x512, IMAGE mode", astro, False),
        ("astronaut 512x512, VIDEO mode", astro, True),
        ("face in 1280x720, VIDEO mode", frame720, True),
    ):
        frames = max(30, args.frames // 3)
        ms = statistics.median(landmarker_ms(image, video, frames) for _ in range(args.repeat))
        lms[name] = ms
        print(f"{name:<34} {ms:9.2f}")
    print()
    total = renders[(1280, 720)] + lms["face in 1280x720, VIDEO mode"]
    print(
        f"driven avatar at 720p, estimated: {total:.2f} ms/frame -> {1000 / total:.1f} fps "
        "on the cores above (render + landmarker, measured separately)"
    )
    print(f"(median of {args.repeat} runs; render: {args.frames} frames, mean ms per frame)")


if __name__ == "__main__":
    main()
