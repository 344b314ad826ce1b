"""Recording benchmark: added latency with a virtual camera + H.264 recording + provenance,
CPU of paced sessions, recording size, and (optionally) browser playback.

Run: python benchmarks/recording_latency.py [--seconds S] [--sizes 1280x720,1920x1080]
     [--sources synthetic,avatar] [--cpu-seconds 10,20] [--chromium]

Tables:
1. per size and source, a paced 30 fps session to the virtual camera (pyvirtualcam's real
   Camera with a test backend that converts every frame to 4:2:0 as a driver does, then
   discards it) + an H.264 .mp4 recording + provenance: added latency p50/p95 (frame
   leaves the source -> last sink accepted it), as a multiple of one np.copyto of the
   frame measured in the same run; frames sent; frames the recording dropped; slates.
2. CPU % of one core over the session (process CPU time / wall time during run(), all
   threads) for two run lengths: synthetic -> null with provenance; avatar -> vcam + H.264
   + provenance.
3. recording kbps at the default quality next to OpenCV's mp4v, for the avatar and for a
   photo clip with pan/zoom and sensor noise (skimage's astronaut; not camera footage).
4. with --chromium: headless Chromium plays the recording and seeks to its last second.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from overlay.config import OutputConfig, parse_size
from overlay.faces import FaceSettings
from overlay.frames import BGRImage, StampedFrame
from overlay.runner import RunSettings, open_session
from overlay.sinks.base import BaseSink
from overlay.sinks.file import FileSink
from overlay.sinks.vcam import RecordingBackend


class DiscardingBackend(RecordingBackend):
    """The test backend's 4:2:0 conversion, without keeping the frames."""

    def send(self, frame: BGRImage) -> None:
        cv2.cvtColor(frame.reshape(self.height, self.width, 3), cv2.COLOR_BGR2YUV_I420)


class Mp4vSink(BaseSink):
    """OpenCV's mp4v writer on its own thread, for the size comparison."""

    spec = "mp4v"

    def __init__(self, path: Path, size: tuple[int, int], fps: float) -> None:
        super().__init__(size)
        self.path = path
        self.writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, size)

    def _send(self, frame: StampedFrame) -> None:
        self.writer.write(frame.image)

    def _close(self) -> None:
        self.writer.release()


def register() -> None:
    import pyvirtualcam

    pyvirtualcam.register_backend("bench", DiscardingBackend)


def copy_ms(size: tuple[int, int], n: int = 200) -> float:
    w, h = size
    a = np.random.default_rng(0).integers(0, 256, (h, w, 3), dtype=np.uint8)
    b = np.empty_like(a)
    t = []
    for _ in range(n):
        t0 = time.perf_counter()
        np.copyto(b, a)
        t.append((time.perf_counter() - t0) * 1e3)
    return float(np.median(t))


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def session(
    source: str,
    sinks: tuple[str, ...],
    size: tuple[int, int],
    seconds: float,
    folder: Path,
    *,
    extra: list[BaseSink] | None = None,
    provenance: bool = True,
) -> dict[str, Any]:
    settings = RunSettings(
        source=source,
        sinks=sinks,
        output=OutputConfig(size, 30),
        backend="bench",
        recording_dir=folder,
        faces=FaceSettings(),
        provenance=provenance,
    )
    with open_session(settings, extra_sinks=extra or []) as opened:
        p = opened.pipeline
        c0, t0 = cpu_s(), time.monotonic()
        p.run(seconds=seconds, pace=True)
        cpu, wall = cpu_s() - c0, time.monotonic() - t0
        stats = p.stats()
    files = [s for s in p.sinks if isinstance(s, FileSink)]
    return {
        "stats": stats,
        "cpu_pct": 100 * cpu / wall,
        "files": files,
        "failures": p.failures(),
    }


