"""The main window: the disclosed preview, the form, the readouts; kiosk mode."""

from __future__ import annotations

import collections
import contextlib
import logging
import threading
from pathlib import Path

import numpy as np

from overlay.app.qt import QtCore, QtGui, QtWidgets
from overlay.app.settings import (
    CUSTOM,
    AppSettings,
    Validated,
    load_settings,
    save_settings,
    settings_path,
)
from overlay.app.sources import SourceChoice, choice_for_spec, listed_choices, source_choices
from overlay.app.worker import Readout, SessionInfo, SessionWorker
from overlay.config import LANGUAGES, MIN_TEXT_HEIGHT, POSITIONS, PRESETS
from overlay.errors import ConfigError
from overlay.frames import BGRImage
from overlay.session import Session

__all__ = ["MainWindow", "PreviewView"]

log = logging.getLogger(__name__)

OUTPUT_NOTE = "This is what others see: exactly the frames being sent, banner and mark included."
SELF_VIEW_NOTE = "Self-view (mirrored, only on this screen; the output is never mirrored)"
PRESET_LABELS = {"eu": "EU (English, top-right)", "gb45438": "GB 45438 (Chinese, top-left)"}
DECLARE_LABELS = {
    "face-swap": "face-swap output (needs a likeness with consent)",
    "avatar": "an avatar",
    "generated": "generated (no real person's likeness)",
}
SIZES = ("1920x1080", "1280x720", "960x540", "640x360")


