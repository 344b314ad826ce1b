"""The settings dialog: widgets <-> :class:`AppSettings` fields, locks, and the refusal line.

The window owns the source choice and the two switches (virtual camera, record); this form
owns everything else. ``to_settings(base)`` returns ``base`` with the form's fields, so the
window combines the two without either knowing the other's widgets.
"""

from __future__ import annotations

from overlay.app.qt import QtCore, QtWidgets
from overlay.app.settings import CUSTOM, AppSettings
from overlay.app.sources import PickerEntry
from overlay.config import LANGUAGES, MIN_TEXT_HEIGHT, POSITIONS, PRESETS

__all__ = ["DECLARE_LABELS", "PRESET_LABELS", "SIZES", "SettingsDialog", "SettingsForm"]

PRESET_LABELS = {"eu": "EU (English, top right)", "gb45438": "GB 45438 (Chinese, top left)"}
DECLARE_LABELS = {
    "face-swap": "face-swap output (needs a likeness with consent)",
    "avatar": "an avatar",
    "generated": "generated (no real person's likeness)",
}
SIZES = ("1920x1080", "1280x720", "960x540", "640x360")


class SettingsForm(QtWidgets.QWidget):
    """The settings fields in two columns (source and output; disclosure banner).

    Signals:
        changed(): any field changed (the window re-checks the form).
    """

    changed = QtCore.Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        #: field name -> the lock's reason (shown beside the control, which is disabled).
        self.locks: dict[str, str] = {}
        self._lock_labels: dict[str, QtWidgets.QLabel] = {}
        self._choice: PickerEntry | None = None
        cols = QtWidgets.QHBoxLayout(self)
        left = QtWidgets.QVBoxLayout()
        right = QtWidgets.QVBoxLayout()
        cols.addLayout(left, 1)
        cols.addLayout(right, 1)

        src = QtWidgets.QGroupBox("Source")
        f = QtWidgets.QFormLayout(src)
        self.arg_edit = QtWidgets.QLineEdit()
        self.arg_browse = QtWidgets.QPushButton("Browse…")
        self.arg_browse.clicked.connect(self._browse_source)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.arg_edit, 1)
        row.addWidget(self.arg_browse)
        self.declare_combo = QtWidgets.QComboBox()
        self.declare_combo.addItem("by the source (camera, file, …)", "")
        for key, label in DECLARE_LABELS.items():
            self.declare_combo.addItem(label, key)
        self.likeness_edit = QtWidgets.QLineEdit()
        self.likeness_edit.setPlaceholderText("image of the person shown (face-swap)")
        self.granted_label = QtWidgets.QLabel("-")
        self.granted_label.setObjectName("detail")
        f.addRow("Source detail", row)
        f.addRow("The source is", self.declare_combo)
        f.addRow("Likeness", self.likeness_edit)
        f.addRow("Source delivers", self.granted_label)
        left.addWidget(src)

        out = QtWidgets.QGroupBox("Output")
        f = QtWidgets.QFormLayout(out)
        self.size_combo = QtWidgets.QComboBox()
        self.size_combo.setEditable(True)
        self.size_combo.addItems(SIZES)
        self.fps_spin = QtWidgets.QDoubleSpinBox()
        self.fps_spin.setRange(1.0, 240.0)
        self.fps_spin.setDecimals(1)
        self.device_edit = QtWidgets.QLineEdit()
        self.device_edit.setPlaceholderText("automatic, e.g. /dev/video2")
        self.backend_combo = QtWidgets.QComboBox()
        self.backend_combo.setEditable(True)
        self.backend_combo.addItems(["", *_backends()])
        self.record_edit = QtWidgets.QLineEdit()
        self.record_edit.setPlaceholderText("folder or file.mp4 (default: ~/Videos)")
        self.record_browse = QtWidgets.QPushButton("Browse…")
        self.record_browse.clicked.connect(self._browse_record)
        rec_row = QtWidgets.QHBoxLayout()
        rec_row.addWidget(self.record_edit, 1)
        rec_row.addWidget(self.record_browse)
        self.self_view_check = QtWidgets.QCheckBox("Mirrored self-view beside the preview")
        self.self_view_check.setToolTip("only on this screen; the output is never mirrored")
        f.addRow("Size", self._with_lock("size", self.size_combo))
        f.addRow("Frames per second", self.fps_spin)
        f.addRow("Virtual camera device", self.device_edit)
        f.addRow("Virtual camera backend", self.backend_combo)
        f.addRow("Recordings go to", self._with_lock("record_path", rec_row))
        f.addRow(self.self_view_check)
        left.addWidget(out)
        left.addStretch(1)

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
        # Values below the minimum are allowed on purpose: the form says why they are
        # refused instead of silently clamping.
        self.height_spin.setRange(1.0, 30.0)
        self.text_height_label = QtWidgets.QLabel("-")
        self.text_height_label.setObjectName("detail")
        self.text_height_label.setWordWrap(True)
        f.addRow("Preset", self._with_lock("preset", self.preset_combo))
        f.addRow("Text", self._with_lock("text", self.text_edit))
        f.addRow("Language", self._with_lock("lang", self.lang_combo))
        f.addRow("Position", self._with_lock("position", self.position_combo))
        f.addRow("Text height", self._with_lock("text_height", self.height_spin))
        f.addRow("Label text height", self.text_height_label)
        always = QtWidgets.QLabel(
            "The banner, the per-frame mark, the invisible watermark and the signed record "
            "are part of every session; no setting turns them off."
        )
        always.setObjectName("detail")
        always.setWordWrap(True)
        f.addRow(always)
        right.addWidget(ban)
        right.addStretch(1)

        for combo in self.findChildren(QtWidgets.QComboBox):
            combo.setSizeAdjustPolicy(
                QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(12)
        names = {
            self.arg_edit: "Source detail",
            self.declare_combo: "What the source is",
            self.likeness_edit: "Likeness image",
            self.size_combo: "Output size",
            self.fps_spin: "Frames per second",
            self.device_edit: "Virtual camera device",
            self.backend_combo: "Virtual camera backend",
            self.record_edit: "Recording folder or file",
            self.preset_combo: "Banner preset",
            self.text_edit: "Banner text",
            self.lang_combo: "Banner language",
            self.position_combo: "Banner position",
            self.height_spin: "Banner text height in percent",
            self.self_view_check: "Mirrored self-view",
        }
        for widget, name in names.items():
            widget.setAccessibleName(name)
        self.preset_combo.currentIndexChanged.connect(self._on_preset_changed)
        for sig in (
            self.arg_edit.textChanged,
            self.size_combo.currentTextChanged,
            self.fps_spin.valueChanged,
            self.device_edit.textChanged,
            self.backend_combo.currentTextChanged,
            self.record_edit.textChanged,
            self.text_edit.textChanged,
            self.lang_combo.currentTextChanged,
            self.position_combo.currentTextChanged,
            self.height_spin.valueChanged,
            self.declare_combo.currentIndexChanged,
            self.likeness_edit.textChanged,
            self.self_view_check.toggled,
        ):
            sig.connect(self.changed)

    # -- locks -------------------------------------------------------------------------
    def _with_lock(
        self, name: str, item: QtWidgets.QWidget | QtWidgets.QLayout
    ) -> QtWidgets.QWidget:
        box = QtWidgets.QWidget()
        col = QtWidgets.QVBoxLayout(box)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(2)
        if isinstance(item, QtWidgets.QLayout):
            col.addLayout(item)
        else:
            col.addWidget(item)
        lock = QtWidgets.QLabel("")
        lock.setObjectName("lock")  # one line: wrapped labels in forms get cut off
        lock.hide()
        col.addWidget(lock)
        self._lock_labels[name] = lock
        return box

    def set_locks(self, locks: dict[str, str], by: str = "") -> None:
        """Show ``field -> reason`` beside the fields an operator fixed or bounded.

        Args:
            locks: the reasons (``OperatorPolicy.locks()``).
            by: who set them (``the operator policy FILE``), in each lock's tooltip.
        """
        self.locks = dict(locks)
        for name, label in self._lock_labels.items():
            reason = self.locks.get(name, "")
            label.setText(f"Policy: {reason}" if reason else "")
            label.setToolTip(f"set by {by}" if reason and by else "")
            label.setVisible(bool(reason))
            box = label.parentWidget()
            if box is not None:  # keep the control's full height above its lock line
                box.setMinimumHeight(box.sizeHint().height())
        self._apply_enabled()

    def _apply_enabled(self) -> None:
        custom = self.preset_combo.currentData() == CUSTOM
        fixed = {k for k, v in self.locks.items() if v.startswith("fixed")}
        for name, widget in (
            ("text", self.text_edit),
            ("lang", self.lang_combo),
            ("position", self.position_combo),
            ("text_height", self.height_spin),
        ):
            widget.setEnabled(custom and name not in fixed)
        self.preset_combo.setEnabled("preset" not in fixed)
        self.record_edit.setEnabled("record_path" not in fixed)
        self.record_browse.setEnabled("record_path" not in fixed)

    # -- settings <-> widgets -----------------------------------------------------------
    def set_source_choice(self, choice: PickerEntry | None, arg: str = "") -> None:
        """Configure the detail field for the picked source (and set its text)."""
        self._choice = choice
        takes = bool(choice and choice.takes_arg)
        self.arg_edit.setEnabled(takes)
        self.arg_edit.setPlaceholderText(choice.hint if choice and takes else "(none needed)")
        self.arg_browse.setEnabled(bool(choice and choice.browse))
        self.arg_edit.setText(arg if takes else "")

    def fill(self, s: AppSettings) -> None:
        self.blockSignals(True)
        self.size_combo.setCurrentText(s.size)
        self.fps_spin.setValue(s.fps)
        self.device_edit.setText(s.device)
        self.backend_combo.setCurrentText(s.backend)
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
        self.blockSignals(False)
        self._on_preset_changed()

    def to_settings(self, base: AppSettings) -> AppSettings:
        """``base`` with this form's fields (the source's detail joins ``base.source``)."""
        source = base.source
        if self._choice is not None:
            source = self._choice.spec(self.arg_edit.text())
        return base.with_changes(
            source=source,
            size=self.size_combo.currentText().strip(),
            fps=round(self.fps_spin.value(), 3),
            device=self.device_edit.text().strip(),
            backend=self.backend_combo.currentText().strip(),
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

    def show_text_height(self, px: int, fraction: float) -> None:
        self.text_height_label.setText(
            f"{fraction:.1%} of the shortest side ({px} px; minimum {MIN_TEXT_HEIGHT:.0%})"
        )

    def _on_preset_changed(self) -> None:
        preset = PRESETS.get(str(self.preset_combo.currentData()))
        if preset is not None:
            # Show what the preset sets; the fields are read-only until "Custom".
            self.blockSignals(True)
            self.text_edit.setText(preset.text or "")
            self.lang_combo.setCurrentText(preset.lang)
            self.position_combo.setCurrentText(preset.position)
            self.height_spin.setValue(preset.text_height * 100)
            self.blockSignals(False)
        self._apply_enabled()
        self.changed.emit()

    def _browse_source(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Video or image file")
        if path:
            self.arg_edit.setText(path)

    def _browse_record(self) -> None:
        path = QtWidgets.QFileDialog.getExistingDirectory(self, "Recording folder")
        if path:
            self.record_edit.setText(path)


class SettingsDialog(QtWidgets.QDialog):
    """The form, the refusal line, and Apply / Close. Non-modal: the preview stays live.

    Signals:
        applyRequested(): the user pressed Apply (the window validates and restarts).
    """

    applyRequested = QtCore.Signal()  # noqa: N815  (Qt signal name)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("overlay settings")
        self.setAccessibleName("Settings")
        self.form = SettingsForm(self)
        self.reason_label = QtWidgets.QLabel("")
        self.reason_label.setObjectName("reason")
        self.reason_label.setWordWrap(True)
        self.reason_label.setAccessibleName("Why the settings are refused")
        # Room for a long reason (a policy file's path) kept from the start: a wrapped
        # label that grows later would take the height from the form's rows.
        lines = self.reason_label.fontMetrics().lineSpacing()
        self.reason_label.setMinimumHeight(3 * lines)
        self.reason_label.setAlignment(QtCore.Qt.AlignmentFlag.AlignTop)
        self.applied_label = QtWidgets.QLabel("")
        self.applied_label.setObjectName("detail")
        self.apply_button = QtWidgets.QPushButton("Apply")
        self.apply_button.setToolTip("use these settings now (the picture continues)")
        self.apply_button.setDefault(True)
        self.apply_button.clicked.connect(self.applyRequested)
        self.close_button = QtWidgets.QPushButton("Close")
        self.close_button.clicked.connect(self.close)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addWidget(self.applied_label, 1)
        buttons.addWidget(self.apply_button)
        buttons.addWidget(self.close_button)
        col = QtWidgets.QVBoxLayout(self)
        # Never smaller than what the rows need: a lock or refusal line must not cut a row.
        col.setSizeConstraint(QtWidgets.QLayout.SizeConstraint.SetMinimumSize)
        col.addWidget(self.form, 1)
        col.addWidget(self.reason_label)
        col.addLayout(buttons)

    def show_reason(self, reason: str) -> None:
        self.reason_label.setText(f"Refused: {reason}" if reason else "")
        self.apply_button.setEnabled(not reason)


def _backends() -> list[str]:
    from overlay.sinks.vcam import available_backends

    try:
        return available_backends()
    except Exception:  # the picker is a convenience; typing a name still works
        return []
