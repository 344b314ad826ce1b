"""Screen capture: a whole monitor, a rectangle of the screen, or one window.

``screen[:N]``, ``region:X,Y,W,H`` and ``window:TITLE`` take the output of tools that
have no virtual camera (face-swap and avatar output windows), so their origin is ``generator``.
They are live and restartable: the pipeline keeps the newest frame, and when a window
goes away (read raises SourceError) it sends the slate and reopens the source every
second, which finds the window again when it is back.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
import time
from typing import Any

import cv2
import numpy as np

from overlay.errors import ConfigError, SourceError
from overlay.frames import BGRImage, as_bgr
from overlay.sources.base import BaseSource, SourceMode, SourceOptions
from overlay.sources.desktop import (
    Rect,
    find_window,
    list_monitors,
    open_grabber,
    window_rect,
    window_showing,
)

__all__ = ["RegionSource", "ScreenSource", "WindowSource", "parse_region"]

log = logging.getLogger(__name__)

#: Frames a source hands out before reusing a buffer: the pipeline may still be fitting
#: the previous frame while the next is grabbed, so one buffer is not enough.
_RING = 3


def _fmt(rect: Rect) -> str:
    return ",".join(map(str, rect))


def parse_region(arg: str | None) -> Rect:
    """``"X,Y,W,H"`` -> (left, top, width, height).

    Raises:
        ConfigError: not four integers, or a width/height under 2, naming the value.
    """
    example = "--source region:0,0,1280,720 (left, top, width, height in screen pixels)"
    parts = [p.strip() for p in (arg or "").split(",")]
    try:
        if len(parts) != 4:
            raise ValueError
        x, y, w, h = (int(p) for p in parts)
    except ValueError:
        raise ConfigError(f"region {arg or ''!r} is not X,Y,W,H; write e.g. {example}") from None
    if w < 2 or h < 2:
        raise ConfigError(
            f"region {arg!r} is {w}x{h}; width and height must be at least 2 pixels, e.g. {example}"
        )
    return (x, y, w, h)


class _GrabSource(BaseSource):
    """Grabs a rectangle of the screen at the requested rate, into reused buffers.

    The image of a frame stays valid until two more frames were read; copy it to keep it.
    """

    mode = SourceMode.LIVE
    origin = "generator"

    def __init__(self, spec: str, fps: float = 30.0, *, pace: bool = True) -> None:
        super().__init__()
        self.spec = spec
        self.fps = fps
        #: Wait between grabs so that a live source does not spin a core at full speed.
        self.pace = pace and fps > 0
        self._grabber: Any = None
        self._screen: Rect = (0, 0, 0, 0)
        self._ring: list[BGRImage] = []
        self._turn = 0
        self._due = 0.0
        self._wake = threading.Event()

    # -- lifecycle -------------------------------------------------------------------
    def _open(self) -> None:
        self._wake.clear()
        self._grabber = open_grabber()
        try:
            self._screen = list_monitors(self._grabber)[0].rect
            self._locate()
        except BaseException:
            self._release()
            raise
        self._due = 0.0

    def _close(self) -> None:
        self._wake.set()  # a read waiting for its turn returns at once
        self._release()

    def _release(self) -> None:
        grabber, self._grabber = self._grabber, None
        if grabber is not None:
            with contextlib.suppress(Exception):
                grabber.close()

    # -- frames ----------------------------------------------------------------------
    def _read(self) -> BGRImage:
        self._wait_turn()
        if self._grabber is None:  # closed from another thread while waiting
            raise SourceError(f"{self.spec} was closed")
        return self._grab(self._current_rect())

    def _wait_turn(self) -> None:
        if not self.pace:
            return
        now = time.monotonic()
        if self._due > now:
            self._wake.wait(self._due - now)
            now = time.monotonic()
        # Keep the long-run rate at fps; after a stall start again from now.
        nxt = self._due + 1.0 / self.fps
        self._due = nxt if nxt > now else now + 1.0 / self.fps

    def _buffer(self, h: int, w: int) -> BGRImage:
        if not self._ring or self._ring[0].shape[:2] != (h, w):
            self._ring = [np.empty((h, w, 3), np.uint8) for _ in range(_RING)]
        buf = self._ring[self._turn % _RING]
        self._turn += 1
        return buf

    def _grab(self, rect: Rect) -> BGRImage:
        left, top, w, h = rect
        sx, sy, sw, sh = self._screen
        x0, y0 = max(left, sx), max(top, sy)
        x1, y1 = min(left + w, sx + sw), min(top + h, sy + sh)
        if x1 - x0 < 2 or y1 - y0 < 2:
            raise SourceError(f"{self.spec} is off the screen (at {_fmt(rect)})")
        box = {"left": x0, "top": y0, "width": x1 - x0, "height": y1 - y0}
        try:
            shot = self._grabber.grab(box)
        except Exception as exc:  # mss.ScreenShotError: display gone, screen resized
            raise SourceError(f"{self.spec}: the screen grab failed ({exc})") from exc
        gw, gh = int(shot.width), int(shot.height)
        bgra = np.frombuffer(shot.raw, np.uint8).reshape(gh, gw, 4)
        clipped = (x0, y0, x1, y1) != (left, top, left + w, top + h)
        if not clipped or (gw, gh) != (x1 - x0, y1 - y0):
            out = self._buffer(gh, gw)
            cv2.cvtColor(bgra, cv2.COLOR_BGRA2BGR, dst=out)
            return out
        # Partly off the screen: keep the window's size, black where nothing can be seen,
        # so the picture does not jump or rescale as the window crosses the edge.
        out = self._buffer(h, w)
        out[:] = 0
        out[y0 - top : y1 - top, x0 - left : x1 - left] = cv2.cvtColor(bgra, cv2.COLOR_BGRA2BGR)
        return as_bgr(out)

    # -- for subclasses --------------------------------------------------------------
    def _locate(self) -> None:
        """Find what to capture (called on open); raise SourceError if it is not there."""

    def _current_rect(self) -> Rect:  # pragma: no cover - abstract
        raise NotImplementedError


class ScreenSource(_GrabSource):
    """``screen[:N]``: monitor N (default 1, as ``overlay sources`` numbers them); 0 is all."""

    def __init__(self, number: int = 1, fps: float = 30.0, *, pace: bool = True) -> None:
        super().__init__(f"screen:{number}", fps, pace=pace)
        self.number = number
        self._rect: Rect = (0, 0, 0, 0)

    @classmethod
    def from_spec(cls, arg: str | None, options: SourceOptions) -> ScreenSource:
        if arg is None or arg.strip() == "":
            return cls(1, options.fps)
        if not arg.strip().isdigit():
            raise ConfigError(
                f"screen {arg!r} is not a number; write e.g. --source screen:1 "
                "(overlay sources lists the screens)"
            )
        return cls(int(arg), options.fps)

    def _locate(self) -> None:
        monitors = list_monitors(self._grabber)
        count = len(monitors) - 1
        if self.number >= len(monitors):
            valid = "screen 1" if count == 1 else f"screens 1 to {count}"
            raise SourceError(
                f"screen {self.number} does not exist; this system has {valid} "
                "(0 = all screens together); overlay sources lists them"
            )
        self._rect = monitors[self.number].rect

    def _current_rect(self) -> Rect:
        return self._rect


class RegionSource(_GrabSource):
    """``region:X,Y,W,H``: a fixed rectangle of the screen, in screen pixels."""

    def __init__(self, rect: Rect, fps: float = 30.0, *, pace: bool = True) -> None:
        super().__init__(f"region:{_fmt(rect)}", fps, pace=pace)
        self.rect = rect

    @classmethod
    def from_spec(cls, arg: str | None, options: SourceOptions) -> RegionSource:
        return cls(parse_region(arg), options.fps)

    def _locate(self) -> None:
        x, y, w, h = self.rect
        sx, sy, sw, sh = self._screen
        if x < sx or y < sy or x + w > sx + sw or y + h > sy + sh:
            raise SourceError(
                f"region {_fmt(self.rect)} is not inside the screen, which spans "
                f"{sx},{sy} to {sx + sw},{sy + sh}; pick a rectangle inside it, e.g. "
                f"--source region:{sx},{sy},{min(w, sw)},{min(h, sh)}"
            )

    def _current_rect(self) -> Rect:
        return self.rect


class WindowSource(_GrabSource):
    """``window:TITLE``: the topmost window whose title contains TITLE (any case).

    Follows the window when it moves or resizes. When it closes, is minimized or hidden,
    ``read`` raises SourceError (the pipeline shows the slate); reopening looks for a
    window with that title again. Parts of the window off the screen are black; what
    covers the window on the screen is captured with it (keep it uncovered).
    """

    #: Seconds between geometry queries. pywinctl answers in microseconds on X11 and
    #: Windows; on macOS it asks AppleScript, far too slow for every frame.
    geometry_interval = 1.0 if sys.platform == "darwin" else 0.0

    def __init__(self, title: str, fps: float = 30.0, *, pace: bool = True) -> None:
        super().__init__(f"window:{title}", fps, pace=pace)
        self.title = title
        self._handle: Any = None
        self._rect: Rect = (0, 0, 0, 0)
        self._checked = 0.0

    @classmethod
    def from_spec(cls, arg: str | None, options: SourceOptions) -> WindowSource:
        if arg is None or not arg.strip():
            raise ConfigError(
                "--source window needs a title, e.g. --source window:Deep-Live-Cam "
                "(overlay sources lists the windows)"
            )
        return cls(arg, options.fps)

    def _locate(self) -> None:
        found = find_window(self.title)
        self._handle = found.handle
        self._rect = found.rect
        self._checked = time.monotonic()
        log.info("capturing window %r at %s", found.title, _fmt(found.rect))

    def _close(self) -> None:
        super()._close()
        self._handle = None

    def _current_rect(self) -> Rect:
        now = time.monotonic()
        if now - self._checked < self.geometry_interval:
            return self._rect
        self._checked = now
        why = window_showing(self._handle)
        if why is None:
            try:
                self._rect = window_rect(self._handle)
            except Exception as exc:  # closed between the two queries
                log.debug("window geometry failed: %s", exc)
                why = "gone"
        if why is not None:
            raise SourceError(f"the window {self.title!r} is {why}")
        return self._rect
