"""What sits in front of the preview: the source bar, the two switches, the status chips."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from overlay.app import wording
from overlay.app.flow import FlowLayout
from overlay.app.qt import QtCore, QtGui, QtWidgets
from overlay.app.sources import PickerEntry, choice_for_spec, listed_choices, source_choices
from overlay.app.theme import chip_style

if TYPE_CHECKING:
    from overlay.app.worker import SessionInfo
    from overlay.sources.listing import SourceListing

__all__ = ["CHIPS", "ChipBar", "Readouts", "SourceBar", "SwitchBar", "label_switch"]

log = logging.getLogger(__name__)

VCAM_KEY = "Ctrl+Shift+V"
RECORD_KEY = "Ctrl+Shift+R"
SETTINGS_KEY = "Ctrl+,"
SOURCE_KEY = "Ctrl+Shift+S"
CHIPS = ("source", "vcam", "recording", "watermark", "provenance", "fps", "dropped")


class SourceBar(QtWidgets.QWidget):
    """The source picker (listed on a thread), Refresh, and the Settings button.

    Signals:
        picked(): the user picked an entry.
        listed(object): the listing thread finished (a ``SourceListing`` or None).
    """

    picked = QtCore.Signal()
    listed = QtCore.Signal(object)

    def __init__(
        self,
        parent: QtWidgets.QWidget | None = None,
        *,
        allows: Callable[[PickerEntry], bool] | None = None,
        lock: str = "",
    ) -> None:
        super().__init__(parent)
        #: Which source specs may be picked (an operator policy); None: all.
        self.allows = allows
        row = QtWidgets.QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        label = QtWidgets.QLabel("Source")
        self.combo = QtWidgets.QComboBox()
        self.combo.setAccessibleName("Source")
        self.combo.setToolTip(f"what overlay discloses and sends on ({SOURCE_KEY})")
        self.combo.setSizeAdjustPolicy(
            QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.combo.setMinimumContentsLength(28)
        label.setBuddy(self.combo)
        focus = QtGui.QShortcut(QtGui.QKeySequence(SOURCE_KEY), self)
        focus.activated.connect(self.combo.setFocus)
        self.choices: list[PickerEntry] = []
        self.set_choices(source_choices())
        self.combo.activated.connect(self.picked)
        self.refresh_button = QtWidgets.QPushButton("Refresh")
        self.refresh_button.setAccessibleName("List the sources again")
        self.refresh_button.setToolTip("list cameras, screens and windows again")
        self.refresh_button.clicked.connect(self.refresh)
        self.problem = QtWidgets.QLabel("")
        self.problem.setObjectName("detail")
        self.problem.hide()
        self.settings_button = QtWidgets.QPushButton("Settings…")
        self.settings_button.setAccessibleName("Settings")
        self.settings_button.setShortcut(QtGui.QKeySequence(SETTINGS_KEY))
        self.settings_button.setToolTip(
            f"size, frame rate, banner, language, position, recording folder ({SETTINGS_KEY})"
        )
        row.addWidget(label)
        row.addWidget(self.combo, 1)
        row.addWidget(self.refresh_button)
        row.addWidget(self.problem)
        #: Says that an operator policy is in force (hidden without one).
        self.lock = QtWidgets.QLabel("Operator policy in force" if lock else "")
        self.lock.setObjectName("lock")
        self.lock.setToolTip(lock)
        self.lock.setAccessibleName(f"Operator policy: {lock}" if lock else "")
        self.lock.setVisible(bool(lock))
        row.addWidget(self.lock)
        row.addSpacing(16)
        row.addWidget(self.settings_button)
        self.listed_count = 0

    def set_choices(self, choices: list[PickerEntry]) -> None:
        if self.allows is not None:
            choices = [c for c in choices if self.allows(c)]
        self.choices = choices
        self.combo.blockSignals(True)
        self.combo.clear()
        for c in choices:
            self.combo.addItem(c.label)
        self.combo.blockSignals(False)

    def current(self) -> PickerEntry | None:
        i = self.combo.currentIndex()
        return self.choices[i] if 0 <= i < len(self.choices) else None

    def select(self, spec: str) -> tuple[PickerEntry, str] | None:
        """Select the entry for ``spec``; its argument text, or None if none stands for it."""
        index, arg = choice_for_spec(spec, self.choices)
        if index < 0:
            return None
        self.combo.setCurrentIndex(index)
        return self.choices[index], arg

    def refresh(self) -> None:
        """List cameras, screens and windows on a thread (listing windows can take seconds)."""
        self.refresh_button.setEnabled(False)
        threading.Thread(target=self._list, name="overlay-list-sources", daemon=True).start()

    def _list(self) -> None:
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
            self.listed.emit(listing)

    def take_listing(self, listing: SourceListing | None) -> bool:
        """Put what was listed first in the picker; False if nothing was listed."""
        self.listed_count += 1
        self.refresh_button.setEnabled(True)
        if listing is None:
            return False
        self.set_choices(source_choices(listed_choices(listing)))
        problems = listing.problems
        self.problem.setText("some sources cannot be listed" if problems else "")
        self.problem.setToolTip("\n".join(problems.values()))
        self.problem.setVisible(bool(problems))
        return True


def label_switch(switch: QtWidgets.QPushButton, on: bool) -> None:
    """``● Name: on`` / ``○ Name: off``: the state in words, not only in colour."""
    name = switch.accessibleName()
    switch.setText(f"● {name}: on" if on else f"○ {name}: off")


class SwitchBar(QtWidgets.QWidget):
    """The Virtual camera and Record switches, each with a line that says what it means."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        row = QtWidgets.QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.shortcuts: dict[str, QtGui.QShortcut] = {}
        self.vcam = self._switch(
            "Virtual camera",
            VCAM_KEY,
            f"send the disclosed picture to a camera call apps can pick ({VCAM_KEY})",
        )
        self.record = self._switch(
            "Record", RECORD_KEY, f"record the disclosed picture to an mp4 ({RECORD_KEY})"
        )
        self.record.setProperty("record", True)
        self.vcam_detail = QtWidgets.QLabel("")
        self.vcam_detail.setObjectName("detail")
        self.record_detail = QtWidgets.QLabel("")
        self.record_detail.setObjectName("detail")
        self.record_detail.setTextInteractionFlags(
            QtCore.Qt.TextInteractionFlag.TextSelectableByMouse
        )
        for switch, key in ((self.vcam, VCAM_KEY), (self.record, RECORD_KEY)):
            switch.toggled.connect(lambda on, s=switch: label_switch(s, on))
            # A QShortcut, not the button's own: setText() (the on/off label) clears that.
            shortcut = QtGui.QShortcut(QtGui.QKeySequence(key), self)
            shortcut.activated.connect(switch.click)
            self.shortcuts[key] = shortcut
        row.addWidget(self.vcam)
        row.addWidget(self.vcam_detail, 1)
        row.addSpacing(12)
        row.addWidget(self.record)
        row.addWidget(self.record_detail, 1)

    @staticmethod
    def _switch(name: str, key: str, tip: str) -> QtWidgets.QPushButton:
        switch = QtWidgets.QPushButton(name)
        switch.setObjectName("switch")
        switch.setCheckable(True)
        switch.setAccessibleName(name)
        switch.setToolTip(tip)
        label_switch(switch, False)
        return switch

    @staticmethod
    def set(switch: QtWidgets.QPushButton, on: bool) -> None:
        """Set a switch without it asking for a restart."""
        switch.blockSignals(True)
        switch.setChecked(on)
        switch.blockSignals(False)
        label_switch(switch, on)


