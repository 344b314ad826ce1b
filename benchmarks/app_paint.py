"""What painting one 1080p frame into the preview costs the GUI thread, by preview size.

    python benchmarks/app_paint.py [--repeats 30]

``PreviewView`` scales a frame larger than the widget with OpenCV (``cv2.resize``, linear)
and blits the result; before, QPainter's smooth transform scaled it. Both paths are timed
here on the same frame and widget sizes (offscreen platform, median of the repeats), with
the ratio to one ``np.copyto`` of the frame measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np

from overlay.app.qt import QtGui, QtWidgets
from overlay.app.view import PreviewView


def timed(fn: object, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append((time.perf_counter() - t) * 1e3)
    return statistics.median(times)


def _smooth(view: PreviewView, target: QtGui.QImage, image: QtGui.QImage) -> None:
    """The previous path: QPainter scales the full frame with its smooth transform."""
    p = QtGui.QPainter(target)
    p.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform)
    p.drawImage(view.target_rect(), image)
    p.end()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    rng = np.random.default_rng(1)
    frame = rng.integers(0, 256, (1080, 1920, 3), np.uint8)
    out = np.empty_like(frame)
    copy_ms = timed(lambda: np.copyto(out, frame), args.repeats)
    image = QtGui.QImage(
        frame.data, 1920, 1080, frame.strides[0], QtGui.QImage.Format.Format_BGR888
    )
    print(
        f"painting one 1920x1080 frame into the preview; median of {args.repeats}; platform "
        f"{app.platformName()}; np.copyto of the frame: {copy_ms:.3f} ms"
    )
    print(
        f"{'preview widget':<16} {'QPainter smooth ms':>19} {'cv2 + blit ms':>14} {'ratio':>6} {'/copy':>6}"
    )
    print("-" * 66)
    for w, h in ((946, 532), (1346, 634), (1580, 889), (1900, 946)):
        view = PreviewView()
        view.resize(w, h)
        view.set_buffer(frame)
        target = QtGui.QImage(w, h, QtGui.QImage.Format.Format_RGB32)

        a = timed(lambda v=view, t=target: _smooth(v, t, image), args.repeats)
        b = timed(lambda v=view, t=target: v.render(t), args.repeats)
        print(f"{w}x{h:<11} {a:>19.2f} {b:>14.2f} {a / b:>6.1f} {b / copy_ms:>6.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
