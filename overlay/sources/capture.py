"""Cameras through OpenCV: the user's webcam, or another (virtual) camera device."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import cv2

from overlay.errors import ConfigError, SourceError
from overlay.frames import BGRImage, as_bgr
from overlay.sources.base import BaseSource, SourceMode, SourceOptions

__all__ = ["DeviceSource", "WebcamSource"]

log = logging.getLogger(__name__)


class _CaptureSource(BaseSource):
    mode = SourceMode.LIVE

    def __init__(self, target: int | str, size: tuple[int, int], fps: float, label: str) -> None:
        super().__init__()
        self.target = target
        self.requested = size
        self.fps = fps
        self.spec = label
        self._cap: cv2.VideoCapture | None = None

    def _open(self) -> None:
        if sys.platform.startswith("linux"):
            node = f"/dev/video{self.target}" if isinstance(self.target, int) else self.target
            if not Path(node).exists():
                raise SourceError(
                    f"cannot open {self.spec}: {node} does not exist; connect the camera or "
                    "pick another one (overlay sources lists them)"
                )
        cap = cv2.VideoCapture(self.target)
        if not cap.isOpened():
            cap.release()
            raise SourceError(
                f"cannot open {self.spec}: the camera did not answer; check it is connected "
                "and not in use by another app"
            )
        w, h = self.requested
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, w)
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, h)
        cap.set(cv2.CAP_PROP_FPS, self.fps)
        ok, image = cap.read()
        if not ok or image is None:
            cap.release()
            raise SourceError(
                f"cannot read from {self.spec}: it opened but sent no frame; it may be busy "
                "in another app"
            )
        self._cap = cap
        self._first: BGRImage | None = as_bgr(image)
        gw, gh = image.shape[1], image.shape[0]
        if (gw, gh) != (w, h):
            log.info("%s granted %dx%d (asked for %dx%d)", self.spec, gw, gh, w, h)

    def _read(self) -> BGRImage:
        if self._first is not None:
            image, self._first = self._first, None
            return image
        assert self._cap is not None
        ok, raw = self._cap.read()
        if not ok or raw is None:
            raise SourceError(f"{self.spec} stopped sending frames; it was unplugged or is busy")
        return as_bgr(raw)

    def _close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None


def _index(arg: str | None, what: str) -> int:
    if arg is None or arg == "":
        return 0
    if not arg.isdigit():
        raise ConfigError(f"{what} index {arg!r} is not a number; write e.g. --source {what}:0")
    return int(arg)


class WebcamSource(_CaptureSource):
    """``webcam[:N]``: camera number N (default 0) at the requested size and rate."""

    origin = "camera"

    @classmethod
    def from_spec(cls, arg: str | None, options: SourceOptions) -> WebcamSource:
        n = _index(arg, "webcam")
        return cls(n, options.size, options.fps, f"webcam {n}")


class DeviceSource(_CaptureSource):
    """``device:PATH_OR_INDEX``: another camera device, e.g. a face-swap tool's virtual camera.

    Its frames are declared generator output (consent and provenance rules apply).
    """

    origin = "generator"

    @classmethod
    def from_spec(cls, arg: str | None, options: SourceOptions) -> DeviceSource:
        if not arg:
            raise ConfigError("--source device needs a path or index, e.g. device:/dev/video2")
        target: int | str = int(arg) if arg.isdigit() else arg
        return cls(target, options.size, options.fps, f"device {arg}")
