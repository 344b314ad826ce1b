"""The PySide6 6.12.0 / Python 3.11 "none_dealloc" abort must not come back.

PySide6-Essentials 6.12.0 on Python 3.11 aborts the process with "Fatal Python error:
none_dealloc" after a few thousand calls of Qt methods returning None; the app makes
such calls for every frame. pyproject.toml pins around it; this test makes 200,000.
"""

from __future__ import annotations

import sys
from typing import Any

import PySide6

from overlay.app.qt import QtWidgets

CALLS = 100_000


def test_many_qt_calls_returning_none_do_not_abort(qtbot: Any):
    label = QtWidgets.QLabel()
    qtbot.addWidget(label)
    results = set()
    for i in range(CALLS):
        results.add(label.update())
        results.add(label.setText("AI" if i % 2 else "AI-generated"))
    assert results == {None}
    assert label.text() == "AI"


def test_the_installed_pyside6_is_outside_the_broken_range():
    version = tuple(int(x) for x in PySide6.__version__.split(".")[:2])
    if sys.version_info < (3, 12):
        assert version < (6, 12), f"PySide6 {PySide6.__version__} aborts on Python 3.11"
    assert version >= (6, 8)
