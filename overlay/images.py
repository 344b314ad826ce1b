"""Reading still images from files: the path and the declared size are checked first.

A PNG can declare 60000x60000 pixels in a 100-byte file; OpenCV would try to allocate
10 GB (or assert). The header is read first (Pillow reads only the header on open) and
a picture above :data:`MAX_IMAGE_PIXELS` is refused in one line before any decoding.
"""

from __future__ import annotations

import stat
import warnings
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, UnidentifiedImageError

from overlay.errors import ConfigError, SourceError
from overlay.paths import checked_path, display_path

__all__ = ["MAX_IMAGE_PIXELS", "check_pixels", "image_size", "read_image", "regular_file"]

#: The largest picture overlay decodes: 100 megapixels (a 108 MP phone photo must be
#: scaled down; an 8K frame is 33 MP).
MAX_IMAGE_PIXELS = 100_000_000


def regular_file(value: str | Path, what: str) -> Path:
    """``value`` checked to be an existing, non-empty regular file with a UTF-8 name.

    A FIFO or device would block a reader; a folder or an empty file is not an image.

    Raises:
        SourceError: missing, not a regular file, or empty.
        ConfigError: the name is not UTF-8.
    """
    path = checked_path(value, what)
    shown = display_path(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise SourceError(f"{what} {shown} does not exist; check the path") from None
    except OSError as exc:
        raise SourceError(f"cannot read {what} {shown}: {exc.strerror}; check the path") from None
    if stat.S_ISDIR(st.st_mode):
        raise SourceError(f"{what} {shown} is a directory; give a file")
    if not stat.S_ISREG(st.st_mode):
        raise SourceError(
            f"{what} {shown} is not a regular file (a pipe, socket or device); give a file"
        )
    if st.st_size == 0:
        raise SourceError(f"{what} {shown} is empty (0 bytes); give a complete file")
    return path


def check_pixels(width: int, height: int, what: str) -> None:
    """Refuse a picture whose declared size is above :data:`MAX_IMAGE_PIXELS`."""
    if width * height > MAX_IMAGE_PIXELS:
        raise ConfigError(
            f"{what} declares {width}x{height} pixels, above the limit of "
            f"{MAX_IMAGE_PIXELS // 1_000_000} megapixels; scale it down (e.g. to 1920x1080)"
        )


def image_size(path: Path, what: str) -> tuple[int, int]:
    """The (width, height) an image file declares in its header, without decoding it.

    Raises:
        SourceError: the file is not an image Pillow recognises.
        ConfigError: the declared size is above the limit.
    """
    shown = display_path(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(path) as im:
                width, height = im.size
        except Image.DecompressionBombError:
            raise ConfigError(
                f"{what} {shown} declares more than {MAX_IMAGE_PIXELS // 1_000_000} megapixels; "
                "scale it down (e.g. to 1920x1080)"
            ) from None
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
            raise SourceError(
                f"cannot read {what} {shown}: not an image ({type(exc).__name__}); "
                "give a PNG or JPEG file"
            ) from None
    check_pixels(width, height, f"{what} {shown}")
    return width, height


def read_image(
    value: str | Path, what: str = "image", flags: int = cv2.IMREAD_UNCHANGED
) -> npt.NDArray[np.uint8]:
    """Decode an image file after checking its path and its declared size.

    Returns OpenCV's array (any channel count and depth ``flags`` gives); callers check the
    format they need.

    Raises:
        SourceError: missing, not a regular file, empty, or not decodable.
        ConfigError: a non-UTF-8 name, or a picture above the pixel limit.
    """
    path = regular_file(value, what)
    image_size(path, what)
    shown = display_path(path)
    try:
        data = np.fromfile(str(path), np.uint8)
        image = cv2.imdecode(data, flags)
    except OSError as exc:
        raise SourceError(f"cannot read {what} {shown}: {exc.strerror}; check the file") from None
    except cv2.error:
        raise SourceError(
            f"cannot decode {what} {shown}: OpenCV refused it; is it corrupt?"
        ) from None
    if image is None:
        raise SourceError(
            f"cannot decode {what} {shown}: truncated, corrupt or not an image OpenCV reads"
        )
    return np.asarray(image)
