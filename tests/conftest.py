"""Shared fixtures. Qt runs offscreen; pyvirtualcam gets a recording test backend."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
