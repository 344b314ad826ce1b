"""A video file or a still image; loops by default."""

from __future__ import annotations

import logging
from pathlib import Path

import cv2

from overlay.errors import ConfigError, FrameFormatError, SourceError
from overlay.frames import BGRImage, as_bgr, check_image
from overlay.images import MAX_IMAGE_PIXELS, check_pixels, read_image, regular_file
from overlay.paths import checked_path, display_path
from overlay.sources.base import BaseSource, SourceMode, SourceOptions

__all__ = ["IMAGE_SUFFIXES", "FileSource"]

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"})


def load_still(path: Path) -> BGRImage:
    """Read a still image as BGR uint8, refusing what overlay does not take."""
    image = read_image(path, "image")
    try:
        return check_image(image, f"image {display_path(path)}")
    except FrameFormatError as exc:
        raise FrameFormatError(str(exc)) from None


class FileSource(BaseSource):
    """``file:PATH``: frames of a video file, or one still image repeated.

    Args:
        path: the file.
        loop: start again at the end (a still repeats); otherwise end with the file.
    """

    mode = SourceMode.QUEUED

    def __init__(self, path: str | Path, loop: bool = True) -> None:
        super().__init__()
        self.path = checked_path(path, "--source file:")
        self.loop = loop
        self.spec = f"file {self.path}"
        self._still: BGRImage | None = None
        self._cap: cv2.VideoCapture | None = None
        self._pending: BGRImage | None = None
        self._still_sent = False

    @classmethod
    def from_spec(cls, arg: str | None, options: SourceOptions) -> FileSource:
        if not arg:
            raise ConfigError("--source file needs a path, e.g. file:clip.mp4")
        return cls(arg, loop=options.loop)

    def _open(self) -> None:
        p = regular_file(self.path, "file")
        if p.suffix.lower() in IMAGE_SUFFIXES:
            self._still = load_still(p)
            self._still_sent = False
            return
        cap = cv2.VideoCapture(str(p), cv2.CAP_FFMPEG)
        if cap.isOpened():
            w, h = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
            if w * h > MAX_IMAGE_PIXELS:
                cap.release()
            check_pixels(w, h, f"video {display_path(p)}")
        ok, image = cap.read() if cap.isOpened() else (False, None)
        if not ok or image is None:
            cap.release()
            raise SourceError(
                f"cannot decode video {display_path(p)}: corrupt, truncated or not a video; "
                "check it plays in a media player"
            )
        self._cap = cap
        self._pending = as_bgr(image)

    def _read(self) -> BGRImage | None:
        if self._still is not None:
            if self._still_sent and not self.loop:
                return None
            self._still_sent = True
            return self._still
        if self._pending is not None:
            image, self._pending = self._pending, None
            return image
        assert self._cap is not None
        ok, raw = self._cap.read()
        if ok and raw is not None:
            return as_bgr(raw)
        if not self.loop:
            return None
        self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
        ok, raw = self._cap.read()
        if not ok or raw is None:
            raise SourceError(f"cannot loop video {self.path}: it would not rewind")
        return as_bgr(raw)

    def _close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None
        self._still = None
