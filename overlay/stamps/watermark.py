"""The invisible watermark stamp (first in the chain). A no-op until the watermark lands."""

from __future__ import annotations

from overlay.frames import Frame
from overlay.session import Session

__all__ = ["WatermarkStamp"]


class WatermarkStamp:
    """Embeds the session's machine-readable disclosure into the frame's luma."""

    name = "watermark"

    def __init__(self, session: Session) -> None:
        self.session_id = session.id

    def apply(self, frame: Frame) -> Frame:
        return frame
