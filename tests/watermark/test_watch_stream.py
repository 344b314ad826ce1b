"""The streaming detector's cheap paths: one grey pyramid per frame for every search,
detectors kept across windows, tiles searched at fewer scales (counted in the bounds),
the whole picture's scales read on every other full frame, the faster per-frame
accumulation and Viterbi decoder, and the stream's public names."""

from __future__ import annotations

import contextlib
import copy
import functools
from collections.abc import Callable, Iterator
from unittest import mock

import cv2
import numpy as np
import numpy.typing as npt
import pytest
from watermark_content import PAYLOAD, SIZE, clip

import overlay.watermark as wm
from overlay.frames import BGRImage
from overlay.watermark import Embedder, detect, stream
from overlay.watermark.detect import (
    MAX_SCALE,
    SEARCH_EVERY,
    Detector,
    _scales,
    _Scores,
    working_grey,
    working_size,
)
from overlay.watermark.ecc import TAIL, coded_length, decode, encode
from overlay.watermark.lattice import LatticeScorer
from overlay.watermark.payload import PAYLOAD_BITS, unpack
from overlay.watermark.pyramid import GreyPyramid
from overlay.watermark.stream import TILE_SCALE, StreamDetector

GRID = ((10, 6, 944, 531), (966, 6, 944, 531), (10, 543, 944, 531), (966, 543, 944, 531))


def _grid(tiles: list[list[BGRImage]], size: tuple[int, int] = (1920, 1080)) -> list[BGRImage]:
    sx, sy = size[0] / 1920, size[1] / 1080
    out = []
    for i in range(len(tiles[0])):
        page = np.full((size[1], size[0], 3), 32, np.uint8)
        for (x, y, w, h), frames in zip(GRID, tiles, strict=True):
            x, y, w, h = round(x * sx), round(y * sy), round(w * sx), round(h * sy)
            page[y : y + h, x : x + w] = cv2.resize(frames[i], (w, h), interpolation=cv2.INTER_AREA)
        out.append(page)
    return out


@pytest.fixture(scope="module")
def photos() -> list[list[BGRImage]]:
    return [clip(name, 4, seed=i) for i, name in enumerate(("coffee", "chelsea", "rocket"))]


@pytest.fixture(scope="module")
def astronaut() -> list[BGRImage]:
    return clip("astronaut", 4)


@pytest.fixture(scope="module")
def marked_astronaut(astronaut: list[BGRImage]) -> list[BGRImage]:
    embedder = Embedder(PAYLOAD, SIZE)
    return [embedder.apply(f.copy()) for f in astronaut]


# -- the pyramid ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "box",
    [None, (966, 543, 944, 531), (10, 6, 944, 531), (384, 144, 640, 360), (0, 0, 256, 192)],
)
def test_pyramid_gives_the_detectors_own_working_picture(
    box: tuple[int, int, int, int] | None, astronaut: list[BGRImage]
) -> None:
    frame = cv2.resize(astronaut[0], (1920, 1080), interpolation=cv2.INTER_AREA)
    x, y, w, h = box if box is not None else (0, 0, 1920, 1080)
    work_w, work_h, columns = working_size(w, h)
    pyramid = GreyPyramid()
    pyramid.update(frame)
    # The detector measures from twice its working size.
    size = (2 * work_w, 2 * work_h)
    got = pyramid.resized(size, (x, y, columns, h))
    own = working_grey(frame[y : y + h, x : x + columns], size)
    assert got.shape == (2 * work_h, 2 * work_w) and got.dtype == np.float32
    assert np.array_equal(got, own)


def test_pyramid_follows_the_latest_frame(astronaut: list[BGRImage]) -> None:
    """Its buffers are reused: the next frame's picture is that frame's, not the last."""
    first, second = (cv2.resize(f, (1920, 1080)) for f in astronaut[:2])
    pyramid = GreyPyramid()
    pyramid.update(first)
    before = pyramid.resized((170, 96), (0, 0, 1912, 1080))
    pyramid.update(second)
    after = pyramid.resized((170, 96), (0, 0, 1912, 1080))
    assert not np.array_equal(before, after)
    assert np.array_equal(after, working_grey(second[:, :1912], (170, 96)))


