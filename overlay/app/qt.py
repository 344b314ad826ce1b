"""Qt set-up: the one place PySide6 is first imported, after undoing cv2's environment.

OpenCV's wheels point ``QT_QPA_PLATFORM_PLUGIN_PATH`` and ``QT_QPA_FONTDIR`` at their
own bundled Qt when ``cv2`` is imported; PySide6 would then load plugins built for
another Qt. cv2 is imported first (the pipeline needs it anyway) so that the variables
it sets can be removed before any QApplication exists.
"""

from __future__ import annotations

import ctypes.util
import os
import sys

import cv2  # noqa: F401  # imported for its side effect on os.environ, undone below

from overlay.errors import OverlayError

_CV2_QT_VARS = ("QT_QPA_PLATFORM_PLUGIN_PATH", "QT_QPA_FONTDIR")

#: Debian/Ubuntu packages a real (X11) window needs besides PySide6's wheel.
DEBIAN_PACKAGES = (
    "libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 "
    "libxcb-render-util0 libxcb-shape0 libxcb-xkb1 libxcb-randr0 libxcb-xfixes0 libxcb-sync1 "
    "libxcb-shm0 libxcb-util1 libx11-xcb1 libegl1 libgl1 libfontconfig1 libdbus-1-3"
)


def clean_cv2_qt_env(environ: dict[str, str] | os._Environ[str] = os.environ) -> list[str]:
    """Remove the Qt variables that point into cv2's folder; returns the names removed."""
    removed = []
    for var in _CV2_QT_VARS:
        value = environ.get(var)
        if value is not None and "cv2" in value:
            del environ[var]
            removed.append(var)
    return removed


clean_cv2_qt_env()

from PySide6 import QtCore, QtGui, QtWidgets  # noqa: E402

__all__ = ["DEBIAN_PACKAGES", "QtCore", "QtGui", "QtWidgets", "check_display", "clean_cv2_qt_env"]


def check_display() -> None:
    """Raise OverlayError (one line, with the fix) where Qt would abort the process.

    Qt calls abort() when it cannot reach a display or load the xcb plugin, which would
    end the app with a core dump instead of a message.
    """
    if not sys.platform.startswith("linux"):
        return
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if platform and not platform.startswith("xcb"):
        return
    if not platform and os.environ.get("WAYLAND_DISPLAY"):
        return
    if not os.environ.get("DISPLAY"):
        raise OverlayError(
            "no display for the app window (DISPLAY is not set); start it from a desktop "
            "session, or use xvfb-run overlay app, or 'overlay run' on a headless machine"
        )
    if ctypes.util.find_library("xcb-cursor") is None:
        raise OverlayError(
            "the Qt window needs libxcb-cursor0 (Qt's xcb plugin will not load without it); "
            f"install: sudo apt-get install {DEBIAN_PACKAGES}"
        )
