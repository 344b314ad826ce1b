"""Small builders shared by the core tests."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np

from overlay.frames import BGRImage


def still(path: Path, w: int = 640, h: int = 360, value: int = 128) -> Path:
    """A flat grey PNG (so only the stamps change between frames)."""
    cv2.imwrite(str(path), np.full((h, w, 3), value, np.uint8))
    return path


def read_video(path: Path) -> list[BGRImage]:
    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, img = cap.read()
        if not ok:
            break
        frames.append(img)
    cap.release()
    return frames


def mad(a: BGRImage, b: BGRImage) -> float:
    """Mean absolute difference in grey levels."""
    return float(np.mean(np.abs(a.astype(np.int16) - b.astype(np.int16))))


def write_360p(path: Path, frames: Iterable[BGRImage], crf: int) -> Path:
    """``frames`` scaled to 640x360 and written with x264 at ``crf`` (veryfast), as a call
    app or a shared recording would carry them."""
    import av

    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=30)
        stream.width, stream.height = 640, 360
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": str(crf), "preset": "veryfast"}
        for f in frames:
            small = cv2.resize(f, (640, 360), interpolation=cv2.INTER_AREA)
            for packet in stream.encode(av.VideoFrame.from_ndarray(small, format="bgr24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def marked_call_clip(path: Path, *, marked: bool, frames: int, session: str, key: bytes) -> Path:
    """A pan over a photo at 1280x720, watermarked for ``session`` (sealed with ``key``)
    or not (the twin), sent at 640x360 through x264 CRF 20: what a call tile shows."""
    from skimage import data

    from overlay.watermark import FORMAT_VERSION, Embedder, Payload, seal_session_id
    from overlay.watermark.clips import pan_zoom

    photo = cv2.cvtColor(data.coffee(), cv2.COLOR_RGB2BGR)
    embedder = Embedder(Payload(FORMAT_VERSION, True, seal_session_id(session, key)), (1280, 720))
    clip = pan_zoom(photo, (1280, 720), frames, noise=1.0)
    return write_360p(path, (embedder.apply(f) if marked else f for f in clip), crf=20)


def future(days: int = 30) -> date:
    """The UTC date ``days`` from today."""
    return (datetime.now(UTC) + timedelta(days=days)).date()
