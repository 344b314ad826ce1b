"""The visible per-frame mark: "AI", the short session id, the frame counter and UTC time."""

from __future__ import annotations

import time

import cv2

from overlay.config import Position
from overlay.frames import Frame
from overlay.session import Session

__all__ = ["MarkStamp", "mark_text"]

_FONT = cv2.FONT_HERSHEY_SIMPLEX
#: Cap height of the mark's text as a fraction of the frame height.
TEXT_HEIGHT = 0.022


def mark_text(session_id: str, index: int, unix_time: float) -> str:
    """The mark's text for one frame, e.g. ``AI 1a2b3c4d #000042 2026-11-21T21:30:05.123Z``."""
    ms = int(unix_time * 1000) % 1000
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(unix_time))
    return f"AI {session_id} #{index:06d} {stamp}.{ms:03d}Z"


class MarkStamp:
    """Draws the mark in a bottom corner (top-left when the banner sits at the bottom).

    The plate under the text is a fixed size (wide enough for the longest text), darkened
    in place, so the work per frame is one small region and one ``putText``.
    """

    name = "mark"

    def __init__(self, session: Session, banner_position: Position = "top-right") -> None:
        self.session_id = session.id
        w, h = session.size
        cap = max(7, round(TEXT_HEIGHT * h))
        (tw, th), _ = cv2.getTextSize("H", _FONT, 1.0, 1)
        self.scale = cap / th
        self.thickness = max(1, round(cap / 9))
        sample = mark_text("f" * len(session.id), 999999, 4102444799.999)
        (tw, th), base = cv2.getTextSize(sample, _FONT, self.scale, self.thickness)
        pad = max(2, cap // 2)
        self.plate_w = min(w, tw + 2 * pad)
        self.plate_h = th + base + 2 * pad
        margin = max(2, round(0.015 * min(w, h)))
        self.x = margin
        self.y = margin if banner_position == "bottom" else h - margin - self.plate_h
        self.origin = (self.x + pad, self.y + pad + th)
        # Monotonic capture time -> UTC: one offset, fixed at the session start.
        self._unix_offset = time.time() - time.monotonic()

    def apply(self, frame: Frame) -> Frame:
        region = frame.image[self.y : self.y + self.plate_h, self.x : self.x + self.plate_w]
        cv2.convertScaleAbs(region, dst=region, alpha=0.3, beta=0)
        text = mark_text(self.session_id, frame.index, frame.timestamp + self._unix_offset)
        cv2.putText(
            frame.image,
            text,
            self.origin,
            _FONT,
            self.scale,
            (255, 255, 255),
            self.thickness,
            cv2.LINE_AA,
        )
        return frame
