"""Runs a real Pipeline on a capture source into a MemorySink, in its own process.

Run: ``python capture_driver.py SPEC WxH FPS`` with DISPLAY set. pywinctl binds to the X
display when it is first imported, so the tests keep it out of the pytest process and
drive it from here. Prints one JSON line per event on stdout:
``{"ready": true}`` once the source opened (or ``{"error": "..."}`` and exit 2), then per
stdin command: ``dump PATH`` saves the frames sent since the last dump (images, slate
flags, send times) to PATH (.npz) and answers ``{"frames": N, "slates": K}``; ``quit``
stops and answers with the run's statistics.
"""

from __future__ import annotations

import json
import sys
import threading
import time

import numpy as np

from overlay.errors import OverlayError
from overlay.frames import StampedFrame
from overlay.pipeline import Pipeline
from overlay.session import Session
from overlay.sinks.memory import MemorySink
from overlay.sources import SourceOptions, open_source


class LockedMemorySink(MemorySink):
    """A MemorySink that can be emptied from another thread, noting when frames came."""

    def __init__(self, size: tuple[int, int]) -> None:
        super().__init__(size)
        self.lock = threading.Lock()
        self.times: list[float] = []

    def _send(self, frame: StampedFrame) -> None:
        with self.lock:
            super()._send(frame)
            self.times.append(time.monotonic())

    def take(self) -> tuple[list[np.ndarray], list[bool], list[float]]:
        with self.lock:
            out = (self.images, self.slates, self.times)
            self.images, self.slates, self.times = [], [], []
            self.indices, self.session_ids = [], []
        return out


def say(obj: object) -> None:
    print(json.dumps(obj), flush=True)


def main() -> int:
    spec, size_text, fps_text = sys.argv[1:4]
    w, h = (int(v) for v in size_text.split("x"))
    fps = float(fps_text)
    session = Session(size=(w, h), fps=fps)
    sink = LockedMemorySink((w, h))
    source = open_source(spec, SourceOptions(size=(w, h), fps=fps))
    try:
        source.open()
    except OverlayError as exc:
        say({"error": str(exc)})
        return 2
    pipeline = Pipeline(source, [sink], session=session)
    thread = threading.Thread(target=pipeline.run, daemon=True)
    thread.start()
    say({"ready": True})
    for line in sys.stdin:
        cmd, _, arg = line.strip().partition(" ")
        if cmd == "dump":
            images, slates, times = sink.take()
            np.savez(
                arg,
                images=np.stack(images) if images else np.zeros((0, h, w, 3), np.uint8),
                slates=np.array(slates, bool),
                times=np.array(times, float),
            )
            say({"frames": len(images), "slates": int(sum(slates))})
        elif cmd == "quit":
            break
    pipeline.stop()
    thread.join(timeout=10)
    stats = pipeline.stats()
    pipeline.close()
    say({"stats": stats.as_dict()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