class ChipBar(QtWidgets.QWidget):
    """The status chips and a one-line session readout; wraps in a narrow window."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        flow = FlowLayout(self)
        self._shown: dict[str, wording.Chip] = {}
        self.chips: dict[str, QtWidgets.QLabel] = {}
        for key in CHIPS:
            chip = QtWidgets.QLabel("")
            chip.setObjectName("chip")
            self.chips[key] = chip
            flow.addWidget(chip)
        self.status = QtWidgets.QLabel("starting…")
        self.status.setObjectName("detail")
        flow.addWidget(self.status)

    def set(self, key: str, chip: wording.Chip) -> None:
        if self._shown.get(key) == chip:
            return  # a style sheet re-polishes the label: only when something changed
        self._shown[key] = chip
        label = self.chips[key]
        label.setText(chip.text)
        label.setToolTip(chip.tip)
        label.setAccessibleName(chip.text)
        label.setStyleSheet(chip_style(chip.state))


@dataclass(frozen=True, slots=True)
class Readouts:
    """What the chips and the switches' lines say, worked out from the session's state."""

    chips: dict[str, wording.Chip]
    vcam_on: bool
    rec_on: bool
    vcam_detail: str
    record_detail: str
    tray_state: str

    @classmethod
    def of(
        cls,
        *,
        info: SessionInfo | None,
        running: bool,
        slate: bool,
        source_problem: str,
        error: str,
        watermark: str,
        provenance: str | None,
        fps: float,
        target_fps: float,
        dropped: int,
        slates: int,
        listed_as: str,
        record_seconds: float,
        record_target: str,
        record_folder: str,
        record_wanted: bool = False,
        started: bool = True,
    ) -> Readouts:
        """``info``: the running session (None before it started); ``record_wanted``: the
        Record switch is on; ``started``: the session is open."""
        vcam_on = running and info is not None and bool(info.vcam_device)
        rec_on = running and info is not None and bool(info.recording)
        if not running and error:
            source = wording.source_chip(error, paused=False)
        elif not running:
            source = wording.Chip("Source: off", "off", "no session is running")
        elif not started:
            source = wording.Chip("Source: starting", "off")
        else:
            source = wording.source_chip(source_problem, paused=running and slate)
        chips = {
            "source": source,
            "vcam": wording.vcam_chip(vcam_on, listed_as),
            "recording": wording.recording_chip(rec_on, record_seconds),
            "watermark": wording.watermark_chip(watermark),
            "provenance": wording.provenance_chip(provenance)
            if provenance is not None
            else wording.Chip("Signed record: waiting", "off"),
            "fps": wording.fps_chip(fps if running else 0.0, target_fps),
            "dropped": wording.dropped_chip(dropped, slates),
        }
        if vcam_on:
            where = f"“{listed_as}”" if listed_as else "the virtual camera"
            vcam_detail = f"On: call apps list it as {where}"
        elif listed_as:
            vcam_detail = f"Call apps will list it as “{listed_as}”"
        else:
            vcam_detail = "Off: call apps do not see this picture"
        if rec_on and record_target:
            where = Path(record_target).name  # the folder is in the tooltip and Settings
            record_detail = f"{wording.elapsed(record_seconds)} → {where}"
        elif record_wanted:
            record_detail = (
                f"Starts with the picture; records to {wording.short_path(record_folder)}"
            )
        else:
            record_detail = f"Off; records to {wording.short_path(record_folder)}"
        tray = ("virtual camera on" if vcam_on else "virtual camera off") + (
            ", recording" if rec_on else ""
        )
        return cls(chips, vcam_on, rec_on, vcam_detail, record_detail, tray)
