"""Design variants of the format-2 embedder side by side: bitrate cost against robustness.

    python benchmarks/watermark_variants.py [--variants shipped,blur-0.5,...] [--windows 2]

Content: four scikit-image photos under a pan and zoom with sensor noise (1280x720, 30
fps, ``windows`` x 60 frames each), marked by the watermark alone (no other stamps, so
the bitrate column is the mark's own cost). Per variant: the size of the x264 CRF 23
(veryfast) stream against the unmarked clip's, PSNR, this thread's CPU per embedded
720p frame, and the windows whose 60 frames give the right payload after each attack
(the detector searches after 1, 4, 15, 30 and 60 frames, as verify does).

Variants (the embedder as shipped, with one idea changed):

- ``shipped``: every frame's change fitted to the picture (informed), soft cell edges
  (blur 0.1 cell), at most 3 levels per frame per cell.
- ``blur-0.5``: softer cell edges (0.5 cell): less for an encoder to code where the
  picture moves under the fixed grid, less of a cell's mean moved.
- ``rate-1``: at most 1 level per frame per cell (slower changes).
- ``refit-4``: the fit redone every 4th frame, the mark held in between.
- ``bands-4``: the fit spread over 4 frames, one band of cell rows each.
- ``fixed``: the mark fitted to the first frame only and held (a fixed pattern).
- ``fit-4``: the fit on the picture's grey at 4 pixels per cell side instead of 8
  (cheaper; texture and the per-pixel caps measured twice as coarsely).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np
from skimage import data

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.watermark_attacks import ATTACKS, encode, scan
from overlay.frames import BGRImage
from overlay.watermark import FORMAT_VERSION, Payload, embed
from overlay.watermark.clips import pan_zoom

SIZE = (1280, 720)
WINDOW = 60
PHOTOS = ("astronaut", "coffee", "chelsea", "rocket")
ATTACK_NAMES = ("640x360 x264 crf35", "640x360 x264 300k rt", "640x360 vp8 300k rt")


class _Refit(embed.Embedder):
    """Refits only every ``every``-th frame (the first always)."""

    every = 4

    def _refit(self, image: BGRImage, band: embed._Band, *, at_once: bool) -> bool:
        if self._count % self.every and not at_once:
            return False
        return super()._refit(image, band, at_once=at_once)


class _Fixed(_Refit):
    every = 1 << 30


#: name -> (module constants to set, embedder class)
VARIANTS: dict[str, tuple[dict[str, float], type[embed.Embedder]]] = {
    "shipped": ({}, embed.Embedder),
    "blur-0.5": ({"BLUR": 0.5}, embed.Embedder),
    "rate-1": ({"RATE": 1.0}, embed.Embedder),
    "refit-4": ({}, _Refit),
    "bands-4": ({"BANDS": 4}, embed.Embedder),
    "fixed": ({}, _Fixed),
    "fit-4": ({"FIT": 4}, embed.Embedder),
}


def _photo(name: str) -> BGRImage:
    return np.ascontiguousarray(cv2.cvtColor(getattr(data, name)(), cv2.COLOR_RGB2BGR))


def run(
    variant: str, clips: dict[str, list[BGRImage]], windows: int
) -> tuple[float, float, float, dict[str, int]]:
    """(bitrate overhead %, min PSNR, median CPU ms per frame, windows found per attack)."""
    constants, cls = VARIANTS[variant]
    saved = {k: getattr(embed, k) for k in constants}
    for k, v in constants.items():
        setattr(embed, k, type(saved[k])(v))
    try:
        plain_bytes = marked_bytes = 0
        psnrs: list[float] = []
        cpu: list[float] = []
        found = dict.fromkeys(ATTACK_NAMES, 0)
        for n, (_, plain) in enumerate(clips.items()):
            payload = Payload(FORMAT_VERSION, True, f"{(0x1234567 * (n + 1)) & 0xFFFFFFFF:08x}")
            embedder = cls(payload, SIZE)
            marked = []
            for frame in plain:
                image = frame.copy()
                t0 = time.thread_time()
                embedder.apply(image)
                cpu.append((time.thread_time() - t0) * 1e3)
                marked.append(image)
            for m, p in zip(marked[::10], plain[::10], strict=True):
                mse = float(np.mean((m.astype(np.float32) - p) ** 2))
                psnrs.append(10 * np.log10(255.0**2 / max(mse, 1e-12)))
            options = {"crf": "23", "preset": "veryfast"}
            plain_bytes += encode(plain, "libx264", options=options)[1]
            marked_bytes += encode(marked, "libx264", options=options)[1]
            for name in ATTACK_NAMES:
                attacked = ATTACKS[name](marked)
                for w in range(windows):
                    window = attacked[w * WINDOW : (w + 1) * WINDOW]
                    found[name] += scan(window, payload.sealed_id)[0] is not None
        overhead = 100 * (marked_bytes / plain_bytes - 1)
        return overhead, min(psnrs), float(np.median(cpu[1:])), found
    finally:
        for k, v in saved.items():
            setattr(embed, k, v)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--windows", type=int, default=2, help="windows of 60 frames per photo")
    args = parser.parse_args()
    names = [v.strip() for v in args.variants.split(",") if v.strip()]
    for v in names:
        if v not in VARIANTS:
            sys.exit(f"unknown variant {v!r}: use one of {', '.join(VARIANTS)}")
    if args.windows < 1:
        sys.exit(f"--windows {args.windows}: need at least 1")
    cv2.setNumThreads(1)
    frames = WINDOW * args.windows
    clips = {
        p: list(pan_zoom(_photo(p), SIZE, frames, zoom=1.2, noise=1.0, seed=i))
        for i, p in enumerate(PHOTOS)
    }
    total = len(PHOTOS) * args.windows
    heads = " | ".join(f"{a} (of {total})" for a in ATTACK_NAMES)
    print(
        f"watermark design variants: {len(PHOTOS)} panning photos at {SIZE[0]}x{SIZE[1]}, "
        f"{args.windows} windows of {WINDOW} frames each, watermark alone"
    )
    print()
    print(f"| variant | bitrate at x264 CRF 23 | min PSNR dB | CPU ms/frame | {heads} |")
    print("|---|---|---|---|" + "---|" * len(ATTACK_NAMES))

    def show(f: dict[str, int]) -> str:
        return " | ".join(str(f[a]) for a in ATTACK_NAMES)

    for v in names:
        overhead, psnr, cpu, found = run(v, clips, args.windows)
        print(f"| {v} | +{overhead:.1f} % | {psnr:.1f} | {cpu:.2f} | {show(found)} |", flush=True)


if __name__ == "__main__":
    main()
