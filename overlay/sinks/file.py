"""Recordings: an mp4 written with OpenCV, published only when complete."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import cv2

from overlay.errors import ConfigError, OverlayError, SinkError
from overlay.frames import StampedFrame
from overlay.paths import checked_path
from overlay.sinks.base import BaseSink, SinkOptions

__all__ = ["FileSink", "default_recording_path"]

log = logging.getLogger(__name__)

#: Called with the finished file's path before it is published (e.g. to sign it).
Finalizer = Callable[[Path], None]


def default_recording_path(session_id: str, folder: Path | None = None) -> Path:
    """``overlay-YYYYmmdd-HHMMSS-<session>.mp4`` in ``folder`` (default: the current one)."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return (folder or Path.cwd()) / f"overlay-{stamp}-{session_id}.mp4"


class FileSink(BaseSink):
    """``file:PATH``: MPEG-4 video in an .mp4 file.

    Frames go to ``PATH.partial.mp4`` next to the target; ``close()`` finishes the file
    (a playable recording up to the last frame, also after an error or Ctrl-C), runs the
    finalizers and renames it to ``PATH``. A recording with no frame leaves no file.
    """

    def __init__(
        self,
        path: str | Path,
        size: tuple[int, int],
        fps: float,
        finalizers: list[Finalizer] | None = None,
    ) -> None:
        super().__init__(size)
        self.path = checked_path(path, "recording")  # OpenCV crashes on a non-UTF-8 name
        self.spec = f"file {self.path}"
        self.finalizers = list(finalizers or [])
        self.frames = 0
        if self.path.suffix.lower() != ".mp4":
            raise ConfigError(f"recording {self.path} is not an .mp4 file; name it e.g. out.mp4")
        folder = self.path.parent
        if not folder.is_dir():
            raise SinkError(f"cannot record to {self.path}: folder {folder} does not exist")
        if self.path.exists():
            raise SinkError(
                f"cannot record to {self.path}: the file exists; pick another name or delete it"
            )
        if not os.access(folder, os.W_OK):
            raise SinkError(f"cannot record to {self.path}: folder {folder} is not writable")
        self.partial = self.path.with_name(self.path.stem + ".partial.mp4")
        w, h = size
        writer = cv2.VideoWriter(str(self.partial), cv2.VideoWriter.fourcc(*"mp4v"), fps, (w, h))
        if not writer.isOpened():
            writer.release()
            self.partial.unlink(missing_ok=True)
            raise SinkError(f"cannot record to {self.path}: OpenCV could not open an mp4 writer")
        self._writer: cv2.VideoWriter | None = writer

    @classmethod
    def from_spec(cls, arg: str | None, options: SinkOptions) -> FileSink:
        if not arg:
            raise ConfigError("--sink file needs a path, e.g. --sink file:out.mp4")
        session = options.session
        return cls(arg, session.size, session.fps)

    def _send(self, frame: StampedFrame) -> None:
        assert self._writer is not None
        self._writer.write(frame.image)
        self.frames += 1

    def _close(self) -> None:
        if self._writer is not None:
            self._writer.release()
            self._writer = None
        if self.frames == 0:
            self.partial.unlink(missing_ok=True)
            return
        try:
            for finalize in self.finalizers:
                finalize(self.partial)
        except OverlayError:
            # The error says what failed; the CLI prints it in one line (no traceback).
            log.error(
                "finishing %s failed; the unfinished file stays at %s", self.path, self.partial
            )
            raise
        except Exception:
            log.exception(
                "finishing %s failed; the unfinished file stays at %s", self.path, self.partial
            )
            raise
        os.replace(self.partial, self.path)
        log.info("recorded %d frames to %s", self.frames, self.path)
