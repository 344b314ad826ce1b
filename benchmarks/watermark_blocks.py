"""Per frame, the share of blocks a single frame reads right, after an attack.

    python benchmarks/watermark_blocks.py [--photo astronaut] [--attacks "640x360,..."]

A 60-frame pan over a scikit-image photo at 1280x720 is marked (watermark alone), put
through each attack, and every frame is read on its own under the nominal geometry: a
block reads right when the sign of its bit's soft value is the bit embedded (blocks
crushed, blank or out of view left out). 0.5 is chance. The printout shows where a
codec keeps the mark (its key frames) and where it loses it (the frames predicted from
the previous one).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np
from skimage import data

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.watermark_attacks import ATTACKS
from overlay.watermark import FORMAT_VERSION, Detector, Embedder, Payload
from overlay.watermark.clips import pan_zoom
from overlay.watermark.ecc import encode
from overlay.watermark.layout import PUBLIC_KEY, get_layout

SIZE = (1280, 720)
FRAMES = 60


def block_accuracy(image: np.ndarray, coded: np.ndarray) -> float:
    """Share of the blocks in view that one frame reads right (nominal geometry)."""
    detector = Detector()
    detector.add(image)
    detector.detect()
    geo = detector._geo[0]
    sums, seen = detector._sums[0], detector._seen[0]
    c1, s1 = (np.take(sums[k], geo.value[0]) for k in (0, 1))
    soft = c1 * geo.rot[0] + s1 * geo.rot[1]  # +1 on bit 0's lattice, -1 on bit 1's
    in_view = np.take(seen, geo.pos[0]) > 0
    want = 1 - 2 * coded[get_layout(PUBLIC_KEY).bit[geo.ids]]
    return float(np.mean((np.sign(soft) == want)[in_view]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--photo", default="astronaut")
    parser.add_argument("--attacks", default="none,640x360,640x360 x264 crf23,640x360 x264 crf35")
    parser.add_argument("--every", type=int, default=3, help="print every N-th frame")
    args = parser.parse_args()
    if not hasattr(data, args.photo):
        sys.exit(f"unknown photo {args.photo!r}: use a scikit-image photo such as astronaut")
    names = [a.strip() for a in args.attacks.split(",") if a.strip()]
    for a in names:
        if a not in ATTACKS:
            sys.exit(f"unknown attack {a!r}: use one of {', '.join(ATTACKS)}")
    cv2.setNumThreads(1)
    photo = cv2.cvtColor(getattr(data, args.photo)(), cv2.COLOR_RGB2BGR)
    clip = list(pan_zoom(photo, SIZE, FRAMES, zoom=1.2, noise=1.0, seed=0))
    embedder = Embedder(Payload(FORMAT_VERSION, True, "1a2b3c4d"), SIZE)
    marked = [embedder.apply(f.copy()) for f in clip]
    coded = encode(embedder.bits).astype(np.int64)
    shown = list(range(0, FRAMES, args.every))
    print(f"blocks read right by one frame, {args.photo} pan at {SIZE[0]}x{SIZE[1]} (0.5 = chance)")
    print()
    print("| attack | " + " | ".join(f"f{i}" for i in shown) + " |")
    print("|---|" + "---|" * len(shown))
    for name in names:
        attacked = ATTACKS[name](marked)
        cells = [f"{block_accuracy(attacked[i], coded):.2f}" for i in shown]
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
