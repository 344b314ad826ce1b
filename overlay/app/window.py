"""The main window: the live preview in front, two switches, status chips; kiosk mode.

Layout (top to bottom): the source picker and the Settings button; the preview (most of
the window); the disclosure line (what is disclosed and where; not a control); the
error strip; the Virtual camera and Record switches; the status chips. Everything else is
in :class:`~overlay.app.form.SettingsDialog`. A change restarts the session under the
hood (:class:`~overlay.app.control.SessionControl`). When no virtual camera can be
opened, :class:`~overlay.app.firstrun.FirstRunPage` takes the window's place.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from overlay.app import wording
from overlay.app.control import SessionControl
from overlay.app.firstrun import FirstRunPage
from overlay.app.flow import FlowLayout
from overlay.app.form import SettingsDialog
from overlay.app.qt import QtCore, QtGui, QtWidgets
from overlay.app.settings import AppSettings, Validated, load_settings, save_settings, settings_path
from overlay.app.sources import SourceChoice, choice_for_spec, listed_choices, source_choices
from overlay.app.theme import apply_theme, chip_style
from overlay.app.tray import Tray, app_icon, tray_available
from overlay.app.view import PreviewView
from overlay.app.worker import Readout, SessionInfo
from overlay.config import BannerConfig
from overlay.doctor import Check, listed_as, vcam_checks
from overlay.errors import ConfigError
from overlay.session import Session
from overlay.slate import render_slate

__all__ = ["MainWindow", "PreviewView"]

log = logging.getLogger(__name__)

VCAM_KEY = "Ctrl+Shift+V"
RECORD_KEY = "Ctrl+Shift+R"
SETTINGS_KEY = "Ctrl+,"
CHIPS = ("source", "vcam", "recording", "watermark", "provenance", "fps", "dropped")


class MainWindow(QtWidgets.QMainWindow):
    """The app's window.

    Args:
        kiosk: demo-booth mode: fullscreen preview, no controls, the session restarts
            after a failure, Esc asks before quitting.
        settings: the settings to start from (default: the saved ones).
        settings_file: where settings are saved (default: ``app.json`` in the config dir).
        restart_delay_ms: kiosk mode: pause before restarting a failed session.
        frames: stop each session after this many frames (tests, benchmarks).
        pace: pace to the output rate (False: as fast as possible, for tests).
        autostart: start a session as soon as the window is up (the app always does).
        checks: the virtual-camera checks (default :func:`overlay.doctor.vcam_checks`).
        tray: use a tray icon (None: where the desktop has a tray).
    """

    #: Emitted from the listing thread with a ``SourceListing`` (queued to the GUI thread).
    sourcesListed = QtCore.Signal(object)  # noqa: N815  (Qt signal name)
    #: Emitted when the window really closes (not when it hides in the tray).
    closed = QtCore.Signal()

    def __init__(
        self,
        *,
        kiosk: bool = False,
        settings: AppSettings | None = None,
        settings_file: Path | None = None,
        restart_delay_ms: int = 2000,
        frames: int | None = None,
        pace: bool = True,
        autostart: bool = True,
        checks: Callable[[], list[Check]] | None = None,
        tray: bool | None = None,
    ) -> None:
        super().__init__()
        self.created_at = time.monotonic()
        #: Seconds from construction to the first frame on screen (None before it).
        self.first_frame_after: float | None = None
        self.kiosk = kiosk
        self.settings_file = settings_file or settings_path()
        self.settings = settings or load_settings(self.settings_file)
        self.checks = checks or vcam_checks
        self.control = SessionControl(
            self, frames=frames, pace=pace, restart_delay_ms=restart_delay_ms
        )
        self.control.restart_on_failure = kiosk
        self.last_error = ""
        #: The latest errors shown (newest last), for the record and for tests.
        self.errors: collections.deque[str] = collections.deque(maxlen=20)
        self.confirm_box: QtWidgets.QMessageBox | None = None
        self.kept_in_tray = False
        self.source_problem = ""
        self._record_target = ""
        self._session_started_at = 0.0
        self._quitting = False
        self._closing = False
        self._started_once = False
        self._choices: list[SourceChoice] = []
        self.sources_listed = 0
        self.setWindowTitle("overlay: AI-disclosed video")
        self.setWindowIcon(app_icon())
        apply_theme(self)

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
        self.self_view_panel.setVisible(self.settings.self_view and not kiosk)
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
        self.status = QtWidgets.QLabel("starting…")
        self.status.setObjectName("detail")
        self.chips: dict[str, QtWidgets.QLabel] = {}
        for key in CHIPS:
            chip = QtWidgets.QLabel("")
            chip.setObjectName("chip")
            self.chips[key] = chip

        pictures = QtWidgets.QHBoxLayout()
        pictures.addWidget(self.preview, 1)
        pictures.addWidget(self.self_view_panel)
        error_row = QtWidgets.QHBoxLayout()
        error_row.addWidget(self.error_label, 1)
        # Chips wrap onto a second line in a narrow window instead of widening it.
        self.chip_bar = QtWidgets.QWidget()
        chip_row = FlowLayout(self.chip_bar)
        for key in CHIPS:
            chip_row.addWidget(self.chips[key])
        chip_row.addWidget(self.status)

        main = QtWidgets.QWidget()
        col = QtWidgets.QVBoxLayout(main)
        col.setContentsMargins(10, 8, 10, 8)
        col.setSpacing(6)
        self.controls: QtWidgets.QWidget | None = None
        self.dialog: SettingsDialog | None = None
        self.first_run: FirstRunPage | None = None
        self.tray: Tray | None = None
        if not kiosk:
            self.controls = self._build_top_bar()
            col.addWidget(self.controls)
        col.addLayout(pictures, 1)
        col.addWidget(self.note)
        col.addLayout(error_row)
        if not kiosk:
            col.addWidget(self._build_switches())
        col.addWidget(self.chip_bar)
        self.retry_button: QtWidgets.QPushButton | None = None
        if not kiosk:
            self.retry_button = QtWidgets.QPushButton("Try again")
            self.retry_button.setAccessibleName("Start the picture again")
            self.retry_button.clicked.connect(self.start)
            self.retry_button.hide()
            error_row.addWidget(self.retry_button)
        self.error_label.hide()

        self.pages = QtWidgets.QStackedWidget()
        self.pages.addWidget(main)
        self.main_page = main
        if not kiosk:
            self.first_run = FirstRunPage(self.checks)
            self.first_run.ready.connect(self._on_setup_ready)
            self.first_run.skipped.connect(self._on_setup_skipped)
            self.pages.addWidget(self.first_run)
            self.dialog = SettingsDialog(self)
            apply_theme(self.dialog)
            self.dialog.form.changed.connect(self.check_form)
            self.dialog.applyRequested.connect(self.apply)
            self.dialog.form.self_view_check.toggled.connect(self._on_self_view)
            use_tray = tray_available() if tray is None else tray
            if use_tray:
                self.tray = Tray(self)
                self.tray.showRequested.connect(self._show_from_tray)
                self.tray.vcamToggled.connect(self.vcam_switch.setChecked)
                self.tray.recordToggled.connect(self.record_switch.setChecked)
                self.tray.quitRequested.connect(self.quit)
        self.setCentralWidget(self.pages)

        self.control.started.connect(self._on_started)
        self.control.frameShown.connect(self._on_frame)
        self.control.statsChanged.connect(self._on_stats)
        self.control.errored.connect(self._on_error)
        self.control.ended.connect(self._on_ended)
        self.control.restartDue.connect(self.start)
        self.control.sourceProblem.connect(self._on_source_problem)
        self._clock = QtCore.QTimer(self)
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._tick)
        self._clock.start()

        if not kiosk:
            self._fill(self.settings)
            self.sourcesListed.connect(self._on_sources_listed)
            self.refresh_sources()
        self._update_note(self.settings)
        self._update_chips()
        if kiosk:
            self.showFullScreen()
        else:
            self._size_to_screen()
            self.check_form()
            if not self.settings.setup_done:
                self._first_run_check()
        if autostart or kiosk:
            QtCore.QTimer.singleShot(0, self._autostart)

    # -- layout ----------------------------------------------------------------------
    def _build_top_bar(self) -> QtWidgets.QWidget:
        bar = QtWidgets.QWidget()
        row = QtWidgets.QHBoxLayout(bar)
        row.setContentsMargins(0, 0, 0, 0)
        label = QtWidgets.QLabel("Source")
        self.source_combo = QtWidgets.QComboBox()
        self.source_combo.setAccessibleName("Source")
        self.source_combo.setToolTip("what overlay discloses and sends on (Ctrl+Shift+S)")
        self.source_combo.setSizeAdjustPolicy(
            QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.source_combo.setMinimumContentsLength(28)
        label.setBuddy(self.source_combo)
        focus = QtGui.QShortcut(QtGui.QKeySequence("Ctrl+Shift+S"), self)
        focus.activated.connect(self.source_combo.setFocus)
        self._choices = source_choices()
        self._set_choices(self._choices)
        self.source_combo.currentIndexChanged.connect(self._on_source_index)
        self.source_combo.activated.connect(self._on_source_picked)
        self.refresh_button = QtWidgets.QPushButton("Refresh")
        self.refresh_button.setAccessibleName("List the sources again")
        self.refresh_button.setToolTip("list cameras, screens and windows again")
        self.refresh_button.clicked.connect(self.refresh_sources)
        self.sources_problem = QtWidgets.QLabel("")
        self.sources_problem.setObjectName("detail")
        self.sources_problem.hide()
        self.settings_button = QtWidgets.QPushButton("Settings…")
        self.settings_button.setAccessibleName("Settings")
        self.settings_button.setShortcut(QtGui.QKeySequence(SETTINGS_KEY))
        self.settings_button.setToolTip(
            f"size, frame rate, banner, language, position, recording folder ({SETTINGS_KEY})"
        )
        self.settings_button.clicked.connect(self.open_settings)
        row.addWidget(label)
        row.addWidget(self.source_combo, 1)
        row.addWidget(self.refresh_button)
        row.addWidget(self.sources_problem)
        row.addSpacing(16)
        row.addWidget(self.settings_button)
        return bar

    def _build_switches(self) -> QtWidgets.QWidget:
        box = QtWidgets.QWidget()
        row = QtWidgets.QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        self.vcam_switch = QtWidgets.QPushButton("Virtual camera")
        self.vcam_switch.setObjectName("switch")
        self.vcam_switch.setCheckable(True)
        self.vcam_switch.setAccessibleName("Virtual camera")
        self.vcam_switch.setShortcut(QtGui.QKeySequence(VCAM_KEY))
        self.vcam_switch.setToolTip(
            f"send the disclosed picture to a camera call apps can pick ({VCAM_KEY})"
        )
        self.vcam_detail = QtWidgets.QLabel("")
        self.vcam_detail.setObjectName("detail")
        self.record_switch = QtWidgets.QPushButton("Record")
        self.record_switch.setObjectName("switch")
        self.record_switch.setProperty("record", True)
        self.record_switch.setCheckable(True)
        self.record_switch.setAccessibleName("Record")
        self.record_switch.setShortcut(QtGui.QKeySequence(RECORD_KEY))
        self.record_switch.setToolTip(f"record the disclosed picture to an mp4 ({RECORD_KEY})")
        self.record_detail = QtWidgets.QLabel("")
        self.record_detail.setObjectName("detail")
        self.record_detail.setTextInteractionFlags(
            QtCore.Qt.TextInteractionFlag.TextSelectableByMouse
        )
        _label_switch(self.vcam_switch, False)
        _label_switch(self.record_switch, False)
        self.vcam_switch.toggled.connect(self._on_vcam_switch)
        self.record_switch.toggled.connect(self._on_record_switch)
        row.addWidget(self.vcam_switch)
        row.addWidget(self.vcam_detail, 1)
        row.addSpacing(12)
        row.addWidget(self.record_switch)
        row.addWidget(self.record_detail, 1)
        return box

    def _size_to_screen(self) -> None:
        screen = self.screen() or QtGui.QGuiApplication.primaryScreen()
        avail = screen.availableGeometry() if screen else QtCore.QRect(0, 0, 1366, 768)
        w = min(1400, max(960, round(avail.width() * 0.85)))
        h = min(860, max(600, round(avail.height() * 0.85)))
        self.resize(min(w, avail.width()), min(h, avail.height()))

    # -- the settings <-> the widgets ---------------------------------------------------
    def _set_choices(self, choices: list[SourceChoice]) -> None:
        self.source_combo.blockSignals(True)
        self.source_combo.clear()
        for c in choices:
            self.source_combo.addItem(c.label)
        self.source_combo.blockSignals(False)

    def _fill(self, s: AppSettings) -> None:
        index, arg = choice_for_spec(s.source, self._choices)
        if index < 0:
            index, arg = 0, ""
        self.source_combo.setCurrentIndex(index)
        assert self.dialog is not None
        self.dialog.form.fill(s)
        self.dialog.form.set_source_choice(self._choices[index], arg)
        self._set_switch(self.vcam_switch, s.vcam)
        self._set_switch(self.record_switch, s.record)

    @staticmethod
    def _set_switch(switch: QtWidgets.QPushButton, on: bool) -> None:
        switch.blockSignals(True)
        switch.setChecked(on)
        switch.blockSignals(False)
        _label_switch(switch, on)

    def _current_choice(self) -> SourceChoice | None:
        if self.controls is None:
            return None
        i = self.source_combo.currentIndex()
        return self._choices[i] if 0 <= i < len(self._choices) else None

    def form_settings(self) -> AppSettings:
        """The settings the window shows now (kiosk mode: the loaded ones)."""
        if self.controls is None or self.dialog is None:
            return self.settings
        base = self.settings.with_changes(
            vcam=self.vcam_switch.isChecked(), record=self.record_switch.isChecked()
        )
        return self.dialog.form.to_settings(base)

    def validate(self, settings: AppSettings, session: Session | None = None) -> Validated:
        """``settings.validate`` plus the picker's rule (an argument it needs)."""
        choice = self._current_choice()
        dialog = self.dialog
        if choice and choice.required and dialog and not dialog.form.arg_edit.text().strip():
            raise ConfigError(
                f"the source '{choice.label}' needs {choice.hint or 'a detail'}; "
                "type it in Settings"
            )
        return settings.validate(session, keep_existing=self.kiosk)

    def check_form(self) -> Validated | None:
        """Validate what the window shows; the dialog says why it is refused."""
        if self.dialog is None:
            return None
        try:
            v = self.validate(self.form_settings())
        except ConfigError as exc:
            self.dialog.show_reason(str(exc))
            self.dialog.form.text_height_label.setText("-")
            return None
        self.dialog.show_reason("")
        self.dialog.form.show_text_height(v.text_height_px, v.text_height_fraction)
        return v

    @property
    def reason(self) -> str:
        """The dialog's refusal line ("" when the form is accepted)."""
        return self.dialog.reason_label.text() if self.dialog is not None else ""

    def open_settings(self) -> SettingsDialog | None:
        """Show the settings dialog (non-modal; the preview keeps running)."""
        if self.dialog is None:
            return None
        self.check_form()
        self.dialog.show()
        self.dialog.raise_()
        return self.dialog

    # -- sources -----------------------------------------------------------------------
    def refresh_sources(self) -> None:
        """List cameras, screens and windows on a thread (listing windows can take seconds)."""
        self.refresh_button.setEnabled(False)
        threading.Thread(
            target=self._list_sources, name="overlay-list-sources", daemon=True
        ).start()

    def _list_sources(self) -> None:
        try:
            from overlay.sources.listing import list_sources
        except ImportError:  # no listing module: the picker keeps its own camera list
            listing = None
        else:
            try:
                listing = list_sources()
            except Exception as exc:  # a listing bug must not take the window down
                log.warning("listing the sources failed: %s", exc)
                listing = None
        with contextlib.suppress(RuntimeError):  # the window was closed and deleted meanwhile
            self.sourcesListed.emit(listing)

    def _on_sources_listed(self, listing: object) -> None:
        self.sources_listed += 1
        self.refresh_button.setEnabled(True)
        if listing is None or self.dialog is None:
            return
        spec = self.form_settings().source
        arg = self.dialog.form.arg_edit.text()
        self._choices = source_choices(listed_choices(listing))
        self._set_choices(self._choices)
        index, found_arg = choice_for_spec(spec, self._choices)
        self.source_combo.setCurrentIndex(max(index, 0))
        self.dialog.form.set_source_choice(
            self._choices[max(index, 0)], found_arg if index >= 0 else arg
        )
        problems: dict[str, str] = getattr(listing, "problems", {})
        self.sources_problem.setText("some sources cannot be listed" if problems else "")
        self.sources_problem.setToolTip("\n".join(problems.values()))
        self.sources_problem.setVisible(bool(problems))

    def _on_source_index(self, index: int) -> None:
        if self.dialog is not None:
            self.dialog.form.set_source_choice(self._current_choice(), "")

    def _on_source_picked(self, index: int) -> None:
        """The user picked a source: use it now (asking for its detail first if needed)."""
        choice = self._current_choice()
        if choice is None or self.dialog is None:
            return
        if choice.required:
            if choice.browse:
                path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Video or image file")
                if path:
                    self.dialog.form.arg_edit.setText(path)
            if not self.dialog.form.arg_edit.text().strip():
                self.open_settings()
                self.dialog.form.arg_edit.setFocus()
                return
        self.apply()

    # -- switches ------------------------------------------------------------------------
    def _on_vcam_switch(self, on: bool) -> None:
        _label_switch(self.vcam_switch, on)
        self.apply()

    def _on_record_switch(self, on: bool) -> None:
        _label_switch(self.record_switch, on)
        self.apply()

    def _on_self_view(self, on: bool) -> None:
        self.self_view_panel.setVisible(on)

    # -- sessions ----------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.control.running

    @property
    def info(self) -> SessionInfo | None:
        return self.control.info

    @property
    def last_readout(self) -> Readout | None:
        return self.control.last_readout

    @property
    def frames_shown(self) -> int:
        return self.control.frames_shown

    @property
    def restarts(self) -> int:
        return self.control.restarts

    def _autostart(self) -> None:
        if not self._started_once and not self.running and not self._closing:
            self.start()

    def start(self) -> bool:
        """Start (or restart) a session with what the window shows; False if refused."""
        self._started_once = True
        settings = self.form_settings()
        try:
            probe = self.validate(settings)
            session = Session(probe.output.size, probe.output.fps)
            v = self.validate(settings, session)
        except ConfigError as exc:
            self._refused(str(exc))
            return False
        self.settings = settings
        self._save()
        if not self.kiosk:
            # Kiosk mode keeps the failure on screen until the restarted source sends frames.
            self.show_error("")
        self.source_problem = ""
        self._record_target = next(
            (k.removeprefix("file:") for k in v.run.sinks if k.startswith("file:")), ""
        )
        self.control.start(v.run, session)
        self.preview.set_buffer(self.control.frame)
        self.self_view.set_buffer(self.control.frame)
        self.status.setText(f"starting session {session.id}…")
        self._update_note(settings)
        self._update_chips()
        return True

    def apply(self) -> bool:
        """Use what the window shows now: refused (reason shown, session untouched) or
        the session restarts with it."""
        try:
            self.validate(self.form_settings())
        except ConfigError as exc:
            self._refused(str(exc))
            return False
        return self.start()

    def stop(self, wait: bool = True) -> None:
        """End the session (the recording is finished)."""
        self.control.stop(wait)

    def _refused(self, reason: str) -> None:
        if self.dialog is not None:
            self.dialog.show_reason(reason)
        if self.dialog is None or not self.dialog.isVisible():
            self.show_error(f"Refused: {reason}")
        if self.controls is not None:
            # A switch that was refused goes back to what is running.
            self._set_switch(self.vcam_switch, self.settings.vcam)
            self._set_switch(self.record_switch, self.settings.record)
            self._update_chips()

    def show_error(self, text: str) -> None:
        """Show ``text`` in the window's error strip ("" hides it)."""
        self.last_error = text
        if text:
            self.errors.append(text)
            log.warning("%s", text)
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))
        if self.retry_button is not None:
            self.retry_button.setVisible(bool(text) and not self.running)

    def _on_started(self, info: SessionInfo) -> None:
        self._session_started_at = time.monotonic()
        sending = wording_sinks(info.sinks)
        log.info("session %s: %s -> %s", info.session_id, info.source, sending)
        self.status.setText(
            f"session {info.session_id} · {info.source} · label text "
            f"{info.text_height_fraction:.1%} of the shortest side"
        )
        if self.dialog is not None:
            self.dialog.form.show_text_height(info.text_height_px, info.text_height_fraction)
            self.dialog.applied_label.setText(f"running: session {info.session_id}")
        self._update_chips()

    def _on_frame(self) -> None:
        if self.first_frame_after is None:
            self.first_frame_after = time.monotonic() - self.created_at
            log.info("first frame on screen %.2f s after the window opened", self.first_frame_after)
        if self.control.session_frames == 1:
            if self.kiosk and self.last_error:
                self.show_error("")
            self._update_chips()
        if self.control.slate != (self.chips["source"].property("slate") is True):
            self.chips["source"].setProperty("slate", self.control.slate)
            self._update_chips()
        self.preview.update()
        if self.self_view_panel.isVisible():
            self.self_view.update()

    def _on_stats(self, r: Readout) -> None:
        if self.dialog is not None and r.granted_size:
            self.dialog.form.granted_label.setText(f"{r.granted_size[0]}x{r.granted_size[1]}")
        self._update_chips()

    def _on_error(self, message: str) -> None:
        vcam_failed = (
            self.settings.vcam
            and self.control.info is None
            and "virtual camera" in message
            and self.first_run is not None
        )
        if self.kiosk and not self._closing:
            message += f"\nrestarting in {self.control.restart_delay_ms / 1000:g} s"
        self.source_problem = message if self.control.info is not None else ""
        self.show_error(message)
        if vcam_failed:
            QtCore.QTimer.singleShot(0, lambda: self._vcam_failed(message))

    def _on_source_problem(self, problem: str) -> None:
        self.source_problem = problem
        self._update_chips()

    def _on_ended(self, requested: bool) -> None:
        info = self.control.info
        self.status.setText(
            f"session {info.session_id if info else '-'} ended"
            + ("" if requested else " (the source ended or failed)")
        )
        if not requested and info is not None and self.control.frame is not None:
            # The picture stopped: show the slate others saw last, not a frozen frame.
            self._show_slate(self.settings)
        if self.retry_button is not None:
            self.retry_button.setVisible(bool(self.last_error) and not self.running)
        self._update_chips()

    def _show_slate(self, settings: AppSettings) -> None:
        frame = self.control.frame
        if frame is None:
            return
        try:
            banner = settings.banner()
        except ConfigError:
            banner = BannerConfig()
        h, w = frame.shape[:2]
        np.copyto(frame, render_slate((w, h), banner, with_banner=True))
        self.control.slate = True
        self.preview.update()

    # -- the first-run page -------------------------------------------------------------
    def _first_run_check(self) -> None:
        if self.first_run is not None and not self.first_run.check():
            self.pages.setCurrentWidget(self.first_run)

    def _vcam_failed(self, message: str) -> None:
        """The virtual camera did not open: the set-up page, and the preview goes on."""
        assert self.first_run is not None
        self.first_run.show_problem(message)
        self.first_run.check()
        self.pages.setCurrentWidget(self.first_run)
        self._set_switch(self.vcam_switch, False)
        if not self._closing:
            self.start()

    def _on_setup_ready(self) -> None:
        self._leave_setup()

    def _on_setup_skipped(self) -> None:
        self._leave_setup()

    def _leave_setup(self) -> None:
        if self.first_run is not None:
            self.first_run.show_problem("")
        self.pages.setCurrentWidget(self.main_page)
        if not self.settings.setup_done:
            self.settings = self.settings.with_changes(setup_done=True)
            self._save()

    # -- the readouts ------------------------------------------------------------------
    def _update_note(self, settings: AppSettings) -> None:
        try:
            banner = settings.banner()
        except ConfigError:
            banner = BannerConfig()
        self.note.setText(wording.disclosure_line(banner, recording=settings.record))

    def _set_chip(self, key: str, chip: wording.Chip) -> None:
        label = self.chips[key]
        label.setText(chip.text)
        label.setToolTip(chip.tip)
        label.setAccessibleName(chip.text)
        label.setStyleSheet(chip_style(chip.state))

    def _update_chips(self) -> None:
        info, r = self.control.info, self.control.last_readout
        running = self.control.running
        s = self.settings
        vcam_on = bool(info and any(k.startswith("vcam") for k in info.sinks)) and running
        device = (
            next((k.split(" ", 1)[1] for k in info.sinks if k.startswith("vcam ")), "")
            if (info)
            else ""
        )
        name = listed_as(device or s.device or None, s.backend or None)
        rec_on = bool(info and any(k.startswith("file") for k in info.sinks)) and running
        seconds = time.monotonic() - self._session_started_at if rec_on else 0.0
        if not running and self.last_error:
            self._set_chip("source", wording.source_chip(self.last_error, paused=False))
        else:
            paused = running and self.control.slate
            self._set_chip("source", wording.source_chip(self.source_problem, paused=paused))
        self._set_chip("vcam", wording.vcam_chip(vcam_on, name))
        self._set_chip("recording", wording.recording_chip(rec_on, seconds))
        self._set_chip("watermark", wording.watermark_chip(info.watermark if info else ""))
        self._set_chip(
            "provenance",
            wording.provenance_chip(info.provenance if info else "")
            if info
            else wording.Chip("Signed record: waiting", "off"),
        )
        fps = r.stats.fps if (r and running) else 0.0
        self._set_chip("fps", wording.fps_chip(fps, s.fps))
        self._set_chip(
            "dropped", wording.dropped_chip(r.stats.dropped if r else 0, r.stats.slates if r else 0)
        )
        if self.controls is not None:
            if vcam_on:
                where = f"“{name}”" if name else "the virtual camera"
                self.vcam_detail.setText(f"On: call apps list it as {where}")
            elif name:
                self.vcam_detail.setText(f"Call apps will list it as “{name}”")
            else:
                self.vcam_detail.setText("Off: call apps do not see this picture")
            if rec_on and self._record_target:
                self.record_detail.setText(
                    f"{wording.elapsed(seconds)} → {wording.short_path(self._record_target)}"
                )
            else:
                folder = s.record_path or str(_default_folder())
                self.record_detail.setText(f"Off; records to {wording.short_path(folder)}")
        if self.tray is not None:
            state = "virtual camera on" if vcam_on else "virtual camera off"
            if rec_on:
                state += ", recording"
            self.tray.update(vcam=vcam_on, record=rec_on, state=state)

    def _tick(self) -> None:
        if self.control.running and self.settings.record:
            self._update_chips()

    # -- settings, keys, closing ------------------------------------------------------
    def _save(self) -> None:
        try:
            save_settings(self.settings, self.settings_file)
        except OSError as exc:
            log.warning("could not save the settings to %s: %s", self.settings_file, exc)

    def _confirm(self, title: str, text: str, yes: str) -> QtWidgets.QMessageBox:
        box = QtWidgets.QMessageBox(self)
        box.setIcon(QtWidgets.QMessageBox.Icon.Question)
        box.setWindowTitle(title)
        box.setText(text)
        box.setStandardButtons(
            QtWidgets.QMessageBox.StandardButton.Yes | QtWidgets.QMessageBox.StandardButton.No
        )
        box.button(QtWidgets.QMessageBox.StandardButton.Yes).setText(yes)
        box.setDefaultButton(QtWidgets.QMessageBox.StandardButton.No)
        box.finished.connect(self._on_confirm)
        self.confirm_box = box
        box.open()
        return box

    def ask_quit(self) -> QtWidgets.QMessageBox:
        """Ask before quitting (non-blocking; Yes closes the window)."""
        if self.kiosk:
            return self._confirm("Quit overlay?", "Stop the disclosed stream and quit?", "Quit")
        return self._confirm(
            "Stop the virtual camera?",
            "The virtual camera is on: call apps showing it will lose the picture. "
            "Stop it and quit?",
            "Stop and quit",
        )

    def _on_confirm(self, result: int) -> None:
        box, self.confirm_box = self.confirm_box, None
        if box is not None and box.clickedButton() is box.button(
            QtWidgets.QMessageBox.StandardButton.Yes
        ):
            self.quit()

    def quit(self) -> None:
        """Close for good (also from the tray), without asking."""
        self._quitting = True
        self.close()

    def _show_from_tray(self) -> None:
        self.kept_in_tray = False
        self.showNormal()
        self.raise_()
        self.activateWindow()

    def keyPressEvent(self, event: QtGui.QKeyEvent) -> None:  # noqa: N802
        if event.key() == QtCore.Qt.Key.Key_Escape and self.kiosk:
            if self.confirm_box is None:
                self.ask_quit()
            return
        super().keyPressEvent(event)

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:  # noqa: N802
        vcam_on = self.running and self.settings.vcam
        if vcam_on and not self._quitting and not self.kiosk:
            event.ignore()
            if self.tray is not None:
                # Keep streaming: a call may be using the camera. Say so once per hide.
                self.kept_in_tray = True
                self.hide()
                self.tray.message("The virtual camera stays on. Quit from the tray icon's menu.")
            elif self.confirm_box is None:
                self.ask_quit()
            return
        self._closing = True
        self.control.closing = True
        self.stop()
        if self.controls is not None:
            self.settings = self.form_settings()
        self._save()
        if self.dialog is not None:
            self.dialog.close()
        if self.tray is not None:
            self.tray.hide()
        self.closed.emit()
        super().closeEvent(event)


def _label_switch(switch: QtWidgets.QPushButton, on: bool) -> None:
    name = switch.accessibleName()
    switch.setText(f"● {name}: on" if on else f"○ {name}: off")


def wording_sinks(sinks: tuple[str, ...]) -> str:
    return ", ".join(sinks) or "nowhere (preview only)"


def _default_folder() -> Path:
    from overlay.app.settings import default_recording_folder

    return default_recording_folder()
