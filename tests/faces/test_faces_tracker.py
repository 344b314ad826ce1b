"""The tracker alone, on synthetic detections: follows, smooths, never doubles a face."""

from __future__ import annotations

import numpy as np

from overlay.faces.tracker import Box, FaceTracker


def _box(cx: float, cy: float, s: float = 150.0) -> Box:
    return (cx - s / 2, cy - s / 2, cx + s / 2, cy + s / 2)


def _centre(b: Box) -> tuple[float, float]:
    return ((b[0] + b[2]) / 2, (b[1] + b[3]) / 2)


def test_constant_motion_is_predicted_between_detections() -> None:
    tr = FaceTracker()
    errors = []
    for k in range(90):
        t = k / 30
        x = 200 + 300 * t  # 300 px/s
        if k % 3 == 0:
            tr.update(t, [_box(x, 300)], (int(x) - 165, 135, 330))
        ((cx, cy),) = [_centre(b) for b in tr.boxes(t)]
        errors.append(abs(cx - x) + abs(cy - 300))
    assert max(errors[15:]) < 3.0, errors


def test_noise_on_a_still_face_is_damped() -> None:
    rng = np.random.default_rng(1)
    tr = FaceTracker()
    out = []
    for k in range(0, 300, 3):
        t = k / 30
        tr.update(t, [_box(640 + rng.normal(0, 3), 360 + rng.normal(0, 3))], (475, 195, 330))
        out.append(_centre(tr.boxes(t)[0]))
    spread = np.std(np.array(out[10:]), axis=0)
    # raw detections spread by 3 px; the tracker damps that by a quarter or more (the tag
    # stamp then holds still through changes of 2 px or less)
    assert (spread < 2.25).all(), spread


def test_a_reversing_face_stays_one_track() -> None:
    tr = FaceTracker()
    for k in range(0, 240, 3):
        t = k / 30
        x = 300 + 250 * abs(((t / 2) % 2) - 1) * 4  # back and forth, 1000 px per 2 s
        tr.update(t, [_box(x, 300)], (round(x) - 165, 135, 330))
        assert len(tr.tracks) == 1


def test_two_faces_two_tracks_and_a_lost_face_goes() -> None:
    tr = FaceTracker(max_misses=2)
    tr.update(0.0, [_box(300, 300), _box(900, 300)])
    assert len(tr.tracks) == 2
    for k in range(1, 4):
        tr.update(k * 0.1, [_box(300, 300)])
    assert len(tr.tracks) == 1
    assert abs(_centre(tr.boxes(0.4)[0])[0] - 300) < 1


def test_a_region_elsewhere_does_not_count_as_a_miss() -> None:
    tr = FaceTracker(max_misses=1)
    tr.update(0.0, [_box(300, 300), _box(900, 300)])
    for k in range(1, 6):  # look only around the left face
        tr.update(k * 0.1, [_box(300, 300)], (135, 135, 330))
    assert len(tr.tracks) == 2


def test_scans_only_add_faces_away_from_tracks() -> None:
    tr = FaceTracker()
    tr.update(0.0, [_box(300, 300)])
    tr.update(0.1, [_box(310, 305), _box(900, 300)], (0, 0, 1280), scan=True)
    assert len(tr.tracks) == 2


def test_tag_goes_left_when_the_face_is_at_the_right_edge() -> None:
    from overlay.stamps.facetag import tag_place

    x, y = tag_place((500, 200, 650, 350), 60, 40, (1280, 720))
    assert x > 650 and y == 200  # right of the face, level with its top
    x, y = tag_place((1150, 200, 1270, 320), 60, 40, (1280, 720))
    assert x + 60 < 1150  # no room on the right: on the left
    x, y = tag_place((-50, -30, 100, 120), 60, 40, (1280, 720))
    assert x >= 0 and y == 0  # always inside the frame