# -- detectors kept across windows, tiles at fewer scales ------------------------------


@contextlib.contextmanager
def _counting_builds() -> Iterator[Callable[[], int]]:
    """Counts the detectors the stream builds."""
    with mock.patch.object(stream, "_Paced", wraps=stream._Paced) as built:
        yield lambda: built.call_count


def test_a_steady_grid_builds_its_detectors_once(photos: list[list[BGRImage]]) -> None:
    pages = _grid([*photos, photos[0]])
    with _counting_builds() as built:
        s = StreamDetector(window=2, checkpoints=(2,))
        for i, page in enumerate(pages):  # two windows
            s.add(page, i / 10)
    assert s.windows == 2 and s.decision is not None
    assert len(s.decision.boxes) == 4
    assert built() == 5  # the whole picture and 4 tiles, once


def test_a_capture_of_another_shape_gets_new_detectors(photos: list[list[BGRImage]]) -> None:
    """(A capture of the same shape at another size keeps them: the working pictures
    depend on the shape alone.)"""
    pages = _grid([*photos, photos[0]])[:2] + _grid([*photos, photos[0]], (1440, 1080))[2:]
    with _counting_builds() as built:
        s = StreamDetector(window=2, checkpoints=(2,))
        for i, page in enumerate(pages):
            s.add(page, i / 10)
    assert s.windows == 2 and s.decision is not None
    assert built() > 5
    # The tiles of the new capture, not the old capture's boxes that still fit in it.
    assert len(s.decision.boxes) == 4
    assert all(x + w <= 1440 and y + h <= 1080 for x, y, w, h in s.decision.boxes)
    assert not set(s.decision.boxes) & set(GRID)


def _layout(boxes: list[tuple[int, int, int, int]], photos: list[BGRImage]) -> BGRImage:
    page = np.full((1080, 1920, 3), 32, np.uint8)
    for i, (x, y, w, h) in enumerate(boxes):
        page[y : y + h, x : x + w] = cv2.resize(photos[i % len(photos)], (w, h))
    return page


def test_tiles_of_changing_shapes_keep_a_bounded_pool(photos: list[list[BGRImage]]) -> None:
    """A call app that changes its layout every window: each window gets detectors of
    its tiles' shapes, and at most a window's worth stay idle."""
    four = list(GRID)
    nine = [(10 + 636 * c, 10 + 356 * r, 620, 346) for r in range(3) for c in range(3)]
    two = [(20, 40, 900, 1000), (980, 40, 900, 1000)]
    pics = [p[0] for p in photos]
    pages = [_layout(b, pics) for b in (four, nine, two, four, nine, two)]
    s = StreamDetector(window=1, tiles=4)
    for i, page in enumerate(pages):
        decision = s.add(page, i / 10)
        assert decision.boxes, i
        assert sum(len(idle) for idle in s._pool.values()) <= 1 + s.tiles
    assert s.windows == len(pages)


def test_a_marked_tile_is_found_at_the_tile_scales_and_the_bound_counts_them(
    photos: list[list[BGRImage]], marked_astronaut: list[BGRImage]
) -> None:
    s = StreamDetector(window=4)
    decision = None
    for i, page in enumerate(_grid([*photos, marked_astronaut])):
        decision = s.add(page, i / 10)
    assert decision is not None and decision.present and decision.payload == PAYLOAD
    (finding,) = decision.findings
    assert finding.box is not None
    assert max(abs(a - b) for a, b in zip(finding.box, GRID[3], strict=True)) <= 2
    whole = Detector(searches=s.searches).hypotheses()
    tile = Detector(searches=s.searches, max_scale=TILE_SCALE).hypotheses()
    assert finding.detection.hypotheses == tile < whole / 3
    assert finding.detection.false_positive_bound <= s.window_bound <= 1e-9
    # The offset is in pixels of the capture (a few cells at most), not of the working
    # picture.
    assert all(abs(o) <= 6 * 531 / 24 for o in finding.detection.offset)


