"""Every provenance test gets its own config and data folders (keys, consent, sessions)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def overlay_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Path]]:
    dirs = {"config": tmp_path / "config", "data": tmp_path / "data"}
    monkeypatch.setenv("OVERLAY_CONFIG_DIR", str(dirs["config"]))
    monkeypatch.setenv("OVERLAY_DATA_DIR", str(dirs["data"]))
    yield dirs
    # cli.main() points the root logger at the sys.stderr of its test (capsys closes it).
    root = logging.getLogger()
    for handler in list(root.handlers):
        if type(handler) is logging.StreamHandler:
            root.removeHandler(handler)
