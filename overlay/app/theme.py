"""A dark theme that sits with streaming tools, and HiDPI set-up (before the QApplication)."""

from __future__ import annotations

import os

from overlay.app.qt import QtCore, QtGui, QtWidgets

__all__ = ["CHIP_COLORS", "STYLE", "apply_theme", "enable_hidpi"]

#: Chip state -> (background, text).
CHIP_COLORS = {
    "on": ("#14532d", "#dcfce7"),
    "rec": ("#991b1b", "#fee2e2"),
    "off": ("#2a2d34", "#c9ccd3"),
    "warn": ("#713f12", "#fef3c7"),
    "bad": ("#7f1d1d", "#fee2e2"),
}

STYLE = """
QWidget { background: #16181d; color: #e6e8ee; font-size: 10pt; }
QDialog, QMainWindow { background: #16181d; }
QLabel#note { color: #c7d2fe; background: #1e2240; padding: 4px 8px; border-radius: 4px; }
QLabel#error { background: #7f1d1d; color: white; padding: 6px; border-radius: 4px; }
QLabel#reason { color: #fca5a5; font-weight: bold; }
QLabel#lock { color: #fcd34d; }
QLabel#detail { color: #a1a6b3; }
QLabel#chip { border-radius: 10px; padding: 2px 10px; }
QPushButton, QComboBox, QLineEdit, QDoubleSpinBox {
  background: #23262e; border: 1px solid #3a3f4b; border-radius: 6px; padding: 5px 10px;
}
QPushButton:hover, QComboBox:hover { border-color: #6b7280; }
QPushButton:focus, QComboBox:focus, QLineEdit:focus { border-color: #818cf8; }
QPushButton:disabled, QComboBox:disabled, QLineEdit:disabled, QDoubleSpinBox:disabled {
  color: #6b7080; background: #1b1d23;
}
QPushButton#switch { padding: 7px 16px; font-weight: bold; text-align: left; }
QPushButton#switch:checked { background: #15803d; border-color: #22c55e; color: white; }
QPushButton#switch[record="true"]:checked {
  background: #b91c1c; border-color: #f87171; color: white;
}
QGroupBox { border: 1px solid #2f333d; border-radius: 8px; margin-top: 14px; padding-top: 6px; }
QGroupBox::title { subcontrol-origin: margin; left: 10px; padding: 0 4px; color: #a5b4fc; }
QComboBox QAbstractItemView { background: #23262e; selection-background-color: #3730a3; }
QToolTip { background: #23262e; color: #e6e8ee; border: 1px solid #3a3f4b; }
"""


def enable_hidpi() -> None:
    """Scale by the screen's exact factor (Qt 6 scales by default; this keeps 1.25x sharp).

    Must run before the QApplication exists; later calls are ignored by Qt.
    """
    if QtWidgets.QApplication.instance() is None:
        os.environ.setdefault("QT_ENABLE_HIGHDPI_SCALING", "1")
        QtGui.QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
            QtCore.Qt.HighDpiScaleFactorRoundingPolicy.PassThrough
        )


def apply_theme(widget: QtWidgets.QWidget) -> None:
    """The dark style sheet on ``widget`` (and its children, dialogs it parents)."""
    widget.setStyleSheet(STYLE)


def chip_style(state: str) -> str:
    bg, fg = CHIP_COLORS.get(state, CHIP_COLORS["off"])
    return f"QLabel#chip {{ background: {bg}; color: {fg}; }}"
