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
import logging
import time
from collections.abc import Callable
from pathlib import Path

from overlay.app.control import SessionControl
from overlay.app.firstrun import FirstRunPage
from overlay.app.form import SettingsDialog
from overlay.app.front import ChipBar, Readouts, SourceBar, SwitchBar
from overlay.app.panel import PreviewPanel, confirm
from overlay.app.qt import QtCore, QtGui, QtWidgets
from overlay.app.settings import (
    AppSettings,
    Validated,
    default_recording_folder,
    load_settings,
    save_settings,
    settings_path,
)
from overlay.app.sources import PickerEntry
from overlay.app.theme import apply_theme
from overlay.app.tray import Tray, app_icon, tray_available
from overlay.app.view import PreviewView
from overlay.app.worker import Readout, SessionInfo
from overlay.config import BannerConfig
from overlay.doctor import Check, listed_as, vcam_checks
from overlay.errors import ConfigError
from overlay.operator_policy import OperatorPolicy
from overlay.session import Session
from overlay.sources.listing import SourceListing

__all__ = ["MainWindow", "PreviewView"]

log = logging.getLogger(__name__)

VCAM_KEY = "Ctrl+Shift+V"
RECORD_KEY = "Ctrl+Shift+R"
SETTINGS_KEY = "Ctrl+,"
CHIPS = ("source", "vcam", "recording", "watermark", "provenance", "fps", "dropped")


