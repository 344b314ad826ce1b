"""Design spike: a mark anchored to the content (it moves with the picture), with an oracle.

    python benchmarks/watermark_follow.py [--photos astronaut,coffee] [--frames 120]
        [--reanchor 40] [--estimate] [--attacks "none,640x360,..."] [--every 1]

The shipped format-2 mark is fixed to the frame's cell grid and refitted every frame. A
codec that predicts a frame from the previous one moved with the picture carries the
previous frame's mark, dragged with the content; the correction back to the fixed grid
must then be coded every frame (bitrate) and falls under the quantiser at low rates.
This script measures the other design, a mark that is a texture of the scene: frame 0's
change is carried into every later frame with the picture's own motion, so motion
compensation predicts it for free, and the reader undoes the motion before detecting.

The motion is an oracle: the photos are animated by ``overlay.watermark.clips.pan_zoom``
(1280x720, zoom 1.2, sensor noise 1.0, as the robustness benchmark), whose affine map
from the photo (canvas) to each frame is replicated here exactly (and checked against
the rendered frames). Variants, each on the same plain frames and the same payload:

- ``shipped``: ``overlay.watermark.Embedder`` on every frame (as the product does).
- ``fixed``: the change of frame 0 (marked - plain) added unchanged to every frame (a
  pattern fixed to the frame: the control).
- ``anchored``: frame 0 marked by the Embedder; its change carried into frame t by the
  map frame 0 -> canvas -> frame t (``cv2.warpAffine`` of the float change) and added.
  Where frame t shows canvas frame 0 did not, it carries no mark.
- ``anchored-N`` (``--reanchor N``): the same, re-anchored every N frames (a fresh
  Embedder fit on frame k, on frame k's grid, carried into frames k..k+N-1): new
  content gets marked, at the price of a jump of the whole mark every N frames.

Reading: ``shipped`` and ``fixed`` are read as received (the product's Detector,
nominal geometry). The anchored variants read each received frame warped back to the
geometry of its anchor frame (the oracle map, scaled to the received size), so the
Detector sees the mark where the anchor frame had it; warped-in border is black (its
blocks count as crushed: no evidence). ``--estimate`` adds the same readers with the
oracle replaced by global motion estimated on the received frames (Lucas-Kanade tracks
of corners, ``cv2.estimateAffinePartial2D`` with RANSAC: each frame predicted from the
previous one, then registered against frame 0 itself, see ``estimate_motion``; the
reader is told which frames are anchors and starts at frame 0, which a real one is not).

Reported, variant x attack (attacks from ``benchmarks/watermark_attacks.py``; the
whole clip is attacked once and cut into windows of 60 frames, the second without a
key frame): the share of blocks one frame reads right under the nominal geometry (the
method of ``benchmarks/watermark_blocks.py``; 0.5 = chance) as key frame / mean of the
rest / min, and the mean over the second window; the windows whose frames give the
right payload (searches after 1, 4, 15, 30, 60 frames); the x264 (veryfast) stream size
at CRF 23 1280x720 and CRF 35 640x360 against the unmarked clip; the lowest PSNR
against the plain frames; the received PSNR against the unmarked original after the
300 kbit/s encoders, beside the unmarked clip's.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import cv2
import numpy as np
import numpy.typing as npt
from skimage import data

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.watermark_attacks import ATTACKS, CHECKPOINTS, encode, scan
from overlay.frames import BGRImage
from overlay.watermark import FORMAT_VERSION, Detector, Embedder, Payload
from overlay.watermark.clips import pan_zoom, pan_zoom_matrix
from overlay.watermark.ecc import encode as encode_bits
from overlay.watermark.layout import PUBLIC_KEY, get_layout

SIZE = (1280, 720)
WINDOW = 60
PHOTOS = ("astronaut", "coffee", "chelsea", "rocket")
ZOOM = 1.2
NOISE = 1.0
DEFAULT_ATTACKS = (
    "none",
    "640x360",
    "640x360 x264 crf23",
    "640x360 x264 crf35",
    "640x360 x264 300k rt",
    "640x360 vp8 300k rt",
)
#: Attacks whose received PSNR is compared with the unmarked clip's (the cost in a call).
CALL_ATTACKS = ("640x360 x264 300k rt", "640x360 vp8 300k rt")
Matrix = npt.NDArray[np.float64]
F32 = npt.NDArray[np.float32]
Grey = npt.NDArray[np.uint8]


# -- the oracle ----------------------------------------------------------------------


def pan_zoom_matrices(
    image_shape: tuple[int, ...], size: tuple[int, int], frames: int, zoom: float
) -> list[Matrix]:
    """The 3x3 map from the photo to each frame of ``pan_zoom``."""
    bottom = np.array([[0.0, 0.0, 1.0]])
    return [
        np.vstack([pan_zoom_matrix(image_shape, size, frames, i, zoom), bottom])
        for i in range(frames)
    ]


def check_matrices(photo: BGRImage, maps: list[Matrix]) -> None:
    """Exit when the replicated maps do not render ``pan_zoom``'s frames (noise off)."""
    rendered = list(pan_zoom(photo, SIZE, len(maps), zoom=ZOOM, noise=0.0))
    for i in (0, len(maps) // 2, len(maps) - 1):
        mine = cv2.warpAffine(
            photo, maps[i][:2], SIZE, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
        )
        if not np.array_equal(mine, rendered[i]):
            sys.exit(f"the oracle's map of frame {i} does not render pan_zoom's frame: fix it")


def scaled(m: Matrix, s: float) -> Matrix:
    """A full-size map between two frames, for frames resized by ``s`` (pixel centres)."""
    c = 0.5 * s - 0.5
    sm = np.array([[s, 0, c], [0, s, c], [0, 0, 1]], np.float64)
    return sm @ m @ np.linalg.inv(sm)


# -- the variants ----------------------------------------------------------------------


def add_change(plain: BGRImage, change: F32) -> BGRImage:
    return np.clip(plain + np.rint(change), 0, 255).astype(np.uint8)


def shipped(plain: list[BGRImage], payload: Payload) -> list[BGRImage]:
    embedder = Embedder(payload, SIZE)
    return [embedder.apply(f.copy()) for f in plain]


def fixed(plain: list[BGRImage], payload: Payload) -> list[BGRImage]:
    first = Embedder(payload, SIZE).apply(plain[0].copy())
    change = first.astype(np.float32) - plain[0]
    return [add_change(p, change) for p in plain]


def anchor_of(t: int, every: int) -> int:
    return t - t % every if every else 0


def anchored(
    plain: list[BGRImage], payload: Payload, maps: list[Matrix], every: int
) -> list[BGRImage]:
    """Frame k's change (a fresh Embedder's, k an anchor) carried with the picture."""
    out = []
    change: F32 | None = None
    for t, p in enumerate(plain):
        k = anchor_of(t, every)
        if t == k or change is None:
            marked = Embedder(payload, SIZE).apply(plain[k].copy())
            change = marked.astype(np.float32) - plain[k]
        motion = maps[t] @ np.linalg.inv(maps[k])  # anchor frame -> frame t
        moved: F32 = cv2.warpAffine(  # type: ignore[assignment]
            change,
            motion[:2],
            SIZE,
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=(0, 0, 0),
        )
        out.append(add_change(p, moved))
    return out


# -- reading -------------------------------------------------------------------------


def _track(
    a: npt.NDArray[np.uint8], b: npt.NDArray[np.uint8], mask: npt.NDArray[np.uint8] | None
) -> Matrix | None:
    """The 4-degree-of-freedom affine map from grey ``a`` to grey ``b`` (Lucas-Kanade
    tracks of Shi-Tomasi corners of ``a`` inside ``mask``, RANSAC), or None."""
    pts = cv2.goodFeaturesToTrack(a, maxCorners=500, qualityLevel=0.01, minDistance=7, mask=mask)
    if pts is None or len(pts) < 8:
        return None
    nxt, status, _ = cv2.calcOpticalFlowPyrLK(a, b, pts, None)  # type: ignore[call-overload]
    ok = status.reshape(-1) == 1
    if ok.sum() < 8:
        return None
    m, _ = cv2.estimateAffinePartial2D(
        pts[ok], nxt[ok], method=cv2.RANSAC, ransacReprojThreshold=1.0
    )
    if m is None:
        return None
    out = np.eye(3)
    out[:2] = m
    return out


def estimate_motion(frames: Sequence[BGRImage]) -> tuple[list[Matrix], int]:
    """Frame 0 -> frame t maps at the received size, and how many steps failed.

    Each frame is first predicted from the previous one (consecutive frames tracked,
    chained), then registered against frame 0 itself: frame t warped back with the
    prediction is tracked from frame 0 and the small residual map corrects the
    prediction, so the errors of the steps do not add up (a chain alone drifted by up
    to 109 px in 120 frames after VP8 at 300 kbit/s). A failed step keeps the previous
    frame's map; a failed registration keeps the prediction."""
    first = cast(Grey, cv2.cvtColor(frames[0], cv2.COLOR_BGR2GRAY))
    maps = [np.eye(3)]
    failed = 0
    prev = first
    for image in frames[1:]:
        grey = cast(Grey, cv2.cvtColor(image, cv2.COLOR_BGR2GRAY))
        step = _track(prev, grey, None)
        guess = (step if step is not None else np.eye(3)) @ maps[-1]
        back = warp_back(grey, guess)
        valid = (warp_back(np.full_like(grey, 255), guess) == 255).astype(np.uint8)
        valid = cast(Grey, cv2.erode(valid, np.ones((15, 15), np.uint8)))
        fix = _track(first, back, valid)
        failed += int(step is None) + int(fix is None)
        maps.append(guess @ fix if fix is not None else guess)
        prev = grey
    return maps, failed


def corner_error(estimated: Matrix, oracle: Matrix, size: tuple[int, int]) -> float:
    """The largest distance (pixels) between where two maps send the frame's corners."""
    w, h = size
    corners = np.array([[0, 0, 1], [w - 1, 0, 1], [0, h - 1, 1], [w - 1, h - 1, 1]], float).T
    return float(np.max(np.linalg.norm((estimated @ corners - oracle @ corners)[:2], axis=0)))


def warp_back(image: BGRImage, motion: Matrix) -> BGRImage:
    """``image`` (frame t) in the geometry of the frame ``motion`` maps to it."""
    h, w = image.shape[:2]
    return cast(
        BGRImage,
        cv2.warpAffine(
            image,
            motion[:2],
            (w, h),
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=(0, 0, 0),
        ),
    )


class BlockReader:
    """Per frame, the share of blocks in view one frame reads right under the nominal
    geometry: ``benchmarks/watermark_blocks.py``'s ``block_accuracy``, with one Detector
    reused and only the nominal scale accumulated (no search), so it can run on every
    frame."""

    def __init__(self, coded: npt.NDArray[np.int64]) -> None:
        self.detector = Detector()
        self.want: npt.NDArray[np.int64] | None = None
        self.coded = coded

    def __call__(self, image: BGRImage) -> tuple[float, int]:
        """(share read right, blocks in view)."""
        d = self.detector
        d.reset()
        d.frames = 1  # not a multiple of SEARCH_EVERY: the nominal scale only
        d.add(image)
        geo = d._geo[0]
        sums, seen = d._sums[0], d._seen[0]
        c1, s1 = (np.take(sums[k], geo.value[0]) for k in (0, 1))
        soft = c1 * geo.rot[0] + s1 * geo.rot[1]  # +1 on bit 0's lattice, -1 on bit 1's
        in_view = np.take(seen, geo.pos[0]) > 0
        want = 1 - 2 * self.coded[get_layout(PUBLIC_KEY).bit[geo.ids]]
        n = int(in_view.sum())
        return (float(np.mean((np.sign(soft) == want)[in_view])) if n else 0.5), n


def psnr(a: BGRImage, b: BGRImage) -> float:
    mse = float(np.mean((a.astype(np.float32) - b) ** 2))
    return float(10 * np.log10(255.0**2 / max(mse, 1e-12)))


# -- the run -------------------------------------------------------------------------


@dataclass
class Results:
    blocks: dict[tuple[str, str], list[list[float]]] = field(default_factory=dict)
    in_view: dict[tuple[str, str], list[list[int]]] = field(default_factory=dict)
    windows: dict[tuple[str, str], list[int | None]] = field(default_factory=dict)
    wrong: dict[tuple[str, str], int] = field(default_factory=dict)
    misses: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    sizes: dict[tuple[str, str], int] = field(default_factory=dict)
    psnr_min: dict[str, float] = field(default_factory=dict)
    call_psnr: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    drift: dict[str, list[float]] = field(default_factory=dict)
    failed_steps: dict[str, int] = field(default_factory=dict)


#: A reader: received frames -> per frame, the map from the reference
#: geometry to that frame at the received size (None: read as received).
Reader = Callable[[Sequence[BGRImage]], list[Matrix] | None]


def _photo(name: str) -> BGRImage:
    return np.ascontiguousarray(cv2.cvtColor(getattr(data, name)(), cv2.COLOR_RGB2BGR))


def run_photo(
    n: int,
    name: str,
    frames: int,
    attacks: list[str],
    reanchor: int,
    estimate: bool,
    every: int,
    res: Results,
    t0: float,
) -> list[str]:
    photo = _photo(name)
    maps = pan_zoom_matrices(photo.shape, SIZE, frames, ZOOM)
    check_matrices(photo, maps)
    plain = list(pan_zoom(photo, SIZE, frames, zoom=ZOOM, noise=NOISE, seed=n))
    payload = Payload(FORMAT_VERSION, True, f"{(0x1234567 * (n + 1)) & 0xFFFFFFFF:08x}")
    coded = encode_bits(Embedder(payload, SIZE).bits).astype(np.int64)

    def oracle(every: int) -> Callable[[Sequence[BGRImage]], list[Matrix]]:
        def motions(received: Sequence[BGRImage]) -> list[Matrix]:
            s = received[0].shape[1] / SIZE[0]
            return [
                scaled(maps[t] @ np.linalg.inv(maps[anchor_of(t, every)]), s)
                for t in range(len(received))
            ]

        return motions

    def estimated(every: int, label: str) -> Callable[[Sequence[BGRImage]], list[Matrix]]:
        def motions(received: Sequence[BGRImage]) -> list[Matrix]:
            chain, failed = estimate_motion(received)
            truth = oracle(0)(received)
            size = (received[0].shape[1], received[0].shape[0])
            res.drift.setdefault(label, []).extend(
                corner_error(chain[t], truth[t], size) for t in (WINDOW - 1, len(received) - 1)
            )
            res.failed_steps[label] = res.failed_steps.get(label, 0) + failed
            return [chain[t] @ np.linalg.inv(chain[anchor_of(t, every)]) for t in range(len(chain))]

        return motions

    variants: dict[str, tuple[list[BGRImage], list[tuple[str, Reader]]]] = {
        "shipped": (shipped(plain, payload), [("shipped", lambda _: None)]),
        "fixed": (fixed(plain, payload), [("fixed", lambda _: None)]),
    }
    for every_n in (0, reanchor) if reanchor else (0,):
        label = "anchored" if not every_n else f"anchored-{every_n}"
        readers: list[tuple[str, Reader]] = [(f"{label} (oracle)", oracle(every_n))]
        if estimate:
            est = f"{label} (estimated)"
            readers.append((est, estimated(every_n, est)))
        variants[label] = (anchored(plain, payload, maps, every_n), readers)
    print(f"  {name}: variants rendered ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)

    def x264(fs: Sequence[BGRImage], crf: int, size: tuple[int, int]) -> tuple[list[BGRImage], int]:
        return encode(fs, "libx264", size=size, options={"crf": str(crf), "preset": "veryfast"})

    small = (640, 360)
    res.sizes[("none", "crf23")] = res.sizes.get(("none", "crf23"), 0) + x264(plain, 23, SIZE)[1]
    res.sizes[("none", "crf35")] = res.sizes.get(("none", "crf35"), 0) + x264(plain, 35, small)[1]
    reference = [cast(BGRImage, cv2.resize(p, small, interpolation=cv2.INTER_AREA)) for p in plain]
    for a in CALL_ATTACKS:
        if a in attacks:
            got = ATTACKS[a](plain)
            res.call_psnr.setdefault(("none", a), []).extend(
                psnr(g, r) for g, r in zip(got, reference, strict=True)
            )
    for variant, (marked, readers) in variants.items():
        res.psnr_min[variant] = min(
            res.psnr_min.get(variant, 99.0),
            *(psnr(m, p) for m, p in zip(marked, plain, strict=True)),
        )
        for crf, enc in ((23, SIZE), (35, small)):
            key = (variant, f"crf{crf}")
            res.sizes[key] = res.sizes.get(key, 0) + x264(marked, crf, enc)[1]
        for a in attacks:
            received = ATTACKS[a](marked)
            if a in CALL_ATTACKS:
                res.call_psnr.setdefault((variant, a), []).extend(
                    psnr(g, r) for g, r in zip(received, reference, strict=True)
                )
            for reader_name, reader in readers:
                motions = reader(received)
                seen = (
                    list(received)
                    if motions is None
                    else [warp_back(f, m) for f, m in zip(received, motions, strict=True)]
                )
                blocks = BlockReader(coded)
                shares, counts = [], []
                for i in range(0, len(seen), every):
                    share, count = blocks(seen[i])
                    shares.append(share)
                    counts.append(count)
                res.blocks.setdefault((reader_name, a), []).append(shares)
                res.in_view.setdefault((reader_name, a), []).append(counts)
                for w in range(len(seen) // WINDOW):
                    needed, bad = scan(seen[w * WINDOW : (w + 1) * WINDOW], payload.sealed_id)
                    res.windows.setdefault((reader_name, a), []).append(needed)
                    res.wrong[(reader_name, a)] = res.wrong.get((reader_name, a), 0) + int(bad)
                    if needed is None:
                        res.misses.setdefault((reader_name, a), []).append(f"{name}#{w}")
        print(f"  {name} {variant}: done ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    return [r for v in variants.values() for r, _ in v[1]]


def report(
    readers: list[str],
    variants: list[str],
    attacks: list[str],
    photos: list[str],
    frames: int,
    every: int,
    res: Results,
) -> None:
    second = WINDOW // every  # index of frame WINDOW in the sampled frames
    print(
        f"content-anchored mark vs the shipped one: {len(photos)} photos "
        f"({', '.join(photos)}) under pan_zoom at {SIZE[0]}x{SIZE[1]}, {frames} frames, "
        f"zoom {ZOOM}, noise {NOISE}; watermark alone"
    )
    print()
    print(
        "**Blocks one frame reads right** (nominal geometry after the reader's warp; 0.5 ="
        " chance): key frame / mean of the rest / min; mean of frames "
        f"{WINDOW}-{frames - 1} (the second window); blocks in view at the last frame "
        "relative to frame 0. Mean over photos."
    )
    print()
    print("| reader | " + " | ".join(attacks) + " |")
    print("|---|" + "---|" * len(attacks))
    for r in readers:
        cells = []
        for a in attacks:
            runs = res.blocks.get((r, a))
            if not runs:
                cells.append("-")
                continue
            arr = np.array(runs)  # (photos, sampled frames)
            counts = np.array(res.in_view[(r, a)], float)
            key, rest = arr[:, 0].mean(), arr[:, 1:].mean()
            low = arr[:, 1:].min() if arr.shape[1] > 1 else key
            late = f"{arr[:, second:].mean():.2f}" if arr.shape[1] > second else "-"
            view = (counts[:, -1] / np.maximum(counts[:, 0], 1)).mean()
            cells.append(f"{key:.2f} / {rest:.2f} / {low:.2f}; w2 {late}; view {view:.2f}")
        print(f"| {r} | " + " | ".join(cells) + " |")
    print()
    total = len(photos) * (frames // WINDOW)
    print(
        f"**Windows of {WINDOW} frames giving the right payload** (of {total}; searches "
        f"after {', '.join(map(str, CHECKPOINTS))} frames; frames needed, median)"
    )
    print()
    print("| reader | " + " | ".join(attacks) + " |")
    print("|---|" + "---|" * len(attacks))
    for r in readers:
        cells = []
        for a in attacks:
            found = res.windows.get((r, a), [])
            got = sorted(x for x in found if x is not None)
            med = f" ({got[len(got) // 2]})" if got else ""
            bad = res.wrong.get((r, a), 0)
            cells.append(f"{len(got)}/{len(found)}{med}" + (f", {bad} WRONG" if bad else ""))
        print(f"| {r} | " + " | ".join(cells) + " |")
    print()
    print(
        "**Cost**: x264 veryfast stream size against the unmarked clip (summed over "
        "photos); lowest PSNR against the plain frames; received PSNR (mean over frames, "
        "vs the unmarked original at 640x360) after the 300 kbit/s encoders."
    )
    print()
    calls = [a for a in CALL_ATTACKS if a in attacks]
    head = "".join(f" received PSNR {a} |" for a in calls)
    print(f"| variant | CRF 23 1280x720 | CRF 35 640x360 | min PSNR dB |{head}")
    print("|---|---|---|---|" + "---|" * len(calls))
    base23, base35 = res.sizes[("none", "crf23")], res.sizes[("none", "crf35")]

    def call_cells(v: str) -> str:
        out = []
        for a in calls:
            mine = float(np.mean(res.call_psnr[(v, a)]))
            if v == "none":
                out.append(f"{mine:.2f}")
            else:
                out.append(f"{mine:.2f} ({mine - np.mean(res.call_psnr[('none', a)]):+.2f})")
        return "".join(f" {cell} |" for cell in out)

    print(f"| unmarked | {base23} B | {base35} B | - |{call_cells('none')}")
    for v in variants:
        s23 = res.sizes[(v, "crf23")]
        s35 = res.sizes[(v, "crf35")]
        print(
            f"| {v} | {100 * (s23 / base23 - 1):+.1f} % | {100 * (s35 / base35 - 1):+.1f} % "
            f"| {res.psnr_min[v]:.1f} |{call_cells(v)}"
        )
    if res.drift:
        print()
        print(
            "**Estimated motion** (on the received frames: predicted from the previous frame, "
            "registered against frame 0): the largest "
            f"corner error against the oracle at frames {WINDOW - 1} and {frames - 1} "
            "(pixels at the received size, max over photos and attacks), and steps whose "
            "estimate failed (kept as the identity)."
        )
        print()
        print("| reader | corner error (px, max) | corner error (median) | failed steps |")
        print("|---|---|---|---|")
        for r, errs in res.drift.items():
            print(
                f"| {r} | {max(errs):.1f} | {float(np.median(errs)):.1f} "
                f"| {res.failed_steps.get(r, 0)} |"
            )
    print()
    print("windows missed (photo#window):")
    for (r, a), where in res.misses.items():
        print(f"  {r} | {a}: {', '.join(where)}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--photos", default=",".join(PHOTOS))
    parser.add_argument("--frames", type=int, default=2 * WINDOW, help="frames per clip")
    parser.add_argument("--attacks", default=",".join(DEFAULT_ATTACKS))
    parser.add_argument("--reanchor", type=int, default=0, help="also re-anchor every N frames")
    parser.add_argument("--estimate", action="store_true", help="also read with estimated motion")
    parser.add_argument("--every", type=int, default=1, help="block shares of every N-th frame")
    args = parser.parse_args()
    photos = [p.strip() for p in args.photos.split(",") if p.strip()]
    for p in photos:
        if p not in PHOTOS:
            sys.exit(f"unknown photo {p!r}: use some of {', '.join(PHOTOS)}")
    attacks = [a.strip() for a in args.attacks.split(",") if a.strip()]
    for a in attacks:
        if a not in ATTACKS:
            sys.exit(f"unknown attack {a!r}: use some of {', '.join(ATTACKS)}")
    if args.frames < WINDOW:
        sys.exit(f"--frames {args.frames}: need at least one window of {WINDOW}")
    if args.reanchor < 0 or args.every < 1:
        sys.exit(f"--reanchor {args.reanchor} / --every {args.every}: need >= 0 / >= 1")
    cv2.setNumThreads(1)
    res = Results()
    t0 = time.perf_counter()
    readers: list[str] = []
    for n, name in enumerate(photos):
        readers = run_photo(
            n, name, args.frames, attacks, args.reanchor, args.estimate, args.every, res, t0
        )
    variants = list(dict.fromkeys(v for v, _ in res.sizes if v != "none"))
    report(readers, variants, attacks, photos, args.frames, args.every, res)
    print(f"\n({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
