"""Attacks on marked clips, shared by the watermark benchmarks and tests.

Every attack takes a list of BGR frames (the pipeline's output) and returns the frames a
viewer or a verifier would get. Codecs run through PyAV in memory.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
from collections.abc import Callable, Iterator, Sequence

import av
import cv2
import numpy as np

from overlay.frames import BGRImage
from overlay.watermark import Detector

Frames = Sequence[BGRImage]
SIDES = ("left", "right", "top", "bottom")
Attack = Callable[[Frames], list[BGRImage]]
#: Where verify searches a 60-frame window (frames read).
CHECKPOINTS = (1, 4, 15, 30, 60)

__all__ = [
    "ATTACKS",
    "CHECKPOINTS",
    "Attack",
    "brightness",
    "crop",
    "encode",
    "gamma",
    "paste",
    "resize",
    "scan",
    "x264",
    "zoom_back",
]


@contextlib.contextmanager
def _scheduling_kept() -> Iterator[None]:
    """Give the calling thread its scheduling policy back after the block. SVT-AV1 run as
    root (as on the CI machines) leaves the thread that opened it at ``SCHED_FIFO`` 99
    (measured: one PyAV encode); the benchmark's later encoders then spin at that
    priority, their worker threads starve, and a run on a two-core machine stalls (two
    robustness runs made no progress for 25 minutes in libvpx on 2026-12-01)."""
    if not hasattr(os, "sched_getscheduler"):
        yield
        return
    policy, param = os.sched_getscheduler(0), os.sched_getparam(0)
    try:
        yield
    finally:
        if (os.sched_getscheduler(0), os.sched_getparam(0)) != (policy, param):
            os.sched_setscheduler(0, policy, param)


@_scheduling_kept()
def encode(
    frames: Frames,
    codec: str,
    *,
    size: tuple[int, int] | None = None,
    options: dict[str, str] | None = None,
    bit_rate: int | None = None,
    fps: int = 30,
) -> tuple[list[BGRImage], int]:
    """Encode ``frames`` (resized to ``size``) with ``codec`` and decode them back, the
    calling thread's scheduling kept (see :func:`_scheduling_kept`).

    Returns the decoded frames and the stream's size in bytes.
    """
    buf = io.BytesIO()
    fmt = "webm" if codec.startswith("libvpx") else "mp4"
    w, h = size or (frames[0].shape[1], frames[0].shape[0])
    with av.open(buf, "w", format=fmt) as out:
        stream = out.add_stream(codec, rate=fps)
        stream.width, stream.height = w, h
        stream.pix_fmt = "yuv420p"
        if options:
            stream.options = options
        if bit_rate:
            stream.bit_rate = bit_rate
        for image in frames:
            fitted = image
            if image.shape[:2] != (h, w):
                fitted = cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)
            for packet in stream.encode(av.VideoFrame.from_ndarray(fitted, format="bgr24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    size_bytes = buf.tell()
    buf.seek(0)
    with av.open(buf) as src:
        decoded = [f.to_ndarray(format="bgr24") for f in src.decode(video=0)]
    return decoded, size_bytes


def resize(frames: Frames, size: tuple[int, int]) -> list[BGRImage]:
    return [cv2.resize(f, size, interpolation=cv2.INTER_AREA) for f in frames]


def crop(frames: Frames, side: str, fraction: float = 0.1) -> list[BGRImage]:
    """Cut ``fraction`` of the frame off one side (left, right, top, bottom)."""
    h, w = frames[0].shape[:2]
    dx, dy = round(w * fraction), round(h * fraction)
    box = {
        "left": (slice(None), slice(dx, None)),
        "right": (slice(None), slice(None, w - dx)),
        "top": (slice(dy, None), slice(None)),
        "bottom": (slice(None, h - dy), slice(None)),
    }[side]
    return [np.ascontiguousarray(f[box]) for f in frames]


def brightness(frames: Frames, delta: int) -> list[BGRImage]:
    """Add ``delta`` to every channel, saturating at 0 and 255 (a brightness control)."""
    return [
        cv2.add(f, np.full_like(f, delta))
        if delta >= 0
        else cv2.subtract(f, np.full_like(f, -delta))
        for f in frames
    ]


def gamma(frames: Frames, value: float) -> list[BGRImage]:
    """Apply ``out = 255 * (in / 255) ** value`` (a display or capture gamma change)."""
    table = np.clip(255.0 * (np.arange(256) / 255.0) ** value + 0.5, 0, 255).astype(np.uint8)
    return [cv2.LUT(f, table) for f in frames]


def paste(
    frames: Frames,
    scale: float,
    canvas: tuple[int, int] = (1920, 1080),
    at: tuple[float, float] = (0.3, 0.2),
) -> list[BGRImage]:
    """Scale each frame by ``scale`` and paste it into a grey canvas at a fractional position
    (a call tile in a screen recording)."""
    cw, ch = canvas
    out = []
    for f in frames:
        h, w = f.shape[:2]
        tw, th = round(w * scale), round(h * scale)
        tile = cv2.resize(f, (tw, th), interpolation=cv2.INTER_AREA)
        x, y = round((cw - tw) * at[0]), round((ch - th) * at[1])
        page = np.full((ch, cw, 3), 40, np.uint8)
        page[y : y + th, x : x + tw] = tile
        out.append(page)
    return out


def zoom_back(frames: Frames, side: str, fraction: float = 0.1) -> list[BGRImage]:
    """A digital zoom towards one side, back to the full size: ``fraction`` of the
    picture is cut from that side and the same share of the other dimension from both
    of its ends (the aspect ratio is kept, as a call app's "fill" or a user's zoom
    keeps it), then the rest is scaled up to the original size."""
    h, w = frames[0].shape[:2]
    dx, dy = round(w * fraction), round(h * fraction)
    x0, x1, y0, y1 = dx // 2, w - (dx - dx // 2), dy // 2, h - (dy - dy // 2)
    if side == "left":
        x0, x1 = dx, w
    elif side == "right":
        x0, x1 = 0, w - dx
    elif side == "top":
        y0, y1 = dy, h
    else:
        y0, y1 = 0, h - dy
    return [cv2.resize(f[y0:y1, x0:x1], (w, h), interpolation=cv2.INTER_LINEAR) for f in frames]


def x264(crf: int, size: tuple[int, int] | None = (640, 360)) -> Attack:
    """x264 (``veryfast``) at quality ``crf``, at ``size`` (None: the frames' own)."""
    opts = {"crf": str(crf), "preset": "veryfast"}
    return lambda fs: encode(fs, "libx264", size=size, options=opts)[0]


def _rt(codec: str, kbps: int) -> Attack:
    """A realtime encoder at a target bitrate (what a call app's sender runs)."""
    if codec == "libx264":
        opts = {"preset": "veryfast", "tune": "zerolatency"}
    elif codec == "libsvtav1":
        opts = {"preset": "10"}
    else:
        opts = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
    return lambda fs: encode(fs, codec, size=(640, 360), options=opts, bit_rate=kbps * 1000)[0]


def _paste_h264(scale: float, at: tuple[float, float]) -> Attack:
    return lambda fs: x264(28, None)(paste(fs, scale, at=at))


#: name -> attack, as in the issue's target list.
ATTACKS: dict[str, Attack] = {
    "none": list,
    "640x360": lambda fs: resize(fs, (640, 360)),
    "640x360 x264 crf23": x264(23),
    "640x360 x264 crf35": x264(35),
    "640x360 x264 300k rt": _rt("libx264", 300),
    "640x360 vp8 300k rt": _rt("libvpx", 300),
    "640x360 vp9 300k rt": _rt("libvpx-vp9", 300),
    "640x360 av1 300k": _rt("libsvtav1", 300),
    **{f"crop 10% {side}": functools.partial(crop, side=side) for side in SIDES},
    **{f"crop 10% {side} zoomed": functools.partial(zoom_back, side=side) for side in SIDES},
    "brightness +20": lambda fs: brightness(fs, 20),
    "brightness -20": lambda fs: brightness(fs, -20),
    "gamma 0.8": lambda fs: gamma(fs, 0.8),
    "gamma 1.25": lambda fs: gamma(fs, 1.25),
    "paste 40% + x264 crf28": _paste_h264(0.4, (0.7, 0.6)),
    "paste 50% + x264 crf28": _paste_h264(0.5, (0.3, 0.2)),
    "paste 60% + x264 crf28": _paste_h264(0.6, (0.1, 0.5)),
}


def scan(frames: Frames, sealed: str) -> tuple[int | None, bool]:
    """Read ``frames`` as verify reads a window (searches at ``CHECKPOINTS``, the
    refinement at the last): (frames needed for the payload sealed ``sealed``, or None;
    whether another payload was read)."""
    detector = Detector(searches=len(CHECKPOINTS))
    for i, image in enumerate(frames, 1):
        detector.add(image)
        if i in CHECKPOINTS:
            result = detector.detect(refine=i == CHECKPOINTS[-1])
            if result.payload is not None:
                if result.payload.sealed_id == sealed:
                    return i, False
                return None, True
    return None, False
