"""``preview``: a local OpenCV window showing what is sent (``--mirror`` flips only this)."""

from __future__ import annotations

import contextlib
import os
import sys

import cv2

from overlay.errors import SinkError
from overlay.frames import StampedFrame
from overlay.sinks.base import BaseSink, SinkOptions

__all__ = ["PreviewSink"]


class PreviewSink(BaseSink):
    """Shows every frame in a window. Mirroring applies to this window, never to the output."""

    spec = "preview"
    scope = "local"
    live = True

    def __init__(
        self, size: tuple[int, int], mirror: bool = False, title: str = "overlay preview"
    ) -> None:
        super().__init__(size)
        if sys.platform.startswith("linux") and not (
            os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
        ):
            raise SinkError("no display for the preview window; drop --sink preview or set DISPLAY")
        self.mirror = mirror
        self.title = title
        try:
            cv2.namedWindow(title, cv2.WINDOW_NORMAL)
        except cv2.error as exc:
            raise SinkError(f"cannot open the preview window: {exc}") from exc

    @classmethod
    def from_spec(cls, arg: str | None, options: SinkOptions) -> PreviewSink:
        return cls(options.session.size, mirror=bool(options.extra.get("mirror")))

    def _send(self, frame: StampedFrame) -> None:
        image = cv2.flip(frame.image, 1) if self.mirror else frame.image
        cv2.imshow(self.title, image)
        cv2.waitKey(1)

    def _close(self) -> None:
        with contextlib.suppress(cv2.error):
            cv2.destroyWindow(self.title)
