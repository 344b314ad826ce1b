"""A session: one run of the pipeline, named by the id carried in every disclosure."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime

__all__ = ["SESSION_ID_BITS", "Session", "new_session_id"]

#: Width of a session id. The invisible watermark carries it, so it is fixed by the payload.
SESSION_ID_BITS = 32


def new_session_id() -> str:
    """A random session id: ``SESSION_ID_BITS`` bits as lower-case hex (8 characters)."""
    return secrets.token_hex(SESSION_ID_BITS // 8)


@dataclass(frozen=True, slots=True)
class Session:
    """What every stamp of one run shares.

    Attributes:
        id: the session id shown in the visible mark and carried by the watermark.
        size: output (width, height).
        fps: output frames per second (the start card lasts ``2 * fps`` frames).
        started_utc: when the session started.
    """

    size: tuple[int, int]
    fps: float
    id: str = field(default_factory=new_session_id)
    started_utc: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def width(self) -> int:
        return self.size[0]

    @property
    def height(self) -> int:
        return self.size[1]
