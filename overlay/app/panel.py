"""The preview panel: the preview (and self-view), the disclosure line, the error strip."""

from __future__ import annotations

import numpy as np

from overlay.app import wording
from overlay.app.qt import QtCore, QtWidgets
from overlay.app.view import PreviewView
from overlay.config import BannerConfig
from overlay.frames import BGRImage
from overlay.slate import render_slate

__all__ = ["PreviewPanel", "confirm"]


class PreviewPanel(QtWidgets.QWidget):
    """What is sent, what it discloses, and what went wrong.

    Args:
        retry: add a "Try again" button to the error strip (not in kiosk mode).
    """

    def __init__(self, parent: QtWidgets.QWidget | None = None, *, retry: bool = True) -> None:
        super().__init__(parent)
        self.preview = PreviewView()
        self.preview.placeholder = "Starting the picture…"
        self.self_view = PreviewView(mirrored=True)
        self.self_view_panel = QtWidgets.QWidget()
        sv = QtWidgets.QVBoxLayout(self.self_view_panel)
        sv.setContentsMargins(0, 0, 0, 0)
        sv_note = QtWidgets.QLabel("Self-view: mirrored, only on this screen")
        sv_note.setObjectName("detail")
        sv.addWidget(sv_note)
        sv.addWidget(self.self_view, 1)
        self.self_view_panel.setMaximumWidth(360)
        self.note = QtWidgets.QLabel("")
        self.note.setObjectName("note")
        self.note.setWordWrap(True)
        self.note.setAccessibleName("What is disclosed, and where")
        self.error_label = QtWidgets.QLabel("")
        self.error_label.setObjectName("error")
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(
            QtCore.Qt.TextInteractionFlag.TextSelectableByMouse
        )
        self.error_label.setAccessibleName("Problem")
        self.error_label.hide()
        self.retry_button: QtWidgets.QPushButton | None = None
        if retry:
            self.retry_button = QtWidgets.QPushButton("Try again")
            self.retry_button.setAccessibleName("Start the picture again")
            self.retry_button.hide()

        col = QtWidgets.QVBoxLayout(self)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(6)
        pictures = QtWidgets.QHBoxLayout()
        pictures.addWidget(self.preview, 1)
        pictures.addWidget(self.self_view_panel)
        col.addLayout(pictures, 1)
        col.addWidget(self.note)
        error_row = QtWidgets.QHBoxLayout()
        error_row.addWidget(self.error_label, 1)
        if self.retry_button is not None:
            error_row.addWidget(self.retry_button)
        col.addLayout(error_row)

    def set_buffer(self, frame: BGRImage | None) -> None:
        self.preview.set_buffer(frame)
        self.self_view.set_buffer(frame)

    def frame_arrived(self) -> None:
        self.preview.update()
        if self.self_view_panel.isVisible():
            self.self_view.update()

    def set_note(self, banner: BannerConfig, *, recording: bool) -> None:
        self.note.setText(wording.disclosure_line(banner, recording=recording))

    def show_error(self, text: str, *, retry: bool) -> None:
        """Show ``text`` ("" hides the strip); ``retry``: offer "Try again"."""
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))
        if self.retry_button is not None:
            self.retry_button.setVisible(bool(text) and retry)

    def show_slate(self, frame: BGRImage, banner: BannerConfig) -> None:
        """Paint the labelled slate into ``frame``: the picture stopped, and says so."""
        h, w = frame.shape[:2]
        np.copyto(frame, render_slate((w, h), banner, with_banner=True))
        self.preview.update()


def confirm(parent: QtWidgets.QWidget, title: str, text: str, yes: str) -> QtWidgets.QMessageBox:
    """A non-blocking Yes/No question with No as the default; the caller connects
    ``finished`` and calls ``open()``."""
    box = QtWidgets.QMessageBox(parent)
    box.setIcon(QtWidgets.QMessageBox.Icon.Question)
    box.setWindowTitle(title)
    box.setText(text)
    box.setStandardButtons(
        QtWidgets.QMessageBox.StandardButton.Yes | QtWidgets.QMessageBox.StandardButton.No
    )
    box.button(QtWidgets.QMessageBox.StandardButton.Yes).setText(yes)
    box.setDefaultButton(QtWidgets.QMessageBox.StandardButton.No)
    return box
