"""Robustness, invisibility and bitrate cost of the watermark: format 2 beside format 1.

    python benchmarks/watermark_robustness.py [--windows 2] [--attacks A,B] [--contents C,D]

Content (1280x720, 30 fps), each through the real pipeline (face tag, banner with its
start card, per-frame mark, watermark): scikit-image photos animated with a pan and zoom
(plus sensor noise), the built-in avatar, the synthetic scene, and a still photo
letterboxed into the frame. Every content is one session of ``windows`` x 60 frames, so
its first window starts with the start card. Format 1 (``benchmarks/wm_v1``: chips of
height/60, stamped first, under the banner) runs on the same frames with the same
session ids. A window counts when its 60 frames give the embedded payload (the detector
searches after 1, 4, 15, 30 and 60 frames); a wrong payload is counted apart (it must
stay 0); "present" counts windows where the mark was claimed without a payload.
"""

from __future__ import annotations

import argparse
import os
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

from benchmarks import wm_v1
from benchmarks.watermark_attacks import ATTACKS, encode
from benchmarks.watermark_call import ClipSource
from overlay.config import BannerConfig
from overlay.frames import BGRImage, Frame
from overlay.pipeline import Pipeline
from overlay.session import Session
from overlay.sinks.memory import MemorySink
from overlay.sources.avatar import AvatarSource
from overlay.sources.base import BaseSource
from overlay.sources.synthetic import SyntheticSource
from overlay.stamps import WatermarkStamp, default_stamps
from overlay.watermark import Detector
from overlay.watermark.clips import pan_zoom

WINDOW = 60
CHECKPOINTS = (1, 4, 15, 30, 60)
SIZE = (1280, 720)
FPS = 30.0
PHOTOS = ("astronaut", "coffee", "chelsea", "rocket")
CONTENTS = (*PHOTOS, "avatar", "synthetic", "still")
KEY = bytes(range(32))


def _photo(name: str) -> BGRImage:
    return np.ascontiguousarray(cv2.cvtColor(getattr(data, name)(), cv2.COLOR_RGB2BGR))


def source_frames(content: str, frames: int, seed: int) -> Iterator[BGRImage]:
    """Unstamped frames of ``content`` (the pipeline fits them to the output)."""
    if content in PHOTOS:
        yield from pan_zoom(_photo(content), SIZE, frames, zoom=1.2, noise=1.0, seed=seed)
    elif content == "still":
        still = _photo("astronaut")  # 512x512: letterboxed into 1280x720
        for _ in range(frames):
            yield still
    else:
        source: BaseSource = (
            AvatarSource(SIZE, FPS) if content == "avatar" else SyntheticSource(SIZE, FPS)
        )
        with source:
            for _ in range(frames):
                frame = source.read()
                assert frame is not None
                yield frame.image.copy()


class V1Stamp:
    """Format 1 as it shipped: the first stamp of the chain."""

    name = "watermark-v1"

    def __init__(self, session: Session) -> None:
        sealed = wm_v1.seal_session_id(session.id, KEY)
        self.payload = wm_v1.Payload(1, True, sealed)
        self.embedder = wm_v1.Embedder(self.payload, session.size)

    def apply(self, frame: Frame) -> Frame:
        self.embedder.apply(frame.image)
        return frame


def session_frames(content: str, frames: int, session: Session, design: str) -> list[BGRImage]:
    """The pipeline's output for one session: format 2 (default stamps), format 1 (its
    stamp first, as it shipped) or no watermark."""
    stamps = default_stamps(session, BannerConfig())
    wm2 = stamps[-1]
    assert isinstance(wm2, WatermarkStamp)
    if design == "v2":
        stamps = [*stamps[:-1], WatermarkStamp(session, installation_key=KEY)]
    elif design == "v1":
        stamps = [V1Stamp(session), *stamps[:-1]]  # type: ignore[list-item]
    else:
        stamps = stamps[:-1]
    sink = MemorySink(session.size)
    source = ClipSource(source_frames(content, frames, seed=int(session.id, 16) % 1000))
    with Pipeline(source, [sink], session=session, stamps=stamps) as p:
        while p.step() is not None:
            pass
    return sink.images


