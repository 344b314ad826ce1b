"""Where overlay keeps its files, and the one check every user-given path passes.

Per-user folders come from platformdirs, overridable by env.

``OVERLAY_CONFIG_DIR`` (keys, settings, consent records), ``OVERLAY_DATA_DIR`` (session
manifests and frame logs) and ``OVERLAY_CACHE_DIR`` (downloaded models) replace the
defaults; tests point them at temporary folders.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from overlay.errors import ConfigError

__all__ = ["cache_dir", "checked_path", "config_dir", "data_dir", "display_path"]

APP = "overlay"


def _dir(env: str, default: str) -> Path:
    path = checked_path(os.environ.get(env) or default, f"folder {env}")
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


def display_path(value: str | os.PathLike[str]) -> str:
    """``value`` as printable UTF-8 text: undecodable bytes become ``\\xNN`` escapes.

    For messages, logs and JSON records, which need valid Unicode whatever the file system
    allowed.
    """
    text = os.fspath(value)
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def checked_path(value: str | os.PathLike[str], what: str = "file") -> Path:
    """``value`` as a Path that OpenCV and the JSON records can take, or a one-line error.

    Every path that reaches OpenCV (whose Python binding crashes on a name that is not
    UTF-8) or a JSON record (which cannot hold the surrogate escapes Python uses for
    undecodable bytes) passes through here first. The absolute path is checked, so a
    non-UTF-8 folder, including the current one, is caught too.

    Raises:
        ConfigError: the name (or a folder above it) is not valid UTF-8.
    """
    path = Path(value)
    full = os.path.abspath(path)
    try:
        full.encode("utf-8")
    except UnicodeEncodeError:
        where = "name" if display_path(path.name) != path.name else "folder"
        raise ConfigError(
            f"{what} {display_path(path)}: its {where} is not valid UTF-8 (e.g. a Latin-1 "
            "name); rename it to a UTF-8 name"
        ) from None
    return path
