"""The desktop as seen by the capture sources: the screen grabber, monitors and windows.

Pixels come from ``mss`` (X11 with MIT-SHM, Windows GDI, macOS CoreGraphics); window
titles and geometry from ``pywinctl``. Both are imported here, on first use, so that
``import overlay`` stays light and a machine without a display can still run everything
else. Every failure becomes a :class:`~overlay.errors.SourceError` whose message says why
and what to do.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from typing import Any

from overlay.errors import SourceError

__all__ = [
    "Monitor",
    "Rect",
    "WindowInfo",
    "find_window",
    "list_monitors",
    "list_windows",
    "open_grabber",
    "window_rect",
    "window_showing",
]

log = logging.getLogger(__name__)

#: A rectangle of the virtual screen: (left, top, width, height) in screen pixels.
Rect = tuple[int, int, int, int]


@dataclass(frozen=True, slots=True)
class Monitor:
    """One monitor (``number`` >= 1) or, as number 0, all of them together."""

    number: int
    rect: Rect
    primary: bool = False


@dataclass(frozen=True, slots=True)
class WindowInfo:
    """A top-level window that can be captured; ``handle`` is pywinctl's window object."""

    title: str
    rect: Rect
    pid: int | None
    handle: Any


def _display_problem(exc: BaseException | None = None) -> str:
    """Why there is no screen to capture, with the fix, for this platform."""
    if sys.platform.startswith("linux"):
        display = os.environ.get("DISPLAY", "")
        if not display:
            if os.environ.get("WAYLAND_DISPLAY"):
                return (
                    "this Wayland session has no X display (DISPLAY is not set); screen "
                    "capture works on X11 or XWayland: log in to an X11 session"
                )
            return (
                "no X display (DISPLAY is not set); run overlay inside a desktop session "
                "(or start Xvfb and set DISPLAY)"
            )
        detail = f" ({exc})" if exc else ""
        return f"the X display {display} did not answer{detail}; check DISPLAY and that X runs"
    if sys.platform == "darwin":
        return (
            f"the screen could not be read ({exc}); allow Screen Recording for your terminal "
            "or app in System Settings > Privacy & Security"
        )
    return f"the screen could not be read ({exc})"


def open_grabber() -> Any:
    """A new ``mss.MSS`` screen grabber.

    Raises:
        SourceError: no display to capture (the message says why and the fix).
    """
    if sys.platform.startswith("linux") and not os.environ.get("DISPLAY"):
        raise SourceError(f"cannot capture the screen: {_display_problem()}")
    try:
        import mss
    except ImportError as exc:  # a declared dependency; only a broken install lacks it
        raise SourceError("screen capture needs mss: pip install 'mss>=10.2'") from exc
    try:
        return mss.MSS()
    except Exception as exc:  # mss.ScreenShotError and ctypes errors: no usable display
        raise SourceError(f"cannot capture the screen: {_display_problem(exc)}") from exc


def list_monitors(grabber: Any) -> list[Monitor]:
    """Number 0 (all monitors together), then each monitor from 1, as mss numbers them."""
    monitors: list[Monitor] = []
    for n, m in enumerate(grabber.monitors):
        rect = (int(m["left"]), int(m["top"]), int(m["width"]), int(m["height"]))
        monitors.append(Monitor(n, rect, bool(m.get("is_primary", False))))
    return monitors


def _pywinctl() -> Any:
    """The pywinctl module, or SourceError saying why windows cannot be listed here."""
    if sys.platform.startswith("linux") and not os.environ.get("DISPLAY"):
        raise SourceError(f"cannot list windows: {_display_problem()}")
    try:
        import pywinctl
    except ImportError as exc:
        raise SourceError("window capture needs pywinctl: pip install pywinctl") from exc
    except Exception as exc:  # Xlib connects at import time and raises its own errors
        raise SourceError(f"cannot list windows: {_display_problem(exc)}") from exc
    return pywinctl


def window_rect(handle: Any) -> Rect:
    """The window's client area (no title bar or borders) in screen pixels.

    On X11 pywinctl's ``box`` is already the client window (the window manager draws the
    decorations in a parent window); elsewhere ``getClientFrame()`` is the client area.
    """
    if sys.platform.startswith("linux"):
        left, top, width, height = handle.box
        return (int(left), int(top), int(width), int(height))
    r = handle.getClientFrame()
    return (int(r.left), int(r.top), int(r.right - r.left), int(r.bottom - r.top))


def window_showing(handle: Any) -> str | None:
    """None if the window can be captured now, else why not ("gone", "minimized", ...)."""
    try:
        if not handle.isAlive:
            return "gone"
        if handle.isMinimized:
            return "minimized"
        if not handle.visible:
            return "hidden"
    except Exception as exc:  # Xlib BadWindow & co.: the window went away mid-query
        log.debug("window query failed: %s", exc)
        return "gone"
    return None


def list_windows(*, hidden: bool = False) -> list[WindowInfo]:
    """Titled top-level windows of other processes, topmost first.

    Args:
        hidden: include minimized and hidden windows (they cannot be captured until shown).

    Raises:
        SourceError: windows cannot be listed on this system (no display, no pywinctl).
    """
    pywinctl = _pywinctl()
    try:
        handles = list(pywinctl.getAllWindows())
    except Exception as exc:
        raise SourceError(f"cannot list windows: {exc}") from exc
    if sys.platform.startswith("linux"):
        handles.reverse()  # _NET_CLIENT_LIST_STACKING is bottom to top
    own = os.getpid()
    windows: list[WindowInfo] = []
    for h in handles:
        try:
            title = str(h.title or "")
            if not title or (not hidden and window_showing(h) is not None):
                continue
            pid = h.getPID()
            if pid == own:  # our own preview: capturing it would feed back into itself
                continue
            rect = window_rect(h)
        except Exception as exc:  # a window closing while we look at it
            log.debug("skipping a window: %s", exc)
            continue
        if rect[2] < 2 or rect[3] < 2:
            continue
        windows.append(WindowInfo(title, rect, pid, h))
    return windows


def find_window(title: str) -> WindowInfo:
    """The topmost window whose title contains ``title`` (case-insensitive).

    Raises:
        SourceError: no such window, naming the title and how to list the windows.
    """
    windows = list_windows(hidden=True)
    needle = title.casefold()
    matches = [w for w in windows if needle in w.title.casefold()]
    for w in matches:
        if window_showing(w.handle) is None:
            return w
    if matches:
        why = window_showing(matches[0].handle) or "not on screen"
        raise SourceError(
            f"the window {matches[0].title!r} is {why}; show it on the screen to capture it"
        )
    hint = "list the windows with: overlay sources"
    if not windows and sys.platform.startswith("linux"):
        hint = "no windows are listed at all: is a window manager running? " + hint
    raise SourceError(f"no window title contains {title!r}; {hint}")
