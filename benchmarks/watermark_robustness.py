"""Robustness, invisibility and bitrate cost of the watermark, beside invisible-watermark.

    python benchmarks/watermark_robustness.py [--size 1280x720] [--windows 2] [--quick]

Content: scikit-image photos animated with a pan and zoom (plus sensor noise) and the
built-in synthetic source, each frame stamped by the real chain (watermark, banner,
mark). A window is 60 frames (2 s at 30 fps); for each attack the detector accumulates
the window and searches after 1, 4, 15, 30 and 60 frames. A window counts when the
payload read back is the embedded one (a wrong payload is counted separately: it must
stay 0). invisible-watermark's dwtDct (32 bits per frame) gets the same attacks and
counts when any of those frames gives back all 32 bits.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
from skimage import data

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("OVERLAY_CONFIG_DIR", tempfile.mkdtemp(prefix="overlay-bench-"))

from benchmarks.watermark_attacks import ATTACKS, encode
from benchmarks.watermark_dwtdct import DwtDct, load
from overlay.config import BannerConfig, parse_size
from overlay.frames import BGRImage, Frame
from overlay.session import Session
from overlay.sources.synthetic import SyntheticSource
from overlay.stamps import BannerStamp, MarkStamp, WatermarkStamp
from overlay.watermark import Detector
from overlay.watermark.clips import pan_zoom

WINDOW = 60
CHECKPOINTS = (1, 4, 15, 30, 60)
PHOTOS = ("astronaut", "coffee", "chelsea", "rocket")
KEY = bytes(range(32))


def _photo(name: str) -> BGRImage:
    return np.ascontiguousarray(cv2.cvtColor(getattr(data, name)(), cv2.COLOR_RGB2BGR))


def windows(size: tuple[int, int], per_content: int) -> Iterator[tuple[str, list[BGRImage]]]:
    """(content name, 60 unmarked frames) windows."""
    for name in PHOTOS:
        photo = _photo(name)
        for k in range(per_content):
            picture = cv2.flip(photo, 1) if k % 2 else photo
            yield name, list(pan_zoom(picture, size, WINDOW, zoom=1.2 + 0.2 * k, seed=k))
    source = SyntheticSource(size)
    for _ in range(per_content):
        frames = []
        for _ in range(WINDOW):
            frame = source.read()
            assert frame is not None
            frames.append(frame.image)
        yield "synthetic", frames


class Stamper:
    """The real stamp chain of one session (watermark first, then banner and mark)."""

    def __init__(self, size: tuple[int, int], session_id: str, watermark: bool = True) -> None:
        self.session = Session(size, 30.0, id=session_id)
        banner = BannerConfig()
        wm = [WatermarkStamp(self.session, installation_key=KEY)] if watermark else []
        self.watermark = wm[0] if wm else None
        self.stamps = [*wm, BannerStamp(self.session, banner), MarkStamp(self.session)]

    def __call__(self, frames: list[BGRImage]) -> list[BGRImage]:
        out = []
        for i, image in enumerate(frames):
            frame = Frame(image.copy(), i, time.monotonic())
            for stamp in self.stamps:
                frame = stamp.apply(frame)
            out.append(frame.image)
        return out


def scan(frames: list[BGRImage], wide: bool, sealed: str) -> tuple[int | None, bool]:
    """(frames needed for the right payload or None, a wrong payload was read)."""
    detector = Detector(wide=wide, searches=len(CHECKPOINTS))
    for i, image in enumerate(frames, 1):
        detector.add(image)
        if i in CHECKPOINTS:
            result = detector.detect()
            if result.detected and result.payload is not None:
                return (i, False) if result.payload.sealed_id == sealed else (None, True)
    return None, False


def psnr(a: BGRImage, b: BGRImage) -> float:
    mse = float(np.mean((a.astype(np.float32) - b) ** 2))
    return 10 * np.log10(255.0**2 / max(mse, 1e-12))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", default="1280x720", help="pipeline output size")
    parser.add_argument("--windows", type=int, default=2, help="windows per content")
    parser.add_argument("--attacks", help="comma-separated attack names (default: all)")
    parser.add_argument("--no-dwtdct", action="store_true")
    args = parser.parse_args()
    size = parse_size(args.size)
    names = args.attacks.split(",") if args.attacks else list(ATTACKS)
    module = None if args.no_dwtdct else load()
    bits = np.random.default_rng(0).integers(0, 2, 32)
    dwt = DwtDct(module, bits) if module is not None else None

    found: dict[str, list[int | None]] = {n: [] for n in names}
    wrong: dict[str, int] = dict.fromkeys(names, 0)
    dwt_found: dict[str, list[bool]] = {n: [] for n in names}
    quality: list[tuple[str, float, int, float, int]] = []
    bytes_rows: list[tuple[str, int, int, int]] = []
    t_start = time.perf_counter()
    for n_window, (content, frames) in enumerate(windows(size, args.windows)):
        # A fixed session id per window: runs are repeatable and comparable.
        session_id = f"{(0x9E3779B1 * (n_window + 1)) & 0xFFFFFFFF:08x}"
        stamper = Stamper(size, session_id)
        assert stamper.watermark is not None
        sealed = stamper.watermark.payload.sealed_id
        # The watermark alone, for the invisibility figures.
        alone = [stamper.watermark.apply(Frame(f.copy(), 0, 0.0)).image for f in frames[:10]]
        ours = [psnr(m, f) for m, f in zip(alone, frames[:10], strict=True)]
        ours_max = max(
            int(np.abs(m.astype(np.int16) - f).max()) for m, f in zip(alone, frames, strict=False)
        )
        theirs, theirs_max = 0.0, 0
        if dwt is not None:
            marked_d = [dwt.embed(f) for f in frames[:3]]
            theirs = statistics.mean(psnr(m, f) for m, f in zip(marked_d, frames, strict=False))
            theirs_max = max(
                int(np.abs(m.astype(np.int16) - f).max())
                for m, f in zip(marked_d, frames, strict=False)
            )
        quality.append((content, statistics.mean(ours), ours_max, theirs, theirs_max))
        marked = stamper(frames)
        plain = Stamper(size, session_id, watermark=False)(frames)
        for crf, enc_size in ((23, size), (35, (640, 360))):
            opts = {"crf": str(crf), "preset": "veryfast"}
            with_mark = encode(marked, "libx264", size=enc_size, options=opts)[1]
            without = encode(plain, "libx264", size=enc_size, options=opts)[1]
            bytes_rows.append((f"x264 crf{crf} {enc_size[0]}x{enc_size[1]}", with_mark, without, 0))
        dwt_frames = None
        if dwt is not None:
            # dwtDct is image-only and slow: mark the checkpoint frames' neighbourhood once.
            dwt_frames = [dwt.embed(f) for f in plain]
        for name in names:
            attack = ATTACKS[name]
            needed, bad = scan(attack(marked), name.startswith("paste"), sealed)
            found[name].append(needed)
            wrong[name] += int(bad)
            if dwt is not None and dwt_frames is not None:
                attacked = attack(dwt_frames)
                dwt_found[name].append(any(dwt.read(attacked[c - 1]) for c in CHECKPOINTS))
        print(f"  {content}: done ({time.perf_counter() - t_start:.0f} s)", file=sys.stderr)

    n = len(next(iter(found.values())))
    print(
        f"watermark robustness: {args.size} output, {n} windows of {WINDOW} frames "
        f"(photos: {', '.join(PHOTOS)} with pan/zoom/noise; synthetic source), "
        "banner and mark stamped over the watermark"
    )
    print()
    print(
        "| attack | windows with payload | frames needed (median / max) | wrong payloads "
        "| dwtDct windows with all 32 bits |"
    )
    print("|---|---|---|---|---|")
    for name in names:
        got = [v for v in found[name] if v is not None]
        share = f"{len(got)}/{n} ({100 * len(got) / n:.0f}%)"
        frames_needed = f"{statistics.median(got):.0f} / {max(got)}" if got else "-"
        theirs = (
            f"{sum(dwt_found[name])}/{n} ({100 * sum(dwt_found[name]) / n:.0f}%)"
            if dwt is not None
            else "not run"
        )
        print(f"| {name} | {share} | {frames_needed} | {wrong[name]} | {theirs} |")
    print()
    print(
        "| content | PSNR dB (ours) | max change (ours) | PSNR dB (dwtDct) | max change (dwtDct) |"
    )
    print("|---|---|---|---|---|")
    for content in dict.fromkeys(q[0] for q in quality):
        rows = [q for q in quality if q[0] == content]
        print(
            f"| {content} | {min(r[1] for r in rows):.1f} (min) | {max(r[2] for r in rows)} "
            f"| {min(r[3] for r in rows):.1f} | {max(r[4] for r in rows)} |"
        )
    print()
    print("| stream (all stamps vs banner+mark only) | bytes with watermark | without | overhead |")
    print("|---|---|---|---|")
    for label in dict.fromkeys(b[0] for b in bytes_rows):
        rows = [b for b in bytes_rows if b[0] == label]
        w = sum(r[1] for r in rows)
        wo = sum(r[2] for r in rows)
        print(f"| {label} | {w} | {wo} | {100 * (w - wo) / wo:+.1f}% |")


if __name__ == "__main__":
    main()
