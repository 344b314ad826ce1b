"""Fixtures for the capture tests; the X server and helpers live in capture_x11.py."""

from capture_x11 import driver, open_window, xserver

__all__ = ["driver", "open_window", "xserver"]