def test_an_unmarked_grid_is_not_found_at_the_tile_scales(
    photos: list[list[BGRImage]], astronaut: list[BGRImage]
) -> None:
    s = StreamDetector(window=4)
    decision = None
    for i, page in enumerate(_grid([*photos, astronaut])):
        decision = s.add(page, i / 10)
    assert decision is not None and not decision.present
    assert len(decision.boxes) == 4 and decision.score < 4.0


def test_fewer_scales_lower_the_presence_threshold_by_their_count() -> None:
    full, tile = Detector(searches=15), Detector(searches=15, max_scale=TILE_SCALE)
    scales = _scales()
    assert scales[-1] >= MAX_SCALE and len(scales) == 28
    assert full.hypotheses() == 28 * 16 * 28 * 15  # scales x phases x shifts x searches
    assert tile.hypotheses() * 28 == full.hypotheses() * 6  # 6 of 28 scales (1.000-1.025)
    assert tile.detect().presence_threshold < full.detect().presence_threshold


# -- the scales other than the nominal one read on fewer frames -------------------------


def _reads(det: Detector, frames: list[BGRImage]) -> list[list[int]]:
    """The scales ``det`` reads on each of ``frames`` (its accumulation calls)."""
    read: list[list[int]] = []
    with mock.patch.object(Detector, "_accumulate", autospec=True) as acc:
        for f in frames:
            acc.reset_mock()
            det.add(f)
            read.append([c.args[3] for c in acc.call_args_list])
    return read


def test_the_whole_picture_reads_each_scale_on_every_other_full_frame_after_the_first(
    astronaut: list[BGRImage],
) -> None:
    frames = (astronaut * 5)[:20]
    det = stream._Paced(searches=15, window=20, spread=2)
    read = _reads(det, frames)
    others = set(range(1, len(_scales())))
    # The nominal scale alone on every frame but the full ones after the first.
    later = [k * SEARCH_EVERY for k in (1, 2, 3, 4)]
    assert all(r == [0] for i, r in enumerate(read) if i not in later)
    # Alternate halves on those: every scale twice a window.
    evens, odds = {i for i in others if i % 2 == 0}, {i for i in others if i % 2 == 1}
    assert [set(read[i]) - {0} for i in later] == [evens, odds, evens, odds]
    assert all(read[i][0] == 0 for i in later)
    # Every scale is still searched, and counted, at every search.
    assert det.hypotheses() == Detector(searches=15).hypotheses()
    assert det.detect(refine=False).hypotheses == det.hypotheses()


def test_a_tile_reads_its_scales_on_every_full_frame_after_the_first(
    astronaut: list[BGRImage],
) -> None:
    frames = (astronaut * 5)[:20]
    det = stream._Paced(searches=15, max_scale=TILE_SCALE, window=20)
    read = _reads(det, frames)
    later = [k * SEARCH_EVERY for k in (1, 2, 3, 4)]
    assert all(r == [0] for i, r in enumerate(read) if i not in later)
    assert all(read[i] == list(range(6)) for i in later)


def test_a_window_with_one_full_frame_reads_every_scale_on_it(
    astronaut: list[BGRImage],
) -> None:
    read = _reads(stream._Paced(searches=3, window=SEARCH_EVERY, spread=2), astronaut)
    assert read[0] == list(range(len(_scales())))
    assert read[1:] == [[0]] * (len(astronaut) - 1)
    assert StreamDetector(spread=1).spread == 1
    with pytest.raises(ValueError, match="spread 0"):
        StreamDetector(spread=0)


