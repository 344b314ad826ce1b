"""``overlay verify PATH``: look for the AI-disclosure watermark in a video or image, and
check the provenance records (C2PA, session manifest, frame log) that go with it.

Exit codes (``overlay.verify.EXIT_*``): 0 an AI disclosure found (the watermark with its
payload, or present beyond doubt with its payload unreadable) and no provenance record
failed; 1 not found; 2 error; 3 found but a provenance record failed (``--strict``: or
is missing, or the payload was unreadable).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from overlay.errors import OverlayError

__all__ = ["add_parser", "run"]

#: How the text report names each provenance section.
_LABELS = {
    "c2pa": "C2PA",
    "manifest": "session manifest",
    "log": "frame log",
    "watermark_session": "watermark session in manifest",
    "frames": "frames against the log",
}


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "verify",
        help="check a video, image or screenshot for the AI-disclosure watermark",
        description="Exit 0: AI watermark found (with its payload, or present with the "
        "payload unreadable) and no provenance record failed; 1: not found; 2: error; 3: "
        "watermark found but a provenance record (C2PA, manifest, frame log, session match, "
        "frames vs log) failed; with --strict also when one is missing or the payload was "
        "unreadable.",
    )
    p.add_argument("path", help="video, image or screenshot")
    p.add_argument("--json", action="store_true", help="print the report as one JSON object")
    p.add_argument("--plot", metavar="OUT.png", help="draw the detection score over time")
    p.add_argument(
        "--key",
        metavar="FILE",
        help="installation watermark key file, to read the session id "
        "(default: this installation's key, if it exists)",
    )
    p.add_argument("--max-frames", type=int, metavar="N", help="stop after N frames")
    p.add_argument(
        "--manifest",
        metavar="FILE",
        help="the session manifest to check against (default: found by the session id)",
    )
    p.add_argument(
        "--public-key",
        metavar="PEM",
        help="public key of the installation that made the records (overlay keys "
        "export-public); default: this installation's keys",
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="exit 3 unless every provenance record is present and valid (C2PA, manifest, "
        "frame log, the watermark's session, the frames against the log)",
    )
    p.set_defaults(func=run)


def _key(arg: str | None) -> bytes | None:
    from overlay.stamps.watermark import KEY_FILE, installation_key

    if arg is not None:
        path = Path(arg)
        if not path.is_file():
            raise OverlayError(f"--key {arg}: no such file; pass the watermark.key file")
        return installation_key(path, check_mode=False)
    from overlay.paths import config_dir

    default = config_dir() / KEY_FILE
    return installation_key(default, check_mode=False) if default.is_file() else None


def run(args: argparse.Namespace) -> int:
    from overlay.verify import exit_code, provenance_failures, verify

    if args.max_frames is not None and args.max_frames < 1:
        raise OverlayError(f"--max-frames {args.max_frames} must be 1 or more")
    key = _key(args.key)
    last = [time.monotonic()]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] >= 2.0:
            last[0] = now
            of = f" of {total}" if total else ""
            print(f"overlay verify: {done}{of} frames", file=sys.stderr, flush=True)

    report = verify(
        args.path,
        installation_key=key,
        max_frames=args.max_frames,
        progress=progress,
        manifest=args.manifest,
        provenance_key=args.public_key,
    )
    if args.plot:
        _plot(
            report.watermark.timeline, report.watermark.presence_threshold, args.plot, report.path
        )
    if args.json:
        print(json.dumps(report.to_dict()))
    else:
        print(_summary(report))
    if not args.json:
        for name, part in report.sections():
            if part is not None:
                state = "valid" if part.valid else f"not valid: {part.reason}"
                if not part.valid and not part.present:
                    state = f"absent: {part.reason}"
                print(f"  {_LABELS[name]}: {state}")
    code = exit_code(report, strict=args.strict)
    if report.found and code != 0:
        failed = provenance_failures(report, strict=args.strict)
        print(
            f"overlay verify: disclosure found but provenance failed ({len(failed)}): "
            + "; ".join(failed),
            file=sys.stderr,
        )
    return code


def _summary(report: Any) -> str:
    """One line per state; a score is always shown beside the threshold it is held to."""
    wm = report.watermark
    if wm.detected:
        who = f"session {wm.session_id}" if wm.session_id else f"sealed id {wm.sealed_id}"
        return (
            f"AI-disclosure watermark FOUND in {report.path} ({who}, format {wm.version}); "
            f"{wm.frames_detected}/{wm.frames_checked} frames, "
            f"false-positive bound {wm.false_positive_bound:.1e}"
        )
    if wm.present:
        return (
            f"AI-disclosure watermark PRESENT in {report.path}, payload unreadable (no "
            f"session id): score {wm.score:.1f} >= presence threshold "
            f"{wm.presence_threshold:.1f}, false-positive bound {wm.false_positive_bound:.1e}"
        )
    return (
        f"no AI-disclosure watermark found in {report.path} ({wm.frames_checked} frames "
        f"checked; best score {wm.score:.1f}, below the presence threshold "
        f"{wm.presence_threshold:.1f}; no payload read)"
    )


def _plot(timeline: list[tuple[int, float]], threshold: float, out: str, title: str) -> None:
    try:
        import matplotlib
    except ImportError as exc:
        raise OverlayError(
            "--plot needs matplotlib, which is not installed; pip install matplotlib"
        ) from exc

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3))
    if timeline:
        xs, ys = zip(*timeline, strict=True)
        ax.plot(xs, ys, marker=".")
    ax.axhline(threshold, color="r", ls="--", lw=1, label="presence threshold")
    ax.set_xlabel("frame")
    ax.set_ylabel("lattice score (z)")
    ax.set_title(title, fontsize=8)
    fig.tight_layout()
    try:
        fig.savefig(out)
    except OSError as exc:
        raise OverlayError(f"cannot write the plot {out}: {exc}; check the folder") from exc
    finally:
        plt.close(fig)
