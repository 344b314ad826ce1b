"""The Stamp protocol and the chain that turns a frame into a StampedFrame."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from typing import Protocol, runtime_checkable

from overlay.errors import StampError
from overlay.frames import _SEAL, Frame, StampedFrame
from overlay.session import Session

__all__ = ["Closable", "HidesSource", "Stamp", "StampChain", "close_stamps"]

log = logging.getLogger(__name__)


@runtime_checkable
class Stamp(Protocol):
    """Draws one disclosure onto a frame, in place.

    Style and static content go in the constructor (pre-rendered once); ``apply`` only
    touches the pixels it must. Frames are the session's output size.
    """

    name: str

    def apply(self, frame: Frame) -> Frame:
        """Stamp ``frame.image`` in place and return the frame."""
        ...


@runtime_checkable
class Closable(Protocol):
    """A stamp that holds something to release (the face tag's model and worker)."""

    def close(self) -> None:
        """Release it. Idempotent."""
        ...


@runtime_checkable
class HidesSource(Protocol):
    """A stamp that can hide the source (the consent guard, once consent lapsed): while it
    does, every frame is sealed as a slate."""

    @property
    def hides_source(self) -> bool: ...


def close_stamps(stamps: Iterable[Stamp]) -> list[Exception]:
    """Close every :class:`Closable` stamp once; errors are logged and returned.

    The one place stamps are closed: by the chain (the pipeline closing) and by the
    session's assembly when it fails before a pipeline exists.
    """
    errors: list[Exception] = []
    for stamp in stamps:
        if not isinstance(stamp, Closable):
            continue
        try:
            stamp.close()
        except Exception as exc:
            log.error("closing stamp %s failed: %s", stamp.name, exc)
            errors.append(exc)
    return errors


class StampChain:
    """Every stamp of a session, in order; the only maker of :class:`StampedFrame`.

    Args:
        session: the session whose id the stamped frames carry.
        stamps: in order (face tag, banner, mark, watermark); at least one.
    """

    def __init__(self, session: Session, stamps: Sequence[Stamp]) -> None:
        if not stamps:
            raise ValueError("a StampChain needs at least one stamp")
        self.session = session
        self.stamps = tuple(stamps)
        #: Milliseconds each stamp took on the last frame, in chain order.
        self.last_ms = [0.0] * len(self.stamps)
        self._hiders = [s for s in self.stamps if isinstance(s, HidesSource)]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.stamps)

    def apply(self, frame: Frame) -> StampedFrame:
        """Run every stamp on ``frame``.

        Raises:
            StampError: a stamp raised; the frame is unusable and must not be sent.
        """
        clock = time.perf_counter
        for i, stamp in enumerate(self.stamps):
            t0 = clock()
            try:
                frame = stamp.apply(frame)
            except Exception as exc:
                raise StampError(
                    f"stamp {stamp.name!r} failed on frame {frame.index}: {exc}"
                ) from exc
            self.last_ms[i] = (clock() - t0) * 1e3
        # A stamp that hides the source (the consent guard once consent lapsed) makes
        # every frame a slate.
        slate = any(s.hides_source for s in self._hiders)
        return StampedFrame(frame, self.session.id, slate=slate, seal=_SEAL)

    def close(self) -> list[Exception]:
        """Close the stamps that hold something; the errors, logged, are returned."""
        return close_stamps(self.stamps)

    def seal_slate(self, frame: Frame) -> StampedFrame:
        """Seal a slate whose pixels carry their own disclosure (used when a stamp fails)."""
        return StampedFrame(frame, self.session.id, slate=True, seal=_SEAL)
