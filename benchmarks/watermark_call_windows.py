"""Why a call's windows read or miss: the kept files of ``watermark_call.py --out DIR``,
read offline window by window.

    python benchmarks/watermark_call_windows.py DIR [--setting h264-300k-640x360]
        [--contents astronaut,synthetic]

``DIR`` holds what ``benchmarks/watermark_call.py --out DIR`` kept (the received
``{content}-marked-{setting}.avi`` files and ``sessions.json``: each content's sealed
session id). A call scales the whole picture, so the true geometry is the nominal
hypothesis. Per window of 60 frames: verify's result (the detector's searches after 1,
4, 15, 30 and 60 frames, refined at the last, as ``overlay verify`` counts them), the
lattice score at the true geometry and the highest of the search, the share of blocks
on their coded bit's side per frame (the start card's blocks, the rest), the coded bit
error rate of the window's soft values, where the true message stands in the list
Viterbi decoder's output (0: Viterbi reads it; verify reads the first few), and how many
bits of information the window's blocks carry about their coded bits: each block's
window value, signed by its coded bit, under the best linear metric (the generalised
mutual information ``1 - mean(log2(1 + exp(-a y)))``, maximised over ``a``, summed over
the blocks in view: what a decoder weighing each block by its value can get out of
them; the payload is 73 bits, and a code of 504 uses needs some more than that).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from overlay.frames import BGRImage
from overlay.verify import CHECKPOINTS, TILES, WINDOW
from overlay.watermark import FORMAT_VERSION, PUBLIC_KEY, Detector, Payload
from overlay.watermark.ecc import decode_list, encode
from overlay.watermark.payload import PAYLOAD_BITS, pack

#: The start card over a 1280x720 session (x, y, w, h; ``BannerStamp.card_*``), in
#: fractions of the frame, and how long it shows.
CARD = (71 / 1280, 264 / 720, 1138 / 1280, 191 / 720)
CARD_FRAMES = 60
#: Runners-up listed (verify reads at most a few).
LIST = 33


def frames_of(path: Path) -> list[BGRImage]:
    cap = cv2.VideoCapture(str(path))
    out: list[BGRImage] = []
    while True:
        ok, frame = cap.read()
        if not ok:
            return out
        out.append(frame)


def verify_window(frames: list[BGRImage]) -> tuple[Payload | None, int | None, float]:
    """The window as verify searches it: (payload, frames needed, highest score)."""
    detector = Detector(PUBLIC_KEY, searches=len(CHECKPOINTS) * (1 + TILES))
    score = 0.0
    for i, frame in enumerate(frames, 1):
        detector.add(frame)
        if i in CHECKPOINTS or i == len(frames):
            found = detector.detect(refine=i == len(frames))
            score = max(score, found.score)
            if found.detected:
                return found.payload, i, score
    return None, None, score


def true_geometry(
    frames: list[BGRImage], coded: np.ndarray, card: bool
) -> tuple[float, float, float, float, int | None, float]:
    """At the nominal hypothesis: (lattice score, blocks right per frame on the card,
    elsewhere, coded BER, the true message's place in the list or None, bits of
    information)."""
    window = Detector(PUBLIC_KEY, max_scale=1.0)
    one = Detector(PUBLIC_KEY, max_scale=1.0)
    right: list[np.ndarray] = []
    for frame in frames:
        one.reset()
        one.add(frame)
        right.append(_blocks(one, coded))
        window.add(frame)
    geo = window._geo[0]
    h, w = frame.shape[:2]
    cell = h / 24
    top, left = geo.block_cells
    x, y = left * cell, top * cell
    inside = (y + cell > CARD[1] * h) & (y < (CARD[1] + CARD[3]) * h)
    inside &= (x + 2 * cell > CARD[0] * w) & (x < (CARD[0] + CARD[2]) * w) & card
    per = np.array(right)
    on_card = float(np.nanmean(per[:, inside])) if inside.any() else float("nan")
    soft = window._soft(0)
    ber = float(np.mean((soft > 0) != (coded > 0)))
    message = message_of(coded)
    place = next(
        (
            i
            for i, m in enumerate(decode_list(soft, PAYLOAD_BITS, LIST))
            if np.array_equal(m, message)
        ),
        None,
    )
    info = information(window, coded)
    return (
        float(window._score().z[0]),
        on_card,
        float(np.nanmean(per[:, ~inside])),
        ber,
        place,
        info,
    )


def _signed(detector: Detector, coded: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each block's soft value at the nominal geometry (its mean over the frames it was
    seen in) signed by its coded bit (positive: on its bit's side), and whether it was
    seen."""
    geo = detector._geo[0]
    c1, s1 = (np.take(detector._sums[0][k], geo.value[0]) for k in (0, 1))
    count = np.take(detector._seen[0], geo.pos[0])
    value = -(c1 * geo.rot[0] + s1 * geo.rot[1]) / np.maximum(count, 1.0)
    return value * (2.0 * coded[detector._bits[geo.ids]] - 1.0), count > 0


