"""The preview view: paints a BGR frame buffer scaled to fit, letterboxed, never cropped."""

from __future__ import annotations

import cv2
import numpy as np

from overlay.app.qt import QtCore, QtGui, QtWidgets
from overlay.frames import BGRImage

__all__ = ["PreviewView"]


class PreviewView(QtWidgets.QWidget):
    """Paints a BGR frame buffer scaled to fit (letterboxed), optionally mirrored.

    The QImage wraps the buffer without copying; the window copies each new frame into
    that buffer and calls ``update()``. Before the first frame it says what it waits for.
    """

    def __init__(self, parent: QtWidgets.QWidget | None = None, *, mirrored: bool = False) -> None:
        super().__init__(parent)
        self.mirrored = mirrored
        self._buffer: BGRImage | None = None
        self._image: QtGui.QImage | None = None
        # The frame scaled down to the widget by OpenCV (a third of QPainter's smooth
        # scaling cost at 1080p, and it releases the GIL), and the QImage wrapping it.
        self._small: BGRImage | None = None
        self._small_image: QtGui.QImage | None = None
        self.paints = 0
        #: Shown on the black area before a frame arrives ("" for none).
        self.placeholder = ""
        self.setMinimumSize(160, 90)
        self.setSizePolicy(
            QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Expanding
        )
        self.setAccessibleName("Preview of the output" if not mirrored else "Mirrored self-view")

    def set_buffer(self, buffer: BGRImage | None) -> None:
        self._buffer = buffer
        if buffer is None:
            self._image = None
        else:
            h, w = buffer.shape[:2]
            self._image = QtGui.QImage(
                buffer.data, w, h, buffer.strides[0], QtGui.QImage.Format.Format_BGR888
            )
        self.update()

    def _scaled(self, w: int, h: int) -> QtGui.QImage | None:
        """The frame resized to w x h when that is smaller than the frame, else None."""
        buf = self._buffer
        if buf is None or w <= 0 or h <= 0 or (w >= buf.shape[1] and h >= buf.shape[0]):
            return None
        if self._small is None or self._small.shape[:2] != (h, w):
            self._small = np.empty((h, w, 3), np.uint8)
            self._small_image = QtGui.QImage(
                self._small.data, w, h, self._small.strides[0], QtGui.QImage.Format.Format_BGR888
            )
        cv2.resize(buf, (w, h), dst=self._small, interpolation=cv2.INTER_LINEAR)
        return self._small_image

    def target_rect(self) -> QtCore.QRect:
        """Where the frame is drawn: the largest rectangle of its aspect that fits."""
        if self._image is None:
            return QtCore.QRect()
        iw, ih = self._image.width(), self._image.height()
        scale = min(self.width() / iw, self.height() / ih)
        w, h = round(iw * scale), round(ih * scale)
        return QtCore.QRect((self.width() - w) // 2, (self.height() - h) // 2, w, h)

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:  # noqa: N802  (Qt override)
        painter = QtGui.QPainter(self)
        painter.fillRect(self.rect(), QtGui.QColor(0, 0, 0))
        if self._image is not None:
            rect = self.target_rect()
            if self.mirrored:
                painter.setTransform(QtGui.QTransform(-1, 0, 0, 1, self.width(), 0))
            small = self._scaled(rect.width(), rect.height())
            if small is not None:
                painter.drawImage(rect.topLeft(), small)
            else:
                painter.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform)
                painter.drawImage(rect, self._image)
        elif self.placeholder:
            painter.setPen(QtGui.QColor(170, 170, 180))
            painter.drawText(self.rect(), QtCore.Qt.AlignmentFlag.AlignCenter, self.placeholder)
        painter.end()
        self.paints += 1
