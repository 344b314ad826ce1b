"""The watermark after a real WebRTC call (aiortc on 127.0.0.1), read back by ``verify``.

    python benchmarks/watermark_call.py [--seconds 4] [--contents astronaut,avatar]
        [--settings "vp8 300k 640x360,h264 150k 640x360"] [--out DIR] [--realtime]
    python benchmarks/watermark_call.py --timing 30,90,300   # one call's wall time
    python benchmarks/watermark_call.py --overshoot          # the frame dropper at work

Content: the overlay pipeline's output at 1280x720, 30 fps (``Pipeline`` with its
default stamps: watermark, face tag, banner with the start card, mark; written to a
``MemorySink``) for scikit-image photos under a pan and zoom, the idle avatar and the
synthetic source. Each clip has an unmarked twin: the same session, the same stamps
without the watermark. Both go through :func:`overlay.callsim.through_call` (aiortc's
VP8/H.264 encoder pinned to the bitrate, REMB ignored, frames dropped when over budget,
scaled to the call size by the sender). What the far end decodes is written losslessly
(Ut Video .avi, one frame per input frame, the last received frame held over dropped ones:
what the viewer's screen shows) and read by ``overlay.verify``, like ``overlay verify``.

Columns: target and achieved bitrate (RTP payload bits over the clip's duration), frames
sent/dropped/received, PSNR of the received frames against the frames as sent (after
scaling), the watermark's cost to the received picture (PSNR against the unmarked
original, marked call beside its twin's), verify's result for the marked clip (windows with the right session id) and
for its unmarked twin (must be "not found"), the call's wall time. ``--realtime`` also
runs each marked clip's first setting with real-time pacing, to show that the faster
run sends the same bitstream.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import cv2
import numpy as np
from skimage import data

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from overlay.callsim import CallResult, through_call
from overlay.config import BannerConfig
from overlay.frames import BGRImage, Frame
from overlay.pipeline import Pipeline
from overlay.session import Session
from overlay.sinks.memory import MemorySink
from overlay.sources.avatar import AvatarSource
from overlay.sources.base import BaseSource, FrameSource
from overlay.sources.synthetic import SyntheticSource
from overlay.stamps import Stamp, WatermarkStamp, default_stamps
from overlay.stamps.watermark import installation_key
from overlay.verify import verify
from overlay.watermark.clips import pan_zoom
from overlay.watermark.payload import seal_session_id

SIZE = (1280, 720)
FPS = 30.0
#: Not "coffee": the tests use it, these stay held out.
PHOTOS = ("astronaut", "chelsea", "rocket")
CONTENTS = (*PHOTOS, "avatar", "synthetic")
#: name -> (codec, bitrate, size the sender sends)
SETTINGS: dict[str, tuple[str, int, tuple[int, int]]] = {
    "vp8 300k 640x360": ("vp8", 300_000, (640, 360)),
    "h264 300k 640x360": ("h264", 300_000, (640, 360)),
    "vp8 500k 1280x720": ("vp8", 500_000, (1280, 720)),
    "h264 150k 640x360": ("h264", 150_000, (640, 360)),
}


# -- content ---------------------------------------------------------------------------
class ClipSource(BaseSource):
    """A finite list of frames as a pipeline source (a file, in effect)."""

    spec = "clip"

    def __init__(self, frames: Iterable[BGRImage]) -> None:
        super().__init__()
        self._frames = iter(frames)

    def _read(self) -> BGRImage | None:
        return next(self._frames, None)


def source_frames(content: str, frames: int, seed: int = 0) -> Iterator[BGRImage]:
    """``frames`` unstamped frames of ``content`` at 1280x720."""
    if content in PHOTOS or hasattr(data, content):
        photo = cv2.cvtColor(getattr(data, content)(), cv2.COLOR_RGB2BGR)
        yield from pan_zoom(photo, SIZE, frames, noise=1.0, seed=seed)
        return
    if content not in ("avatar", "synthetic"):
        raise SystemExit(
            f"unknown content {content!r}: use a scikit-image photo, avatar or synthetic"
        )
    source: BaseSource = (
        AvatarSource(SIZE, FPS) if content == "avatar" else SyntheticSource(SIZE, FPS)
    )
    with source:
        for _ in range(frames):
            frame = source.read()
            if frame is None:
                return
            yield frame.image.copy()


class _Tap:
    """A stamp that keeps a copy of every frame as it reaches it."""

    name = "tap"

    def __init__(self) -> None:
        self.images: list[BGRImage] = []

    def apply(self, frame: Frame) -> Frame:
        self.images.append(frame.image.copy())
        return frame


def stamped(source: FrameSource, session: Session) -> tuple[list[BGRImage], list[BGRImage]]:
    """The pipeline's output for ``source`` (default stamps) and its unmarked twin: each
    frame as it was just before the watermark, the last stamp. One run makes both, so
    they differ by the watermark alone (two runs also differ in the per-frame mark's
    capture time, a few hundred pixels of text a frame, and in some frames by more: a
    mean square error of 4-24 against the watermark's 3, which the call's cost column
    would count as the watermark's)."""
    stamps: list[Stamp] = list(default_stamps(session, BannerConfig()))
    at = next(i for i, s in enumerate(stamps) if isinstance(s, WatermarkStamp))
    if at != len(stamps) - 1:
        raise SystemExit("the watermark is no longer the last stamp: the twin needs a new tap")
    tap = _Tap()
    stamps.insert(at, tap)
    sink = MemorySink(session.size)
    with Pipeline(source, [sink], session=session, stamps=stamps) as p:
        while p.step() is not None:
            pass
    if len(tap.images) != len(sink.images):
        raise SystemExit(f"{len(sink.images)} frames sent, {len(tap.images)} tapped")
    return sink.images, tap.images


def session_clip(
    content: str, frames: int, session: Session
) -> tuple[list[BGRImage], list[BGRImage]]:
    """The pipeline's output for ``content`` and its unmarked twin (see :func:`stamped`)."""
    return stamped(ClipSource(source_frames(content, frames)), session)


def write_lossless(path: Path, frames: Iterable[BGRImage], fps: float = FPS) -> Path:
    """Frames to a lossless Ut Video .avi (planar RGB: bit-exact through OpenCV, which
    verify reads with; six times faster to write than FFV1 at 720p on the 2-vCPU box)."""
    it = iter(frames)
    first = next(it)
    h, w = first.shape[:2]
    with av.open(str(path), "w") as out:
        stream = out.add_stream("utvideo", rate=round(fps))
        stream.width, stream.height, stream.pix_fmt = w, h, "gbrp"
        for image in (first, *it):
            out.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="bgr24")))
        out.mux(stream.encode())
    return path


