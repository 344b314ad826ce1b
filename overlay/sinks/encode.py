"""Video encoding for recordings (PyAV: the libx264 and FFV1 that ship in its wheels).

- ``.mp4``: H.264 High profile, yuv420p (BT.601 matrix, limited range, tagged), constant
  frame rate at the output rate (``pts`` = output frame number), a keyframe every second,
  CRF ``quality`` (default :data:`DEFAULT_QUALITY`). Written as *fragmented* MP4
  (``frag_keyframe+empty_moov+default_base_moof``): the ``moov`` comes first and every
  second of video is a self-contained fragment on disk, so a SIGKILL or a full disk keeps
  a playable file up to the last fragment written. Browsers play fragmented MP4.
- ``.mkv``: FFV1 (level 3, slice CRCs) in Matroska, BGR kept exactly (``bgr0``): a
  lossless archival copy whose decoded frames match the frame log's exact digests;
  clusters of at most one second.
"""

from __future__ import annotations

import logging
import os
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import cv2

from overlay.errors import ConfigError
from overlay.frames import BGRImage

if TYPE_CHECKING:
    from av.container import OutputContainer

__all__ = ["DEFAULT_PRESET", "DEFAULT_QUALITY", "SUFFIXES", "Encoder", "check_quality"]

log = logging.getLogger(__name__)

#: x264 CRF of recordings: visually lossless; the invisible watermark keeps its strength.
DEFAULT_QUALITY = 18
#: x264 preset: veryfast is the measured knee (same CPU as superfast at ~40% of its size).
DEFAULT_PRESET = "veryfast"
#: What each recording suffix is written as.
SUFFIXES = {".mp4": "H.264 in fragmented MP4", ".mkv": "FFV1 (lossless) in Matroska"}
# flush_packets: each finished fragment goes to the file at once, not when the I/O buffer
# fills (without it a SIGKILL loses the last ~256 KB).
_MP4_OPTIONS = {
    "movflags": "frag_keyframe+empty_moov+default_base_moof+use_metadata_tags",
    "flush_packets": "1",
}


def check_quality(quality: int) -> int:
    """A valid x264 CRF (0 lossless .. 51 worst) or ConfigError."""
    if not 0 <= quality <= 51:
        raise ConfigError(
            f"--record-quality {quality} is out of range; use 0 (lossless) to 51 "
            f"(smallest); default {DEFAULT_QUALITY}"
        )
    return quality


class Encoder:
    """Encodes BGR frames into ``path`` (which must exist, empty, made by the caller).

    Args:
        path: the file to write (``.mp4`` or ``.mkv``).
        size: (width, height).
        fps: output frame rate.
        quality: x264 CRF (mp4 only).
        metadata: container tags written in the file's header (e.g. the AIGC object).

    Raises ``av`` errors (``OSError`` subclasses for I/O: a full disk is ENOSPC/EFBIG).
    """

    def __init__(
        self,
        path: Path,
        size: tuple[int, int],
        fps: float,
        *,
        quality: int = DEFAULT_QUALITY,
        metadata: dict[str, str] | None = None,
    ) -> None:
        import av

        self.path = path
        w, h = size
        rate = Fraction(fps).limit_denominator(1001)
        self.lossless = path.suffix.lower() == ".mkv"
        if self.lossless:
            container = av.open(
                str(path),
                "w",
                format="matroska",
                options={"cluster_time_limit": "1000", "flush_packets": "1"},
            )
            stream = container.add_stream("ffv1", rate=rate)
            stream.pix_fmt = "bgr0"
            stream.options = {"level": "3", "slicecrc": "1", "slices": "4", "g": "1"}
        else:
            container = av.open(str(path), "w", format="mp4", options=_MP4_OPTIONS)
            stream = container.add_stream("libx264", rate=rate)
            stream.pix_fmt = "yuv420p"
            stream.options = {
                "crf": str(check_quality(quality)),
                "preset": DEFAULT_PRESET,
                "g": str(max(1, round(fps))),  # a keyframe, so a fragment, every second
            }
            if quality > 0:  # CRF 0 is lossless: x264 picks High 4:4:4 Predictive itself
                stream.options["profile"] = "high"
            ctx = stream.codec_context
            # cv2's I420 conversion is BT.601, limited range: say so, or players guess.
            ctx.colorspace, ctx.color_range = 6, 1  # SMPTE 170M matrix, MPEG range
            ctx.color_primaries, ctx.color_trc = 1, 1  # BT.709 (sRGB) primaries and transfer
            ctx.thread_count = 1 if w * h <= 1280 * 720 else 2
        stream.width, stream.height = w, h
        stream.time_base = 1 / rate
        for key, value in (metadata or {}).items():
            container.metadata[key] = value
        self._av = av
        self._container: OutputContainer | None = container
        self._stream = stream
        self._first: int | None = None
        self.frames = 0

    def write(self, image: BGRImage, index: int) -> None:
        """Encode one frame shown at output frame number ``index`` (gaps hold the last)."""
        av = self._av
        if self._first is None:
            self._first = index
        if self.lossless:
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
        else:
            frame = av.VideoFrame.from_ndarray(
                cv2.cvtColor(image, cv2.COLOR_BGR2YUV_I420), format="yuv420p"
            )
        frame.pts = index - self._first
        assert self._container is not None, "the encoder is closed"
        for packet in self._stream.encode(frame):
            self._container.mux(packet)
        self.frames += 1

    def close(self) -> None:
        """Flush the encoder and finish the file (idempotent)."""
        container, self._container = self._container, None
        if container is None:
            return
        try:
            for packet in self._stream.encode():
                container.mux(packet)
        finally:
            container.close()
            try:
                fd = os.open(self.path, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
            except OSError as exc:
                log.debug("fsync %s: %s", self.path, exc)

    def abandon(self) -> None:
        """Close without flushing (after a write error: the file keeps what was written)."""
        container, self._container = self._container, None
        if container is not None:
            try:
                container.close()
            except Exception as exc:  # the error that made us abandon is already reported
                log.debug("closing %s after an error: %s", self.path, exc)
