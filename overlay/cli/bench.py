"""``overlay bench``: synthetic -> stamps -> null, unpaced, against a plain frame copy."""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import numpy as np

from overlay.cli.common import add_banner_options, banner_from_args
from overlay.config import OutputConfig, parse_size
from overlay.errors import ConfigError
from overlay.pipeline import Pipeline
from overlay.session import Session
from overlay.sinks.memory import NullSink
from overlay.sources.synthetic import SyntheticSource
from overlay.stamps import BannerStamp, MarkStamp, Stamp

__all__ = ["add_parser", "bench", "run"]


def add_parser(sub: Any) -> None:
    p = sub.add_parser("bench", help="measure the stamps and the pipeline on synthetic frames")
    p.add_argument(
        "--size", default="1920x1080", metavar="WxH", help="frame size (default 1920x1080)"
    )
    p.add_argument(
        "--frames", type=int, default=300, metavar="N", help="frames to run (default 300)"
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    add_banner_options(p)
    p.set_defaults(func=run)


def copy_ms(size: tuple[int, int], n: int = 200) -> tuple[float, float]:
    """Median and p95 ms of ``np.copyto`` of one frame of ``size``: the reference cost."""
    w, h = size
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    b = np.empty_like(a)
    samples = np.empty(n)
    for i in range(n):
        t0 = time.perf_counter()
        np.copyto(b, a)
        samples[i] = (time.perf_counter() - t0) * 1e3
    return float(np.median(samples)), float(np.percentile(samples, 95))


def bench(
    size: tuple[int, int],
    frames: int,
    banner_args: argparse.Namespace,
    *,
    visible_only: bool = False,
) -> dict[str, Any]:
    """Run synthetic -> stamps -> null unpaced; ``visible_only``: banner and mark alone."""
    output = OutputConfig(size, 30.0)
    session = Session(size=output.size, fps=output.fps)
    banner = banner_from_args(banner_args)
    source = SyntheticSource(size, output.fps)
    sink = NullSink(size)
    copy_med, copy_p95 = copy_ms(size)
    stamps: list[Stamp] | None = None
    if visible_only:
        stamps = [BannerStamp(session, banner), MarkStamp(session, banner.position)]
    with Pipeline(source, [sink], session=session, banner=banner, stamps=stamps) as pipeline:
        for _ in range(min(30, frames)):  # warm-up: caches, first-touch page faults
            pipeline.step()
        pipeline.collector = type(pipeline.collector)()
        t0 = time.perf_counter()
        for _ in range(frames):
            pipeline.step()
        wall = time.perf_counter() - t0
        stats = pipeline.stats()
    stages = {
        k: {"median_ms": m, "p95_ms": p, "x_copy": m / copy_med}
        for k, (m, p) in stats.stage_ms.items()
    }
    disclosure = sum(
        stats.stage_ms[k][0] for k in ("stamp:banner", "stamp:mark") if k in stats.stage_ms
    )
    return {
        "size": f"{size[0]}x{size[1]}",
        "frames": frames,
        "fps": frames / wall,
        "copy_ms": {"median_ms": copy_med, "p95_ms": copy_p95},
        "banner_plus_mark_median_ms": disclosure,
        "stages": stages,
    }


def run(args: argparse.Namespace) -> int:
    if args.frames < 1:
        raise ConfigError(f"--frames {args.frames} must be 1 or more")
    size = parse_size(args.size)
    OutputConfig(size, 30.0)  # validates the size
    result = bench(size, args.frames, args)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(
        f"overlay bench: synthetic -> stamps -> null, {result['size']}, "
        f"{args.frames} frames, unpaced"
    )
    print(f"{'stage':<24}{'median ms':>11}{'p95 ms':>10}{'x copy':>9}")
    c = result["copy_ms"]
    print(f"{'np.copyto (reference)':<24}{c['median_ms']:>11.3f}{c['p95_ms']:>10.3f}{1.0:>9.2f}")
    for name, s in result["stages"].items():
        print(f"{name:<24}{s['median_ms']:>11.3f}{s['p95_ms']:>10.3f}{s['x_copy']:>9.2f}")
    print(f"banner + mark: {result['banner_plus_mark_median_ms']:.3f} ms median per frame")
    print(f"pipeline: {result['fps']:.0f} fps")
    return 0
