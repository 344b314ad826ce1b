"""The preview paints the sent frame as it is; only the self-view is mirrored."""

from __future__ import annotations

from typing import Any

import numpy as np

from overlay.app.view import PreviewView


def _painted(view: PreviewView, qtbot: Any) -> tuple[int, int]:
    qtbot.addWidget(view)
    view.resize(320, 180)
    view.show()
    image = view.grab().toImage()
    return image.pixelColor(20, 90).red(), image.pixelColor(300, 90).red()


def _left_white() -> np.ndarray:
    buf = np.zeros((180, 320, 3), np.uint8)
    buf[:, :160] = 255
    return buf


def test_the_output_preview_is_not_mirrored(qtbot: Any):
    view = PreviewView()
    view.set_buffer(_left_white())
    assert _painted(view, qtbot) == (255, 0)


def test_the_self_view_is_mirrored(qtbot: Any):
    view = PreviewView(mirrored=True)
    view.set_buffer(_left_white())
    assert _painted(view, qtbot) == (0, 255)


def test_the_preview_keeps_the_aspect_ratio(qtbot: Any):
    view = PreviewView()
    view.set_buffer(_left_white())
    qtbot.addWidget(view)
    view.resize(640, 180)  # wider than 16:9: bars left and right, none cropped
    rect = view.target_rect()
    assert (rect.width(), rect.height(), rect.x()) == (320, 180, 160)


def test_the_window_mirrors_only_the_self_view(make_window: Any, qtbot: Any):
    w = make_window()
    w.dialog.form.self_view_check.setChecked(True)
    assert w.self_view_panel.isVisible()
    assert w.self_view.mirrored and not w.preview.mirrored
    w.dialog.form.self_view_check.setChecked(False)
    assert not w.self_view_panel.isVisible()


def _big_left_white() -> np.ndarray:
    buf = np.zeros((360, 640, 3), np.uint8)
    buf[:, :320] = 255
    return buf


def test_a_frame_larger_than_the_view_is_scaled_down_unmirrored(qtbot: Any):
    view = PreviewView()
    view.set_buffer(_big_left_white())
    assert _painted(view, qtbot) == (255, 0)
    assert view._small is not None and view._small.shape == (180, 320, 3)  # the cv2 path


def test_a_frame_larger_than_the_self_view_is_scaled_down_mirrored(qtbot: Any):
    view = PreviewView(mirrored=True)
    view.set_buffer(_big_left_white())
    assert _painted(view, qtbot) == (0, 255)
