"""Added cost of the face tag per frame (detection + tracking + drawing + the banner's
face check), at 720p and 1080p, against a plain frame copy (np.copyto) in the same run.

    python benchmarks/faces_tag.py [--frames 300] [--repeat 3]

Content: the astronaut's head (scikit-image) moving across a grey frame, plus a run with
no face. "sync" detects inline (every 3rd frame: the whole cost lands on the pipeline's
thread); "async" detects on a worker thread (the pipeline thread pays the crop and the
tracking; the detector's time is shown separately as worker ms per frame).
"""

from __future__ import annotations

import argparse
import statistics
import time

import cv2
import numpy as np

from overlay.config import BannerConfig
from overlay.faces import default_model
from overlay.faces.watch import FaceWatch
from overlay.frames import Frame
from overlay.session import Session
from overlay.stamps import BannerStamp, FaceTagStamp


def frames(size: tuple[int, int], face: bool, n: int = 30) -> list[np.ndarray]:
    from skimage import data

    w, h = size
    a = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    k = h / 720 * 1.6
    head = cv2.resize(a[20:240, 120:330], None, fx=k, fy=k)
    out = []
    for i in range(n):
        f = np.full((h, w, 3), 90, np.uint8)
        if face:
            x = round((0.05 + 0.6 * i / n) * w)
            y = round(h * (0.2 + 0.1 * np.sin(i / 5)))
            f[y : y + head.shape[0], x : x + head.shape[1]] = head
        out.append(f)
    return out + out[::-1]  # ping-pong: the motion stays continuous when cycled


def run(size: tuple[int, int], face: bool, asynchronous: bool, total: int) -> dict[str, float]:
    model = default_model()
    assert model is not None
    session = Session(size, 30.0)
    watch = FaceWatch(model, every=3, asynchronous=asynchronous)
    tag = FaceTagStamp(session, watch)
    banner_faces = BannerStamp(session, BannerConfig(), faces=tag.faces)
    banner_plain = BannerStamp(session, BannerConfig())
    src = frames(size, face)
    work = np.empty_like(src[0])
    copy_ms, tag_ms, extra_banner_ms = [], [], []
    worker0 = time.thread_time() if not asynchronous else None
    cpu0 = time.process_time()
    wall0 = time.perf_counter()
    for i in range(total):
        img = src[i % len(src)]
        t0 = time.perf_counter()
        np.copyto(work, img)
        t1 = time.perf_counter()
        frame = Frame(work, i, i / 30.0)
        tag.apply(frame)
        t2 = time.perf_counter()
        banner_faces.apply(frame)
        t3 = time.perf_counter()
        banner_plain.apply(frame)
        t4 = time.perf_counter()
        copy_ms.append((t1 - t0) * 1e3)
        tag_ms.append((t2 - t1) * 1e3)
        extra_banner_ms.append(((t3 - t2) - (t4 - t3)) * 1e3)
        if asynchronous:
            time.sleep(max(0.0, 1 / 30 - (time.perf_counter() - t0)))  # real time: worker keeps up
    cpu = (time.process_time() - cpu0) * 1e3 / total
    del worker0, wall0
    tags = len(tag.last_tags)
    watch.close()
    added = [a + b for a, b in zip(tag_ms, extra_banner_ms, strict=True)]
    return {
        "copy": statistics.median(copy_ms),
        "mean": statistics.fmean(added),
        "median": statistics.median(added),
        "p95": float(np.percentile(added, 95)),
        "max": max(added),
        "cpu": cpu,
        "detections": watch.detections,
        "tags": tags,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    cv2.setNumThreads(1)
    print(
        f"{'size':>9} {'content':>7} {'mode':>5} | {'copy ms':>7} | {'mean ms':>7} "
        f"{'median':>7} {'p95':>6} {'max':>6} | {'mean/copy':>9} | {'cpu ms/f':>8} | tag"
    )
    for size in ((1280, 720), (1920, 1080)):
        for face in (True, False):
            for asynchronous in (False, True):
                runs = [run(size, face, asynchronous, args.frames) for _ in range(args.repeat)]
                r = {k: statistics.median(x[k] for x in runs) for k in runs[0]}
                print(
                    f"{size[0]}x{size[1]:<4} {'face' if face else 'none':>7} "
                    f"{'async' if asynchronous else 'sync':>5} | {r['copy']:7.3f} | "
                    f"{r['mean']:7.3f} {r['median']:7.3f} {r['p95']:6.2f} {r['max']:6.2f} | "
                    f"{r['mean'] / r['copy']:9.2f} | {r['cpu']:8.2f} | {int(r['tags'])}"
                )
    print(
        f"(median of {args.repeat} runs of {args.frames} frames; 'mean' is the budgeted figure: "
        "added ms per frame on the pipeline thread, tag stamp + the banner's face check; "
        "'cpu ms/f' is the whole process's CPU per frame incl. the worker and the copy; "
        "async runs are paced at 30 fps)"
    )


if __name__ == "__main__":
    main()
