"""Shared fixtures. Qt runs offscreen; per-user folders point at temporary ones."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def _user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keys, manifests and caches of every test go to a fresh folder, never the user's."""
    base = tmp_path_factory.mktemp("home")
    for name in ("CONFIG", "DATA", "CACHE"):
        monkeypatch.setenv(f"OVERLAY_{name}_DIR", str(base / name.lower()))


@pytest.fixture
def recording_backend() -> Iterator[type]:
    """pyvirtualcam's real Camera with a backend that keeps what it receives."""
    from overlay.sinks.vcam import RecordingBackend, register_recording_backend, unregister_backend

    cls = register_recording_backend("recording")
    RecordingBackend.instances.clear()
    yield cls
    RecordingBackend.instances.clear()
    unregister_backend("recording")


@pytest.fixture
def chdir_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def face(tmp_path: Path) -> Path:
    """A real face (the astronaut's, 180x200) as a PNG: a likeness consent accepts."""
    import cv2
    from skimage import data as skdata

    path = tmp_path / "face.png"
    cv2.imwrite(str(path), cv2.cvtColor(skdata.astronaut(), cv2.COLOR_RGB2BGR)[:200, 150:330])
    return path


@pytest.fixture
def form(tmp_path: Path) -> Path:
    """A stand-in for a signed consent form."""
    path = tmp_path / "form.pdf"
    path.write_bytes(b"%PDF-1.4 signed consent form")
    return path
