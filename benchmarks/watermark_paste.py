"""The paste target: the picture scaled to 40-60 %, pasted into a 1920x1080 screen
recording, H.264 CRF 28 (issue 10), searched through tile finding.

    python benchmarks/watermark_paste.py [--windows 2] [--contents C,D] [--no-before]

The same contents, sessions and attacks as ``watermark_robustness.py`` (which searches
the whole picture only: 0 of 14 windows). Each window of 60 frames is searched the way
``verify`` and ``watch`` search tiles: the tiles of that window are found
(``overlay.watermark.tiles``) and each is cut out and searched after 1, 4, 15, 30 and 60
frames, the bounds counting 3 targets per checkpoint and refining at the last search
only, as ``verify`` does (refining at every search would leave the list decoder no
read-outs). A tile is read as ``verify`` reads it: by a ``TileDetector`` (each frame
weighed by its sharpness beside the frames before it). Columns:

- "box 4 % inside": the box verify used before (the moving area moved inwards by 4 % of
  its size), made from the true box;
- "tiles": the box tile finding gives (its distance from the true box is printed);
- "exact box": the true box, to tell the box from the signal;
- "unmarked": the same through tile finding on the unmarked twin (must stay 0);
- "... before": the same boxes read as before (a plain ``Detector``), in the same run
  (``--no-before`` leaves them out).

Per window, stderr gets the frames each column needed (``-``: not read).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("OVERLAY_CONFIG_DIR", tempfile.mkdtemp(prefix="overlay-bench-"))

from benchmarks.watermark_attacks import encode, paste
from benchmarks.watermark_robustness import CONTENTS, FPS, KEY, SIZE, session_frames
from overlay.frames import BGRImage
from overlay.session import Session
from overlay.stamps import WatermarkStamp
from overlay.verify import CHECKPOINTS, TILES
from overlay.watermark import Detector
from overlay.watermark.tiles import Box, TileDetector, find_tiles

WINDOW = 60
PASTES = ((0.4, (0.7, 0.6)), (0.5, (0.3, 0.2)), (0.6, (0.1, 0.5)))
CANVAS = (1920, 1080)


def true_box(scale: float, at: tuple[float, float]) -> Box:
    tw, th = round(SIZE[0] * scale), round(SIZE[1] * scale)
    return (round((CANVAS[0] - tw) * at[0]), round((CANVAS[1] - th) * at[1]), tw, th)


def inset(box: Box, share: float = 0.04) -> Box:
    x, y, w, h = box
    mx, my = share * w, share * h
    return (int(x + mx), int(y + my), int(w - 2 * mx), int(h - 2 * my))


def scan(
    frames: list[BGRImage], box: Box | None, before: bool = False
) -> tuple[str | None, int | None]:
    """(sealed id read, frames needed) for the crop ``box`` of ``frames``, read as
    verify reads a tile (``before``: as it did before, with a plain ``Detector``)."""
    if box is None:
        return None, None
    x, y, w, h = box
    kind = Detector if before else TileDetector
    detector = kind(searches=len(CHECKPOINTS) * (1 + TILES))
    for i, image in enumerate(frames, 1):
        detector.add(np.ascontiguousarray(image[y : y + h, x : x + w]))
        if i in CHECKPOINTS:
            # As verify reads a window: the refinement at the last search only, which
            # leaves the list decoder the read-outs the earlier searches did not use.
            r = detector.detect(refine=i == CHECKPOINTS[-1])
            if r.detected and r.payload is not None:
                return r.payload.sealed_id, i
    return None, None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--windows", type=int, default=2)
    parser.add_argument("--contents", default=",".join(CONTENTS))
    parser.add_argument("--no-before", action="store_true", help="leave out the before columns")
    args = parser.parse_args()
    contents = args.contents.split(",")
    cols: tuple[str, ...] = ("box 4 % inside", "tiles", "exact box", "unmarked")
    if not args.no_before:
        cols += ("tiles before", "exact box before", "unmarked before")
    hits: dict[tuple[float, str], int] = {}
    wrong = 0
    errors: dict[float, list[int]] = {}
    total = 0
    t0 = time.perf_counter()
    for n, content in enumerate(contents):
        session_id = f"{(0x9E3779B1 * (n + 1)) & 0xFFFFFFFF:08x}"
        session = Session(SIZE, FPS, id=session_id)
        sealed = WatermarkStamp(session, installation_key=KEY).payload.sealed_id
        frames = WINDOW * args.windows
        marked = session_frames(content, frames, session, "v2")
        plain = session_frames(content, frames, session, "none")
        opts = {"crf": "28", "preset": "veryfast"}
        for scale, at in PASTES:
            m = encode(paste(marked, scale, at=at), "libx264", options=opts)[0]
            p = encode(paste(plain, scale, at=at), "libx264", options=opts)[0]
            exact = true_box(scale, at)
            for w in range(args.windows):
                win = m[w * WINDOW : (w + 1) * WINDOW]
                twin = p[w * WINDOW : (w + 1) * WINDOW]
                found = find_tiles(win, limit=TILES)
                off = [max(abs(b[i] - exact[i]) for i in range(4)) for b in found]
                # The tile box's largest side error in pixels (-1: no tile found).
                errors.setdefault(scale, []).append(min(off) if off else -1)
                boxes = find_tiles(twin, limit=TILES)
                results = {
                    cols[0]: [scan(win, inset(exact))],
                    cols[1]: [scan(win, b) for b in found],
                    cols[2]: [scan(win, exact)],
                    cols[3]: [scan(twin, b) for b in boxes],
                }
                if not args.no_before:
                    results[cols[4]] = [scan(win, b, True) for b in found]
                    results[cols[5]] = [scan(win, exact, True)]
                    results[cols[6]] = [scan(twin, b, True) for b in boxes]
                needed = []
                for col, rs in results.items():
                    ok = any(r[0] == sealed for r in rs)
                    wrong += sum(r[0] is not None and r[0] != sealed for r in rs)
                    if col.startswith("unmarked"):
                        ok = any(r[0] is not None for r in rs)
                    hits[(scale, col)] = hits.get((scale, col), 0) + int(ok)
                    at = [r[1] for r in rs if r[0] is not None]
                    needed.append(f"{col}: {min(at) if at else '-'}")
                print(
                    f"  {content} {round(scale * 100)} % window {w} ({len(found)} tiles): "
                    + ", ".join(needed),
                    file=sys.stderr,
                )
                total += 1 if scale == PASTES[0][0] else 0
        print(f"  {content}: done ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    print(
        f"paste into {CANVAS[0]}x{CANVAS[1]} + x264 crf28: {len(contents)} contents x "
        f"{args.windows} windows of {WINDOW} frames (windows with the payload)"
    )
    print()
    print("| paste | " + " | ".join(cols) + " | tile box error, px (max side) |")
    print("|---|" + "---|" * (len(cols) + 1))
    for scale, _ in PASTES:
        cells = [f"{hits.get((scale, c), 0)}/{total}" for c in cols]
        errs = errors.get(scale, [])
        print(f"| {round(scale * 100)} % | {' | '.join(cells)} | {errs} |")
    print()
    print(f"wrong payloads: {wrong}")


if __name__ == "__main__":
    main()
