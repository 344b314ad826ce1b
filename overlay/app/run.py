"""Start the app: checks, the QApplication, the window, the event loop."""

from __future__ import annotations

import logging
import sys
import threading

from overlay.app.qt import QtCore, QtWidgets, check_display
from overlay.app.settings import load_settings
from overlay.app.theme import enable_hidpi
from overlay.app.window import MainWindow
from overlay.operator_policy import OperatorPolicy

__all__ = ["run_app"]

log = logging.getLogger(__name__)


def _warm_up() -> None:
    """Load MediaPipe on a thread while Qt starts: the first session needs it, and its
    import takes seconds (the face tag's detector). The session waits for the rest."""

    def load() -> None:
        try:
            from overlay.faces.detector import import_mediapipe

            import_mediapipe()
        except Exception as exc:  # no faces then; the session says so itself
            log.debug("warm-up: %s", exc)

    threading.Thread(target=load, name="overlay-warm-up", daemon=True).start()


def run_app(
    *,
    kiosk: bool = False,
    source: str | None = None,
    quit_after: float | None = None,
    policy: OperatorPolicy | None = None,
) -> int:
    """Open the window and run until it closes; returns the exit code.

    Args:
        kiosk: demo-booth mode.
        source: a ``--source`` spec to pick instead of the saved one.
        quit_after: close the window after this many seconds (scripted checks).
        policy: the operator policy in force (``kiosk = true`` in it means kiosk mode).

    Raises:
        OverlayError: no display, or the packages a window needs are missing.
    """
    check_display()
    _warm_up()
    enable_hidpi()
    existing = QtWidgets.QApplication.instance()
    app = (
        existing
        if isinstance(existing, QtWidgets.QApplication)
        else QtWidgets.QApplication(sys.argv[:1])
    )
    app.setApplicationName("overlay")
    settings = load_settings()
    if source:
        settings = settings.with_changes(source=source)
    window = MainWindow(kiosk=kiosk, settings=settings, policy=policy)
    if window.tray is not None:
        # The window may hide in the tray with the virtual camera on; quit when it closes.
        app.setQuitOnLastWindowClosed(False)
        window.closed.connect(app.quit)
    if not window.kiosk:
        window.show()
    if quit_after is not None:
        QtCore.QTimer.singleShot(round(quit_after * 1000), window.quit)
    return int(app.exec())