def watermark_alone(plain: list[BGRImage], session: Session, design: str) -> list[BGRImage]:
    """The design's watermark applied to ``plain`` frames (copies)."""
    stamp: WatermarkStamp | V1Stamp = (
        WatermarkStamp(session, installation_key=KEY) if design == "v2" else V1Stamp(session)
    )
    return [stamp.apply(Frame(f.copy(), i, 0.0)).image for i, f in enumerate(plain)]


def scan(frames: list[BGRImage], design: str, sealed: str) -> tuple[int | None, bool, bool]:
    """(frames needed for the right payload or None, a wrong payload, present only)."""
    detector: Detector | wm_v1.Detector
    if design == "v2":
        detector = Detector(searches=len(CHECKPOINTS))
    else:
        detector = wm_v1.Detector(searches=len(CHECKPOINTS))
    present = False
    for i, image in enumerate(frames, 1):
        detector.add(image)
        if i in CHECKPOINTS:
            # As verify does: the refinement at the window's last search.
            result = (
                detector.detect(refine=i == CHECKPOINTS[-1])
                if isinstance(detector, Detector)
                else detector.detect()
            )
            if result.detected and result.payload is not None:
                if result.payload.sealed_id == sealed:
                    return i, False, False
                return None, True, False
            present = present or bool(getattr(result, "present", False))
    return None, False, present


def _flat(image: BGRImage) -> np.ndarray:
    """Pixels whose 17x17 neighbourhood is flat (standard deviation under 1.5 levels)."""
    g = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32)
    mean = cv2.blur(g, (17, 17))
    var = cv2.blur(g * g, (17, 17)) - mean * mean
    return np.asarray(var < 1.5**2)


def psnr(a: BGRImage, b: BGRImage) -> float:
    mse = float(np.mean((a.astype(np.float32) - b) ** 2))
    return 10 * np.log10(255.0**2 / max(mse, 1e-12))


