"""False positives: unmarked windows must never read as marked (the current format).

    python benchmarks/watermark_false_positives.py [--windows 10000] [--frames 4]
        [--max-seconds S] [--seed 0] [--tile]

A window is ``--frames`` frames (default 4) at 640x360, searched after its first and its
last frame (the bounds count both searches; the detector's own presence bound): short
windows, because the detector's cost is its full geometry search, which it runs on
every ``SEARCH_EVERY``-th frame (frame 0 of a window); the other frames are read under
the nominal geometry only. A window counts as a false positive if either search says
``detected`` (a payload passed its keyed check) or ``present`` (the lattice score
reached the presence threshold). Kinds, in equal shares (round robin):

- photos: every bundled scikit-image picture, random zoom, pan, flip and sensor noise;
- flat: black, white or a random grey, with and without noise;
- noise: uniform, Gaussian, blurred Gaussian;
- other public key: photos marked by the current format under a different public key;
- re-encoded footage: photos with a pan through x264 CRF 23-35 at 640x360;
- format 1 marked: photos marked by the frozen format-1 embedder (``benchmarks/wm_v1``):
  another format must not read as the current one.

A control (``--controls``, default 12) runs the same search on photos marked with the
public key at 1280x720 and scaled to 640x360: they must be detected. ``--max-seconds``
stops early (the table says how many windows were done). ``--tile`` reads each window as
``verify`` reads a tile (``overlay.watermark.tiles.TileDetector``: frames weighed by
their sharpness).
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

from benchmarks import wm_v1
from benchmarks.watermark_attacks import encode
from overlay.frames import BGRImage
from overlay.watermark import FORMAT_VERSION, Detector, Embedder, Payload, payload_bound
from overlay.watermark.detect import PRESENCE_BOUND, READS, SEARCH_EVERY
from overlay.watermark.tiles import TileDetector

SIZE = (640, 360)
#: The control's output size (marked there, then scaled to ``SIZE``).
CONTROL_SIZE = (1280, 720)
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


def _pan(
    pic: BGRImage, frames: int, rng: np.random.Generator, size: tuple[int, int] = SIZE
) -> list[BGRImage]:
    """A pan and zoom over ``pic`` (random zoom, direction and speed), sensor noise."""
    w, h = size
    ih, iw = pic.shape[:2]
    zoom = float(rng.uniform(1.0, 2.5))
    start = rng.uniform(0.0, 1.0, 2)
    speed = rng.uniform(-0.05, 0.05, 2)
    sigma = float(rng.uniform(0, 3))
    out = []
    for i in range(frames):
        z = zoom * (1.0 + 0.01 * i)
        cw = min(iw, ih * w / h) / z
        ch = cw * h / w
        fx, fy = np.clip(start + speed * i, 0.0, 1.0)
        x0, y0 = (iw - cw) * fx, (ih - ch) * fy
        sx, sy = w / cw, h / ch
        m = np.array([[sx, 0, -x0 * sx], [0, sy, -y0 * sy]], np.float64)
        frame = cv2.warpAffine(pic, m, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        if sigma > 0:
            frame = np.clip(frame + rng.normal(0.0, sigma, frame.shape), 0, 255).astype(np.uint8)
        out.append(frame)
    return out


def _sealed(rng: np.random.Generator) -> str:
    return f"{int(rng.integers(1 << 32)):08x}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--windows", type=int, default=10000)
    parser.add_argument("--frames", type=int, default=4, help="frames per window (>= 1)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-seconds", type=float, help="stop early after this long")
    parser.add_argument(
        "--controls", type=int, default=12, help="marked windows that must be detected"
    )
    parser.add_argument("--tile", action="store_true", help="read as verify reads a lone tile")
    args = parser.parse_args()
    if args.frames < 1 or args.windows < 1:
        sys.exit(f"--frames {args.frames} / --windows {args.windows}: both must be >= 1")
    frames_n = args.frames
    checkpoints = sorted({1, frames_n})
    rng = np.random.default_rng(args.seed)
    pictures = _pictures()

    def photo(size: tuple[int, int] = SIZE) -> list[BGRImage]:
        pic = pictures[int(rng.integers(len(pictures)))]
        if rng.random() < 0.5:
            pic = cv2.flip(pic, 1)
        return _pan(pic, frames_n, rng, size)

    def flat() -> list[BGRImage]:
        level = int(rng.choice([0, 255, int(rng.integers(1, 255))]))
        sigma = float(rng.choice([0.0, 1.0, 3.0]))
        shape = (SIZE[1], SIZE[0], 3)
        out = []
        for _ in range(frames_n):
            f = rng.normal(level, sigma, shape) if sigma else np.full(shape, level)
            out.append(np.clip(f, 0, 255).astype(np.uint8))
        return out

    def noise() -> list[BGRImage]:
        kind = int(rng.integers(3))
        shape = (SIZE[1], SIZE[0], 3)
        out = []
        for _ in range(frames_n):
            if kind == 0:
                f = rng.integers(0, 256, shape, dtype=np.uint8)
            else:
                g = rng.normal(128, float(rng.uniform(5, 60)), shape)
                if kind == 2:
                    g = cv2.GaussianBlur(g, (0, 0), float(rng.uniform(1, 8)))
                    g = 128 + (g - 128) * 4
                f = np.clip(g, 0, 255).astype(np.uint8)
            out.append(f)
        return out

    def other_key() -> list[BGRImage]:
        payload = Payload(FORMAT_VERSION, True, _sealed(rng))
        embedder = Embedder(payload, SIZE, public_key=OTHER_KEY)
        return [embedder.apply(f) for f in photo()]

    def reencoded() -> list[BGRImage]:
        crf = int(rng.integers(23, 36))
        opts = {"crf": str(crf), "preset": "veryfast"}
        return encode(photo(), "libx264", size=SIZE, options=opts)[0]

    def format_1() -> list[BGRImage]:
        embedder = wm_v1.Embedder(wm_v1.Payload(1, True, _sealed(rng)), SIZE)
        return [embedder.apply(f) for f in photo()]

    kinds: dict[str, Callable[[], list[BGRImage]]] = {
        "photos": photo,
        "flat": flat,
        "noise": noise,
        "other public key": other_key,
        "photos, x264 CRF 23-35": reencoded,
        "format 1 marked (wm_v1)": format_1,
    }
    names = list(kinds)
    counts = dict.fromkeys(names, 0)
    detected = dict.fromkeys(names, 0)
    present = dict.fromkeys(names, 0)
    top = dict.fromkeys(names, -np.inf)
    spent = dict.fromkeys(names, 0.0)
    kind = TileDetector if args.tile else Detector
    detector = kind(searches=len(checkpoints))
    most_reads = 0
    threshold, hypotheses = 0.0, 0
    t0 = time.perf_counter()
    done = 0
    for i in range(args.windows):
        if args.max_seconds and time.perf_counter() - t0 > args.max_seconds:
            break
        name = names[i % len(names)]
        t1 = time.perf_counter()
        frames = kinds[name]()
        detector.reset()
        hit_d = hit_p = False
        for k, frame in enumerate(frames, 1):
            detector.add(frame)
            if k in checkpoints:
                # As verify does: the refinement at the window's last search.
                result = detector.detect(refine=k == checkpoints[-1])
                threshold, hypotheses = result.presence_threshold, result.hypotheses
                top[name] = max(top[name], result.score)
                hit_d |= result.detected
                hit_p |= result.present
        most_reads = max(most_reads, detector.reads)
        detected[name] += hit_d
        present[name] += hit_p
        counts[name] += 1
        spent[name] += time.perf_counter() - t1
        done += 1
        if done % 100 == 0:
            print(f"  {done} windows ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    elapsed = time.perf_counter() - t0
    # The control: the same search finds photos marked with the public key at the
    # output size and sent at 640x360 (as a call app scales them).
    found = 0
    for _ in range(args.controls):
        embedder = Embedder(Payload(FORMAT_VERSION, True, _sealed(rng)), CONTROL_SIZE)
        detector.reset()
        hit = False
        for k, frame in enumerate(photo(CONTROL_SIZE), 1):
            sent = cv2.resize(embedder.apply(frame), SIZE, interpolation=cv2.INTER_AREA)
            detector.add(sent)
            if k in checkpoints:
                result = detector.detect()
                hit |= result.detected and result.payload == embedder.payload
        found += hit
    print(
        f"watermark false positives (format {FORMAT_VERSION}): {done} windows of {frames_n} frames at "
        f"{SIZE[0]}x{SIZE[1]}, searched after frames {checkpoints} (full geometry search "
        f"on every {SEARCH_EVERY}th frame from the first), seed {args.seed}, {elapsed:.0f} s "
        f"({elapsed / max(done, 1):.2f} s per window)"
    )
    print()
    print("| kind | windows | detected | present | highest score | presence threshold | s/window |")
    print("|---|---|---|---|---|---|---|")
    for name in names:
        per = spent[name] / max(counts[name], 1)
        print(
            f"| {name} | {counts[name]} | {detected[name]} | {present[name]} | "
            f"{top[name]:.2f} | {threshold:.2f} | {per:.2f} |"
        )
    total_d, total_p = sum(detected.values()), sum(present.values())
    print(
        f"| **all** | {done} | {total_d} | {total_p} | {max(top.values()):.2f} | {threshold:.2f} | "
        f"{elapsed / max(done, 1):.2f} |"
    )
    print()
    print(
        f"Control: {found} of {args.controls} windows of photos marked with the public key "
        f"at {CONTROL_SIZE[0]}x{CONTROL_SIZE[1]}, sent at {SIZE[0]}x{SIZE[1]}, detected."
    )
    reads = READS * len(checkpoints)
    print(f"Read-outs spent by one window: at most {most_reads}.")
    either = payload_bound(reads) + PRESENCE_BOUND
    print(
        f"Design bound per window: payload <= {payload_bound(reads):.2e} ({reads} read-outs "
        f"x 2^-36); presence <= {PRESENCE_BOUND:.0e} (score >= {threshold:.2f}, Hoeffding + "
        f"union over {hypotheses} geometries x searches); either <= {either:.2e}."
    )


if __name__ == "__main__":
    main()
