"""Screenshots of the real app window on an X server, for the README and docs/app.md.

    xvfb-run -a -s "-screen 0 1920x1080x24" sh -c \
      "openbox & python benchmarks/app_screenshot.py docs/"

(openbox, or any window manager, for the window frame and a real fullscreen kiosk.)

Saves, grabbed from the X server (not widget renders):

- ``app-main.png``: the main view at 1366x768, a 16:9 crop of scikit-image's astronaut
  photo streaming and recording to a temporary folder;
- ``app-settings.png``: the settings dialog over it;
- ``app-first-run.png``: the set-up page this machine gets (no virtual camera here);
- ``app-settings-policy.png``: the settings under ``docs/policy.example.toml``, with an
  output size above its maximum typed in (refused, with the reason);
- ``app-kiosk.png``: kiosk mode as ``docs/policy.example.toml`` sets it (fullscreen,
  the policy's banner text, recording).

It also prints how long the window took to show its first frame (from the window's
creation, and from this script's start including imports).
"""

from __future__ import annotations

import time

T0 = time.monotonic()

import dataclasses  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
for _name in ("CONFIG", "DATA", "CACHE"):
    os.environ.setdefault(f"OVERLAY_{_name}_DIR", tempfile.mkdtemp(prefix="overlay-shot-"))

import cv2  # noqa: E402
from skimage import data  # noqa: E402

from overlay.app.qt import QtCore, QtWidgets, check_display  # noqa: E402
from overlay.app.settings import AppSettings  # noqa: E402
from overlay.app.theme import enable_hidpi  # noqa: E402
from overlay.app.window import MainWindow  # noqa: E402
from overlay.operator_policy import load_policy  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def wait(app: QtWidgets.QApplication, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def wait_for_frame(app: QtWidgets.QApplication, window: MainWindow, timeout: float = 15) -> None:
    end = time.monotonic() + timeout
    while window.frames_shown == 0 and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.005)
    if window.frames_shown == 0:
        raise SystemExit(f"no frame within {timeout} s: {window.last_error}")


def grab(app: QtWidgets.QApplication, widget: QtWidgets.QWidget, out: Path) -> None:
    geo = widget.frameGeometry()
    shot = app.primaryScreen().grabWindow(0, geo.x(), geo.y(), geo.width(), geo.height())
    if not shot.save(str(out)):
        raise SystemExit(f"could not save {out}")
    print(f"saved {out} ({shot.width()}x{shot.height()})")


def main() -> int:
    out_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "docs")
    check_display()
    enable_hidpi()
    tmp = Path(tempfile.mkdtemp(prefix="overlay-shot-media-"))
    photo = tmp / "astronaut.png"
    # A 16:9 crop around the face, so the picture fills the 1280x720 output.
    crop = cv2.cvtColor(data.astronaut()[10:298], cv2.COLOR_RGB2BGR)
    cv2.imwrite(str(photo), cv2.resize(crop, (1280, 720), interpolation=cv2.INTER_CUBIC))
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    assert isinstance(app, QtWidgets.QApplication)

    # 1. The main view, 1366x768, recording; 2. its settings dialog.
    settings = AppSettings(
        source=f"file:{photo}", size="1280x720", record=True, record_path=str(tmp), setup_done=True
    )
    window = MainWindow(settings=settings, tray=False)
    window.setGeometry(0, 0, 1366, 768)
    window.show()
    wait_for_frame(app, window)
    first = window.first_frame_after
    print(
        f"first frame on screen {first:.2f} s after the window was created, "
        f"{time.monotonic() - T0:.2f} s after this script started (imports included)"
    )
    wait(app, 3.5)  # past the 2 s start card, a few seconds of recording
    grab(app, window, out_dir / "app-main.png")
    dialog = window.open_settings()
    assert dialog is not None
    dialog.move(window.x() + 120, window.y() + 60)
    wait(app, 0.5)
    grab(app, dialog, out_dir / "app-settings.png")
    dialog.close()
    window.quit()

    # 3. The first-run page (no virtual camera on the machine that takes the shots).
    window = MainWindow(settings=AppSettings(source=f"file:{photo}", size="1280x720"), tray=False)
    window.setGeometry(0, 0, 1366, 768)
    window.show()
    wait(app, 1.0)
    if window.pages.currentWidget() is not window.first_run:
        print("note: the virtual camera checks pass here; no first-run page to grab")
    else:
        grab(app, window, out_dir / "app-first-run.png")
    window.quit()

    # 4. Settings under the example policy (kiosk off to show the form), a size refused.
    policy = load_policy(ROOT / "docs" / "policy.example.toml")
    window = MainWindow(
        settings=AppSettings(source="avatar", record_path=str(tmp), setup_done=True),
        policy=dataclasses.replace(policy, kiosk=False),
        tray=False,
    )
    window.setGeometry(0, 0, 1366, 768)
    window.show()
    wait_for_frame(app, window)
    dialog = window.open_settings()
    assert dialog is not None
    dialog.form.size_combo.setCurrentText("1920x1080")
    dialog.move(window.x() + 120, window.y() + 60)
    wait(app, 0.5)
    grab(app, dialog, out_dir / "app-settings-policy.png")
    dialog.close()
    window.quit()

    # 5. Kiosk mode from the example policy (fullscreen on the X screen).
    kiosk_settings = AppSettings(source="avatar", record_path=str(tmp), setup_done=True)
    window = MainWindow(settings=kiosk_settings, policy=policy, tray=False)
    wait_for_frame(app, window)
    wait(app, 6.0)  # past the start card even when the machine is busy
    grab(app, window, out_dir / "app-kiosk.png")
    window.quit()
    QtCore.QCoreApplication.processEvents()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
