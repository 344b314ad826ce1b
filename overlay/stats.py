"""Pipeline statistics: per-stage times, added latency, rates and drops."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Stats", "StatsRecorder"]


@dataclass(frozen=True, slots=True)
class Stats:
    """A snapshot of a running or finished pipeline.

    Attributes:
        frames: frames sent (slates included).
        slates: slates sent in place of source frames.
        dropped: live source frames replaced by a newer one before they were used.
        elapsed_s: seconds since the run started.
        fps: output frames per second over the last couple of seconds.
        stage_ms: per stage (capture, fit, each stamp, each sink, total): (median, p95) ms.
        latency_ms: capture to sent, (p50, p95) ms.
    """

    frames: int = 0
    slates: int = 0
    dropped: int = 0
    elapsed_s: float = 0.0
    fps: float = 0.0
    stage_ms: dict[str, tuple[float, float]] = field(default_factory=dict)
    latency_ms: tuple[float, float] = (0.0, 0.0)

    def as_dict(self) -> dict[str, object]:
        return {
            "frames": self.frames,
            "slates": self.slates,
            "dropped": self.dropped,
            "elapsed_s": round(self.elapsed_s, 3),
            "fps": round(self.fps, 2),
            "stage_ms": {
                k: {"median": round(m, 3), "p95": round(p, 3)}
                for k, (m, p) in self.stage_ms.items()
            },
            "latency_ms": {
                "p50": round(self.latency_ms[0], 3),
                "p95": round(self.latency_ms[1], 3),
            },
        }

    def format(self) -> str:
        """A small table for the terminal."""
        lines = [
            f"frames {self.frames}  slates {self.slates}  dropped {self.dropped}  "
            f"fps {self.fps:.1f}  elapsed {self.elapsed_s:.1f} s",
            f"added latency p50 {self.latency_ms[0]:.2f} ms  p95 {self.latency_ms[1]:.2f} ms",
            f"{'stage':<22}{'median ms':>11}{'p95 ms':>10}",
        ]
        for name, (med, p95) in self.stage_ms.items():
            lines.append(f"{name:<22}{med:>11.3f}{p95:>10.3f}")
        return "\n".join(lines)


class _Ring:
    __slots__ = ("count", "data")

    def __init__(self, n: int) -> None:
        self.data = np.zeros(n, np.float64)
        self.count = 0

    def add(self, value: float) -> None:
        self.data[self.count % self.data.size] = value
        self.count += 1

    def values(self) -> np.ndarray:
        return self.data[: min(self.count, self.data.size)]


class StatsRecorder:
    """Collects samples from the pipeline threads; ``snapshot()`` may be called from any thread."""

    def __init__(self, window: int = 1024) -> None:
        self._window = window
        self._stages: dict[str, _Ring] = {}
        self._latency = _Ring(window)
        self._sent_at = _Ring(128)
        self._lock = threading.Lock()
        self.frames = 0
        self.slates = 0
        self.dropped = 0
        self.started = time.monotonic()

    def start(self) -> None:
        self.started = time.monotonic()

    def stage(self, name: str, ms: float) -> None:
        ring = self._stages.get(name)
        if ring is None:
            with self._lock:
                ring = self._stages.setdefault(name, _Ring(self._window))
        ring.add(ms)

    def frame_sent(self, capture_ts: float, slate: bool) -> None:
        now = time.monotonic()
        self._latency.add((now - capture_ts) * 1e3)
        self._sent_at.add(now)
        self.frames += 1
        if slate:
            self.slates += 1

    def snapshot(self) -> Stats:
        with self._lock:
            stages = dict(self._stages)
        stage_ms = {}
        for name, ring in stages.items():
            v = ring.values().copy()
            if v.size:
                stage_ms[name] = (float(np.median(v)), float(np.percentile(v, 95)))
        lat = self._latency.values().copy()
        latency = (float(np.median(lat)), float(np.percentile(lat, 95))) if lat.size else (0.0, 0.0)
        sent = np.sort(self._sent_at.values().copy())
        fps = (
            (sent.size - 1) / (sent[-1] - sent[0]) if sent.size > 1 and sent[-1] > sent[0] else 0.0
        )
        return Stats(
            frames=self.frames,
            slates=self.slates,
            dropped=self.dropped,
            elapsed_s=time.monotonic() - self.started,
            fps=float(fps),
            stage_ms=stage_ms,
            latency_ms=latency,
        )