@pytest.mark.parametrize("paced", [True, False])
def test_the_watch_refines_on_the_pictures_as_captured_and_verify_through_the_gammas(
    photos: list[list[BGRImage]], paced: bool
) -> None:
    # Unmarked frames: no read-out gives a payload, so the last search refines. The
    # watch's detector reads its kept pictures through no inverse gamma (a call keeps
    # the tone curve); its twin, verify's detector, reads them through every one.
    det = stream._Paced(searches=3, window=4) if paced else Detector(searches=3)
    for frame in photos[0]:
        det.add(frame)
    with mock.patch.object(detect, "_integrals", wraps=detect._integrals) as read:
        result = det.detect()
    assert not result.present
    gammas = {c.args[1] if len(c.args) > 1 else 1.0 for c in read.call_args_list}
    assert gammas == ({1.0} if paced else {1.0, *Detector.gammas})
    assert len(Detector.gammas) >= 2


# -- the per-frame accumulation ---------------------------------------------------------


def _reference_accumulate(self: Detector, img: npt.NDArray[np.float32], geo, i: int) -> None:  # type: ignore[no-untyped-def]
    """The accumulation as first written (a grid per phase, NaN outside the picture)."""
    from overlay.watermark.detect import _TAU, BLANK, BLOCK, CLIPPED, Q, _steadiness

    box = cv2.blur(img, (Q, Q), anchor=(0, 0), borderType=cv2.BORDER_CONSTANT)
    clipped = ((img <= CLIPPED) | (img >= 255 - CLIPPED)).astype(np.float32)
    crushed = cv2.blur(clipped, (Q, Q), anchor=(0, 0), borderType=cv2.BORDER_CONSTANT)
    rows, cols = geo.rows, geo.cols
    grid = np.full((Q * Q, rows + BLOCK[0], cols + BLOCK[1]), np.nan, np.float32)
    worst = np.ones_like(grid)
    for ph in range(Q * Q):
        py, px = divmod(ph, Q)
        cells = box[py::Q, px::Q][:rows, :cols]
        gh, gw = cells.shape
        ok = geo.cell_ok[ph, :gh, :gw]
        grid[ph, :gh, :gw] = np.where(ok, cells, np.nan)
        worst[ph, :gh, :gw] = crushed[py::Q, px::Q][:rows, :cols]
    parts = [grid[:, dr : dr + rows, dc : dc + cols] for dr, dc in geo.cell_offsets]
    bad = functools.reduce(
        np.maximum, [worst[:, dr : dr + rows, dc : dc + cols] for dr, dc in geo.cell_offsets]
    )
    proj = np.stack(parts, axis=-1) @ geo.patterns
    spread = functools.reduce(np.maximum, parts) - functools.reduce(np.minimum, parts)
    valid = (np.isfinite(spread) & (bad < 0.25) & (spread >= BLANK)).astype(np.float32)
    if i:  # off the nominal scale, weighted by each block's steadiness (added later)
        valid *= _steadiness(box, geo)
    angle = _TAU * np.nan_to_num(proj)
    c, s = np.cos(angle), np.sin(angle)
    c *= valid[..., None]
    s *= valid[..., None]
    sums = self._sums[i]
    sums[0, :, :rows, :cols] += c
    sums[1, :, :rows, :cols] += s
    sums[2, :, :rows, :cols] += c * c - s * s
    sums[3, :, :rows, :cols] += 2.0 * c * s
    self._seen[i][:, :rows, :cols] += valid
    self._evals[i] += 1


def _accumulated(frames: list[BGRImage], reference: bool) -> Detector:
    det = Detector(searches=10)
    if reference:
        with mock.patch.object(Detector, "_accumulate", _reference_accumulate):
            for f in frames:
                det.add(f)
    else:
        for f in frames:
            det.add(f)
    return det


def _hard_frames(astronaut: list[BGRImage], marked: list[BGRImage]) -> list[BGRImage]:
    """Marked and unmarked frames, one crushed to black and white in parts, one flat."""
    crushed = marked[1].copy()
    crushed[:200] = 0
    crushed[400:500, :600] = 255
    flat = np.full_like(marked[2], 128)
    return [marked[0], crushed, astronaut[0], flat, marked[3], astronaut[1], marked[2]]


