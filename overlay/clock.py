"""The clock the pipeline paces by: the real monotonic clock by default, injectable.

A :class:`Clock` answers two things: what time it is (``now()``, seconds, monotonic) and
"wait up to this long, or until this event is set" (``wait()``). The pipeline's pacing,
stall timeout, ``run(seconds=...)`` and source retries all go through it, so tests can
drive a session with a simulated clock (exact frame counts, no sleeping) while the real
one stays the default.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol, runtime_checkable

__all__ = ["MONOTONIC", "Clock", "MonotonicClock"]


@runtime_checkable
class Clock(Protocol):
    """Monotonic time in seconds and an interruptible wait."""

    def now(self) -> float:
        """Seconds on a monotonic scale (only differences mean anything)."""
        ...

    def wait(self, event: threading.Event, seconds: float) -> bool:
        """Wait until ``seconds`` passed or ``event`` is set; True when it is set."""
        ...


class MonotonicClock:
    """The real clock: ``time.monotonic`` and ``Event.wait``."""

    def now(self) -> float:
        return time.monotonic()

    def wait(self, event: threading.Event, seconds: float) -> bool:
        if seconds <= 0:
            return event.is_set()
        return event.wait(seconds)


#: The default clock.
MONOTONIC = MonotonicClock()
