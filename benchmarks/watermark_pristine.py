"""The first second of any session verifies: random session ids, 1 s clips with the start card.

    python benchmarks/watermark_pristine.py [--sessions 100] [--source synthetic]

Each session runs the real pipeline (default stamps: face tag, banner with its enlarged
start card, per-frame mark, watermark) on the source for 30 frames (1 s at 30 fps), the
frames are written losslessly (what the virtual camera carries) and ``overlay.verify``
reads the file. A session counts when the payload gives back its own session id.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("OVERLAY_CONFIG_DIR", tempfile.mkdtemp(prefix="overlay-bench-"))

import numpy as np

from benchmarks.watermark_call import write_lossless
from overlay.config import BannerConfig
from overlay.pipeline import Pipeline
from overlay.session import Session
from overlay.sinks.memory import MemorySink
from overlay.sources import open_source
from overlay.sources.base import SourceOptions
from overlay.stamps import default_stamps
from overlay.stamps.watermark import installation_key
from overlay.verify import verify

SIZE = (1280, 720)
FPS = 30.0


def one_session(source: str, session_id: str, frames: int, folder: Path) -> tuple[bool, str]:
    """(the right session id was read, what verify said)."""
    session = Session(SIZE, FPS, id=session_id)
    sink = MemorySink(SIZE)
    with Pipeline(
        open_source(source, SourceOptions(size=SIZE, fps=FPS)),
        [sink],
        session=session,
        stamps=default_stamps(session, BannerConfig()),
    ) as p:
        for _ in range(frames):
            p.step()
    path = write_lossless(folder / f"{session_id}.avi", sink.images, FPS)
    report = verify(path, installation_key=installation_key(), provenance=False)
    path.unlink()
    wm = report.watermark
    return wm.session_id == session_id, f"{wm.state} {wm.session_id} score {wm.score:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--source", default="synthetic")
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    ok = 0
    failed: list[str] = []
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.sessions):
            session_id = f"{int(rng.integers(0, 2**32)):08x}"
            right, what = one_session(args.source, session_id, args.frames, Path(tmp))
            ok += right
            if not right:
                failed.append(f"{session_id}: {what}")
            if (i + 1) % 10 == 0:
                print(f"  {i + 1} sessions ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    print(
        f"pristine: {ok}/{args.sessions} sessions of {args.source} verified with their own "
        f"session id from a {args.frames}-frame clip that starts with the start card "
        f"(seed {args.seed}, {time.perf_counter() - t0:.0f} s)"
    )
    for line in failed:
        print(f"  missed {line}")


if __name__ == "__main__":
    main()
