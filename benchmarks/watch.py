"""``overlay watch``: time to detect, time to "not found", a call grid, false detections,
CPU.

    python benchmarks/watch.py [--trials 4] [--grid-seconds 8] [--fp-seconds 60] [--cpu-seconds 4]
        [--no-call] [--same-stream] [--parts a,g,f,c]

Parts (all on the media clock at 10 samples per second, the way ``watch`` reads a file;
the wall time each sample took is measured apart, for the CPU column):

- **a** appear/disappear: the overlay pipeline's output (default stamps) for a photo
  under a pan and zoom goes through a real WebRTC call (``overlay.callsim``: aiortc VP8,
  300 kbps, 640x360, loopback) and is shown scaled to 960x540 in a 1280x720 capture of a
  player window (grey around it). An unmarked feed shows for ``lead`` seconds (the same
  session's stamps without the watermark), then the marked feed for 6 s, then an
  unmarked one for 8 s; each feed is its own stream (its own call: a feed that appears
  in a call app arrives as a new stream, from a key frame). Time to "disclosed" counts
  from the first marked frame on screen; time to "not found" from the first unmarked
  one. ``--same-stream`` sends the three in one stream instead: the watermark turned on
  and off mid-stream over the same picture, which no session emits (its mark is on from
  its first frame) and which VP8's temporal denoiser holds back on a still, flat picture
  (docs/watch.md). ``--no-call`` re-encodes with x264 at 300 kbps instead.
- **g** grid: four tiles in a 2x2 grid of a 1920x1080 capture (10-pixel gutters), one
  marked (after the call, from 2 s into its session: past the start card) and three
  unmarked; every window must name the marked tile by its position and never another.
- **f** false detections: unmarked video (the synthetic scene, photos under a pan and
  zoom, a page of text scrolling, a grid of unmarked tiles) for ``--fp-seconds`` each;
  every window's claim counts.
- **c** CPU: process time per sample on an unmarked 1920x1080 grid of 4 tiles (the worst
  case: nothing is found, so the whole picture and the 4 tiles are searched at every
  sample), as % of one core at 10 samples/s, beside a plain copy of the frame in the same
  run.

Every part runs with one OpenCV thread, as ``overlay watch`` does.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("OVERLAY_CONFIG_DIR", tempfile.mkdtemp(prefix="overlay-bench-"))

from benchmarks.watermark_attacks import encode
from benchmarks.watermark_call import session_clip, source_frames
from overlay.callsim import through_call
from overlay.frames import BGRImage
from overlay.session import Session
from overlay.watermark.stream import StreamDetector

FPS = 30.0
SAMPLE = 10.0
STEP = round(FPS / SAMPLE)
PLAYER = (1280, 720)
SHOWN = (960, 540)
GRID = ((10, 6, 944, 531), (966, 6, 944, 531), (10, 543, 944, 531), (966, 543, 944, 531))
PHOTOS = ("astronaut", "chelsea", "rocket", "camera")


def through(frames: list[BGRImage], use_call: bool) -> list[BGRImage]:
    """What the far end of a 300 kbps 640x360 call shows, one frame per input frame (the
    last received held over dropped ones)."""
    if use_call:
        result = through_call(frames, fps=FPS, codec="vp8", bitrate=300_000, size=(640, 360))
        shown: list[BGRImage] = []
        got = dict(zip(result.indices, result.frames, strict=True))
        last = result.frames[0]
        for i in range(len(frames)):
            last = got.get(i, last)
            shown.append(last)
        return shown
    opts = {"preset": "veryfast", "tune": "zerolatency"}
    return encode(frames, "libx264", size=(640, 360), options=opts, bit_rate=300_000)[0]


def player(frame: BGRImage) -> BGRImage:
    page = np.full((PLAYER[1], PLAYER[0], 3), 45, np.uint8)
    x, y = (PLAYER[0] - SHOWN[0]) // 2, (PLAYER[1] - SHOWN[1]) // 2
    page[y : y + SHOWN[1], x : x + SHOWN[0]] = cv2.resize(
        frame, SHOWN, interpolation=cv2.INTER_AREA
    )
    return page


def grid(tiles: list[BGRImage]) -> BGRImage:
    page = np.full((1080, 1920, 3), 32, np.uint8)
    for (x, y, w, h), t in zip(GRID, tiles, strict=True):
        page[y : y + h, x : x + w] = cv2.resize(t, (w, h), interpolation=cv2.INTER_AREA)
    return page


def watch(
    frames: Iterable[BGRImage], stream: StreamDetector, *, sampled: bool = False
) -> Iterator[tuple[float, object, float]]:
    """(media time, decision, process seconds) per sample: every ``STEP``-th frame of
    ``frames`` (every frame when they are ``sampled`` already), which may be a generator:
    nothing is kept (an hour of 1080p frames does not fit in memory)."""
    step = 1 if sampled else STEP
    for i, frame in enumerate(frames):
        if i % step:
            continue
        t = i * (STEP // step) / FPS
        t0 = time.process_time()
        d = stream.add(frame, t)
        yield t, d, time.process_time() - t0


#: The feed is marked for this long in each appear/disappear trial, then unmarked for
#: ``AFTER`` seconds.
MARKED = 6.0
AFTER = 8.0


def _lead(n: int) -> float:
    """Seconds of unmarked feed before trial ``n``'s mark appears: 3 s and a phase that
    steps by 0.7 s through the 2 s windows (20 trials: 20 phases, 0.1 s apart)."""
    return 3.0 + round((0.7 * n) % 2.0, 1)


def feeds(
    plain: list[BGRImage],
    marked: list[BGRImage],
    a: int,
    b: int,
    total: int,
    *,
    same_stream: bool = False,
) -> list[list[BGRImage]]:
    """What a trial sends, one list per stream: the unmarked feed until frame ``a``, the
    marked one until ``b``, an unmarked one until ``total``, each its own stream; with
    ``same_stream``, the three in one stream (the watermark switched on at ``a`` and off
    at ``b`` inside one encoder's stream)."""
    parts = [plain[:a], marked[a:b], plain[b:total]]
    return [[f for part in parts for f in part]] if same_stream else parts


def call_trials(
    trials: int, use_call: bool, calls: Path | None, *, same_stream: bool = False
) -> Iterator[tuple[int, str, float, float, str, np.ndarray]]:
    """Per trial: (n, content, appear, disappear seconds, sealed id, the far end's frames
    sampled at 10/s (640x360 as received)). Each photo's session output is made once
    (marked and unmarked) for the trials that show it; each trial sends its feeds
    through calls of its own (see :func:`feeds`), the far end's frames in a row. With
    ``calls``, a trial recorded there is read back instead of made (the call's output
    does not depend on the detector), and a new one is saved."""
    longest = round((_lead(0) + 2.0 + MARKED + AFTER) * FPS)
    for k, content in enumerate(PHOTOS):
        todo = [n for n in range(trials) if n % len(PHOTOS) == k]
        if not todo:
            continue
        session = Session((1280, 720), FPS, id=f"{(0x9E3779B1 * (k + 1)) & 0xFFFFFFFF:08x}")
        sealed = _sealed(session)
        clips: tuple[list[BGRImage], list[BGRImage]] | None = None
        for n in todo:
            a = round(_lead(n) * FPS)
            b = a + round(MARKED * FPS)
            tag = f"{use_call:d}" if same_stream else f"{use_call:d}_feeds"
            saved = calls / f"trial{n:03d}_{content}_{a}_{b}_{tag}.npz" if calls else None
            if saved is not None and saved.exists():
                with np.load(saved) as z:
                    yield n, content, a / FPS, b / FPS, str(z["sealed"]), z["frames"]
                continue
            if clips is None:
                clips = session_clip(content, longest, session)
            marked, plain = clips
            total = b + round(AFTER * FPS)
            shown = [
                f
                for feed in feeds(plain, marked, a, b, total, same_stream=same_stream)
                for f in through(feed, use_call)
            ]
            frames = np.stack(shown[::STEP])
            if saved is not None:
                saved.parent.mkdir(parents=True, exist_ok=True)
                np.savez(saved, frames=frames, sealed=np.str_(sealed))
            yield n, content, a / FPS, b / FPS, sealed, frames
        del clips


def part_appear(
    trials: int, use_call: bool, calls: Path | None = None, *, same_stream: bool = False
) -> None:
    rows: list[tuple[int, str, float, float | None, float | None]] = []
    wrong = 0
    trial_calls = call_trials(trials, use_call, calls, same_stream=same_stream)
    for n, content, appear, gone_at, sealed, frames in trial_calls:
        stream = StreamDetector()
        found_at = lost_at = None
        for k, frame in enumerate(frames):
            t = k * STEP / FPS
            d = stream.add(player(frame), t)
            if d.present:
                if d.payload is not None and d.payload.sealed_id != sealed:
                    wrong += 1
                if t < appear:
                    wrong += 1
                if found_at is None and t >= appear:
                    found_at = t - appear
            elif found_at is not None and lost_at is None and t >= gone_at:
                lost_at = t - gone_at
        rows.append((n, content, appear % 2.0, found_at, lost_at))
        print(
            f"  trial {n} ({content}, appears {appear:.1f} s): found after {found_at}, "
            f"not found after {lost_at}",
            file=sys.stderr,
            flush=True,
        )
    detect = [r[3] for r in rows]
    gone = [r[4] for r in rows]
    ok3 = sum(x is not None and x <= 3.0 for x in detect)
    ok5 = sum(x is not None and x <= 5.0 for x in gone)
    how = "aiortc VP8 300 kbps 640x360" if use_call else "x264 300 kbps 640x360"
    how += ", the feeds in one stream" if same_stream else ", each feed its own stream"
    print(f"\nappear/disappear ({how}, shown 960x540 in a 1280x720 capture), {trials} trials")
    print(
        "| trial | content | appears at (s into a 2 s window) | disclosed after (s) | not found after (s) |"
    )
    print("|---|---|---|---|---|")
    for n, content, phase, f, g in rows:
        print(f"| {n} | {content} | {phase:.1f} | {_fmt([f])} | {_fmt([g])} |")
    print("\n| measure | result | 95th percentile | target |")
    print("|---|---|---|---|")
    print(
        f"| disclosed within 3 s of appearing | {ok3}/{trials} ({100 * ok3 / trials:.0f} %) "
        f"| {_p95(detect)} | >= 95 % |"
    )
    print(
        f"| not found within 5 s of disappearing | {ok5}/{trials} ({100 * ok5 / trials:.0f} %) "
        f"| {_p95(gone)} | >= 95 % |"
    )
    print(f"| claims before the feed appeared or with a wrong payload | {wrong} | | 0 |")


def _p95(xs: list[float | None]) -> str:
    """The 95th percentile (nearest rank; a trial never reported counts as infinite)."""
    if not xs:
        return "-"
    ranked = sorted(float("inf") if x is None else x for x in xs)
    v = ranked[max(0, math.ceil(0.95 * len(ranked)) - 1)]
    return "never" if v == float("inf") else f"{v:.1f} s"


def _sealed(session: Session) -> str:
    from overlay.stamps import WatermarkStamp

    stamp = WatermarkStamp(session)
    return stamp.payload.sealed_id


def _fmt(xs: list[float | None]) -> str:
    return ", ".join("-" if x is None else f"{x:.1f}" for x in xs)


def part_grid(seconds: float, use_call: bool) -> None:
    n = round(seconds * FPS)
    card = round(2.0 * FPS)  # the session's start card (MIN_START_CARD_SECONDS): a call
    session = Session((1280, 720), FPS, id="5eed0001")  # in progress shows the content
    marked = through(session_clip("astronaut", n + card, session)[0][card:], use_call)
    others = (source_frames(p, n, seed=i) for i, p in enumerate(("chelsea", "rocket", "camera")))
    pages = (grid([*three, m]) for *three, m in zip(*others, marked, strict=True))
    stream = StreamDetector()
    named: dict[int, int] = {}
    wrong = 0
    last_window = 0
    for _, d, _ in watch(pages, stream):
        if d.frames == stream.window:  # type: ignore[attr-defined]
            last_window += 1
            for f in d.findings:  # type: ignore[attr-defined]
                hit = _tile_of(f.box)
                if hit == 3:
                    named[last_window] = 1
                else:
                    wrong += 1
    print(f"\ngrid: 2x2 tiles in 1920x1080, the bottom-right one marked ({seconds:g} s)")
    print("| windows | marked tile named | another tile named |")
    print("|---|---|---|")
    print(f"| {last_window} | {len(named)} | {wrong} |")


def _tile_of(box: tuple[int, int, int, int] | None) -> int | None:
    if box is None:
        return None
    for i, g in enumerate(GRID):
        if max(abs(a - b) for a, b in zip(box, g, strict=True)) <= 8:
            return i
    return None


def text_page(n: int, seed: int = 7) -> Iterator[BGRImage]:
    """A page of text scrolling up (screen content)."""
    h = 720
    tall = np.full((h * 3, 1280, 3), 250, np.uint8)
    rng = np.random.default_rng(seed)
    for y in range(30, tall.shape[0] - 10, 28):
        words = " ".join("".join(rng.choice(list("abcdefghijklmnop"), 6)) for _ in range(12))
        cv2.putText(tall, words, (40, y), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (30, 30, 30), 2)
    for i in range(n):
        y = (i * 2) % (tall.shape[0] - h)
        yield tall[y : y + h].copy()


def part_false(seconds: float) -> None:
    n = round(seconds * FPS)

    def tiles() -> Iterator[BGRImage]:
        clips = (source_frames(p, n, seed=i) for i, p in enumerate(PHOTOS))
        return (grid(list(four)) for four in zip(*clips, strict=True))

    kinds: dict[str, Callable[[], Iterable[BGRImage]]] = {
        "synthetic": lambda: source_frames("synthetic", n),
        "photos": lambda: source_frames("coffee", n),
        "text page": lambda: text_page(n),
        "grid of unmarked tiles": tiles,
    }
    print(f"\nfalse detections on unmarked video ({seconds:g} s of each at 10 samples/s)")
    print("| content | windows | samples | claims (payload or presence) |")
    print("|---|---|---|---|")
    total_windows = 0
    for name, make in kinds.items():
        stream = StreamDetector()
        claims = samples = 0
        for _, d, _ in watch(make(), stream):
            samples += 1
            if d.frames == stream.window and d.findings:  # type: ignore[attr-defined]
                claims += 1
        total_windows += stream.windows
        print(f"| {name} | {stream.windows} | {samples} | {claims} |")
    s = StreamDetector()
    print(
        f"\nwindows searched: {total_windows} ({total_windows * s.window / SAMPLE / 60:.1f} min "
        f"of video); bound per window {s.window_bound:.2e}, "
        f"expected false claims per hour <= {s.false_alarms_per_hour(SAMPLE):.1e}"
    )


def part_cpu(seconds: float) -> None:
    """Process time per sample on an unmarked grid (the worst case: nothing is found, so
    the whole picture and the 4 tiles are searched in every window), after the first
    window (which builds the detectors: reported apart), beside the wall time."""
    warm = round(2.0 * FPS)  # one window at 10 samples/s
    n = warm + round(seconds * FPS)
    # Only the sampled frames are kept (made before the clock starts): a third of the
    # memory of every frame.
    clips = (source_frames(p, n, seed=i) for i, p in enumerate(PHOTOS))
    pages = [grid(list(four)) for i, four in enumerate(zip(*clips, strict=True)) if i % STEP == 0]
    stream = StreamDetector()
    first = [spent for _, _, spent in watch(pages[: warm // STEP], stream, sampled=True)]
    wall0, cpu0 = time.perf_counter(), time.process_time()
    cpu = [spent for _, _, spent in watch(pages[warm // STEP :], stream, sampled=True)]
    wall = (time.perf_counter() - wall0) / len(cpu)
    total = (time.process_time() - cpu0) / len(cpu)
    page = pages[0]
    out = np.empty_like(page)
    t0 = time.process_time()
    for _ in range(200):
        np.copyto(out, page)
    copy = (time.process_time() - t0) / 200
    mean = statistics.fmean(cpu)
    print(
        f"\nCPU at 1920x1080, unmarked 2x2 grid (whole picture + 4 tiles searched in every "
        f"window), {len(cpu)} samples after the first window; load average "
        f"{os.getloadavg()[0]:.1f}"
    )
    print(
        "| per sample: mean (median, max) process time | % of one core at 10/s | wall "
        "| frame copy | ratio | first window, per sample |"
    )
    print("|---|---|---|---|---|---|")
    print(
        f"| {mean * 1000:.0f} ms ({statistics.median(cpu) * 1000:.0f}, {max(cpu) * 1000:.0f}) "
        f"| {total * SAMPLE * 100:.0f} % | {wall * 1000:.0f} ms | {copy * 1000:.2f} ms "
        f"| {mean / copy:.0f}x | {statistics.fmean(first) * 1000:.0f} ms |"
    )


#: Photos (scikit-image's bundled data) for the hour of unmarked video.
HOUR_PHOTOS = (
    "astronaut", "chelsea", "coffee", "rocket", "camera", "cat", "coins", "moon", "page",
    "text", "immunohistochemistry", "hubble_deep_field", "grass", "gravel", "brick", "clock",
)  # fmt: skip


def _photo(name: str) -> BGRImage:
    from skimage import data

    image = np.asarray(getattr(data, name)())
    if image.ndim == 2:
        return cv2.cvtColor(image.astype(np.uint8), cv2.COLOR_GRAY2BGR)
    return cv2.cvtColor(image[..., :3].astype(np.uint8), cv2.COLOR_RGB2BGR)


def hour_segments(samples: int, segment: int) -> Iterator[tuple[str, Iterator[BGRImage]]]:
    """Unmarked video, one sample per frame, in segments of ``segment`` samples: a photo
    under a pan and zoom (1280x720), the synthetic scene (1280x720, running on), a page
    of text scrolling (1280x720), a 2x2 grid of photos (1920x1080); each segment other
    content or another part of it."""
    from overlay.sources.synthetic import SyntheticSource
    from overlay.watermark.clips import pan_zoom

    photos = [_photo(p) for p in HOUR_PHOTOS]
    scene = SyntheticSource((1280, 720), SAMPLE)
    scene.open()
    done = 0
    k = 0
    while done < samples:
        n = min(segment, samples - done)
        kind = k % 4
        i = k // 4
        if kind == 0:
            photo = photos[i % len(photos)]
            yield (
                f"photo {HOUR_PHOTOS[i % len(photos)]}",
                pan_zoom(photo, (1280, 720), n, noise=1.0, seed=k),
            )
        elif kind == 1:
            yield (
                "synthetic scene",
                (f.image.copy() for f in (scene.read() for _ in range(n)) if f is not None),
            )
        elif kind == 2:
            yield "text page", text_page(n, seed=k)
        else:
            four = [photos[(i * 4 + j) % len(photos)] for j in range(4)]
            clips = [
                pan_zoom(p, (944, 531), n, noise=1.0, seed=k * 4 + j) for j, p in enumerate(four)
            ]
            yield "grid of 4 photos", (grid(list(t)) for t in zip(*clips, strict=True))
        done += n
        k += 1
    scene.close()


def part_hour(samples: int, segment: int) -> None:
    """``samples`` samples of unmarked video through the Watcher (the path ``overlay
    watch`` takes), as fast as the CPU allows; every claim is printed when it happens."""
    from benchmarks.watermark_call import ClipSource
    from overlay.watching import DISCLOSED, Watcher, WatchEvent

    claims: list[str] = []
    counts: dict[str, list[int]] = {}
    wall0, cpu0 = time.perf_counter(), time.process_time()
    covered = 0
    windows = 0
    for name, frames in hour_segments(samples, segment):
        watcher = Watcher(ClipSource(frames), fps=SAMPLE)

        def on_event(event: WatchEvent, name: str = name, before: int = covered) -> None:
            if event.state == DISCLOSED:
                line = f"CLAIM in {name} at sample {before + event.samples}: {event.line()}"
                claims.append(line)
                print(line, flush=True)

        watcher.run(on_event)
        covered += watcher.samples
        windows += watcher.detector.windows
        row = counts.setdefault(name.split(" ")[0], [0, 0])
        row[0] += watcher.samples
        row[1] += watcher.detector.windows
        print(
            f"  {covered} samples ({covered / SAMPLE / 3600:.2f} h), {windows} windows, "
            f"{len(claims)} claims, {time.perf_counter() - wall0:.0f} s wall, "
            f"{time.process_time() - cpu0:.0f} s CPU, load {os.getloadavg()[0]:.1f}",
            file=sys.stderr,
            flush=True,
        )
    s = StreamDetector()
    print(
        f"\nfalse detections over {covered} samples of unmarked video ({covered / SAMPLE / 3600:.2f} h at 10 samples/s)"
    )
    print("| content | samples | windows |")
    print("|---|---|---|")
    for name, (n, w) in counts.items():
        print(f"| {name} | {n} | {w} |")
    print(
        f"\nclaims (payload or presence): {len(claims)} in {windows} windows; bound per window "
        f"{s.window_bound:.2e}; {time.perf_counter() - wall0:.0f} s wall, "
        f"{time.process_time() - cpu0:.0f} s CPU"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=4)
    parser.add_argument("--grid-seconds", type=float, default=8.0)
    parser.add_argument("--fp-seconds", type=float, default=60.0)
    parser.add_argument("--cpu-seconds", type=float, default=10.0)
    parser.add_argument("--no-call", action="store_true")
    parser.add_argument(
        "--same-stream",
        action="store_true",
        help="part a: send the unmarked and marked feeds in one stream (the watermark "
        "switched on and off mid-stream) instead of one stream per feed",
    )
    parser.add_argument(
        "--calls",
        type=Path,
        help="record each trial's call output here, and read back a trial recorded before",
    )
    parser.add_argument("--parts", default="a,g,f,c", help="a,g,f,c and h (the hour)")
    parser.add_argument("--hour-samples", type=int, default=36_000)
    parser.add_argument("--segment", type=int, default=600, help="samples per content segment")
    args = parser.parse_args()
    parts = args.parts.split(",")
    cv2.setNumThreads(1)  # as `overlay watch` runs (overlay/cli/watch.py)
    load = os.getloadavg()[0]
    print(f"load average at start: {load:.2f}")
    if "a" in parts:
        part_appear(args.trials, not args.no_call, args.calls, same_stream=args.same_stream)
    if "g" in parts:
        part_grid(args.grid_seconds, not args.no_call)
    if "f" in parts:
        part_false(args.fp_seconds)
    if "c" in parts:
        part_cpu(args.cpu_seconds)
    if "h" in parts:
        part_hour(args.hour_samples, args.segment)


if __name__ == "__main__":
    main()
