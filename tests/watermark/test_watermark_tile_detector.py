"""Reading a tile cut out of a screen recording: frames weighed by their sharpness
(``TileDetector``), as verify reads the tiles it finds."""

from __future__ import annotations

from typing import ClassVar

import cv2
import numpy as np
import pytest
from watermark_content import PAYLOAD, SIZE, clip, picture

from overlay import verify as verify_module
from overlay.frames import BGRImage
from overlay.verify import CHECKPOINTS, TILES, scan_frames
from overlay.watermark import FORMAT_VERSION, Detector, Embedder, Payload
from overlay.watermark.detect import READS
from overlay.watermark.tiles import SHARP_FRAMES, TileDetector

TILE = (512, 288)


def _sharp_and_blurred() -> tuple[BGRImage, BGRImage]:
    sharp = cv2.resize(picture("astronaut"), TILE, interpolation=cv2.INTER_AREA)
    return sharp, cv2.GaussianBlur(sharp, (0, 0), 0.8)


def test_a_frame_blurrier_than_the_one_before_weighs_less() -> None:
    sharp, blurred = _sharp_and_blurred()
    det = TileDetector()
    det.add(sharp)
    assert det._weight == 1.0
    det.add(blurred)
    assert det._weight < 0.5
    # The frame's evidence counts by its weight (the plain detector counts it fully).
    plain = Detector()
    for f in (sharp, blurred):
        plain.add(f)
    assert det._seen[0].sum() < 0.75 * plain._seen[0].sum()


def test_a_frame_as_sharp_as_those_before_weighs_fully() -> None:
    sharp, blurred = _sharp_and_blurred()
    det = TileDetector()
    det.add(blurred)
    assert det._weight == 1.0  # nothing before it
    det.add(sharp)
    assert det._weight == 1.0  # sharper than what came before
    # The reference is only the latest frames, and a new window forgets them.
    for _ in range(SHARP_FRAMES):
        det.add(blurred)
    assert det._weight == 1.0
    det.reset()
    det.add(blurred)
    assert det._weight == 1.0
    # The plain detector weighs every frame fully.
    plain = Detector()
    plain.add(sharp)
    plain.add(blurred)
    assert plain._weight == 1.0


def _read(frames: list[BGRImage], det: Detector) -> Detector:
    for i, image in enumerate(frames, 1):
        det.add(image)
        if i in CHECKPOINTS and det.detect(refine=i == CHECKPOINTS[-1]).detected:
            break
    return det


@pytest.fixture(scope="module")
def unmarked_tile() -> list[BGRImage]:
    return [cv2.resize(f, TILE, interpolation=cv2.INTER_AREA) for f in clip("chelsea", 60)]


def test_an_unmarked_tile_reads_nothing_and_counts_every_read_out(
    unmarked_tile: list[BGRImage],
) -> None:
    det = _read(unmarked_tile, TileDetector(searches=len(CHECKPOINTS) * (1 + TILES)))
    assert det.reads == READS * len(CHECKPOINTS)  # its share of the window's bound


class _Kept(TileDetector):
    """Keeps the tile detectors verify makes."""

    made: ClassVar[list[TileDetector]] = []

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        _Kept.made.append(self)


def _paste(frames: list[BGRImage], boxes: list[tuple[int, int, int, int]]) -> list[BGRImage]:
    out = []
    for f in frames:
        page = np.full((1080, 1920, 3), 40, np.uint8)
        for x, y, w, h in boxes:
            page[y : y + h, x : x + w] = cv2.resize(f, (w, h), interpolation=cv2.INTER_AREA)
        out.append(page)
    return out


def test_verify_reads_each_tile_with_a_tile_detector(monkeypatch: pytest.MonkeyPatch) -> None:
    boxes = [(115, 324, 768, 432), (1000, 324, 768, 432)]
    _Kept.made = []
    monkeypatch.setattr(verify_module, "TileDetector", _Kept)
    report = scan_frames(_paste(clip("astronaut", 6), boxes), window=6)
    assert not report.present
    assert len(_Kept.made) == len(boxes)  # one per tile, none for the whole picture


def test_verify_reads_a_pasted_marked_tile_with_its_weighted_detector() -> None:
    embedder = Embedder(PAYLOAD, SIZE)
    frames = [embedder.apply(f.copy()) for f in clip("astronaut", 6)]
    report = scan_frames(_paste(frames, [(115, 324, 768, 432)]), window=6)
    assert report.detected and report.sealed_id == PAYLOAD.sealed_id


@pytest.fixture(scope="module")
def two_marks() -> tuple[list[BGRImage], Payload, Payload]:
    """A tile whose every 4th frame is sharp and carries one payload, the 3 between
    blurred a little and carrying another (as a screen recording's B-frames carry the
    mark less well than the frames coded at a finer quantiser)."""
    sharp, blurred = (
        Payload(FORMAT_VERSION, True, "5eed0001"),
        Payload(FORMAT_VERSION, True, "5eed0002"),
    )
    embedders = {p: Embedder(p, SIZE) for p in (sharp, blurred)}
    frames = []
    for i, f in enumerate(clip("chelsea", 60, seed=3)):
        p = sharp if i % 4 == 0 else blurred
        tile = cv2.resize(embedders[p].apply(f.copy()), TILE, interpolation=cv2.INTER_AREA)
        frames.append(tile if p == sharp else cv2.GaussianBlur(tile, (0, 0), 0.8))
    return frames, sharp, blurred


def _payload(frames: list[BGRImage], det: Detector) -> Payload | None:
    for image in frames:
        det.add(image)
    return det.detect().payload


def test_the_sharp_frames_outweigh_the_blurred_ones(
    two_marks: tuple[list[BGRImage], Payload, Payload],
) -> None:
    frames, sharp, _ = two_marks
    assert _payload(frames, TileDetector()) == sharp


def test_without_the_weights_the_blurred_frames_win(
    two_marks: tuple[list[BGRImage], Payload, Payload],
) -> None:
    frames, _, blurred = two_marks
    assert _payload(frames, Detector()) == blurred
