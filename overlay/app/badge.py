"""``overlay watch --badge``: a small always-on-top window with the watch's state.

The window shows a thumbnail of the latest sample with each tile where the mark was
found outlined (green: the payload was read; amber: present, payload unreadable), and
one line of state under it. The :class:`~overlay.watching.Watcher` runs on a QThread
and hands each change of state to the window through a queued signal.
"""

from __future__ import annotations

import cv2
import numpy as np

from overlay.app.qt import QtCore, QtGui, QtWidgets, check_display
from overlay.frames import BGRImage
from overlay.watching import DISCLOSED, LOST, Watcher, WatchEvent

__all__ = ["BadgeWindow", "WatchThread", "run_badge"]

#: Thumbnail width (pixels).
THUMB = 240
GREEN = QtGui.QColor(40, 200, 80)
AMBER = QtGui.QColor(240, 170, 30)


class WatchThread(QtCore.QThread):
    """Runs ``watcher`` until it ends; ``changed`` carries each WatchEvent."""

    changed = QtCore.Signal(object)

    def __init__(self, watcher: Watcher, seconds: float | None = None) -> None:
        super().__init__()
        self.watcher = watcher
        self.seconds = seconds
        self.last: WatchEvent | None = None

    def run(self) -> None:
        try:
            self.last = self.watcher.run(self._emit, seconds=self.seconds, heartbeat=1.0)
        finally:
            self.watcher.source.close()

    def _emit(self, event: WatchEvent) -> None:
        self.changed.emit(event)

    def stop(self) -> None:
        self.watcher.stop()
        self.wait()


class BadgeWindow(QtWidgets.QWidget):
    """The badge: a thumbnail with the tiles found outlined, and the state in words."""

    def __init__(self, watcher: Watcher | None = None) -> None:
        super().__init__()
        self.setWindowTitle("overlay watch")
        self.setWindowFlags(QtCore.Qt.WindowType.Tool | QtCore.Qt.WindowType.WindowStaysOnTopHint)
        self.watcher = watcher
        self.current: WatchEvent | None = None
        self.thumb = QtWidgets.QLabel()
        self.thumb.setFixedSize(THUMB, THUMB * 9 // 16)
        self.thumb.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.state = QtWidgets.QLabel("starting")
        self.state.setWordWrap(True)
        self.state.setMaximumWidth(THUMB)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.thumb)
        layout.addWidget(self.state)
        self._image: BGRImage | None = None
        self._timer = QtCore.QTimer(self)
        self._timer.timeout.connect(self._refresh)
        if watcher is not None:
            self._timer.start(500)

    def show_event(self, event: WatchEvent, image: BGRImage | None = None) -> None:
        """Show ``event``'s state (and ``image`` as the thumbnail, if given)."""
        self.current = event
        if event.state == DISCLOSED:
            colour = GREEN if any(f.payload for f in event.found) else AMBER
        elif event.state == LOST:
            colour = QtGui.QColor(200, 60, 60)
        else:
            colour = QtGui.QColor(120, 120, 120)
        self.state.setText(event.line())
        self.state.setStyleSheet(f"color: {colour.name()}; font-weight: bold")
        if image is not None:
            self._image = image
        self._draw()

    def _refresh(self) -> None:
        if self.watcher is not None and self.watcher.latest is not None:
            self._image = self.watcher.latest
            self._draw()

    def render_thumb(self) -> QtGui.QImage:
        """The thumbnail with the tiles outlined (a copy)."""
        w, h = self.thumb.width(), self.thumb.height()
        out = QtGui.QImage(w, h, QtGui.QImage.Format.Format_RGB888)
        out.fill(QtGui.QColor(30, 30, 30))
        if self._image is None:
            return out
        ih, iw = self._image.shape[:2]
        s = min(w / iw, h / ih)
        tw, th = max(1, round(iw * s)), max(1, round(ih * s))
        small = cv2.resize(self._image, (tw, th), interpolation=cv2.INTER_AREA)
        rgb = np.ascontiguousarray(cv2.cvtColor(small, cv2.COLOR_BGR2RGB))
        pic = QtGui.QImage(rgb.data, tw, th, rgb.strides[0], QtGui.QImage.Format.Format_RGB888)
        ox, oy = (w - tw) // 2, (h - th) // 2
        painter = QtGui.QPainter(out)
        try:
            painter.drawImage(ox, oy, pic)
            event = self.current
            if event is not None and event.state == DISCLOSED:
                for f in event.found:
                    x, y, bw, bh = f.box if f.box is not None else (0, 0, iw, ih)
                    pen = QtGui.QPen(GREEN if f.payload else AMBER, 3)
                    painter.setPen(pen)
                    painter.drawRect(
                        QtCore.QRectF(ox + x * s + 1.5, oy + y * s + 1.5, bw * s - 3, bh * s - 3)
                    )
        finally:
            painter.end()
        return out

    def _draw(self) -> None:
        self.thumb.setPixmap(QtGui.QPixmap.fromImage(self.render_thumb()))


def run_badge(watcher: Watcher, *, seconds: float | None = None) -> int:
    """Show the badge until its window is closed or the watch ends; the exit code."""
    check_display()
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    window = BadgeWindow(watcher)
    thread = WatchThread(watcher, seconds)
    thread.changed.connect(window.show_event)
    window.show()
    thread.start()
    app.aboutToQuit.connect(thread.stop)
    app.exec()
    thread.stop()
    last = thread.last
    return 3 if last is not None and last.state == LOST and last.reason != "the source ended" else 0