def test_the_accumulation_adds_what_the_first_version_added(
    astronaut: list[BGRImage], marked_astronaut: list[BGRImage]
) -> None:
    frames = _hard_frames(astronaut, marked_astronaut)
    fast, slow = _accumulated(frames, False), _accumulated(frames, True)
    for a, b in zip(fast._sums, slow._sums, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=2e-4)
    for a, b in zip(fast._seen, slow._seen, strict=True):
        assert np.array_equal(a, b)
    assert np.array_equal(fast._evals, slow._evals)
    np.testing.assert_allclose(fast._score().z, slow._score().z, rtol=0, atol=1e-4)
    got, want = fast.detect(), slow.detect()
    assert got.payload == want.payload == PAYLOAD and got.score == pytest.approx(want.score)


def test_the_accumulation_comparison_sees_another_frame(
    astronaut: list[BGRImage], marked_astronaut: list[BGRImage]
) -> None:
    frames = _hard_frames(astronaut, marked_astronaut)
    fast = _accumulated(frames, False)
    other = _accumulated([*frames[:-1], astronaut[2]], True)
    assert (
        max(float(np.abs(a - b).max()) for a, b in zip(fast._sums, other._sums, strict=True)) > 0.1
    )
    assert not all(np.array_equal(a, b) for a, b in zip(fast._seen, other._seen, strict=True))


# -- the lattice scores as matrix products ----------------------------------------------


