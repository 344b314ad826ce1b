"""``overlay watch --badge``: the always-on-top window, its drawing, and a live watch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from overlay.app.badge import AMBER, GREEN, BadgeWindow, WatchThread
from overlay.app.qt import QtCore, QtGui
from overlay.sources.file import FileSource
from overlay.watching import DISCLOSED, LOST, NOT_FOUND, Found, Watcher, WatchEvent
from tests.helpers import marked_call_clip

KEY = bytes(range(32))
SESSION = "0b5e55ed"
BOX = (966, 543, 944, 531)


def _page() -> np.ndarray:
    return np.full((1080, 1920, 3), 90, np.uint8)


def _event(state: str, payload: bool = True) -> WatchEvent:
    found = ()
    if state == DISCLOSED:
        found = (Found(BOX, payload, True if payload else None, "abcd", SESSION, 8.7e-10),)
    return WatchEvent("state", state, 3.0, 1.0, found, 30, 7.0, 9.7e-10)


def _colours(image: QtGui.QImage) -> set[tuple[int, int, int]]:
    out = set()
    for y in range(0, image.height(), 2):
        for x in range(0, image.width(), 2):
            c = image.pixelColor(x, y)
            out.add((c.red(), c.green(), c.blue()))
    return out


def _rgb(c: QtGui.QColor) -> tuple[int, int, int]:
    return (c.red(), c.green(), c.blue())


def test_badge_is_small_and_always_on_top(qtbot: Any) -> None:
    w = BadgeWindow()
    qtbot.addWidget(w)
    assert w.windowFlags() & QtCore.Qt.WindowType.WindowStaysOnTopHint
    w.show()
    assert w.width() <= 300


def test_found_tile_is_outlined_where_it_is(qtbot: Any) -> None:
    w = BadgeWindow()
    qtbot.addWidget(w)
    w.show_event(_event(DISCLOSED), _page())
    thumb = w.render_thumb()
    s = thumb.width() / 1920
    oy = (thumb.height() - round(1080 * s)) // 2
    # The box's top edge, in the middle of its width, is drawn green; the middle of the
    # tile and the other quarters of the page are not.
    x_mid = round((BOX[0] + BOX[2] / 2) * s)
    assert _rgb(thumb.pixelColor(x_mid, oy + round(BOX[1] * s) + 2)) == _rgb(GREEN)
    assert _rgb(thumb.pixelColor(x_mid, oy + round((BOX[1] + BOX[3] / 2) * s))) == (90, 90, 90)
    assert _rgb(GREEN) not in _colours(thumb.copy(0, 0, thumb.width() // 2, thumb.height()))
    assert "DISCLOSED" in w.state.text() and SESSION in w.state.text()


def test_present_without_payload_is_amber(qtbot: Any) -> None:
    w = BadgeWindow()
    qtbot.addWidget(w)
    w.show_event(_event(DISCLOSED, payload=False), _page())
    colours = _colours(w.render_thumb())
    assert _rgb(AMBER) in colours and _rgb(GREEN) not in colours
    assert "payload unreadable" in w.state.text()


@pytest.mark.parametrize("state", [NOT_FOUND, LOST])
def test_nothing_is_outlined_when_nothing_is_found(qtbot: Any, state: str) -> None:
    w = BadgeWindow()
    qtbot.addWidget(w)
    w.show_event(_event(state), _page())
    colours = _colours(w.render_thumb())
    assert _rgb(GREEN) not in colours and _rgb(AMBER) not in colours
    assert "DISCLOSED" not in w.state.text()
    assert w.state.text().startswith("not found" if state == NOT_FOUND else "source lost")


def _clip(path: Path, marked: bool) -> Path:
    return marked_call_clip(path, marked=marked, frames=12, session=SESSION, key=KEY)


@pytest.mark.parametrize("marked", [True, False])
def test_badge_follows_a_live_watch(qtbot: Any, tmp_path: Path, marked: bool) -> None:
    source = FileSource(_clip(tmp_path / "clip.mp4", marked), loop=False)
    watcher = Watcher(source, fps=10.0, installation_key=KEY)
    w = BadgeWindow(watcher)
    qtbot.addWidget(w)
    w.show()
    thread = WatchThread(watcher)
    events: list[WatchEvent] = []
    thread.changed.connect(events.append)
    thread.changed.connect(w.show_event)
    with qtbot.waitSignal(thread.finished, timeout=120_000):
        thread.start()
    qtbot.waitUntil(lambda: w.current is not None and w.current.state == LOST, timeout=10_000)
    disclosed = [e for e in events if e.state == DISCLOSED]
    if marked:
        assert disclosed and disclosed[0].found[0].session_id == SESSION
    else:
        assert disclosed == []
    assert w.state.text() == "source lost: the source ended"
    thread.stop()
