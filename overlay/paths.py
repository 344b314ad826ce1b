"""Where overlay keeps its files: per-user folders from platformdirs, overridable by env.

``OVERLAY_CONFIG_DIR`` (keys, settings, consent records), ``OVERLAY_DATA_DIR`` (session
manifests and frame logs) and ``OVERLAY_CACHE_DIR`` (downloaded models) replace the
defaults; tests point them at temporary folders.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

__all__ = ["cache_dir", "config_dir", "data_dir"]

APP = "overlay"


def _dir(env: str, default: str) -> Path:
    path = Path(os.environ.get(env) or default)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def config_dir() -> Path:
    """Keys, settings and consent records (created with mode 0700)."""
    return _dir("OVERLAY_CONFIG_DIR", platformdirs.user_config_dir(APP, appauthor=False))


def data_dir() -> Path:
    """Session manifests and frame logs."""
    return _dir("OVERLAY_DATA_DIR", platformdirs.user_data_dir(APP, appauthor=False))


def cache_dir() -> Path:
    """Downloaded models."""
    return _dir("OVERLAY_CACHE_DIR", platformdirs.user_cache_dir(APP, appauthor=False))
