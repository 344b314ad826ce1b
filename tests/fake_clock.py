"""A simulated clock for pipeline tests: exact frame counts, no sleeping.

The *driver* (the thread that runs ``Pipeline.run()``, the test's own) moves time: each of
its waits jumps the clock forward by the time asked for. Other threads (a source's capture
thread, and the test source itself) wait on the clock for simulated time to pass; they
are *participants*. Before a jump is over, the driver waits (in real time, bounded) until
every participant is parked in ``wait()`` again with a deadline later than the new time,
so all that was due by then has happened (a frame read and queued) before the pipeline
looks. The outcome does not depend on how fast the machine is. When the run's stop event
(the one the driver waits on) is set, the participants' waits end too.
"""

from __future__ import annotations

import threading
import time

#: Real seconds the driver waits at most for participants to park (a participant that
#: blocks elsewhere only slows the test down; it does not change the result).
SETTLE_S = 5.0


class FakeClock:
    """Simulated monotonic time; ``participants`` other threads wait on it."""

    def __init__(self, participants: int = 1, start: float = 1000.0) -> None:
        self.driver = threading.get_ident()
        self.participants = participants
        self._now = start
        self._cond = threading.Condition()
        self._parked: dict[int, float] = {}  # thread -> the simulated time it waits for
        self._driver_event: threading.Event | None = None  # the run's stop event
        self.jumps = 0

    def now(self) -> float:
        with self._cond:
            return self._now

    def wait(self, event: threading.Event, seconds: float) -> bool:
        if threading.get_ident() == self.driver:
            return self._advance(event, seconds)
        return self._park(event, seconds)

    def sleep(self, seconds: float) -> None:
        """For test sources: wait ``seconds`` of simulated time."""
        self.wait(threading.Event(), seconds)

    # -- the driver ---------------------------------------------------------------------
    def _advance(self, event: threading.Event, seconds: float) -> bool:
        self._driver_event = event  # when the run stops, the participants' waits end too
        if event.is_set():
            return True
        with self._cond:
            self._now += max(0.0, seconds)
            self.jumps += 1
            self._cond.notify_all()
            deadline = time.monotonic() + SETTLE_S
            while not self._settled() and time.monotonic() < deadline:
                self._cond.wait(0.01)
        return event.is_set()

    def _stopping(self) -> bool:
        return self._driver_event is not None and self._driver_event.is_set()

    def _settled(self) -> bool:
        parked = [due for due in self._parked.values() if due > self._now]
        return len(parked) >= self.participants

    # -- the others ---------------------------------------------------------------------
    def _park(self, event: threading.Event, seconds: float) -> bool:
        me = threading.get_ident()
        with self._cond:
            due = self._now + max(0.0, seconds)
            self._parked[me] = due
            self._cond.notify_all()
            try:
                while self._now < due and not event.is_set() and not self._stopping():
                    self._cond.wait(0.01)
            finally:
                del self._parked[me]
                self._cond.notify_all()
        return event.is_set()
