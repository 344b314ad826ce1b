"""Faces: the only package that imports mediapipe (lazily, inside the modules that run it).

``FaceSettings`` says what the session wants; ``open_face_watch(settings)`` resolves the
model and returns a :class:`~overlay.faces.watch.FaceWatch`, or None with one warning when
there is no model. Importing this package does not import mediapipe.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from overlay.errors import ConfigError
from overlay.faces.models import MODEL_SHA256, MODEL_URL, FaceModel, resolve_model
from overlay.faces.tracker import Box, FaceTracker

if TYPE_CHECKING:
    from overlay.faces.watch import FaceWatch

__all__ = [
    "MODEL_SHA256",
    "MODEL_URL",
    "Box",
    "FaceModel",
    "FaceSettings",
    "FaceTracker",
    "default_model",
    "open_face_watch",
    "resolve_model",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FaceSettings:
    """Face-aware disclosure settings.

    Attributes:
        enabled: look for faces at all (the tag and the banner's face avoidance).
        tag: draw the "AI" tag beside each face.
        model: an explicit path to ``face_landmarker.task``; None resolves it.
        every: detect on every Nth frame, track in between.
        asynchronous: detect on a worker thread. Off by default: on the 2-vCPU machine
            this was built on, the worker's Python side made the pipeline thread wait for
            the GIL, and inline detection cost less per frame on average and at p95
            (benchmarks/faces_tag.py).
    """

    enabled: bool = True
    tag: bool = True
    model: str | None = None
    every: int = 3
    asynchronous: bool = False

    def __post_init__(self) -> None:
        if not 1 <= self.every <= 30:
            raise ConfigError(f"face detection interval {self.every} is outside 1-30 frames")


_lock = threading.Lock()
_resolved: dict[str | None, FaceModel | None] = {}
_warned: set[str] = set()


def default_model(explicit: str | None = None) -> FaceModel | None:
    """``resolve_model(explicit)``, once per process; warns once when there is none."""
    with _lock:
        if explicit in _resolved:
            return _resolved[explicit]
        from overlay.faces.models import missing_model_message

        model = resolve_model(explicit)
        if model is None:
            log.warning("%s", missing_model_message())
        else:
            log.debug("face model: %s (%s)", model.path, model.origin)
        _resolved[explicit] = model
        return model


def open_face_watch(settings: FaceSettings) -> FaceWatch | None:
    """A FaceWatch for ``settings``; None when faces are off or no model exists."""
    if not settings.enabled:
        return None
    model = default_model(settings.model)
    if model is None:
        return None
    try:
        from overlay.faces.watch import FaceWatch

        return FaceWatch(model, every=settings.every, asynchronous=settings.asynchronous)
    except ConfigError:
        raise  # the user's model file is not a face model: say so
    except Exception as exc:  # mediapipe missing or broken on this platform
        if "broken" not in _warned:
            _warned.add("broken")
            log.warning(
                "face detection is unavailable (%s: %s); the face tag and the banner's "
                "face avoidance are off; reinstall mediapipe (pip install mediapipe)",
                type(exc).__name__,
                exc,
            )
        return None
