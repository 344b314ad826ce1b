"""Per-frame cost of the frame log, and the cost of signing a recording.

Prints medians over many frames, with the ratio to a plain frame copy (np.copyto) measured
in the same run. Run: python benchmarks/provenance_framelog.py [--frames N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from skimage import data as skdata


def _median_ms(fn: Callable[[int], object], n: int) -> float:
    times = []
    for i in range(n):
        t0 = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def _mean_ms(fn: Callable[[int], object], n: int) -> float:
    t0 = time.perf_counter()
    for i in range(n):
        fn(i)
    return (time.perf_counter() - t0) / n * 1e3


def _size_row(w: int, h: int, astronaut: np.ndarray, key: object, tmp: Path, n: int) -> None:
    from overlay.provenance.framelog import FrameLog, frame_digest, perceptual_hash

    frame = cv2.resize(astronaut, (w, h))
    frames = [frame.copy() for _ in range(4)]
    for k, f in enumerate(frames):
        f[0, 0, 0] = k  # distinct frames
    out = np.empty_like(frame)
    copy = _median_ms(lambda i: np.copyto(out, frames[i % 4]), n)
    digest = _median_ms(lambda i: frame_digest(frames[i % 4]), n)
    phash = _median_ms(lambda i: perceptual_hash(frames[i % 4]), n)
    log = FrameLog(tmp / f"{w}.log.jsonl", key, session_id="0badcafe", size=(w, h), fps=30)  # type: ignore[arg-type]
    mean = _mean_ms(lambda i: log.add(frames[i % 4], i), n)
    p50 = _median_ms(lambda i: log.add(frames[i % 4], n + i), n)
    log.close()
    print(
        f"{w}x{h:>5} {copy:8.3f} {digest:8.3f} {phash:8.3f} {mean:13.3f} {p50:12.3f} "
        f"{mean / copy:6.1f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=600)
    args = parser.parse_args()
    n = args.frames
    tmp = Path(tempfile.mkdtemp(prefix="overlay-bench-"))
    os.environ["OVERLAY_CONFIG_DIR"] = str(tmp / "config")
    os.environ["OVERLAY_DATA_DIR"] = str(tmp / "data")

    from overlay.provenance.checks import check_c2pa
    from overlay.provenance.framelog import FrameLog
    from overlay.provenance.keys import load_signing_key
    from overlay.provenance.recording import RecordingInfo, sign_recording

    key = load_signing_key()
    astronaut = cv2.cvtColor(skdata.astronaut(), cv2.COLOR_RGB2BGR)
    print(f"frame log cost per frame ({n} frames; median ms, mean ms for the log incl. records)")
    print(
        f"{'size':>10} {'copyto':>8} {'digest':>8} {'phash':>8} {'log.add mean':>13} "
        f"{'log.add p50':>12} {'ratio':>6}"
    )
    for w, h in ((1280, 720), (1920, 1080)):
        _size_row(w, h, astronaut, key, tmp, n)

    # one record: sign + write + fsync
    log = FrameLog(tmp / "rec.log.jsonl", key, session_id="0badcafe", size=(1280, 720), fps=30)
    small = cv2.resize(astronaut, (1280, 720))
    rec_ms = []
    for i in range(60):
        for j in range(29):
            log.add(small, i * 30 + j)
        t0 = time.perf_counter()
        log.add(small, i * 30 + 29)  # the 30th frame writes the record
        rec_ms.append((time.perf_counter() - t0) * 1e3)
    log.close()
    print(
        f"\nframe that writes a record (sign + write + fsync), 1280x720: median "
        f"{statistics.median(rec_ms):.2f} ms, max {max(rec_ms):.2f} ms"
    )
    size = (tmp / "rec.log.jsonl").stat().st_size
    print(f"log size: {size / 60 / 1024:.1f} KiB per second of 30 fps video")

    # signing a recording (remux with AIGC + C2PA)
    print(f"\n{'recording':>24} {'MB':>6} {'sign s':>7} {'C2PA':>8}")
    for seconds in (10, 60):
        path = tmp / f"r{seconds}.mp4"
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), 30, (1280, 720))
        for i in range(seconds * 30):
            f = small.copy()
            cv2.putText(f, str(i), (50, 100), cv2.FONT_HERSHEY_SIMPLEX, 2, (255, 255, 255), 3)
            writer.write(f)
        writer.release()
        info = RecordingInfo(
            "0badcafe",
            "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia",
            {"Label": "1"},
            seconds * 30,
            30.0,
        )
        t0 = time.perf_counter()
        sign_recording(path, info)
        took = time.perf_counter() - t0
        state = check_c2pa(path).state
        print(
            f"{f'{seconds} s 720p mp4v':>24} {path.stat().st_size / 1e6:6.1f} "
            f"{took:7.2f} {state:>8}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
