"""The virtual camera: the only module that imports pyvirtualcam."""

from __future__ import annotations

import logging
import threading
from typing import Any, ClassVar

import cv2
import numpy as np
import pyvirtualcam

from overlay.errors import SinkError
from overlay.frames import BGRImage, StampedFrame, as_bgr
from overlay.sinks.base import BaseSink, SinkOptions

__all__ = [
    "RecordingBackend",
    "VirtualCameraSink",
    "register_recording_backend",
    "unregister_backend",
]

log = logging.getLogger(__name__)

SETUP_HINT = "run 'overlay doctor' for how to set up a virtual camera on this system"


class VirtualCameraSink(BaseSink):
    """``vcam``: frames to a virtual camera (v4l2loopback, OBS, Unity Capture) as BGR.

    pyvirtualcam converts each frame to the device's 4:2:0 YUV format.
    """

    scope = "live"
    delivery = "newest"

    def __init__(
        self,
        size: tuple[int, int],
        fps: float,
        device: str | None = None,
        backend: str | None = None,
    ) -> None:
        super().__init__(size)
        w, h = size
        if backend is not None and backend not in available_backends():
            raise SinkError(
                f"no virtual camera available: unknown backend {backend!r} "
                f"(known here: {', '.join(available_backends()) or 'none'}); {SETUP_HINT}"
            )
        try:
            self._cam: pyvirtualcam.Camera | None = pyvirtualcam.Camera(
                w, h, fps, fmt=pyvirtualcam.PixelFormat.BGR, device=device, backend=backend
            )
        except (RuntimeError, ValueError, OSError) as exc:
            reason = "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())
            raise SinkError(f"no virtual camera available: {reason}; {SETUP_HINT}") from exc
        self.spec = f"vcam {self._cam.device}"
        log.info("virtual camera %s (%s backend)", self._cam.device, self._cam.backend)

    @classmethod
    def from_spec(cls, arg: str | None, options: SinkOptions) -> VirtualCameraSink:
        session = options.session
        return cls(session.size, session.fps, device=arg or options.device, backend=options.backend)

    @property
    def device(self) -> str:
        assert self._cam is not None
        return str(self._cam.device)

    def _send(self, frame: StampedFrame) -> None:
        assert self._cam is not None
        self._cam.send(frame.image)

    def _close(self) -> None:
        if self._cam is not None:
            self._cam.close()
            self._cam = None


def available_backends() -> list[str]:
    from pyvirtualcam.camera import BACKENDS

    return sorted(BACKENDS)


class RecordingBackend:
    """A pyvirtualcam backend that keeps what it receives, as the device would see it.

    Each frame goes through the same 4:2:0 conversion a real virtual camera applies, so
    tests see what a call app sees. Register it with :func:`register_recording_backend`.
    """

    instances: ClassVar[list[RecordingBackend]] = []
    _lock = threading.Lock()

    def __init__(
        self, *, width: int, height: int, fps: float, fourcc: int, device: str | None, **kw: Any
    ) -> None:
        if device is not None and device.startswith("/dev/missing"):
            raise RuntimeError(f"device {device} does not exist")
        self.width, self.height, self.fps = width, height, fps
        self._device = device or "/dev/video-test"
        self.frames: list[bytes] = []
        self.closed = False
        with self._lock:
            RecordingBackend.instances.append(self)

    def device(self) -> str:
        return self._device

    def native_fourcc(self) -> int | None:
        return None

    def send(self, frame: BGRImage) -> None:
        # pyvirtualcam hands backends the frame flattened.
        bgr = frame.reshape(self.height, self.width, 3)
        i420 = cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV_I420)
        self.frames.append(i420.tobytes())

    def close(self) -> None:
        self.closed = True

    def frame_bgr(self, i: int) -> BGRImage:
        """Frame ``i`` as the receiving app would decode it (YUV 4:2:0 back to BGR)."""
        yuv = np.frombuffer(self.frames[i], np.uint8).reshape(self.height * 3 // 2, self.width)
        return as_bgr(cv2.cvtColor(yuv, cv2.COLOR_YUV2BGR_I420))


def register_recording_backend(name: str = "recording") -> type[RecordingBackend]:
    """Register :class:`RecordingBackend` with pyvirtualcam under ``name``."""
    pyvirtualcam.register_backend(name, RecordingBackend)
    return RecordingBackend


def unregister_backend(name: str) -> None:
    """Remove a backend from pyvirtualcam's table (it has no call for this).

    A registered backend stays for the whole process; ``vcam`` with no backend named would
    otherwise keep finding a test backend.
    """
    from pyvirtualcam.camera import BACKENDS

    BACKENDS.pop(name, None)
