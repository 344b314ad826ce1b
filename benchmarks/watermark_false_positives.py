"""False positives: unmarked windows must never be detected.

    python benchmarks/watermark_false_positives.py [--windows 10000] [--wide 300]

A window is 4 frames at 640x360 searched after 1 and 4 frames (the union bound counts
both searches). Kinds, in equal shares: scikit-image photos (every bundled picture,
random zoom, pan, flip and noise), flat frames (black, white, random grey, with and
without noise), noise (uniform, Gaussian, blurred Gaussian), and photos marked with a
different public key. ``--wide`` more windows (single 1280x720 frames) go through the
wide search (a small picture pasted into a canvas).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from skimage import data

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.watermark_attacks import paste
from overlay.frames import BGRImage
from overlay.watermark import Detector, Embedder, Payload
from overlay.watermark.clips import pan_zoom
from overlay.watermark.detect import threshold_for

SIZE = (640, 360)
FRAMES = 4
CHECKPOINTS = (1, 4)
PICTURES = (
    "astronaut", "chelsea", "coffee", "hubble_deep_field", "immunohistochemistry",
    "retina", "rocket", "cat", "colorwheel", "camera", "moon", "page", "text", "coins",
    "clock", "grass", "gravel", "brick",
)  # fmt: skip
OTHER_KEY = bytes(range(32))


def _pictures() -> list[BGRImage]:
    out = []
    for name in PICTURES:
        try:
            img = getattr(data, name)()
        except Exception:  # a picture that needs a download: skip it
            continue
        if img.dtype != np.uint8:
            img = (img * 255).astype(np.uint8) if img.max() <= 1 else img.astype(np.uint8)
        if img.ndim == 2:
            img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
        elif img.shape[2] == 4:
            img = cv2.cvtColor(img, cv2.COLOR_RGBA2BGR)
        else:
            img = cv2.cvtColor(img, cv2.COLOR_RGB2BGR)
        out.append(np.ascontiguousarray(img))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--windows", type=int, default=10000)
    parser.add_argument("--wide", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--max-seconds", type=float, help="stop the narrow windows early after this long"
    )
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    pictures = _pictures()
    other = Embedder(Payload(1, True, "1a2b3c4d"), SIZE, public_key=OTHER_KEY)

    def photo() -> list[BGRImage]:
        pic = pictures[int(rng.integers(len(pictures)))]
        if rng.random() < 0.5:
            pic = cv2.flip(pic, 1)
        zoom = float(rng.uniform(1.0, 2.5))
        return list(
            pan_zoom(
                pic,
                SIZE,
                FRAMES,
                zoom=zoom,
                noise=float(rng.uniform(0, 3)),
                seed=int(rng.integers(1 << 30)),
            )
        )

    def flat() -> list[BGRImage]:
        level = int(rng.choice([0, 255, int(rng.integers(1, 255))]))
        base = np.full((SIZE[1], SIZE[0], 3), level, np.uint8)
        sigma = float(rng.choice([0.0, 1.0, 3.0]))
        frames = []
        for _ in range(FRAMES):
            n = rng.normal(level, sigma, base.shape) if sigma else base
            frames.append(np.clip(n, 0, 255).astype(np.uint8))
        return frames

    def noise() -> list[BGRImage]:
        kind = int(rng.integers(3))
        frames = []
        for _ in range(FRAMES):
            if kind == 0:
                f = rng.integers(0, 256, (SIZE[1], SIZE[0], 3), dtype=np.uint8)
            else:
                g = rng.normal(128, float(rng.uniform(5, 60)), (SIZE[1], SIZE[0], 3))
                if kind == 2:
                    g = cv2.GaussianBlur(g, (0, 0), float(rng.uniform(1, 8)))
                    g = 128 + (g - 128) * 4
                f = np.clip(g, 0, 255).astype(np.uint8)
            frames.append(f)
        return frames

    def other_key() -> list[BGRImage]:
        return [other.apply(f) for f in photo()]

    kinds: dict[str, Callable[[], list[BGRImage]]] = {
        "photos": photo,
        "flat": flat,
        "noise": noise,
        "other public key": other_key,
    }
    names = list(kinds)
    counts = dict.fromkeys(names, 0)
    hits = dict.fromkeys(names, 0)
    top = dict.fromkeys(names, 0.0)
    t0 = time.perf_counter()
    threshold = 0.0
    done = 0
    for i in range(args.windows):
        if args.max_seconds and time.perf_counter() - t0 > args.max_seconds:
            break
        done += 1
        name = names[i % len(names)]
        detector = Detector(searches=len(CHECKPOINTS))
        for k, frame in enumerate(kinds[name](), 1):
            detector.add(frame)
            if k in CHECKPOINTS:
                result = detector.detect()
                threshold = threshold_for(result.hypotheses)
                top[name] = max(top[name], result.score)
                if result.detected:
                    hits[name] += 1
                    break
        counts[name] += 1
        if (i + 1) % 250 == 0:
            print(f"  {i + 1} windows ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    wide_hits, wide_top, wide_threshold = 0, 0.0, 0.0
    for _ in range(args.wide):
        frames = photo() if rng.random() < 0.7 else noise()
        canvas = paste(frames[:1], float(rng.uniform(0.4, 0.9)), canvas=(1280, 720))[0]
        detector = Detector(wide=True)
        detector.add(canvas)
        result = detector.detect()
        wide_threshold = threshold_for(result.hypotheses)
        wide_top = max(wide_top, result.score)
        wide_hits += int(result.detected)
    elapsed = time.perf_counter() - t0
    print(
        f"watermark false positives: {done} narrow windows ({FRAMES} frames at "
        f"{SIZE[0]}x{SIZE[1]}, searches after {CHECKPOINTS}) + {args.wide} wide single "
        f"frames, seed {args.seed}, {elapsed:.0f} s"
    )
    print()
    print("| kind | windows | detected | highest sync score | threshold |")
    print("|---|---|---|---|---|")
    for name in names:
        print(f"| {name} | {counts[name]} | {hits[name]} | {top[name]:.2f} | {threshold:.2f} |")
    print(
        f"| wide search (photos, noise pasted) | {args.wide} | {wide_hits} | {wide_top:.2f} "
        f"| {wide_threshold:.2f} |"
    )
    print()
    print(
        "Design bound per window: <= 1e-9 (union bound over every chip size, offset and "
        "search, times the 2^-24 keyed check)."
    )


if __name__ == "__main__":
    main()
