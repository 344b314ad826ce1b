"""Frames: the one pixel convention (BGR uint8 HxWx3) and the sealed stamped frame."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeAlias, cast

import numpy as np
import numpy.typing as npt

from overlay.errors import FrameFormatError

__all__ = ["BGRImage", "Frame", "StampedFrame", "as_bgr", "check_image"]

BGRImage: TypeAlias = npt.NDArray[np.uint8]

# Only the stamp chain holds this token; StampedFrame refuses to be built without it.
_SEAL = object()


def as_bgr(array: object) -> BGRImage:
    """Type a known-good array (OpenCV results) as a BGR image, without copying or checking."""
    return cast(BGRImage, array)


def _to_uint8(dtype: np.dtype[Any]) -> str:
    """The conversion that fits ``dtype`` (the fix in a dtype error)."""
    if np.issubdtype(dtype, np.floating):
        return (
            "convert it with np.clip(image * 255, 0, 255).astype(np.uint8) if its values "
            "are 0-1, or image.clip(0, 255).astype(np.uint8) if they are 0-255"
        )
    if dtype == np.uint16:
        return "convert it with (image >> 8).astype(np.uint8)"
    if dtype == np.bool_:
        return "convert it with image.astype(np.uint8) * 255"
    return "scale it to 0-255 and convert it with image.astype(np.uint8)"


def check_image(image: object, what: str = "frame") -> BGRImage:
    """Return ``image`` if it is a BGR uint8 HxWx3 array with a non-zero size.

    Raises:
        FrameFormatError: naming the shape/dtype found and what is expected.
    """
    if not isinstance(image, np.ndarray):
        raise FrameFormatError(
            f"{what} is a {type(image).__name__}, not an image array; "
            "pass a numpy uint8 array of shape HxWx3 (BGR)"
        )
    if image.dtype != np.uint8:
        raise FrameFormatError(
            f"{what} has dtype {image.dtype}; overlay takes 8-bit BGR (uint8): "
            f"{_to_uint8(image.dtype)}"
        )
    if image.ndim != 3 or image.shape[2] != 3:
        kind = ""
        if image.ndim == 2:
            kind = "greyscale"
        elif image.ndim == 3:
            kind = f"{image.shape[2]}-channel"
        raise FrameFormatError(
            f"{what} has shape {image.shape} ({kind or 'not an image'}); overlay takes "
            "HxWx3 BGR, convert with cv2.cvtColor (GRAY2BGR / BGRA2BGR)"
        )
    if image.shape[0] < 2 or image.shape[1] < 2:
        raise FrameFormatError(
            f"{what} has size {image.shape[1]}x{image.shape[0]}; it needs at least 2x2 pixels"
        )
    return image


@dataclass(slots=True)
class Frame:
    """One video frame.

    Attributes:
        image: BGR uint8 HxWx3 pixels.
        index: the frame's number (source frames: the source's count; output: the output's).
        timestamp: ``time.monotonic()`` when the frame was captured.
    """

    image: BGRImage
    index: int
    timestamp: float


class StampedFrame:
    """A frame that passed every stamp of the session. Sinks accept nothing else.

    Only :class:`overlay.stamps.StampChain` creates these, so an undisclosed frame cannot
    reach a sink by mistake. The image is the pipeline's output buffer: valid during
    ``send()``; a sink that keeps it must copy it.
    """

    __slots__ = ("capture_timestamp", "image", "index", "session_id", "slate")

    image: BGRImage
    index: int
    capture_timestamp: float
    session_id: str
    slate: bool

    def __init__(
        self,
        frame: Frame,
        session_id: str,
        *,
        slate: bool,
        seal: object = None,
    ) -> None:
        if seal is not _SEAL:
            raise TypeError(
                "StampedFrame is created only by StampChain.apply(); run the frame "
                "through the session's stamps"
            )
        self.image = frame.image
        self.index = frame.index
        self.capture_timestamp = frame.timestamp
        self.session_id = session_id
        self.slate = slate

    def copy_into(self, buffer: BGRImage) -> StampedFrame:
        """The same stamped frame with its pixels copied into ``buffer`` (same shape).

        For sinks that take the frame on another thread: the copy carries exactly the
        stamped pixels, so it stays a StampedFrame.
        """
        np.copyto(buffer, self.image)
        copy = StampedFrame.__new__(StampedFrame)
        copy.image = buffer
        copy.index = self.index
        copy.capture_timestamp = self.capture_timestamp
        copy.session_id = self.session_id
        copy.slate = self.slate
        return copy

    def __repr__(self) -> str:
        h, w = self.image.shape[:2]
        kind = "slate" if self.slate else "frame"
        return f"<StampedFrame {kind} #{self.index} {w}x{h} session={self.session_id}>"
