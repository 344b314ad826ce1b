"""A real window playing a video file in a loop, scaled to the window (a call app's tile
or a media player), for the ``overlay watch`` window test.

Run: ``python player_app.py TITLE FILE WIDTH HEIGHT`` with DISPLAY set. It prints
``ready`` once the window is on screen and quits on ``quit`` (or end of stdin).
"""

from __future__ import annotations

import os
import sys
import threading

os.environ["QT_QPA_PLATFORM"] = "xcb"  # a real X window, whatever the test run uses

import cv2
import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets


def main() -> None:
    title, path, w, h = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    cap = cv2.VideoCapture(path)
    frames = []
    while True:
        ok, f = cap.read()
        if not ok:
            break
        frames.append(np.ascontiguousarray(cv2.resize(f, (w, h), interpolation=cv2.INTER_AREA)))
    cap.release()
    app = QtWidgets.QApplication(sys.argv[:1])
    label = QtWidgets.QLabel()
    label.setWindowTitle(title)
    label.setFixedSize(w, h)
    label.move(100, 80)
    label.show()
    state = {"i": 0, "shown": 0}

    def tick() -> None:
        f = frames[state["i"] % len(frames)]
        image = QtGui.QImage(f.data, w, h, f.strides[0], QtGui.QImage.Format.Format_BGR888)
        label.setPixmap(QtGui.QPixmap.fromImage(image))
        state["i"] += 1
        state["shown"] += 1
        if state["shown"] == 3:
            print("ready", flush=True)

    timer = QtCore.QTimer()
    timer.timeout.connect(tick)
    timer.start(33)

    def read_stdin() -> None:
        for line in sys.stdin:
            if line.strip() == "quit":
                break
        QtCore.QMetaObject.invokeMethod(app, "quit", QtCore.Qt.ConnectionType.QueuedConnection)

    threading.Thread(target=read_stdin, daemon=True).start()
    app.exec()


if __name__ == "__main__":
    main()