def photo_clip(path: Path, size: tuple[int, int], frames: int) -> Path:
    """A pan/zoom over a photo with sensor noise, as an FFV1 file (lossless source)."""
    import av
    from skimage import data

    w, h = size
    photo = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    photo = cv2.resize(photo, (w * 2, h * 2), interpolation=cv2.INTER_CUBIC)
    rng = np.random.default_rng(1)
    with av.open(str(path), "w") as c:
        s = c.add_stream("ffv1", rate=30)
        s.width, s.height, s.pix_fmt = w, h, "bgr0"
        for i in range(frames):
            t = i / frames
            z = 1.0 + 0.3 * t
            cw, ch = int(w * 2 / z), int(h * 2 / z)
            x, y = int((w * 2 - cw) * t), int((h * 2 - ch) * (1 - t) / 2)
            img = cv2.resize(photo[y : y + ch, x : x + cw], (w, h), interpolation=cv2.INTER_AREA)
            noisy = np.clip(img + rng.normal(0, 3, img.shape), 0, 255).astype(np.uint8)
            for pk in s.encode(av.VideoFrame.from_ndarray(noisy, format="bgr24")):
                c.mux(pk)
        for pk in s.encode():
            c.mux(pk)
    return path


def kbps(path: Path, seconds: float) -> float:
    return path.stat().st_size * 8 / seconds / 1000


def chromium_check(path: Path) -> str:
    """Headless Chromium loads the file, seeks to its last second, plays to the end and
    draws the last frames into a canvas (mean grey level: not a black picture)."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        return "chromium not installed (apt-get install chromium)"
    page = path.with_suffix(".html")
    page.write_text(
        f"""<html><body><video id=v src="{path.name}" muted></video>
<canvas id=c width=160 height=90></canvas><div id=r>none</div><script>
const v = document.getElementById('v'), r = document.getElementById('r');
v.addEventListener('loadedmetadata', () => {{ r.textContent = 'metadata only: '
  + v.duration.toFixed(2) + ' s, ' + v.videoWidth + 'x' + v.videoHeight
  + ' (the page was dumped before the seek finished)';
  v.currentTime = Math.max(0, v.duration - 1); }});
v.addEventListener('seeked', () => {{ v.play(); }});
v.addEventListener('timeupdate', () => {{
  const c = document.getElementById('c').getContext('2d'); c.drawImage(v, 0, 0, 160, 90);
  const d = c.getImageData(0, 0, 160, 90).data; let s = 0;
  for (let i = 0; i < d.length; i += 4) s += d[i] + d[i + 1] + d[i + 2];
  r.textContent = 'played to ' + v.currentTime.toFixed(2) + ' of ' + v.duration.toFixed(2)
    + ' s, ' + v.videoWidth + 'x' + v.videoHeight + ', mean grey '
    + (s / (160 * 90 * 3)).toFixed(1) + (v.ended ? ', ended' : ''); }});
