"""A real window showing a known moving pattern, for the window-capture tests.

Run: ``python window_app.py TITLE X Y`` with DISPLAY set. It prints ``ready`` once the
window is on screen, then obeys lines on stdin: ``move X Y``, ``resize W H``,
``minimize``, ``restore`` (answered ``moved``, ``resized``, ``minimized``, ``restored``)
and ``quit``. It draws the pattern capture_pattern.py describes; the counter goes up
about 30 times a second, so a live capture shows changes.
"""

from __future__ import annotations

import os
import queue
import sys
import threading

os.environ["QT_QPA_PLATFORM"] = "xcb"  # a real X window, whatever the test run uses

from capture_pattern import BLOCK_W, BLOCK_X0, GREY, HEIGHT, MARKER, ROW_H, ROW_Y, WIDTH
from PySide6 import QtCore, QtGui, QtWidgets


class PatternWindow(QtWidgets.QWidget):
    def __init__(self, title: str) -> None:
        super().__init__()
        self.setWindowTitle(title)
        self.setFixedSize(WIDTH, HEIGHT)
        self.counter = 0
        self.painted = 0

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:
        p = QtGui.QPainter(self)
        w, h = self.width(), self.height()
        p.fillRect(0, 0, w, h, QtGui.QColor(GREY, GREY, GREY))
        p.fillRect(0, 0, MARKER, MARKER, QtGui.QColor(255, 0, 0))
        p.fillRect(w - MARKER, h - MARKER, MARKER, MARKER, QtGui.QColor(0, 0, 255))
        bits = [1] + [(self.counter >> (7 - i)) & 1 for i in range(8)] + [0]
        for i, bit in enumerate(bits):
            v = 255 if bit else 0
            p.fillRect(BLOCK_X0 + i * BLOCK_W, ROW_Y, BLOCK_W, ROW_H, QtGui.QColor(v, v, v))
        p.end()
        self.painted += 1


def main() -> None:
    title, x, y = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    app = QtWidgets.QApplication(sys.argv[:1])
    win = PatternWindow(title)
    win.move(x, y)
    win.show()
    commands: queue.Queue[str] = queue.Queue()

    def read_stdin() -> None:
        for line in sys.stdin:
            commands.put(line.strip())
        commands.put("quit")

    threading.Thread(target=read_stdin, daemon=True).start()
    announced = False

    def tick() -> None:
        nonlocal announced
        win.counter = (win.counter + 1) % 256
        win.update()
        if not announced and win.painted >= 3:
            announced = True
            print("ready", flush=True)
        while True:
            try:
                cmd = commands.get_nowait()
            except queue.Empty:
                return
            if cmd == "quit":
                app.quit()
                return
            if cmd.startswith("move "):
                _, nx, ny = cmd.split()
                win.move(int(nx), int(ny))
                print("moved", flush=True)
            if cmd in {"minimize", "restore"}:
                win.showMinimized() if cmd == "minimize" else win.showNormal()
                print(f"{cmd}d", flush=True)
            if cmd.startswith("resize "):
                _, nw, nh = cmd.split()
                win.setFixedSize(int(nw), int(nh))
                print("resized", flush=True)

    timer = QtCore.QTimer()
    timer.timeout.connect(tick)
    timer.start(33)
    app.exec()


if __name__ == "__main__":
    main()
