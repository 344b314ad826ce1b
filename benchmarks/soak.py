"""Soak: a long paced session, RSS sampled every 30 s.

Run: python benchmarks/soak.py [--minutes 60] [--size 1280x720] [--every 30]

The session: the built-in avatar -> virtual camera (pyvirtualcam's real Camera with a test
backend that converts each frame to 4:2:0, as a driver does, and discards it) + an H.264
recording + provenance (frame log, signed recording), 30 fps. Prints one row per sample
(minute, RSS MB, frames, slates, frames the recording and the virtual camera dropped,
frame buffers allocated for the sink threads, load average), then the drift: RSS at the
end minus RSS after the warm-up (the first 5 minutes, or the first third of a shorter run),
scaled to MB per hour. Target (issue 12): <= 1 MB/hour after warm-up, 0 dropped, 0 slates.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from overlay.config import OutputConfig, parse_size
from overlay.runner import RunSettings, open_session


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def thread_cpu() -> dict[str, float]:
    """CPU seconds per thread name (Linux /proc), summed over threads of the same name."""
    out: dict[str, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    names = {t.native_id: t.name for t in threading.enumerate()}
    for task in Path("/proc/self/task").iterdir():
        try:
            name = names.get(int(task.name)) or "other: " + (task / "comm").read_text().strip()
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[name] = out.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--every", type=float, default=30.0, help="seconds between RSS samples")
    args = ap.parse_args()
    sys.path.insert(0, os.path.dirname(__file__))
    from recording_latency import register

    register()
    tmp = Path(tempfile.mkdtemp(prefix="overlay-soak-"))
    os.environ.setdefault("OVERLAY_DATA_DIR", str(tmp / "data"))
    os.environ.setdefault("OVERLAY_CONFIG_DIR", str(tmp / "config"))
    size = parse_size(args.size, "--size")
    settings = RunSettings(
        source="avatar",
        sinks=("vcam", f"file:{tmp / 'soak.mp4'}"),
        output=OutputConfig(size, 30),
        backend="bench",
    )
    samples: list[tuple[float, float, int, int, int]] = []
    loads: list[float] = []
    seconds = args.minutes * 60
    print(
        f"soak: avatar -> vcam (test backend) + H.264 + provenance, {size[0]}x{size[1]} "
        f"30 fps, {args.minutes:g} min; load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{'minute':>7}{'RSS MB':>9}{'frames':>9}{'slates':>8}{'rec dropped':>13}"
        f"{'vcam dropped':>14}{'buffers':>9}{'load 1m':>9}"
    )
    with open_session(settings) as opened:
        p = opened.pipeline
        (rec,) = opened.recordings
        start = time.monotonic()

        cpu: dict[str, float] = {}

        def sample() -> None:
            cpu.update(thread_cpu())  # threads that ended keep their last figure
            s = p.stats()
            row = ((time.monotonic() - start) / 60, rss_mb(), s.frames, s.slates, rec.dropped)
            samples.append(row)
            live = sum(int(v["dropped"]) for v in s.sinks.values() if v.get("live"))  # type: ignore[call-overload]
            loads.append(os.getloadavg()[0])
            print(
                f"{row[0]:>7.1f}{row[1]:>9.1f}{row[2]:>9}{row[3]:>8}{row[4]:>13}{live:>14}"
                f"{p._pool.made:>9}{loads[-1]:>9.1f}",
                flush=True,
            )

        stop = threading.Event()

        def sampler() -> None:
            while not stop.wait(args.every):
                sample()

        thread = threading.Thread(target=sampler, daemon=True)
        thread.start()
        try:
            p.run(seconds=seconds, pace=True)
        finally:
            stop.set()
            thread.join()
        sample()
        failures = p.failures()
        stats = p.stats()
        wall = time.monotonic() - start
    print("\n" + stats.format())
    print(
        f"\nCPU per thread over {wall:.0f} s (% of one core): "
        + ", ".join(
            f"{k} {v / wall * 100:.1f}%" for k, v in sorted(cpu.items(), key=lambda kv: -kv[1])
        )
    )
    warm = min(5.0, args.minutes / 3)
    after = [r for r in samples if r[0] >= warm]
    if len(after) >= 2:
        span_h = (after[-1][0] - after[0][0]) / 60
        drift = after[-1][1] - after[0][1]
        rate = drift / span_h if span_h > 0 else float("nan")
        print(
            f"\nRSS after warm-up ({warm:g} min): {after[0][1]:.1f} -> {after[-1][1]:.1f} MB "
            f"over {span_h * 60:.1f} min = {rate:+.1f} MB/hour (a short run overstates it)"
        )
        print(
            f"RSS max {max(r[1] for r in samples):.1f} MB, min after warm-up "
            f"{min(r[1] for r in after):.1f} MB"
        )
    print(
        f"load average (1 min) over the run: min {min(loads):.1f}, median "
        f"{sorted(loads)[len(loads) // 2]:.1f}, max {max(loads):.1f} ({os.cpu_count()} CPUs)"
    )
    last = samples[-1]
    expected = round(last[0] * 60 * 30)
    print(
        f"frames sent {last[2]} of {expected} at 30 fps over {last[0]:.1f} min "
        f"({last[2] / max(1, expected) * 100:.0f}%: below 100% the pipeline thread itself "
        "was short of CPU)"
    )
    print(
        f"frames {last[2]}, slates {last[3]}, recording dropped {last[4]}; "
        f"failures: {failures or 'none'}"
    )
    print(
        f"recording: {rec.published} ({(rec.published or rec.partial).stat().st_size / 1e6:.1f} MB)"
    )


if __name__ == "__main__":
    main()
