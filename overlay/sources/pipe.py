"""Raw BGR frames on standard input, so any local generator can feed the pipeline."""

from __future__ import annotations

import logging
import sys
from typing import BinaryIO

import numpy as np

from overlay.config import parse_size
from overlay.errors import ConfigError, SourceError
from overlay.frames import BGRImage
from overlay.images import check_pixels
from overlay.sources.base import BaseSource, SourceMode, SourceOptions

__all__ = ["PipeSource"]

log = logging.getLogger(__name__)


class PipeSource(BaseSource):
    """``pipe:WxH``: frames of ``W*H*3`` bytes (BGR, row-major) back to back on stdin.

    Example: ``ffmpeg -i in.mp4 -f rawvideo -pix_fmt bgr24 - | overlay run --source
    pipe:1280x720`` (``--pipe-size 1280x720`` is the same thing spelt as a flag). The
    stream ends at end of file; a partial last frame is dropped with a warning.
    """

    mode = SourceMode.QUEUED
    origin = "generator"

    def __init__(self, size: tuple[int, int], stream: BinaryIO | None = None) -> None:
        super().__init__()
        w, h = size
        if w < 2 or h < 2:
            raise ConfigError(f"--pipe-size {w}x{h} is too small; frames need at least 2x2 pixels")
        check_pixels(w, h, "--pipe-size")
        self.size = size
        self.spec = f"pipe:{w}x{h}"
        self._stream = stream
        self._nbytes = w * h * 3

    @classmethod
    def from_spec(cls, arg: str | None, options: SourceOptions) -> PipeSource:
        """The size travels in the spec, the one way it is given: ``pipe:1280x720``."""
        if not arg or not arg.strip():
            raise ConfigError(
                "--source pipe: needs the frame size of the raw BGR stream; write "
                "--source pipe:WxH (or add --pipe-size WxH)"
            )
        return cls(parse_size(arg.strip(), "--pipe-size"), options.stdin)

    def _open(self) -> None:
        if self._stream is None:
            self._stream = sys.stdin.buffer

    def _read(self) -> BGRImage | None:
        assert self._stream is not None
        buf = bytearray(self._nbytes)
        view = memoryview(buf)
        got = 0
        while got < self._nbytes:
            try:
                n = self._stream.readinto(view[got:])  # type: ignore[attr-defined]
            except OSError as exc:
                raise SourceError(f"cannot read the pipe: {exc}") from exc
            if not n:
                break
            got += n
        if got == 0:
            return None
        if got < self._nbytes:
            w, h = self.size
            log.warning(
                "pipe ended mid-frame (%d of %d bytes); is --pipe-size %dx%d the generator's size?",
                got,
                self._nbytes,
                w,
                h,
            )
            return None
        w, h = self.size
        return np.frombuffer(buf, np.uint8).reshape(h, w, 3)