class PreviewView(QtWidgets.QWidget):
    """Paints a BGR frame buffer scaled to fit (letterboxed), optionally mirrored.

    The QImage wraps the buffer without copying; the window copies each new frame into
    that buffer and calls ``update()``.
    """

    def __init__(self, parent: QtWidgets.QWidget | None = None, *, mirrored: bool = False) -> None:
        super().__init__(parent)
        self.mirrored = mirrored
        self._buffer: BGRImage | None = None
        self._image: QtGui.QImage | None = None
        self.paints = 0
        self.setMinimumSize(160, 90)
        self.setSizePolicy(
            QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Expanding
        )

    def set_buffer(self, buffer: BGRImage | None) -> None:
        self._buffer = buffer
        if buffer is None:
            self._image = None
        else:
            h, w = buffer.shape[:2]
            self._image = QtGui.QImage(
                buffer.data, w, h, buffer.strides[0], QtGui.QImage.Format.Format_BGR888
            )
        self.update()

    def target_rect(self) -> QtCore.QRect:
        """Where the frame is drawn: the largest rectangle of its aspect that fits."""
        if self._image is None:
            return QtCore.QRect()
        iw, ih = self._image.width(), self._image.height()
        scale = min(self.width() / iw, self.height() / ih)
        w, h = round(iw * scale), round(ih * scale)
        return QtCore.QRect((self.width() - w) // 2, (self.height() - h) // 2, w, h)

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:  # noqa: N802  (Qt override)
        painter = QtGui.QPainter(self)
        painter.fillRect(self.rect(), QtGui.QColor(0, 0, 0))
        if self._image is not None:
            if self.mirrored:
                painter.setTransform(QtGui.QTransform(-1, 0, 0, 1, self.width(), 0))
            painter.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(self.target_rect(), self._image)
        painter.end()
        self.paints += 1


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
    """

    #: Emitted from the listing thread with a ``SourceListing`` (queued to the GUI thread).
    sourcesListed = QtCore.Signal(object)  # noqa: N815  (Qt signal name)

    def __init__(
        self,
        *,
        kiosk: bool = False,
        settings: AppSettings | None = None,
        settings_file: Path | None = None,
        restart_delay_ms: int = 2000,
        frames: int | None = None,
        pace: bool = True,
    ) -> None:
        super().__init__()
        self.kiosk = kiosk
        self.settings_file = settings_file or settings_path()
        self.settings = settings or load_settings(self.settings_file)
        self.restart_delay_ms = restart_delay_ms
        self.frames = frames
        self.pace = pace
        self.worker: SessionWorker | None = None
        self.thread_: QtCore.QThread | None = None
        self.info: SessionInfo | None = None
        self.last_readout: Readout | None = None
        self.last_error = ""
        #: The latest errors shown (newest last), for the record and for tests.
        self.errors: collections.deque[str] = collections.deque(maxlen=20)
        self.restarts = 0
        self.frames_shown = 0
        self.confirm_box: QtWidgets.QMessageBox | None = None
        self._frame: BGRImage | None = None
        self._session_frames = 0
        self._closing = False
        self._choices: list[SourceChoice] = []
        self.setWindowTitle("overlay: AI-disclosed video")

        self.note = QtWidgets.QLabel(OUTPUT_NOTE)
        self.note.setObjectName("outputNote")
        self.note.setWordWrap(True)
        self.note.setStyleSheet(
            "QLabel#outputNote { background: #1d4ed8; color: white; font-weight: bold; "
            "padding: 6px; }"
        )
        self.preview = PreviewView()
        self.self_view = PreviewView(mirrored=True)
        self.self_view_note = QtWidgets.QLabel(SELF_VIEW_NOTE)
        self.status = QtWidgets.QLabel("not running")
        self.status.setObjectName("status")
        self.status.setWordWrap(True)
        self.error_label = QtWidgets.QLabel("")
        self.error_label.setObjectName("error")
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(
            QtCore.Qt.TextInteractionFlag.TextSelectableByMouse
        )
        self.error_label.setStyleSheet(
            "QLabel#error { background: #7f1d1d; color: white; padding: 6px; }"
        )
        self.error_label.hide()

        left = QtWidgets.QVBoxLayout()
        left.addWidget(self.note)
        left.addWidget(self.preview, 4)
        self_box = QtWidgets.QVBoxLayout()
        self_box.addWidget(self.self_view_note)
        self_box.addWidget(self.self_view)
        self.self_view_panel = QtWidgets.QWidget()
        self.self_view_panel.setLayout(self_box)
        self.self_view_panel.setMaximumHeight(260)
        left.addWidget(self.self_view_panel, 1)
        left.addWidget(self.status)
        left.addWidget(self.error_label)

        central = QtWidgets.QWidget()
        root = QtWidgets.QHBoxLayout(central)
        root.addLayout(left, 3)
        self.controls: QtWidgets.QWidget | None = None
        if kiosk:
            self.self_view_panel.hide()
            self.setStyleSheet("QMainWindow { background: black; } QLabel#status { color: white; }")
        else:
            self.controls = self._build_controls()
            scroll = QtWidgets.QScrollArea()
            scroll.setWidget(self.controls)
            scroll.setWidgetResizable(True)
            scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            scroll.setMinimumWidth(470)
            root.addWidget(scroll, 2)
            self._fill_form(self.settings)
            self.self_view_panel.setVisible(self.settings.self_view)
            self.sources_listed = 0
            self.sourcesListed.connect(self._on_sources_listed)
            self.refresh_sources()
        self.setCentralWidget(central)
        self._restart_timer = QtCore.QTimer(self)
        self._restart_timer.setSingleShot(True)
        self._restart_timer.timeout.connect(self._restart)
        if kiosk:
            self.showFullScreen()
            QtCore.QTimer.singleShot(0, self.start)
        else:
            self.resize(1400, 860)
            self.check_form()

    # -- the form ---------------------------------------------------------------------
    def _build_controls(self) -> QtWidgets.QWidget:
        panel = QtWidgets.QWidget()
        col = QtWidgets.QVBoxLayout(panel)

        src = QtWidgets.QGroupBox("Source")
        f = QtWidgets.QFormLayout(src)
        self.source_combo = QtWidgets.QComboBox()
        self._choices = source_choices()
        for c in self._choices:
            self.source_combo.addItem(c.label)
        self.refresh_button = QtWidgets.QPushButton("Refresh")
        self.refresh_button.setToolTip("list cameras, screens and windows again")
        self.refresh_button.clicked.connect(self.refresh_sources)
        src_row = QtWidgets.QHBoxLayout()
        src_row.addWidget(self.source_combo, 1)
        src_row.addWidget(self.refresh_button)
        self.sources_problem = QtWidgets.QLabel("")
        self.sources_problem.setWordWrap(True)
        self.sources_problem.setStyleSheet("color: #92400e;")
        self.sources_problem.hide()
        self.source_arg = QtWidgets.QLineEdit()
        self.source_browse = QtWidgets.QPushButton("Browse…")
        self.source_browse.clicked.connect(self._browse_source)
        arg_row = QtWidgets.QHBoxLayout()
        arg_row.addWidget(self.source_arg)
        arg_row.addWidget(self.source_browse)
        self.granted_label = QtWidgets.QLabel("-")
        self.declare_combo = QtWidgets.QComboBox()
        self.declare_combo.addItem("by the source (camera, file, …)", "")
        for key, label in DECLARE_LABELS.items():
            self.declare_combo.addItem(label, key)
        self.likeness_edit = QtWidgets.QLineEdit()
        self.likeness_edit.setPlaceholderText("image of the person shown (face-swap)")
        f.addRow("Source", src_row)
        f.addRow(self.sources_problem)
        f.addRow("Argument", arg_row)
        f.addRow("Granted resolution", self.granted_label)
        f.addRow("The source is", self.declare_combo)
        f.addRow("Likeness", self.likeness_edit)
        col.addWidget(src)

        out = QtWidgets.QGroupBox("Output")
        f = QtWidgets.QFormLayout(out)
        self.size_combo = QtWidgets.QComboBox()
        self.size_combo.setEditable(True)
        self.size_combo.addItems(SIZES)
        self.fps_spin = QtWidgets.QDoubleSpinBox()
        self.fps_spin.setRange(1.0, 240.0)
        self.fps_spin.setDecimals(1)
        self.vcam_check = QtWidgets.QCheckBox("Send to the virtual camera")
        self.device_edit = QtWidgets.QLineEdit()
        self.device_edit.setPlaceholderText("automatic, e.g. /dev/video2")
        self.backend_combo = QtWidgets.QComboBox()
        self.backend_combo.setEditable(True)
        self.backend_combo.addItems(["", *_backends()])
        self.record_check = QtWidgets.QCheckBox("Record to an mp4")
        self.record_edit = QtWidgets.QLineEdit()
        self.record_edit.setPlaceholderText("folder or file.mp4 (default: ~/Videos)")
        record_browse = QtWidgets.QPushButton("Browse…")
        record_browse.clicked.connect(self._browse_record)
        rec_row = QtWidgets.QHBoxLayout()
        rec_row.addWidget(self.record_edit)
        rec_row.addWidget(record_browse)
        self.self_view_check = QtWidgets.QCheckBox("Show a mirrored self-view (never sent)")
        f.addRow("Size", self.size_combo)
        f.addRow("Frames per second", self.fps_spin)
        f.addRow(self.vcam_check)
        f.addRow("Device", self.device_edit)
        f.addRow("Backend", self.backend_combo)
        f.addRow(self.record_check)
        f.addRow("Recording path", rec_row)
        f.addRow(self.self_view_check)
        col.addWidget(out)

        ban = QtWidgets.QGroupBox("Disclosure banner (always on)")
        f = QtWidgets.QFormLayout(ban)
        self.preset_combo = QtWidgets.QComboBox()
        for key in PRESETS:
            self.preset_combo.addItem(PRESET_LABELS.get(key, key), key)
        self.preset_combo.addItem("Custom", CUSTOM)
        self.text_edit = QtWidgets.QLineEdit()
        self.text_edit.setPlaceholderText('must contain "AI"; empty: the language\'s own text')
        self.lang_combo = QtWidgets.QComboBox()
        self.lang_combo.addItems(LANGUAGES)
        self.position_combo = QtWidgets.QComboBox()
        self.position_combo.addItems(POSITIONS)
        self.height_spin = QtWidgets.QDoubleSpinBox()
        self.height_spin.setDecimals(1)
        self.height_spin.setSingleStep(0.5)
        self.height_spin.setSuffix(" %")
        # The spin box allows values below the minimum on purpose: the form shows why
        # they are refused instead of silently clamping.
        self.height_spin.setRange(1.0, 30.0)
        self.text_height_label = QtWidgets.QLabel("-")
        self.text_height_label.setObjectName("textHeight")
        self.watermark_label = QtWidgets.QLabel("invisible watermark: always on in a session")
        f.addRow("Preset", self.preset_combo)
        f.addRow("Text", self.text_edit)
        f.addRow("Language", self.lang_combo)
        f.addRow("Position", self.position_combo)
        f.addRow("Text height", self.height_spin)
        f.addRow("Label text height", self.text_height_label)
        f.addRow("Watermark", self.watermark_label)
        col.addWidget(ban)

        self.reason_label = QtWidgets.QLabel("")
        self.reason_label.setObjectName("reason")
        self.reason_label.setWordWrap(True)
        self.reason_label.setStyleSheet("QLabel#reason { color: #b91c1c; font-weight: bold; }")
        col.addWidget(self.reason_label)

        run = QtWidgets.QGroupBox("Session")
        f = QtWidgets.QFormLayout(run)
        buttons = QtWidgets.QHBoxLayout()
        self.start_button = QtWidgets.QPushButton("Start")
        self.start_button.clicked.connect(self._toggle)
        self.apply_button = QtWidgets.QPushButton("Apply (restarts)")
        self.apply_button.setToolTip(
            "apply the form to the running session: it restarts with a new session id"
        )
        self.apply_button.clicked.connect(self.apply)
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.apply_button)
        f.addRow(buttons)
        self.session_label = QtWidgets.QLabel("-")
        self.session_label.setTextInteractionFlags(
            QtCore.Qt.TextInteractionFlag.TextSelectableByMouse
        )
        self.sending_label = QtWidgets.QLabel("-")
        self.sending_label.setWordWrap(True)
        self.fps_label = QtWidgets.QLabel("-")
        self.latency_label = QtWidgets.QLabel("-")
        self.dropped_label = QtWidgets.QLabel("-")
        self.provenance_label = QtWidgets.QLabel("-")
        self.provenance_label.setWordWrap(True)
        self.provenance_label.setTextInteractionFlags(
            QtCore.Qt.TextInteractionFlag.TextSelectableByMouse
        )
        f.addRow("Session id", self.session_label)
        f.addRow("Sending to", self.sending_label)
        f.addRow("Frames per second", self.fps_label)
        f.addRow("Added latency", self.latency_label)
        f.addRow("Dropped / slates", self.dropped_label)
        f.addRow("Provenance", self.provenance_label)
        col.addWidget(run)
        col.addStretch(1)
        # Long entries (window titles, labels) must not widen the panel past the window.
        for combo in panel.findChildren(QtWidgets.QComboBox):
            combo.setSizeAdjustPolicy(
                QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(12)

        self.source_combo.currentIndexChanged.connect(self._on_source_changed)
        self.preset_combo.currentIndexChanged.connect(self._on_preset_changed)
        self.self_view_check.toggled.connect(self._on_self_view)
        for sig in (
            self.source_arg.textChanged,
            self.size_combo.currentTextChanged,
            self.fps_spin.valueChanged,
            self.vcam_check.toggled,
            self.device_edit.textChanged,
            self.backend_combo.currentTextChanged,
            self.record_check.toggled,
            self.record_edit.textChanged,
            self.text_edit.textChanged,
            self.lang_combo.currentTextChanged,
            self.position_combo.currentTextChanged,
            self.height_spin.valueChanged,
            self.declare_combo.currentIndexChanged,
            self.likeness_edit.textChanged,
        ):
            sig.connect(self.check_form)
        return panel

    def _fill_form(self, s: AppSettings) -> None:
        index, arg = choice_for_spec(s.source, self._choices)
        if index < 0:
            index, arg = choice_for_spec("synthetic", self._choices)
        self.source_combo.setCurrentIndex(max(index, 0))
        self.source_arg.setText(arg)
        self._on_source_changed()
        self.size_combo.setCurrentText(s.size)
        self.fps_spin.setValue(s.fps)
        self.vcam_check.setChecked(s.vcam)
        self.device_edit.setText(s.device)
        self.backend_combo.setCurrentText(s.backend)
        self.record_check.setChecked(s.record)
        self.record_edit.setText(s.record_path)
        self.self_view_check.setChecked(s.self_view)
        self.declare_combo.setCurrentIndex(max(0, self.declare_combo.findData(s.declare)))
        self.likeness_edit.setText(s.likeness)
        self.text_edit.setText(s.text)
        self.lang_combo.setCurrentText(s.lang)
        self.position_combo.setCurrentText(s.position)
        self.height_spin.setValue(s.text_height * 100)
        i = self.preset_combo.findData(s.preset)
        self.preset_combo.setCurrentIndex(i if i >= 0 else 0)
        self._on_preset_changed()

    def form_settings(self) -> AppSettings:
        """The settings the form shows now (kiosk mode: the loaded ones)."""
        if self.controls is None:
            return self.settings
        choice = self._current_choice()
        return AppSettings(
            source=choice.spec(self.source_arg.text()) if choice else "",
            size=self.size_combo.currentText().strip(),
            fps=round(self.fps_spin.value(), 3),
            vcam=self.vcam_check.isChecked(),
            device=self.device_edit.text().strip(),
            backend=self.backend_combo.currentText().strip(),
            record=self.record_check.isChecked(),
            record_path=self.record_edit.text().strip(),
            preset=str(self.preset_combo.currentData()),
            text=self.text_edit.text(),
            lang=self.lang_combo.currentText(),
            position=self.position_combo.currentText(),
            text_height=round(self.height_spin.value() / 100, 4),
            self_view=self.self_view_check.isChecked(),
            declare=str(self.declare_combo.currentData() or ""),
            likeness=self.likeness_edit.text().strip(),
        )

    def validate(self, settings: AppSettings, session: Session | None = None) -> Validated:
        """``settings.validate`` plus the picker's own rule (an argument it needs)."""
        choice = self._current_choice() if self.controls is not None else None
        if choice is not None and choice.required and not self.source_arg.text().strip():
            raise ConfigError(f"the source '{choice.label}' needs {choice.hint or 'an argument'}")
        return settings.validate(session)

    def check_form(self) -> Validated | None:
        """Validate the form; show the reason it is refused, or the label's text height."""
        if self.controls is None:
            return None
        try:
            v = self.validate(self.form_settings())
        except ConfigError as exc:
            self.reason_label.setText(f"Refused: {exc}")
            self.text_height_label.setText("-")
            self.start_button.setEnabled(self.running)
            self.apply_button.setEnabled(False)
            return None
        self.reason_label.setText("")
        if not self.running:
            self._show_text_height(v.text_height_px, v.text_height_fraction)
        self.start_button.setEnabled(True)
        self.apply_button.setEnabled(self.running)
        return v

    def _show_text_height(self, px: int, fraction: float) -> None:
        if self.controls is None:
            return
        self.text_height_label.setText(
            f"{fraction:.1%} of the shortest side ({px} px; minimum {MIN_TEXT_HEIGHT:.0%})"
        )

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
        if listing is None:
            return
        spec = self.form_settings().source
        arg = self.source_arg.text()
        self._choices = source_choices(listed_choices(listing))
        self.source_combo.blockSignals(True)
        self.source_combo.clear()
        for c in self._choices:
            self.source_combo.addItem(c.label)
        index, found_arg = choice_for_spec(spec, self._choices)
        self.source_combo.setCurrentIndex(max(index, 0))
        self.source_combo.blockSignals(False)
        self.source_arg.setText(found_arg if index >= 0 else arg)
        problems: dict[str, str] = getattr(listing, "problems", {})
        self.sources_problem.setText("\n".join(problems.values()))
        self.sources_problem.setVisible(bool(problems))
        self._on_source_changed()

    def _current_choice(self) -> SourceChoice | None:
        i = self.source_combo.currentIndex()
        return self._choices[i] if 0 <= i < len(self._choices) else None

    def _on_source_changed(self) -> None:
        c = self._current_choice()
        takes = bool(c and c.takes_arg)
        self.source_arg.setEnabled(takes)
        self.source_arg.setPlaceholderText(c.hint if c else "")
        self.source_browse.setEnabled(bool(c and c.browse))
        self.check_form()

    def _on_preset_changed(self) -> None:
        key = self.preset_combo.currentData()
        custom = key == CUSTOM
        for w in (self.text_edit, self.lang_combo, self.position_combo, self.height_spin):
            w.setEnabled(custom)
        preset = PRESETS.get(str(key))
        if preset is not None:
            # Show what the preset sets; the fields are read-only until "Custom".
            self.text_edit.setText(preset.text or "")
            self.lang_combo.setCurrentText(preset.lang)
            self.position_combo.setCurrentText(preset.position)
            self.height_spin.setValue(preset.text_height * 100)
        self.check_form()

    def _on_self_view(self, on: bool) -> None:
        self.self_view_panel.setVisible(on)

    def _browse_source(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Video or image file")
        if path:
            self.source_arg.setText(path)

    def _browse_record(self) -> None:
        path = QtWidgets.QFileDialog.getExistingDirectory(self, "Recording folder")
        if path:
            self.record_edit.setText(path)

    # -- sessions ---------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.worker is not None

    def _toggle(self) -> None:
        if self.running:
            self.stop()
        else:
            self.start()

    def start(self) -> bool:
        """Start a session with the form's settings; False (reason shown) if refused."""
        if self.running:
            return False
        settings = self.form_settings()
        try:
            probe = (
                settings.validate(keep_existing=True)
                if self.controls is None
                else self.validate(settings)
            )
            session = Session(probe.output.size, probe.output.fps)
            v = settings.validate(session, keep_existing=self.kiosk)
        except ConfigError as exc:
            self.show_error(f"Refused: {exc}")
            if self.controls is not None:
                self.reason_label.setText(f"Refused: {exc}")
            return False
        self.settings = settings
        self._save()
        if not self.kiosk:
            # Kiosk mode keeps the failure on screen until the restarted source sends frames.
            self.show_error("")
        self._session_frames = 0
        w, h = session.size
        self._frame = np.zeros((h, w, 3), np.uint8)
        self.preview.set_buffer(self._frame)
        self.self_view.set_buffer(self._frame)
        worker = SessionWorker(v.run, session, frames=self.frames, pace=self.pace)
        thread = QtCore.QThread(self)
        thread.setObjectName("overlay-session")
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        # Direct: quit() is thread-safe, and a queued call would wait for the GUI thread,
        # which may be blocked in stop() waiting for this thread.
        worker.finished.connect(thread.quit, QtCore.Qt.ConnectionType.DirectConnection)
        worker.sessionStarted.connect(self._on_started)
        worker.frameReady.connect(self._on_frame)
        worker.statsChanged.connect(self._on_stats)
        worker.errored.connect(self._on_error)
        worker.finished.connect(self._on_finished)
        self.worker, self.thread_ = worker, thread
        self.info = None
        self.last_readout = None
        self.status.setText(f"starting session {session.id}…")
        if self.controls is not None:
            self.start_button.setText("Stop")
            self.session_label.setText(session.id)
        thread.start()
        return True

    def stop(self, wait: bool = True) -> None:
        """End the session (the recording is finished); ``wait`` for its thread."""
        self._restart_timer.stop()
        worker, thread = self.worker, self.thread_
        if worker is None or thread is None:
            return
        worker.stop()
        if wait:
            if not thread.wait(15000):
                log.error("the session thread did not end within 15 s")
            self._session_ended(worker)

    def apply(self) -> bool:
        """Apply the form: refused (reason shown, session untouched) or restart with it."""
        try:
            self.validate(self.form_settings())
        except ConfigError as exc:
            if self.controls is not None:
                self.reason_label.setText(f"Refused: {exc}")
            return False
        if self.running:
            self.stop()
        return self.start()

    def show_error(self, text: str) -> None:
        """Show ``text`` in the window's error strip ("" hides it)."""
        self.last_error = text
        if text:
            self.errors.append(text)
            log.warning("%s", text)
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))

    def _is_current(self) -> bool:
        return self.worker is not None and self.sender() is self.worker

    def _on_started(self, info: SessionInfo) -> None:
        if not self._is_current():
            return
        self.info = info
        sending = ", ".join(info.sinks) or "nowhere (preview only)"
        log.info("session %s: %s -> %s", info.session_id, info.source, sending)
        self.status.setText(
            f"session {info.session_id}: {info.source} -> {sending}   "
            f"label text {info.text_height_fraction:.1%} of the shortest side   "
            f"watermark {info.watermark}"
        )
        if self.controls is not None:
            self.session_label.setText(info.session_id)
            self.sending_label.setText(sending)
            self.watermark_label.setText(info.watermark)
            self.provenance_label.setText(info.provenance or "none")
            self._show_text_height(info.text_height_px, info.text_height_fraction)
            self.check_form()

    def _on_frame(self) -> None:
        worker, frame = self.worker, self._frame
        if worker is None or frame is None or frame.shape != worker.sink.shape:
            return
        if worker.sink.take_into(frame):
            self.frames_shown += 1
            self._session_frames += 1
            if self._session_frames == 1 and self.kiosk and self.last_error:
                self.show_error("")
            self.preview.update()
            if self.self_view_panel.isVisible():
                self.self_view.update()

    def _on_stats(self, r: Readout) -> None:
        if not self._is_current():
            return
        self.last_readout = r
        s = r.stats
        if self.controls is not None:
            self.fps_label.setText(f"{s.fps:.1f}")
            ahead = s.read_ahead_ms
            self.latency_label.setText(
                f"p50 {s.latency_ms[0]:.1f} ms, p95 {s.latency_ms[1]:.1f} ms"
                + (f" (+ file read-ahead {ahead[0]:.0f} ms, not counted)" if ahead else "")
            )
            self.dropped_label.setText(f"{s.dropped} / {s.slates}")
            if r.granted_size:
                self.granted_label.setText(f"{r.granted_size[0]}x{r.granted_size[1]}")
        elif self.info is not None:
            self.status.setText(
                f"session {self.info.session_id}   {s.fps:.1f} fps   "
                f"added latency p50 {s.latency_ms[0]:.1f} ms   dropped {s.dropped}"
            )

    def _on_error(self, message: str) -> None:
        if not self._is_current():
            return
        if self.kiosk and not self._closing:
            message += f"\nrestarting in {self.restart_delay_ms / 1000:g} s"
        self.show_error(message)

    def _on_finished(self) -> None:
        if self._is_current() and self.worker is not None:
            worker = self.worker
            if self.thread_ is not None:
                self.thread_.wait(15000)
            self._session_ended(worker)

    def _session_ended(self, worker: SessionWorker) -> None:
        if worker is not self.worker:
            return
        requested = worker.stopped_by_request
        thread = self.thread_
        self.worker, self.thread_ = None, None
        worker.deleteLater()
        if thread is not None:
            thread.deleteLater()
        self.status.setText(
            f"session {self.info.session_id if self.info else '-'} ended"
            + ("" if requested else " (the source ended or failed)")
        )
        if self.controls is not None:
            self.start_button.setText("Start")
            self.check_form()
        if self.kiosk and not requested and not self._closing:
            self._restart_timer.start(self.restart_delay_ms)

    def _restart(self) -> None:
        if not self.running and not self._closing:
            self.restarts += 1
            self.start()

    # -- settings, keys, closing ------------------------------------------------------
    def _save(self) -> None:
        try:
            save_settings(self.settings, self.settings_file)
        except OSError as exc:
            log.warning("could not save the settings to %s: %s", self.settings_file, exc)

    def ask_quit(self) -> QtWidgets.QMessageBox:
        """Kiosk mode: ask before quitting (non-blocking; Yes closes the window)."""
        box = QtWidgets.QMessageBox(self)
        box.setIcon(QtWidgets.QMessageBox.Icon.Question)
        box.setWindowTitle("Quit overlay?")
        box.setText("Stop the disclosed stream and quit?")
        box.setStandardButtons(
            QtWidgets.QMessageBox.StandardButton.Yes | QtWidgets.QMessageBox.StandardButton.No
        )
        box.setDefaultButton(QtWidgets.QMessageBox.StandardButton.No)
        box.finished.connect(self._on_confirm)
        self.confirm_box = box
        box.open()
        return box

    def _on_confirm(self, result: int) -> None:
        box, self.confirm_box = self.confirm_box, None
        if box is not None and box.clickedButton() is box.button(
            QtWidgets.QMessageBox.StandardButton.Yes
        ):
            self.close()

    def keyPressEvent(self, event: QtGui.QKeyEvent) -> None:  # noqa: N802
        if event.key() == QtCore.Qt.Key.Key_Escape and self.kiosk:
            if self.confirm_box is None:
                self.ask_quit()
            return
        super().keyPressEvent(event)

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:  # noqa: N802
        self._closing = True
        self.stop()
        if self.controls is not None:
            self.settings = self.form_settings()
        self._save()
        super().closeEvent(event)


def _backends() -> list[str]:
    from overlay.sinks.vcam import available_backends

    try:
        return available_backends()
    except Exception:  # the picker is a convenience; typing a name still works
        return []