v.addEventListener('error', () => {{ r.textContent = 'ERROR ' + v.error.code; }});
</script></body></html>"""
    )
    # Headless Chromium on a loaded machine often dumps the page (virtual time budget)
    # before the seek finished: try up to three times, and say how many it took.
    for attempt in range(1, 4):
        result = _chromium_once(exe, page)
        if result.startswith("played") or result.startswith("ERROR"):
            return f"{result} (attempt {attempt})"
    return result


def _chromium_once(exe: str, page: Path) -> str:
    proc = subprocess.run(
        [
            exe,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--autoplay-policy=no-user-gesture-required",
            "--allow-file-access-from-files",
            "--virtual-time-budget=30000",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    dom = proc.stdout
    start = dom.find('<div id="r">')
    if start < 0:
        return f"no result (exit {proc.returncode})"
    return dom[start + 12 : dom.find("</div>", start)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--sizes", default="1280x720,1920x1080")
    ap.add_argument("--sources", default="synthetic,avatar")
    ap.add_argument("--cpu-seconds", default="10,20")
    ap.add_argument("--chromium", action="store_true")
    args = ap.parse_args()
    register()
    tmp = Path(tempfile.mkdtemp(prefix="overlay-bench-"))
    os.environ.setdefault("OVERLAY_DATA_DIR", str(tmp / "data"))
    os.environ.setdefault("OVERLAY_CONFIG_DIR", str(tmp / "config"))
    sizes = [parse_size(s, "--sizes") for s in args.sizes.split(",")]
    print(f"load average at start: {os.getloadavg()[0]:.1f} (2 vCPUs)")

    print(
        "\n1. vcam (test backend) + H.264 recording + provenance, paced 30 fps, "
        f"{args.seconds:g} s each"
    )
    print(
        f"{'size':<11}{'source':<11}{'p50 ms':>8}{'p95 ms':>8}{'p50 x copy':>11}"
        f"{'frames':>8}{'rec dropped':>12}{'slates':>8}{'rec file':>10}"
    )
    last_mp4: Path | None = None
    for size in sizes:
        ref = copy_ms(size)
        for source in args.sources.split(","):
            n = len(list(tmp.glob("*.mp4")))
            out = tmp / f"{source}-{size[0]}x{size[1]}-{n}.mp4"
            r = session(source, ("vcam", f"file:{out}"), size, args.seconds, tmp)
            s = r["stats"]
            (rec,) = r["files"]
            last_mp4 = rec.published
            print(
                f"{size[0]}x{size[1]:<6}{source:<11}{s.latency_ms[0]:>8.2f}{s.latency_ms[1]:>8.2f}"
                f"{s.latency_ms[0] / ref:>11.1f}{s.frames:>8}{rec.dropped:>12}{s.slates:>8}"
                f"{'ok' if rec.published else 'FAILED':>10}"
            )
            for line in r["failures"]:
                print("   failure:", line)

    print("\n2. CPU % of one core during run() (all threads), paced 1280x720 30 fps")
    print(f"{'session':<44}" + "".join(f"{t + ' s':>9}" for t in args.cpu_seconds.split(",")))
    for label, source, sinks in (
        ("synthetic -> null, provenance", "synthetic", ("null",)),
        ("avatar -> vcam + H.264 + provenance", "avatar", ("vcam", "file:{out}")),
    ):
        cells = []
        for secs in args.cpu_seconds.split(","):
            out = tmp / f"cpu-{source}-{secs}.mp4"
            specs = tuple(k.format(out=out) for k in sinks)
            r = session(source, specs, (1280, 720), float(secs), tmp)
            cells.append(f"{r['cpu_pct']:>8.1f}%")
        print(f"{label:<44}" + "".join(cells))

    print("\n3. recording size, 1280x720 30 fps, 10 s (kbps)")
    print(f"{'content':<26}{'H.264 CRF 18':>14}{'mp4v':>10}")
    clip = photo_clip(tmp / "photo.mkv", (1280, 720), 300)
    for label, source in (("avatar", "avatar"), ("photo pan/zoom + noise", f"file:{clip}")):
        n = len(list(tmp.glob("size-*.mp4")))
        out, plain = tmp / f"size-{n}.mp4", tmp / f"mp4v-{n}.mp4"
        r = session(
            source,
            (f"file:{out}",),
            (1280, 720),
            10.0,
            tmp,
            extra=[Mp4vSink(plain, (1280, 720), 30)],
        )
        secs = r["stats"].frames / 30
        print(f"{label:<26}{kbps(out, secs):>14.0f}{kbps(plain, secs):>10.0f}")

    if args.chromium and last_mp4 is not None:
        print("\n4. headless Chromium plays recordings from their last second to the end")
        print(f"{last_mp4.name} (signed, +faststart): {chromium_check(last_mp4)}")
        frag = tmp / "fragmented.mp4"  # what a session without provenance publishes
        r = session("avatar", (f"file:{frag}",), (1280, 720), 3.0, tmp, provenance=False)
        (rec,) = r["files"]
        print(f"{frag.name}: {chromium_check(rec.published or rec.partial)}")
    print(f"\nfiles in {tmp}")


if __name__ == "__main__":
    main()
