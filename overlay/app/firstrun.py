"""The set-up page shown when no virtual camera can be opened: the doctor's checks and fixes."""

from __future__ import annotations

import html
import sys
from collections.abc import Callable

from overlay.app.qt import QtCore, QtWidgets
from overlay.doctor import Check

__all__ = ["FirstRunPage"]

_OS_NAMES = {"linux": "Linux", "win32": "Windows", "darwin": "macOS"}


def _os_name(platform: str) -> str:
    for key, name in _OS_NAMES.items():
        if platform.startswith(key):
            return name
    return platform


class FirstRunPage(QtWidgets.QWidget):
    """Runs the virtual-camera checks and shows each with its fix for this OS.

    Args:
        checks: returns the checks (default :func:`overlay.doctor.vcam_checks`).

    Signals:
        ready(): "Check again" found every check passing.
        skipped(): the user goes on without the virtual camera.
    """

    ready = QtCore.Signal()
    skipped = QtCore.Signal()

    def __init__(
        self,
        checks: Callable[[], list[Check]],
        parent: QtWidgets.QWidget | None = None,
        *,
        platform: str | None = None,
    ) -> None:
        super().__init__(parent)
        self._run_checks = checks
        self.platform = platform or sys.platform
        self.results: list[Check] = []
        self.title = QtWidgets.QLabel("Set up the virtual camera")
        self.title.setStyleSheet("font-size: 18pt; font-weight: bold;")
        self.intro = QtWidgets.QLabel("")
        self.intro.setWordWrap(True)
        self.problem = QtWidgets.QLabel("")
        self.problem.setObjectName("error")
        self.problem.setWordWrap(True)
        self.problem.hide()
        self.list = QtWidgets.QLabel("")
        self.list.setWordWrap(True)
        self.list.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.list.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.list.setAccessibleName("Virtual camera checks and fixes")
        self.check_button = QtWidgets.QPushButton("Check again")
        self.check_button.setShortcut("F5")
        self.check_button.setToolTip("run the checks again (F5)")
        self.check_button.clicked.connect(self.check)
        self.skip_button = QtWidgets.QPushButton("Continue without the virtual camera")
        self.skip_button.setToolTip("preview and recording work without it")
        self.skip_button.clicked.connect(self.skipped)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addWidget(self.check_button)
        buttons.addWidget(self.skip_button)
        buttons.addStretch(1)
        # A readable column in the middle of the window, not lines across a wide screen.
        body = QtWidgets.QWidget()
        body.setMaximumWidth(860)
        outer = QtWidgets.QHBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(body, 4)
        outer.addStretch(1)
        col = QtWidgets.QVBoxLayout(body)
        col.setContentsMargins(24, 30, 24, 30)
        col.setSpacing(10)
        col.addStretch(1)
        col.addWidget(self.title)
        col.addWidget(self.intro)
        col.addWidget(self.problem)
        col.addWidget(self.list)
        col.addLayout(buttons)
        col.addStretch(2)

    @property
    def ok(self) -> bool:
        return bool(self.results) and all(c.ok for c in self.results)

    def show_problem(self, text: str) -> None:
        """The error that brought the user here (a virtual camera that did not open)."""
        self.problem.setText(text)
        self.problem.setVisible(bool(text))

    def check(self) -> bool:
        """Run the checks, show them; emits ``ready`` if all pass. Returns whether they do."""
        try:
            self.results = list(self._run_checks())
        except Exception as exc:  # the checks are advice; show the failure as a check
            self.results = [Check("the checks ran", False, str(exc), "run 'overlay doctor'")]
        self._show()
        if self.ok:
            self.ready.emit()
        return self.ok

    def _show(self) -> None:
        os_name = _os_name(self.platform)
        failing = [c for c in self.results if not c.ok]
        if failing:
            self.intro.setText(
                f"Call apps (Zoom, Meet, Teams, OBS) can only pick overlay's picture through a "
                f"virtual camera, and none can be opened on this {os_name} system yet. Fix "
                f"what is marked below, then press Check again. The preview and recording "
                f"work without it."
            )
        else:
            self.intro.setText(f"The virtual camera is ready on this {os_name} system.")
        rows = []
        for c in self.results:
            mark = "✔" if c.ok else "✘"
            color = "#86efac" if c.ok else "#fca5a5"
            row = (
                f"<p><span style='color:{color}; font-weight:bold'>{mark} "
                f"{html.escape(c.what)}</span><br>"
                f"<span style='color:#a1a6b3'>{html.escape(c.detail)}</span>"
            )
            if c.fix and not c.ok:
                row += (
                    f"<br>Fix on {os_name}: <code style='color:#fde68a'>{html.escape(c.fix)}</code>"
                )
            rows.append(row + "</p>")
        self.list.setText("".join(rows))
