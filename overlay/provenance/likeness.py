"""The likeness image a consent record names: a real picture of a face, not any file.

A consent record binds a person to the SHA-256 of a reference image. If any bytes would
do, a record for an empty file would let ``--likeness /dev/null`` pass; so the image must
decode, be of a reasonable size and, when overlay's face model is there, show a face.
"""

from __future__ import annotations

import logging
from pathlib import Path

import cv2

from overlay.errors import ConfigError
from overlay.frames import BGRImage, as_bgr
from overlay.images import read_image
from overlay.paths import display_path

__all__ = ["MIN_LIKENESS_SIDE", "check_likeness"]

log = logging.getLogger(__name__)

#: The shortest side a likeness picture may have, in pixels.
MIN_LIKENESS_SIDE = 64
#: Pictures are scaled to at most this many pixels on their longer side for the face check.
_FACE_CHECK_SIDE = 640


def check_likeness(path: str | Path, *, face: bool = True) -> Path:
    """Check that ``path`` is a likeness picture; returns it as a Path.

    Args:
        path: the image file.
        face: also require a face (skipped with a note when no face model is installed).

    Raises:
        SourceError: missing, not a regular file, empty, not an image.
        ConfigError: a non-UTF-8 name, too large, too small, greyscale-only oddities, or
            no face found.
    """
    image = read_image(path, "likeness image", cv2.IMREAD_COLOR)
    shown = display_path(path)
    h, w = image.shape[:2]
    if min(h, w) < MIN_LIKENESS_SIDE:
        raise ConfigError(
            f"likeness image {shown} is {w}x{h} pixels; give a photo of the person at least "
            f"{MIN_LIKENESS_SIDE} pixels on each side"
        )
    if face and not _has_face(as_bgr(image)):
        raise ConfigError(
            f"no face found in likeness image {shown}; give a photo in which the person's "
            "face is clearly visible"
        )
    return Path(path)


def _has_face(image: BGRImage) -> bool:
    from overlay.faces import resolve_model

    model = resolve_model(download=False)
    if model is None:
        log.info("no face model: the likeness image is not checked for a face")
        return True
    from overlay.faces.detector import FaceDetector, quiet_stderr

    h, w = image.shape[:2]
    scale = min(1.0, _FACE_CHECK_SIDE / max(h, w))
    if scale < 1.0:
        size = (round(w * scale), round(h * scale))
        image = as_bgr(cv2.resize(image, size, interpolation=cv2.INTER_AREA))
    # MediaPipe's native side prints warnings on stderr while it runs; a refusal must
    # stay one line, so it is silenced for this one-off check.
    with quiet_stderr():
        detector = FaceDetector(model, min_score=0.5)
        try:
            sh, sw = image.shape[:2]
            side = max(sh, sw)
            # One square region over the whole picture (padded), then the usual tiles.
            square = cv2.copyMakeBorder(
                image, 0, side - sh, 0, side - sw, cv2.BORDER_CONSTANT, value=(0, 0, 0)
            )
            if detector.detect(as_bgr(square), (0, 0, side)):
                return True
            return bool(detector.detect(as_bgr(image)))
        finally:
            detector.close()