def _gathered(det: Detector) -> npt.NDArray[np.float32]:
    """Every hypothesis's score the way ``Detector._score`` first computed it: a gather
    of every hypothesis's block positions from the sums."""
    z = np.zeros(det.hypotheses() // det.searches, np.float32)
    per = z.size // len(det._geo)
    for i, geo in enumerate(det._geo):
        n = det._evals[i]
        if not n:
            continue
        c2, s2 = (np.take(det._sums[i][k], geo.value) for k in (2, 3))
        cos4 = (c2 * geo.rot[2] + s2 * geo.rot[3]).sum(axis=1) / n
        weight = np.take(det._seen[i], geo.pos).sum(axis=1) / n
        z[i * per : (i + 1) * per] = cos4 / np.sqrt(np.maximum(weight, 1.0))
    return z


@pytest.mark.parametrize("crop", [None, (10, 6, 944, 531)])
def test_the_lattice_products_give_the_gathers_scores(
    crop: tuple[int, int, int, int] | None,
    astronaut: list[BGRImage],
    marked_astronaut: list[BGRImage],
) -> None:
    frames = _hard_frames(astronaut, marked_astronaut)
    if crop is not None:  # a tile's shape: another geometry
        x, y, w, h = crop
        frames = [cv2.resize(f, (1920, 1080))[y : y + h, x : x + w] for f in frames]
    det = Detector(searches=15)
    for f in frames:
        det.add(f)
    assert det._evals.min() > 0  # every scale was read (the first frame reads them all)
    want = _gathered(det)
    got = det._score().z
    np.testing.assert_allclose(got, want, rtol=0, atol=2e-6 * float(np.abs(want).max()))
    # The same hypotheses lead, in the same order, and the same decision.
    assert np.array_equal(np.argsort(-got)[:8], np.argsort(-want)[:8])
    twin = copy.deepcopy(det)
    result = det.detect()

    def gathered_scores(self: Detector) -> _Scores:
        return _Scores(_gathered(self), np.ones(1, np.float32))

    with mock.patch.object(Detector, "_score", gathered_scores):
        reference = twin.detect()
    assert result.payload == reference.payload and result.present == reference.present
    assert result.score == pytest.approx(reference.score, rel=1e-5)
    assert (result.scale, result.offset) == (reference.scale, reference.offset)
    if crop is None:
        assert result.payload == PAYLOAD


def test_the_lattice_comparison_sees_other_sums(
    astronaut: list[BGRImage], marked_astronaut: list[BGRImage]
) -> None:
    frames = _hard_frames(astronaut, marked_astronaut)
    det, other = Detector(searches=15), Detector(searches=15)
    for f, g in zip(frames, [*frames[:-1], astronaut[2]], strict=True):
        det.add(f)
        other.add(g)
    assert float(np.abs(det._score().z - _gathered(other)).max()) > 0.1
    # A geometry whose shifts do not repeat across phases is refused, not misread.
    geo = det._geo[0]
    bent = copy.copy(geo)
    bent.pos = geo.pos.copy()
    bent.pos[geo.shifts, 0] += 1  # phase 1, shift 0: block 0 one position over
    with pytest.raises(ValueError, match="does not repeat its shifts"):
        LatticeScorer(bent)


# -- the Viterbi decoder ----------------------------------------------------------------


def _reference_decode(soft: npt.NDArray[np.float64], bits: int) -> npt.NDArray[np.uint8]:
    """The decoder as first written (sort the candidates; later, larger writes win)."""
    from overlay.watermark.ecc import _STATES, RATE, _trellis

    nxt, out = _trellis()
    steps = bits + TAIL
    pairs = np.zeros((steps, RATE))
    flat = soft[: RATE * steps]
    pairs.reshape(-1)[: flat.size] = flat
    metric = np.full(_STATES, -np.inf)
    metric[0] = 0.0
    back = np.zeros((steps, _STATES), np.int64)
    src = np.repeat(np.arange(_STATES), 2)
    inputs = np.tile([0, 1], _STATES)
    dest = nxt[src, inputs]
    for t in range(steps):
        cand = metric[src] + out[src, inputs] @ pairs[t]
        if t >= bits:
            cand = np.where(inputs == 0, cand, -np.inf)
        new = np.full(_STATES, -np.inf)
        choice = np.zeros(_STATES, np.int64)
        order = np.argsort(cand, kind="stable")
        new[dest[order]] = cand[order]
        choice[dest[order]] = (src[order] << 1) | inputs[order]
        metric = new
        back[t] = choice
    state = 0
    decoded = np.zeros(steps, np.uint8)
    for t in range(steps - 1, -1, -1):
        c = back[t, state]
        decoded[t] = c & 1
        state = int(c >> 1)
    return decoded[:bits]


def test_decode_gives_the_same_bits_as_the_reference_decoder() -> None:
    rng = np.random.default_rng(3)
    for trial in range(400):
        bits = int(rng.integers(1, PAYLOAD_BITS + 1))
        n = coded_length(bits)
        soft = rng.normal(size=n)
        if trial % 3 == 1:  # erasures: ties everywhere
            soft[rng.random(n) < 0.6] = 0.0
        elif trial % 3 == 2:
            soft = rng.integers(-1, 2, size=n).astype(np.float64)
        assert np.array_equal(decode(soft, bits), _reference_decode(soft, bits)), trial


def test_decode_corrects_errors_and_noise_does_not_pass_the_check() -> None:
    rng = np.random.default_rng(4)
    bits = rng.integers(0, 2, PAYLOAD_BITS).astype(np.uint8)
    soft = 2.0 * encode(bits) - 1.0
    soft[rng.choice(soft.size, 8, replace=False)] *= -1  # 8 coded bits wrong
    soft[rng.choice(soft.size, 30, replace=False)] = 0.0  # and 30 erased
    assert np.array_equal(decode(soft, PAYLOAD_BITS), bits)
    # Unmarked content: noise never decodes to a payload that passes the keyed check.
    assert all(
        unpack(decode(rng.normal(size=soft.size), PAYLOAD_BITS), wm.PUBLIC_KEY) is None
        for _ in range(200)
    )


# -- public names -----------------------------------------------------------------------


def test_the_stream_and_the_tile_finder_are_public() -> None:
    for name in ("StreamDetector", "TileFinder", "Decision", "Finding", "find_tiles"):
        assert name in wm.__all__ and getattr(wm, name).__doc__
    assert wm.StreamDetector is StreamDetector
    assert "GreyPyramid" not in wm.__all__ and "TILE_SCALE" not in wm.__all__