def information(detector: Detector, coded: np.ndarray) -> float:
    """Bits of information the window's blocks carry about their coded bits at the
    nominal geometry (see the module doc: the best linear metric's GMI, summed)."""
    signed, seen = _signed(detector, coded)
    signed = signed[seen]
    per_block = max(
        1.0 - float(np.mean(np.logaddexp(0.0, -a * signed))) / np.log(2.0)
        for a in np.geomspace(0.05, 50.0, 120)
    )
    return max(per_block, 0.0) * signed.size


def _blocks(detector: Detector, coded: np.ndarray) -> np.ndarray:
    """1 where a block (in view) leans to its coded bit's side, 0 where not, NaN out of view."""
    signed, seen = _signed(detector, coded)
    return np.where(seen, (signed > 0).astype(np.float64), np.nan)


def message_of(coded: np.ndarray) -> np.ndarray:
    """The message whose code is ``coded`` (it has no errors: Viterbi returns it)."""
    return decode_list(2.0 * coded - 1.0, PAYLOAD_BITS, 1)[0]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("dir", type=Path)
    parser.add_argument("--setting", default="h264-300k-640x360")
    parser.add_argument("--contents", help="comma-separated (default: all in sessions.json)")
    args = parser.parse_args()
    book = args.dir / "sessions.json"
    if not book.exists():
        raise SystemExit(
            f"no {book}: record with python benchmarks/watermark_call.py --out {args.dir}"
        )
    sessions = json.loads(book.read_text())
    contents = args.contents.split(",") if args.contents else list(sessions)
    print(
        "| clip | window | verify (frames needed) | score at the true geometry / "
        "highest | blocks right per frame: card / rest | coded BER | list place | "
        "information (bits) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for content in contents:
        path = args.dir / f"{content}-marked-{args.setting}.avi"
        if content not in sessions or not path.exists():
            raise SystemExit(f"no {path} or no session for {content!r} in {book}")
        sealed = sessions[content]["sealed"]
        coded = encode(pack(Payload(FORMAT_VERSION, True, sealed), PUBLIC_KEY)).astype(np.float64)
        frames = frames_of(path)
        for w in range(len(frames) // WINDOW):
            part = frames[w * WINDOW : (w + 1) * WINDOW]
            payload, needed, best = verify_window(part)
            if payload is None:
                result = "missed"
            elif payload.sealed_id == sealed:
                result = f"right id ({needed})"
            else:
                result = f"WRONG id {payload.sealed_id}"
            z0, card, rest, ber, place, info = true_geometry(part, coded, w * WINDOW < CARD_FRAMES)
            on_card = "-" if np.isnan(card) else f"{card:.3f}"
            print(
                f"| {content} | {w} | {result} | {z0:.2f} / {best:.2f} | {on_card} / "
                f"{rest:.3f} | {ber:.3f} | {place if place is not None else f'> {LIST}'} | {info:.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