def _bytes(frames: list[BGRImage], crf: int, size: tuple[int, int]) -> int:
    return encode(frames, "libx264", size=size, options={"crf": str(crf), "preset": "veryfast"})[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--windows", type=int, default=2, help="windows per content")
    parser.add_argument("--attacks", help="comma-separated attack names (default: all)")
    parser.add_argument("--contents", default=",".join(CONTENTS))
    parser.add_argument("--designs", default="v2,v1")
    args = parser.parse_args()
    names = args.attacks.split(",") if args.attacks else list(ATTACKS)
    designs = args.designs.split(",")
    contents = args.contents.split(",")
    found: dict[tuple[str, str], list[int | None]] = {}
    wrong: dict[tuple[str, str], int] = {}
    present: dict[tuple[str, str], int] = {}
    misses: dict[tuple[str, str], list[str]] = {}
    quality: dict[tuple[str, str], list[tuple[float, int, float]]] = {}
    sizes: dict[tuple[str, str], list[int]] = {}
    t0 = time.perf_counter()
    for n_content, content in enumerate(contents):
        session_id = f"{(0x9E3779B1 * (n_content + 1)) & 0xFFFFFFFF:08x}"
        session = Session(SIZE, FPS, id=session_id)
        total = WINDOW * args.windows
        plain = session_frames(content, total, session, "none")
        for design in designs:
            marked = session_frames(content, total, session, design)
            sealed = (
                WatermarkStamp(session, installation_key=KEY).payload.sealed_id
                if design == "v2"
                else wm_v1.seal_session_id(session_id, KEY)
            )
            # Invisibility and bitrate: the watermark alone on the output without it
            # (format 2 is the last stamp, so this is exactly its output; format 1 is
            # measured the same way, without the banner drawn over it).
            alone = watermark_alone(plain, session, design)
            diffs = [np.abs(m.astype(np.int16) - p) for m, p in zip(alone, plain, strict=True)]
            quality.setdefault((design, content), []).extend(
                (psnr(m, p), int(d.max()), float(np.mean(d.max(axis=2)[_flat(p)] <= 2)))
                for m, p, d in zip(alone[::15], plain[::15], diffs[::15], strict=True)
            )
            for crf, enc in ((23, SIZE), (35, (640, 360))):
                label = f"x264 crf{crf} {enc[0]}x{enc[1]}"
                sizes.setdefault((design, label), []).append(_bytes(alone, crf, enc))
                if design == designs[0]:
                    sizes.setdefault(("none", label), []).append(_bytes(plain, crf, enc))
            for name in names:
                attacked = ATTACKS[name](marked)
                for w in range(args.windows):
                    window = attacked[w * WINDOW : (w + 1) * WINDOW]
                    needed, bad, only = scan(window, design, sealed)
                    found.setdefault((design, name), []).append(needed)
                    if needed is None:
                        misses.setdefault((design, name), []).append(f"{content}#{w}")
                    wrong[(design, name)] = wrong.get((design, name), 0) + int(bad)
                    present[(design, name)] = present.get((design, name), 0) + int(only)
            print(f"  {content} {design}: done ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    report(names, designs, contents, args.windows, found, wrong, present, quality, sizes)
    print()
    print("windows missed (content#window):")
    for (d, name), where in misses.items():
        print(f"  {d} {name}: {', '.join(where)}")


def report(
    names: list[str],
    designs: list[str],
    contents: list[str],
    windows: int,
    found: dict[tuple[str, str], list[int | None]],
    wrong: dict[tuple[str, str], int],
    present: dict[tuple[str, str], int],
    quality: dict[tuple[str, str], list[tuple[float, int, float]]],
    sizes: dict[tuple[str, str], list[int]],
) -> None:
    def share(v: list[int | None]) -> str:
        return f"{sum(x is not None for x in v)}/{len(v)}"

    print(
        f"watermark robustness: 1280x720 output, {len(contents)} contents "
        f"({', '.join(contents)}) x {windows} windows of {WINDOW} frames; the first window "
        "of each starts with the start card"
    )
    print()
    head = " | ".join(f"{d}: windows with payload (frames needed, median)" for d in designs)
    print(f"| attack | {head} | wrong payloads | {designs[0]}: present, payload unread |")
    print("|---|" + "---|" * len(designs) + "---|---|")
    for name in names:
        cells = []
        for d in designs:
            v = found.get((d, name), [])
            got = sorted(x for x in v if x is not None)
            med = f" ({got[len(got) // 2]})" if got else ""
            cells.append(f"{share(v)}{med}")
        bad = sum(wrong.get((d, name), 0) for d in designs)
        print(f"| {name} | {' | '.join(cells)} | {bad} | {present.get((designs[0], name), 0)} |")
    print()
    print("| design | content | PSNR dB (min) | max change | flat-area pixels changed <= 2 (min) |")
    print("|---|---|---|---|---|")
    for d in designs:
        for c in contents:
            rows = quality.get((d, c), [])
            if rows:
                print(
                    f"| {d} | {c} | {min(r[0] for r in rows):.1f} | {max(r[1] for r in rows)} "
                    f"| {100 * min(r[2] for r in rows):.1f} % |"
                )
    print()
    print("| stream | bytes without watermark | " + " | ".join(designs) + " |")
    print("|---|---|" + "---|" * len(designs))
    for label in dict.fromkeys(k[1] for k in sizes):
        base = sum(sizes.get(("none", label), [0]))
        cells = []
        for d in designs:
            b = sum(sizes.get((d, label), [0]))
            cells.append(f"{b} ({100 * (b - base) / max(base, 1):+.1f}%)")
        print(f"| {label} | {base} | {' | '.join(cells)} |")


if __name__ == "__main__":
    main()