# -- the verify column -----------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Check:
    """verify's answer about one file: found at all, with the right session id, and how."""

    found: bool
    right_id: bool
    text: str


def check_watermark(path: Path, session_id: str, key: bytes) -> Check:
    """Run verify (watermark only) on ``path``; the one place that knows its report.

    ``found``: a payload passed its check; ``right_id``: the session id opened with the
    installation ``key`` is ``session_id``.
    """
    report = verify(path, installation_key=key, provenance=False)
    wm = report.watermark
    right = wm.detected and wm.session_id == session_id
    if wm.detected:
        what = "right id" if right else f"WRONG id {wm.session_id}"
        text = f"{what}, {wm.windows_detected}/{wm.windows} windows"
    elif wm.present:
        text = f"present, payload unreadable (score {wm.score:.1f} >= {wm.presence_threshold:.1f})"
    else:
        text = f"not found (score {wm.score:.1f} < {wm.presence_threshold:.1f}, no payload)"
    return Check(wm.detected, right, text)


def psnr_against(result: CallResult, original: list[BGRImage]) -> float:
    """Mean PSNR (dB) of the frames the far end received against ``original`` (the
    unmarked twin as sent, scaled to the call size like the sender scales): the same
    reference for a marked call and its twin's, so their difference is the watermark's
    cost to the picture the other side sees."""
    values = []
    for image, index in zip(result.frames, result.indices, strict=True):
        h, w = image.shape[:2]
        ref = cv2.resize(original[index], (w, h), interpolation=cv2.INTER_AREA)
        mse = float(np.mean((image.astype(np.float32) - ref) ** 2))
        values.append(10 * np.log10(255.0**2 / max(mse, 1e-12)))
    return statistics.mean(values) if values else float("nan")


# -- the run ---------------------------------------------------------------------------
def _session_id(n: int) -> str:
    return f"{(0x9E3779B1 * (n + 1)) & 0xFFFFFFFF:08x}"


