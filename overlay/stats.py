"""Pipeline statistics: per-stage times, added latency, rates and drops."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Stats", "StatsCollector"]


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
        latency_ms: added latency, (p50, p95) ms: from the frame leaving the source (read
            from a live source, taken from a queued source's read-ahead) to the last sink
            accepting it (a threaded sink accepts when the frame is queued).
        read_ahead_ms: how long frames of a queued source (file, pipe) waited in the
            read-ahead queue, (p50, p95) ms; not part of the latency.
        sinks: per sink: ``delivery`` (``newest``, ``queue`` or ``every``: see
            :data:`overlay.sinks.base.Delivery`), ``threaded``, ``sent`` (frames it took
            during the last ``run()``; None outside one), ``dropped`` (frames its queue
            could not take, or a ``newest`` sink's stale frames replaced by newer ones)
            and ``failed`` (the error that took it out, or None).
        source_errors: exceptions other than SourceError the source raised.
    """

    frames: int = 0
    slates: int = 0
    dropped: int = 0
    elapsed_s: float = 0.0
    fps: float = 0.0
    stage_ms: dict[str, tuple[float, float]] = field(default_factory=dict)
    latency_ms: tuple[float, float] = (0.0, 0.0)
    read_ahead_ms: tuple[float, float] | None = None
    sinks: dict[str, dict[str, object]] = field(default_factory=dict)
    source_errors: int = 0

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
            "read_ahead_ms": None
            if self.read_ahead_ms is None
            else {"p50": round(self.read_ahead_ms[0], 3), "p95": round(self.read_ahead_ms[1], 3)},
            "sinks": self.sinks,
            "source_errors": self.source_errors,
        }

    def format(self) -> str:
        """A small table for the terminal."""
        lines = [
            f"frames {self.frames}  slates {self.slates}  dropped {self.dropped}  "
            f"fps {self.fps:.1f}  elapsed {self.elapsed_s:.1f} s",
            f"added latency p50 {self.latency_ms[0]:.2f} ms  p95 {self.latency_ms[1]:.2f} ms"
            + (
                f"  (file read-ahead, not counted: p50 {self.read_ahead_ms[0]:.0f} ms)"
                if self.read_ahead_ms is not None
                else ""
            ),
            f"{'stage':<22}{'median ms':>11}{'p95 ms':>10}",
        ]
        for name, (med, p95) in self.stage_ms.items():
            lines.append(f"{name:<22}{med:>11.3f}{p95:>10.3f}")
        for name, info in self.sinks.items():
            if info.get("dropped") or info.get("failed"):
                lines.append(f"sink {name}: dropped {info['dropped']}, failed: {info['failed']}")
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


class StatsCollector:
    """Collects samples from the pipeline threads; ``snapshot()`` may be called from any thread."""

    def __init__(self, window: int = 1024, now: Callable[[], float] = time.monotonic) -> None:
        self._window = window
        self._stages: dict[str, _Ring] = {}
        self._latency = _Ring(window)
        self._read_ahead = _Ring(window)
        self._sent_at = _Ring(128)
        self._lock = threading.Lock()
        self.frames = 0
        self.slates = 0
        self.dropped = 0
        self._now = now  # the pipeline's clock: rates and latency in its time
        self.started = now()

    def start(self) -> None:
        self.started = self._now()

    def stage(self, name: str, ms: float) -> None:
        ring = self._stages.get(name)
        if ring is None:
            with self._lock:
                ring = self._stages.setdefault(name, _Ring(self._window))
        ring.add(ms)

    def stage_read_ahead(self, ms: float) -> None:
        self._read_ahead.add(ms)

    def frame_sent(self, capture_ts: float, slate: bool) -> None:
        now = self._now()
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
        ahead = self._read_ahead.values().copy()
        read_ahead = (
            (float(np.median(ahead)), float(np.percentile(ahead, 95))) if ahead.size else None
        )
        sent = np.sort(self._sent_at.values().copy())
        fps = (
            (sent.size - 1) / (sent[-1] - sent[0]) if sent.size > 1 and sent[-1] > sent[0] else 0.0
        )
        return Stats(
            frames=self.frames,
            slates=self.slates,
            dropped=self.dropped,
            elapsed_s=self._now() - self.started,
            fps=float(fps),
            stage_ms=stage_ms,
            latency_ms=latency,
            read_ahead_ms=read_ahead,
        )
