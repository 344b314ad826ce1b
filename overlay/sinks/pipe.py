"""``pipe:``: the stamped frames as raw BGR on stdout (the mirror of ``--source pipe:``).

    overlay run --sink pipe: | ffmpeg -f rawvideo -pix_fmt bgr24 -s 1280x720 -r 30 -i - ...

Frames are written whole, ``height * width * 3`` bytes each, in order, nothing else:
on opening, the sink takes the process's stdout for itself and points file descriptor 1
at stderr, so a stray print (ours or a library's) can never corrupt the stream. A
reader that goes away ends this sink with one line; the other sinks go on.
"""

from __future__ import annotations

import contextlib
import os
import sys

from overlay.errors import SinkError
from overlay.frames import StampedFrame
from overlay.sinks.base import BaseSink, SinkOptions

__all__ = ["PipeSink"]


class PipeSink(BaseSink):
    """Raw BGR frames to a file descriptor (default: the process's stdout).

    Args:
        size: output (width, height).
        fd: where to write; None takes stdout (and sends fd 1 to stderr from then on).
    """

    spec = "pipe"
    scope = "live"  # to a stream (RTMP/SRT/WHIP) or another program, as it happens
    delivery = "newest"  # the exact frames a virtual camera would get, at the same moment
    lossless = True  # the reader holds the exact stamped bytes

    def __init__(self, size: tuple[int, int], fd: int | None = None) -> None:
        super().__init__(size)
        self.frames = 0
        if fd is None:
            sys.stdout.flush()
            fd = os.dup(1)
            os.dup2(2, 1)  # whatever else writes to stdout lands on stderr
        self._fd: int | None = fd

    @classmethod
    def from_spec(cls, arg: str | None, options: SinkOptions) -> PipeSink:
        if arg not in (None, "", "-"):
            raise SinkError(f"--sink pipe:{arg}: the pipe sink writes to stdout; use --sink pipe:")
        return cls(options.session.size)

    def _send(self, frame: StampedFrame) -> None:
        if self._fd is None:
            raise SinkError("the pipe sink is closed")
        view = frame.image.data.cast("B")  # the output buffer is C-contiguous
        try:
            while view:
                view = view[os.write(self._fd, view) :]
        except OSError as exc:  # BrokenPipeError: the reader went away
            self._drop_fd()
            raise SinkError(
                f"stdout was closed by its reader after {self.frames} frames "
                f"({exc.strerror}); keep the reader (e.g. ffmpeg) running for the session"
            ) from None
        self.frames += 1

    def _drop_fd(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)

    def _close(self) -> None:
        self._drop_fd()
