"""The tray icon (where the desktop has a tray): the state, the switches, Show and Quit."""

from __future__ import annotations

from overlay.app.qt import QtCore, QtGui, QtWidgets

__all__ = ["Tray", "app_icon", "tray_available"]


def tray_available() -> bool:
    return bool(QtWidgets.QSystemTrayIcon.isSystemTrayAvailable())


def app_icon(on: bool = False) -> QtGui.QIcon:
    """A round "AI" badge, green while the virtual camera is on; drawn, not a file."""
    icon = QtGui.QIcon()
    for size in (16, 32, 64):
        pix = QtGui.QPixmap(size, size)
        pix.fill(QtCore.Qt.GlobalColor.transparent)
        p = QtGui.QPainter(pix)
        p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        p.setBrush(QtGui.QColor("#16a34a" if on else "#4f46e5"))
        p.setPen(QtCore.Qt.PenStyle.NoPen)
        p.drawEllipse(0, 0, size, size)
        font = p.font()
        font.setBold(True)
        font.setPixelSize(max(6, size * 9 // 20))
        p.setFont(font)
        p.setPen(QtGui.QColor("white"))
        p.drawText(pix.rect(), QtCore.Qt.AlignmentFlag.AlignCenter, "AI")
        p.end()
        icon.addPixmap(pix)
    return icon


class Tray(QtCore.QObject):
    """A QSystemTrayIcon with a menu; the window keeps its state current with :meth:`update`.

    Signals:
        showRequested(), vcamToggled(bool), recordToggled(bool), quitRequested().
    """

    showRequested = QtCore.Signal()  # noqa: N815  (Qt signal names)
    vcamToggled = QtCore.Signal(bool)  # noqa: N815
    recordToggled = QtCore.Signal(bool)  # noqa: N815
    quitRequested = QtCore.Signal()  # noqa: N815

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.icon = QtWidgets.QSystemTrayIcon(app_icon(), self)
        self.menu = QtWidgets.QMenu()
        self.state_action = self.menu.addAction("")
        self.state_action.setEnabled(False)
        self.menu.addSeparator()
        self.show_action = self.menu.addAction("Show the window")
        self.show_action.triggered.connect(self.showRequested)
        self.vcam_action = self.menu.addAction("Virtual camera")
        self.vcam_action.setCheckable(True)
        self.vcam_action.toggled.connect(self.vcamToggled)
        self.record_action = self.menu.addAction("Record")
        self.record_action.setCheckable(True)
        self.record_action.toggled.connect(self.recordToggled)
        self.menu.addSeparator()
        self.quit_action = self.menu.addAction("Quit overlay")
        self.quit_action.triggered.connect(self.quitRequested)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._on_activated)
        self.update(vcam=False, record=False, state="starting")
        self.icon.show()

    def update(self, *, vcam: bool, record: bool, state: str) -> None:
        """Show the switches' state and a one-line state in the tooltip and menu."""
        for action, on in ((self.vcam_action, vcam), (self.record_action, record)):
            action.blockSignals(True)
            action.setChecked(on)
            action.blockSignals(False)
        self.state_action.setText(state)
        self.icon.setToolTip(f"overlay: {state}")
        self.icon.setIcon(app_icon(vcam))

    def message(self, text: str) -> None:
        self.icon.showMessage("overlay", text, app_icon(True), 8000)

    def hide(self) -> None:
        self.icon.hide()

    def _on_activated(self, reason: QtWidgets.QSystemTrayIcon.ActivationReason) -> None:
        if reason == QtWidgets.QSystemTrayIcon.ActivationReason.Trigger:
            self.showRequested.emit()
