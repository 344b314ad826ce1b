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

#: Only the app's own pieces are styled here; the controls get Fusion and a dark palette,
#: which keep their native arrows, focus rings and disabled looks.
STYLE = """
QLabel#note { color: #c7d2fe; background: #1e2240; padding: 4px 8px; border-radius: 4px; }
QLabel#error { background: #7f1d1d; color: white; padding: 6px; border-radius: 4px; }
QLabel#reason { color: #fca5a5; font-weight: bold; }
QLabel#lock { color: #fcd34d; }
QLabel#detail { color: #a1a6b3; }
QLabel#chip { border-radius: 10px; padding: 2px 10px; }
QPushButton#switch { padding: 7px 16px; font-weight: bold; }
QPushButton#switch:checked { background: #15803d; color: white; }
QPushButton#switch[record="true"]:checked { background: #b91c1c; color: white; }
"""

_PALETTE = {
    "Window": "#16181d",
    "WindowText": "#e6e8ee",
    "Base": "#1f2228",
    "AlternateBase": "#23262e",
    "ToolTipBase": "#23262e",
    "ToolTipText": "#e6e8ee",
    "PlaceholderText": "#80869a",
    "Text": "#e6e8ee",
    "Button": "#262a33",
    "ButtonText": "#e6e8ee",
    "BrightText": "#ffffff",
    "Highlight": "#4f46e5",
    "HighlightedText": "#ffffff",
    "Link": "#a5b4fc",
}


def enable_hidpi() -> None:
    """Scale by the screen's exact factor (Qt 6 scales by default; this keeps 1.25x sharp).

    Must run before the QApplication exists; later calls are ignored by Qt.
    """
    if QtWidgets.QApplication.instance() is None:
        os.environ.setdefault("QT_ENABLE_HIGHDPI_SCALING", "1")
        QtGui.QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
            QtCore.Qt.HighDpiScaleFactorRoundingPolicy.PassThrough
        )


def dark_palette() -> QtGui.QPalette:
    palette = QtGui.QPalette()
    role = QtGui.QPalette.ColorRole
    for name, color in _PALETTE.items():
        palette.setColor(getattr(role, name), QtGui.QColor(color))
    disabled = QtGui.QPalette.ColorGroup.Disabled
    for name in ("Text", "ButtonText", "WindowText"):
        palette.setColor(disabled, getattr(role, name), QtGui.QColor("#6b7080"))
    return palette


def apply_theme(widget: QtWidgets.QWidget) -> None:
    """Fusion with a dark palette for the application, and the app's own style sheet.

    The style and palette are the application's (Qt gives a widget's style to none of
    its children), so every window and dialog of the app looks the same.
    """
    app = QtWidgets.QApplication.instance()
    if isinstance(app, QtWidgets.QApplication) and app.property("overlayTheme") is None:
        app.setStyle("Fusion")
        app.setPalette(dark_palette())
        app.setProperty("overlayTheme", True)
    widget.setStyleSheet(STYLE)


def chip_style(state: str) -> str:
    bg, fg = CHIP_COLORS.get(state, CHIP_COLORS["off"])
    return f"QLabel#chip {{ background: {bg}; color: {fg}; }}"
