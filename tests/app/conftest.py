"""App fixtures: settings in a temporary config folder, windows closed after each test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from overlay.app.settings import AppSettings
from overlay.app.window import MainWindow

SMALL = AppSettings(source="synthetic", size="320x180", fps=30.0, setup_done=True)


@pytest.fixture(autouse=True)
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "config"
    monkeypatch.setenv("OVERLAY_CONFIG_DIR", str(folder))
    return folder


@pytest.fixture
def make_window(qtbot: Any) -> Iterator[Callable[..., MainWindow]]:
    windows: list[MainWindow] = []

    def make(**kw: Any) -> MainWindow:
        kw.setdefault("settings", SMALL)
        kw.setdefault("autostart", False)
        kw.setdefault("tray", False)
        w = MainWindow(**kw)
        qtbot.addWidget(w)
        if not w.kiosk:
            w.show()
        windows.append(w)
        return w

    yield make
    for w in windows:
        w.stop()


@pytest.fixture
def vcam_backend(recording_backend: type) -> Iterator[type]:
    """The shared recording backend (``recording_backend`` unregisters it afterwards)."""
    yield recording_backend