#: The policy's field names in words (the top bar's tooltip).
LOCK_WORDS = {
    "size": "output size",
    "text_height": "label height",
    "position": "banner position",
    "lang": "banner language",
    "text": "banner text",
    "preset": "banner preset",
    "record": "recording",
    "source": "sources",
}


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
        policy: an operator policy: settings move inside it, controls it fixes are
            locked with the reason, and a policy with ``kiosk = true`` means kiosk mode.
    """

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
        policy: OperatorPolicy | None = None,
    ) -> None:
        super().__init__()
        self.created_at = time.monotonic()
        #: Seconds from construction to the first frame on screen (None before it).
        self.first_frame_after: float | None = None
        self.policy = policy
        self.kiosk = kiosk = kiosk or bool(policy and policy.kiosk)
        self.settings_file = settings_file or settings_path()
        self.settings = settings or load_settings(self.settings_file)
        #: What the policy changed in the settings it was given (one line each).
        self.policy_notes: list[str] = []
        if policy is not None:
            self.settings, self.policy_notes = self.settings.within(policy)
            for note in self.policy_notes:
                log.warning("operator policy %s: %s", policy.path, note)
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
        self.setWindowTitle("overlay: AI-disclosed video")
        self.setWindowIcon(app_icon())
        apply_theme(self)

        self.panel = PreviewPanel(retry=not kiosk)
        self.preview, self.self_view = self.panel.preview, self.panel.self_view
        self.self_view_panel = self.panel.self_view_panel
        self.self_view_panel.setVisible(self.settings.self_view and not kiosk)
        self.note, self.error_label = self.panel.note, self.panel.error_label
        self.retry_button = self.panel.retry_button
        if self.retry_button is not None:
            self.retry_button.clicked.connect(self.start)
        self.chip_bar = ChipBar()
        self.chips = self.chip_bar.chips
        self.status = self.chip_bar.status

        self.source_bar: SourceBar | None = None
        self.switch_bar: SwitchBar | None = None
        self.dialog: SettingsDialog | None = None
        self.first_run: FirstRunPage | None = None
        self.tray: Tray | None = None
        if not kiosk:
            self._build_controls(tray)
        #: The controls in front (None in kiosk mode).
        self.controls: QtWidgets.QWidget | None = self.source_bar

        main = QtWidgets.QWidget()
        col = QtWidgets.QVBoxLayout(main)
        col.setContentsMargins(10, 8, 10, 8)
        col.setSpacing(6)
        if self.source_bar is not None:
            col.addWidget(self.source_bar)
        col.addWidget(self.panel, 1)
        if self.switch_bar is not None:
            col.addWidget(self.switch_bar)
        col.addWidget(self.chip_bar)
        self.main_page = main
        self.pages = QtWidgets.QStackedWidget()
        self.pages.addWidget(main)
        if self.first_run is not None:
            self.pages.addWidget(self.first_run)
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

        self._listed_once = False
        if not kiosk:
            self._fill(self.settings)
            # Listing imports the screen and window modules (most of a second): after the
            # first frame, so it does not slow the first session down, or after 3 s.
            QtCore.QTimer.singleShot(3000, self._list_once)
        self._update_note(self.settings)
        self._update_chips()
        if kiosk:
            screen = self.screen() or QtGui.QGuiApplication.primaryScreen()
            if screen is not None:  # without a window manager, fullscreen is a geometry
                self.setGeometry(screen.geometry())
            self.showFullScreen()
        else:
            self._size_to_screen()
            self.check_form()
            if not self.settings.setup_done:
                self._first_run_check()
        if autostart or kiosk:
            self._autostart()  # now: the session opens while the window shows itself

    # -- layout ----------------------------------------------------------------------
    def _build_controls(self, tray: bool | None) -> None:
        policy = self.policy
        locks = policy.locks() if policy is not None else {}
        bar = self.source_bar = SourceBar(
            allows=_picker_rule(policy) if policy is not None else None,
            lock=f"{policy.by}: " + "; ".join(f"{LOCK_WORDS[k]} {v}" for k, v in locks.items())
            if policy is not None
            else "",
        )
        self.source_combo = bar.combo
        self.refresh_button = bar.refresh_button
        self.sources_problem = bar.problem
        self.settings_button = bar.settings_button
        bar.settings_button.clicked.connect(self.open_settings)
        bar.combo.currentIndexChanged.connect(self._on_source_index)
        bar.picked.connect(self._on_source_picked)
        bar.listed.connect(self._on_sources_listed)
        switches = self.switch_bar = SwitchBar()
        self.vcam_switch, self.record_switch = switches.vcam, switches.record
        self.vcam_detail, self.record_detail = switches.vcam_detail, switches.record_detail
        self.vcam_switch.toggled.connect(self._on_switch)
        self.record_switch.toggled.connect(self._on_switch)
        self.first_run = FirstRunPage(self.checks)
        self.first_run.ready.connect(self._leave_setup)
        self.first_run.skipped.connect(self._leave_setup)
        self.dialog = SettingsDialog(self)
        self.dialog.form.set_locks(locks, policy.by if policy else "")
        if policy is not None and "record" in locks:
            self.record_switch.setEnabled(False)
            self.record_switch.setToolTip(f"locked on: {locks['record']} ({policy.by})")
        apply_theme(self.dialog)
        self.dialog.form.changed.connect(self.check_form)
        self.dialog.applyRequested.connect(self.apply)
        self.dialog.form.self_view_check.toggled.connect(self.self_view_panel.setVisible)
        if tray_available() if tray is None else tray:
            self.tray = Tray(self)
            self.tray.showRequested.connect(self._show_from_tray)
            self.tray.vcamToggled.connect(self.vcam_switch.setChecked)
            self.tray.recordToggled.connect(self.record_switch.setChecked)
            self.tray.quitRequested.connect(self.quit)

    def _size_to_screen(self) -> None:
        screen = self.screen() or QtGui.QGuiApplication.primaryScreen()
        avail = screen.availableGeometry() if screen else QtCore.QRect(0, 0, 1366, 768)
        w = min(1400, max(960, round(avail.width() * 0.85)))
        h = min(860, max(600, round(avail.height() * 0.85)))
        self.resize(min(w, avail.width()), min(h, avail.height()))

    # -- the settings <-> the widgets ---------------------------------------------------
    def _fill(self, s: AppSettings) -> None:
        assert self.dialog is not None and self.source_bar is not None
        found = self.source_bar.select(s.source) or self.source_bar.select("")
        self.dialog.form.fill(s)
        if found:
            self.dialog.form.set_source_choice(*found)
        SwitchBar.set(self.vcam_switch, s.vcam)
        SwitchBar.set(self.record_switch, s.record)

    def _current_choice(self) -> PickerEntry | None:
        return self.source_bar.current() if self.source_bar is not None else None

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
        return settings.validate(session, keep_existing=self.kiosk, policy=self.policy)

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
        if not self.dialog.isVisible():
            self.dialog.adjustSize()  # the lock and refusal lines change its height
        self.dialog.show()
        self.dialog.raise_()
        return self.dialog

    # -- sources -----------------------------------------------------------------------
    def _list_once(self) -> None:
        if not self._listed_once and not self._closing:
            self._listed_once = True
            self.refresh_sources()

    def refresh_sources(self) -> None:
        """List cameras, screens and windows again (on a thread)."""
        if self.source_bar is not None:
            self.source_bar.refresh()

    @property
    def sources_listed(self) -> int:
        return self.source_bar.listed_count if self.source_bar is not None else 0

    def _on_sources_listed(self, listing: SourceListing | None) -> None:
        if self.source_bar is None or self.dialog is None:
            return
        spec = self.form_settings().source
        arg = self.dialog.form.arg_edit.text()
        if not self.source_bar.take_listing(listing):
            return
        found = self.source_bar.select(spec)
        if found is None:  # what was picked is gone: back to automatic, keeping the text
            self.source_bar.combo.setCurrentIndex(0)
            found = (self.source_bar.choices[0], arg)
        self.dialog.form.set_source_choice(*found)

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
    def _on_switch(self, on: bool) -> None:
        self.apply()

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
        self.panel.set_buffer(self.control.frame)
        self.status.setText(f"starting session {session.id}…")
        self._update_note(settings)
        self._update_chips()
        return True

    def apply(self) -> bool:
        """Use what the window shows now: refused (reason shown, session untouched), the
        same as what runs (nothing to do), or the session restarts with it."""
        settings = self.form_settings()
        try:
            self.validate(settings)
        except ConfigError as exc:
            self._refused(str(exc))
            return False
        if self.running and settings == self.settings:
            return True  # no restart (and no new session id) for an unchanged form
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
            SwitchBar.set(self.vcam_switch, self.settings.vcam)
            SwitchBar.set(self.record_switch, self.settings.record)
            self._update_chips()

    def show_error(self, text: str) -> None:
        """Show ``text`` in the window's error strip ("" hides it)."""
        self.last_error = text
        if text:
            self.errors.append(text)
            log.warning("%s", text)
        self.panel.show_error(text, retry=not self.running)

    def _on_started(self, info: SessionInfo) -> None:
        self._session_started_at = time.monotonic()
        sending = ", ".join(info.sinks) or "nowhere (preview only)"
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
            if self.source_bar is not None:
                self._list_once()
        if self.control.session_frames == 1:
            if self.kiosk and self.last_error:
                self.show_error("")
            self._update_chips()
        if self.control.slate != (self.chips["source"].property("slate") is True):
            self.chips["source"].setProperty("slate", self.control.slate)
            self._update_chips()
        self.panel.frame_arrived()

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
        if self.control.frame is not None:
            self.panel.show_slate(self.control.frame, _banner_of(settings))
            self.control.slate = True

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
        SwitchBar.set(self.vcam_switch, False)
        if not self._closing:
            self.start()

    def _leave_setup(self) -> None:
        if self.first_run is not None:
            self.first_run.show_problem("")
        self.pages.setCurrentWidget(self.main_page)
        if not self.settings.setup_done:
            self.settings = self.settings.with_changes(setup_done=True)
            self._save()

    # -- the readouts ------------------------------------------------------------------
    def _update_note(self, settings: AppSettings) -> None:
        self.panel.set_note(_banner_of(settings), recording=settings.record)

    def _update_chips(self) -> None:
        info, r, s = self.control.info, self.control.last_readout, self.settings
        device = info.vcam_device if info else ""
        rec_seconds = time.monotonic() - self._session_started_at if info else 0.0
        out = Readouts.of(
            info=info,
            running=self.control.running,
            slate=self.control.slate,
            source_problem=self.source_problem,
            error=self.last_error,
            watermark=info.watermark if info else "",
            provenance=info.provenance if info else None,
            fps=r.stats.fps if r else 0.0,
            target_fps=s.fps,
            dropped=r.stats.dropped if r else 0,
            slates=r.stats.slates if r else 0,
            listed_as=listed_as(device or s.device or None, s.backend or None),
            record_seconds=rec_seconds,
            record_target=self._record_target,
            record_folder=s.record_path or str(default_recording_folder()),
            record_wanted=s.record,
            started=info is not None,
        )
        for key, chip in out.chips.items():
            self.chip_bar.set(key, chip)
        if self.switch_bar is not None:
            self.switch_bar.vcam_detail.setText(out.vcam_detail)
            self.switch_bar.record_detail.setText(out.record_detail)
            self.switch_bar.record_detail.setToolTip(self._record_target)
        if self.tray is not None:
            self.tray.update(vcam=out.vcam_on, record=out.rec_on, state=out.tray_state)

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
        box = self.confirm_box = confirm(self, title, text, yes)
        box.finished.connect(self._on_confirm)
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


def _picker_rule(policy: OperatorPolicy) -> Callable[[PickerEntry], bool]:
    """Which picker entries a policy allows (an entry with a detail: by its kind)."""

    def allows(choice: PickerEntry) -> bool:
        if choice.fixed_arg is None and choice.takes_arg:
            return policy.allows_kind(choice.name)
        return policy.allows_source(choice.spec())

    return allows


def _banner_of(settings: AppSettings) -> BannerConfig:
    """The settings' banner; the default one while the form holds a refused banner."""
    try:
        return settings.banner()
    except ConfigError:
        return BannerConfig()
