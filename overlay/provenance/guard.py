"""Consent kept valid while a session runs: re-checked at least once a minute.

:class:`ConsentGuard` is a stamp placed first in the chain of a session that shows a
likeness. Every ``interval`` (30 s) it reads the consent record again from disk and
checks it against the clock: revoked (``overlay consent revoke``), expired, deleted or
damaged, it lapses. From then on every frame is replaced by a slate that says so, before
the watermark, banner and mark are stamped on it (so the output stays disclosed and the
likeness is no longer shown), the frames count as slates in the statistics, and one
error line says what happened and what to do. A lapse is final for the session.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import numpy as np

from overlay.config import BannerConfig
from overlay.errors import ConsentError
from overlay.frames import Frame
from overlay.provenance.consent import ConsentRecord, load_consent
from overlay.slate import render_slate

__all__ = ["CHECK_EVERY", "SLATE_TEXTS", "ConsentGuard"]

log = logging.getLogger(__name__)

#: How often the record is read again (the issue asks for at least once a minute).
CHECK_EVERY = timedelta(seconds=30)
#: What the slate says once consent has lapsed, per banner language.
SLATE_TEXTS = {"en": "AI-generated video - consent ended", "zh": "AI生成视频 - 授权已结束"}

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class ConsentGuard:
    """A stamp that hides the source once the session's consent record stops allowing it.

    Args:
        record: the record the session started with.
        scope: the scopes the session's sinks need (``live``, ``record``).
        size: output (width, height).
        banner: the session's banner settings (language of the slate).
        clock: the current UTC time (tests inject one).
        interval: how often the record is checked.
    """

    name = "consent"

    def __init__(
        self,
        record: ConsentRecord,
        scope: tuple[str, ...],
        size: tuple[int, int],
        banner: BannerConfig,
        *,
        clock: Clock | None = None,
        interval: timedelta = CHECK_EVERY,
    ) -> None:
        if interval > timedelta(minutes=1) or interval <= timedelta(0):
            raise ValueError(f"consent check interval {interval} must be 0-60 s")
        self.record = record
        self.scope = scope
        self.clock = clock if clock is not None else _utc_now
        self.interval = interval
        self.checks = 0
        #: Why consent lapsed (None while it holds).
        self.reason: str | None = None
        self._slate = render_slate(size, banner, with_banner=False, text=SLATE_TEXTS[banner.lang])
        self._next = self.clock() + interval

    @property
    def hides_source(self) -> bool:
        """Consent lapsed: every frame shows the slate."""
        return self.reason is not None

    def check(self, now: datetime) -> str | None:
        """Read the record again; why it no longer allows the session (None: it does)."""
        self.checks += 1
        try:
            current = load_consent(self.record.path)
        except ConsentError as exc:
            return f"consent {self.record.id} can no longer be read ({exc})"
        if current.id != self.record.id or current.likeness_sha256 != self.record.likeness_sha256:
            return f"consent record {self.record.path.name} was replaced by another record"
        return current.problem(now=now, scope=self.scope)

    def apply(self, frame: Frame) -> Frame:
        if self.reason is None:
            now = self.clock()
            if now >= self._next:
                self._next = now + self.interval
                self.reason = self.check(now)
                if self.reason is not None:
                    log.error(
                        "%s; the session now sends the slate instead of the likeness; stop it "
                        "and add a valid consent record (overlay consent add) to continue",
                        self.reason,
                    )
        if self.reason is not None:
            np.copyto(frame.image, self._slate)
        return frame
