"""``preview``: a local OpenCV window showing what is sent (``--mirror`` flips only this)."""

from __future__ import annotations

import atexit
import os
import sys
import threading

import cv2

from overlay.errors import SinkError
from overlay.frames import BGRImage, StampedFrame
from overlay.sinks.base import BaseSink, SinkOptions

__all__ = ["PreviewSink"]

# OpenCV's windows (its Qt backend) belong to the first thread that makes one: a call from
# another thread later waits forever. So every window call of the process runs on one
# thread of its own that lives as long as the process; sinks hand it their newest frame.
_cond = threading.Condition()
_pending: dict[str, BGRImage | None] = {}  # title -> newest frame; None: close the window
_errors: dict[str, str] = {}
_gui: list[threading.Thread] = []  # the one window thread, once started
_END = "\0end"  # a title no window has: the thread closes its windows and ends


def _end_gui() -> None:
    """At exit: the window thread closes its windows and ends (Qt aborts the process when
    its thread is still running as the interpreter goes)."""
    if _gui and _gui[0].is_alive():
        _post(_END, None)
        _gui[0].join(2.0)


def _post(title: str, image: BGRImage | None) -> None:
    with _cond:
        _pending[title] = image
        if not _gui:
            thread = threading.Thread(target=_gui_loop, name="overlay-preview-window", daemon=True)
            _gui.append(thread)
            thread.start()
            atexit.register(_end_gui)
        _cond.notify()


def _gui_loop() -> None:
    shown: set[str] = set()
    while True:
        with _cond:
            if not _pending:
                _cond.wait(0.03 if shown else None)  # keep open windows responsive
            jobs = dict(_pending)
            _pending.clear()
        if _END in jobs:
            for title in shown:
                cv2.destroyWindow(title)
            cv2.waitKey(1)
            return
        for title, image in jobs.items():
            try:
                if image is None:
                    if title in shown:
                        shown.discard(title)
                        cv2.destroyWindow(title)
                    continue
                if title not in shown:
                    cv2.namedWindow(title, cv2.WINDOW_NORMAL)
                    shown.add(title)
                cv2.imshow(title, image)
            except cv2.error as exc:
                with _cond:
                    _errors[title] = str(exc).strip().splitlines()[-1]
        if shown:
            cv2.waitKey(1)


class PreviewSink(BaseSink):
    """Shows the newest frame in a window. Mirroring applies to this window, never to the
    output. The window is drawn by a thread of its own: a slow display never holds a frame
    up (a frame replaced before it was drawn is simply not shown)."""

    spec = "preview"
    scope = "local"
    delivery = "newest"

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

    @classmethod
    def from_spec(cls, arg: str | None, options: SinkOptions) -> PreviewSink:
        return cls(options.session.size, mirror=bool(options.extra.get("mirror")))

    def _send(self, frame: StampedFrame) -> None:
        with _cond:
            error = _errors.pop(self.title, None)
        if error is not None:
            raise SinkError(f"cannot show the preview window: {error}")
        # a copy: the frame's buffer is reused once send() returns
        image: BGRImage = frame.image[:, ::-1].copy() if self.mirror else frame.image.copy()
        _post(self.title, image)

    def _close(self) -> None:
        _post(self.title, None)