def call(frames: list[BGRImage], setting: str, realtime: bool = False) -> CallResult:
    codec, bitrate, size = SETTINGS[setting]
    return through_call(
        frames,
        fps=FPS,
        codec=codec,  # type: ignore[arg-type]
        bitrate=bitrate,
        size=size,
        realtime=realtime,
        timeout=600,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=4.0, help="clip length (default 4 s)")
    parser.add_argument("--contents", default=",".join(CONTENTS))
    parser.add_argument("--settings", default=",".join(SETTINGS))
    parser.add_argument("--out", type=Path, help="keep the decoded files here (default: temporary)")
    parser.add_argument(
        "--realtime", action="store_true", help="also pace one call per content in real time"
    )
    parser.add_argument(
        "--timing",
        metavar="N,N,...",
        help="only time calls of these frame counts (photo pan, every setting) and exit",
    )
    parser.add_argument(
        "--overshoot",
        action="store_true",
        help="only show the frame dropper on content the encoder cannot hold to the target",
    )
    args = parser.parse_args()
    if args.overshoot:
        overshoot_table()
        return
    if args.timing:
        timing_table([int(n) for n in args.timing.split(",")], args.settings.split(","))
        return
    # The installation key (which opens the session ids) of a throwaway config folder.
    os.environ.setdefault("OVERLAY_CONFIG_DIR", tempfile.mkdtemp(prefix="overlay-bench-"))
    contents = [c.strip() for c in args.contents.split(",") if c.strip()]
    settings = [s.strip() for s in args.settings.split(",") if s.strip()]
    for s in settings:
        if s not in SETTINGS:
            raise SystemExit(f"unknown setting {s!r}: use one of {', '.join(SETTINGS)}")
    n_frames = round(args.seconds * FPS)
    out_dir = args.out or Path(tempfile.mkdtemp(prefix="overlay-call-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    key = installation_key()

    rows: list[list[str]] = []
    timing: dict[str, list[CallResult]] = {s: [] for s in settings}
    per_setting: dict[str, list[tuple[Check, Check]]] = {s: [] for s in settings}
    cost: dict[str, list[tuple[float, float]]] = {s: [] for s in settings}
    before: list[tuple[str, Check, Check]] = []
    realtime_rows: list[list[str]] = []
    t_start = time.perf_counter()
    for n, content in enumerate(contents):
        session = Session(SIZE, FPS, id=_session_id(n))
        marked, twin = session_clip(content, n_frames, session)

        def checked(name: str, frames: list[BGRImage], sid: str = session.id) -> Check:
            path = write_lossless(out_dir / f"{name}.avi", frames)
            result = check_watermark(path, sid, key)
            if args.out is None:
                path.unlink()  # ~30 MB per 4 s at 640x360; --out keeps them
            return result

        if args.out is not None:
            # What benchmarks/watermark_call_windows.py needs to read the kept files.
            book = out_dir / "sessions.json"
            known = json.loads(book.read_text()) if book.exists() else {}
            known[content] = {"session": session.id, "sealed": seal_session_id(session.id, key)}
            book.write_text(json.dumps(known, indent=1) + "\n")
        lossless = (
            checked(f"{content}-marked-sent", marked),
            checked(f"{content}-twin-sent", twin),
        )
        before.append((content, *lossless))
        for setting in settings:
            tag = setting.replace(" ", "-")
            got = call(marked, setting)
            got_twin = call(twin, setting)
            timing[setting] += [got, got_twin]
            c_marked = checked(f"{content}-marked-{tag}", got.timeline())
            c_twin = checked(f"{content}-twin-{tag}", got_twin.timeline())
            per_setting[setting].append((c_marked, c_twin))
            cost[setting].append((psnr_against(got, twin), psnr_against(got_twin, twin)))
            rows.append(
                [
                    content,
                    setting,
                    f"{got.target_kbps:.0f}",
                    f"{got.achieved_kbps:.0f}",
                    f"{got.sent}/{got.dropped}/{got.received}",
                    f"{got.mean_psnr:.1f}",
                    c_marked.text,
                    c_twin.text if not c_twin.found else f"FOUND: {c_twin.text}",
                    f"{got.wall_seconds:.1f}",
                ]
            )
        if args.realtime:
            setting = settings[0]
            fast = timing[setting][-2]  # this clip's marked call
            slow = call(marked, setting, realtime=True)
            same = fast.payload_bytes == slow.payload_bytes and all(
                np.array_equal(a, b) for a, b in zip(fast.frames, slow.frames, strict=False)
            )
            realtime_rows.append(
                [
                    content,
                    setting,
                    f"{fast.achieved_kbps:.1f} / {slow.achieved_kbps:.1f}",
                    f"{fast.dropped} / {slow.dropped}",
                    f"{fast.mean_psnr:.2f} / {slow.mean_psnr:.2f}",
                    "yes" if same else "no",
                    f"{fast.wall_seconds:.1f} / {slow.wall_seconds:.1f}",
                ]
            )
        print(f"  {content}: done ({time.perf_counter() - t_start:.0f} s)", file=sys.stderr)

    print(
        f"watermark through a real call: {SIZE[0]}x{SIZE[1]} pipeline output (watermark, face tag, "
        f"banner with start card, mark), {n_frames} frames at {FPS:.0f} fps "
        f"({n_frames / FPS:.1f} s, windows of 60 frames), aiortc {_aiortc_version()} on 127.0.0.1"
    )
    print()
    print("| clip | before the call: marked | before the call: unmarked twin |")
    print("|---|---|---|")
    for content, m, t in before:
        print(f"| {content} | {m.text} | {t.text if not t.found else 'FOUND: ' + t.text} |")
    print()
    print(
        "| clip | setting | target kbps | achieved kbps | frames sent/dropped/received "
        "| PSNR dB (received vs sent) | verify: marked | verify: unmarked twin | call s |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()
    print(
        "| setting | clips with the right id | twins found (must be 0) | achieved kbps (mean) | dropped (of sent+dropped) |"
    )
    print("|---|---|---|---|---|")
    for setting in settings:
        checks = per_setting[setting]
        right = sum(m.right_id for m, _ in checks)
        false = sum(t.found for _, t in checks)
        calls = timing[setting]
        dropped = sum(r.dropped for r in calls)
        total = sum(r.offered for r in calls)
        kbps = statistics.mean(r.achieved_kbps for r in calls)
        print(
            f"| {setting} | {right}/{len(checks)} | {false}/{len(checks)} | {kbps:.0f} | {dropped}/{total} |"
        )
    print()
    print(
        "| setting | received PSNR dB vs the unmarked original: marked call | twin's call "
        "| cost of the watermark dB (mean, worst clip) |"
    )
    print("|---|---|---|---|")
    for setting in settings:
        pairs = cost[setting]
        drops = [t - m for m, t in pairs]
        print(
            f"| {setting} | {statistics.mean(m for m, _ in pairs):.2f} "
            f"| {statistics.mean(t for _, t in pairs):.2f} "
            f"| {statistics.mean(drops):.2f}, {max(drops):.2f} |"
        )
    print()
    print(
        "| setting | calls | frames per call | wall s per call (median / max) | of which setup s | ms per frame | x real time |"
    )
    print("|---|---|---|---|---|---|---|")
    for setting in settings:
        calls = timing[setting]
        walls = [r.wall_seconds for r in calls]
        setup = statistics.median(r.setup_seconds for r in calls)
        med = statistics.median(walls)
        per_frame = 1e3 * med / n_frames
        print(
            f"| {setting} | {len(calls)} | {n_frames} | {med:.2f} / {max(walls):.2f} | {setup:.2f} "
            f"| {per_frame:.1f} | {n_frames / FPS / med:.1f} |"
        )
    if realtime_rows:
        print()
        print(
            "| clip | setting | kbps (fast / real time) | dropped | PSNR dB | same frames and bytes | wall s |"
        )
        print("|---|---|---|---|---|---|---|")
        for row in realtime_rows:
            print("| " + " | ".join(row) + " |")
    print()
    if args.out is not None:
        print(f"decoded files (lossless, what verify read): {out_dir}")


def timing_table(counts: list[int], settings: list[str]) -> None:
    """Wall time of one call against its length: what a test or CI job must budget."""
    clip = list(source_frames("astronaut", max(counts)))
    print(
        f"one call's wall time (astronaut pan at 1280x720, aiortc {_aiortc_version()}, load {_load()})"
    )
    print()
    print("| setting | frames | wall s | setup s | encode s | ms per frame | x real time |")
    print("|---|---|---|---|---|---|---|")
    for setting in (s.strip() for s in settings):
        for n in counts:
            r = call(clip[:n], setting)
            print(
                f"| {setting} | {n} | {r.wall_seconds:.2f} | {r.setup_seconds:.2f} "
                f"| {r.encode_seconds:.2f} | {1e3 * r.wall_seconds / n:.1f} "
                f"| {n / FPS / r.wall_seconds:.1f} |"
            )


def overshoot_table(frames: int = 90) -> None:
    """VP8 on heavy sensor noise at 1280x720: aiortc's libvpx hits its quantizer cap
    (qmax 56) and overshoots; the dropper holds the rate down by dropping frames."""
    photo = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    clip = list(pan_zoom(photo, SIZE, frames, zoom=2.0, noise=12.0))
    print(
        f"frame dropping: astronaut pan + noise sigma 12 at 1280x720, {frames} frames, load {_load()}"
    )
    print()
    print("| setting | dropping | achieved kbps | frames sent/dropped/received | PSNR dB |")
    print("|---|---|---|---|---|")
    for bitrate in (150_000, 300_000):
        for drop in (False, True):
            r = through_call(
                clip,
                fps=FPS,
                codec="vp8",
                bitrate=bitrate,
                size=SIZE,
                drop_on_overshoot=drop,
                timeout=600,
            )
            print(
                f"| vp8 {bitrate // 1000}k 1280x720 | {'on' if drop else 'off'} | {r.achieved_kbps:.0f} "
                f"| {r.sent}/{r.dropped}/{r.received} | {r.mean_psnr:.1f} |"
            )


def _load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def _aiortc_version() -> str:
    from importlib.metadata import version

    return version("aiortc")


if __name__ == "__main__":
    main()
