"""Save a screenshot of the real app window (X11), e.g. for the README.

    xvfb-run -s "-screen 0 1440x900x24" python benchmarks/app_screenshot.py docs/app-screenshot.png

Opens the window on the X server (QT_QPA_PLATFORM=xcb), streams a 16:9 crop of
scikit-image's astronaut photo (a face) through a session that records to a temporary folder, waits
past the start card, and grabs the screen from the X server (not a widget render).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
os.environ.setdefault("OVERLAY_CONFIG_DIR", tempfile.mkdtemp(prefix="overlay-shot-"))

import cv2
from skimage import data

from overlay.app.qt import QtWidgets, check_display
from overlay.app.settings import AppSettings
from overlay.app.window import MainWindow


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/app-screenshot.png")
    check_display()
    tmp = Path(tempfile.mkdtemp(prefix="overlay-shot-media-"))
    photo = tmp / "astronaut.png"
    # A 16:9 crop around the face, so the picture fills the 1280x720 output.
    crop = cv2.cvtColor(data.astronaut()[10:298], cv2.COLOR_RGB2BGR)
    cv2.imwrite(str(photo), cv2.resize(crop, (1280, 720), interpolation=cv2.INTER_CUBIC))
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    settings = AppSettings(
        source=f"file:{photo}", size="1280x720", record=True, record_path=str(tmp), self_view=True
    )
    window = MainWindow(settings=settings)
    window.show()
    if not window.start():
        raise SystemExit(f"could not start: {window.last_error}")
    end = time.monotonic() + 3.5  # past the 2 s start card
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)
    screen = app.primaryScreen()
    geo = window.frameGeometry()
    shot = screen.grabWindow(0, geo.x(), geo.y(), geo.width(), geo.height())
    window.close()
    if not shot.save(str(out)):
        raise SystemExit(f"could not save {out}")
    print(f"saved {out} ({shot.width()}x{shot.height()}, platform {app.platformName()})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
