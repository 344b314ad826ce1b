"""Streaming detection: feed frames as they come, read the current decision.

:class:`StreamDetector` cuts the stream into windows of ``window`` frames. In each
window it searches the whole picture and up to ``tiles`` rectangles proposed by a
:class:`~overlay.watermark.tiles.TileFinder` over the previous window (call tiles of a
captured screen or window, each cut out and searched as a picture of its own), after
each of the ``checkpoints`` (an early search catches a strong mark after one frame; a
later one averages more frames for a weak one). A target found stops being searched
until the window ends.

CPU: every scale of a search costs about as much as reading a frame at it, and the
whole picture has 28 scales (a tile 6), so the scales other than the nominal one are
read on fewer frames (:class:`_Paced`): none on a window's first frame (the search after
it reads the picture as sent), and the whole picture's on every other full frame after
it (:data:`SPREAD`). See ``docs/watch.md`` for the figures.

False positives, counted per window (the same rule as ``overlay verify``):

- every search in a window is one of ``len(checkpoints) * (1 + tiles)`` (counted at the
  cap, whatever was proposed), and each search covers the detector's geometry
  hypotheses (scales, sub-cell phases, shifts; every scale at every search, read yet
  or not); the detector takes the searches into its bounds, so a window claims the
  mark falsely (a payload, or presence without one) with probability at most
  ``READS * searches * 2**-36 + PRESENCE_BOUND``: 9.7e-10 with the defaults (3
  checkpoints, 4 tiles). :attr:`StreamDetector.window_bound` says it.
- windows over time do not overlap, so the expected number of false claims over a
  stream is at most ``window_bound`` times the windows watched: at 10 samples/s and 20
  frames per window, 1 800 windows an hour, at most 1.8e-6 false claims an hour
  (:meth:`StreamDetector.false_alarms_per_hour`).

The decision holds a window's findings until the next window has run all its
checkpoints without finding the mark (so a weak mark, found only after averaging a
window, does not flicker): "not found" comes at most two windows after the mark went.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from overlay.frames import BGRImage
from overlay.watermark.detect import (
    PRESENCE_BOUND,
    READS,
    SEARCH_EVERY,
    Detection,
    Detector,
    payload_bound,
    working_size,
)
from overlay.watermark.layout import PUBLIC_KEY
from overlay.watermark.payload import Payload
from overlay.watermark.pyramid import GreyPyramid
from overlay.watermark.tiles import Box, TileFinder

__all__ = ["TILES", "WINDOW", "Decision", "Finding", "StreamDetector", "checkpoints_for"]

#: Frames per window (2 s at 10 samples per second).
WINDOW = 20
#: Rectangles searched on their own per window, besides the whole picture.
TILES = 4
#: A tile is searched at scales up to this one only: its box is snapped to the
#: picture's edges to a pixel or two (0.5 % of a 432-pixel tile), so the 14 % zoom range
#: searched in the whole picture would be 28 scales where 6 (1.000-1.025) cover it.
TILE_SCALE = 1.03


#: The whole picture reads each scale other than the nominal one on every ``SPREAD``-th
#: of its full frames after the first (see :class:`_Paced`); a tile (6 scales, not 28)
#: on every one.
SPREAD = 2


class _Paced(Detector):
    """A :class:`Detector` that reads the scales other than the nominal one on fewer of
    its full frames (the :class:`Detector` reads every scale on every ``SEARCH_EVERY``-th
    frame, the nominal one on every frame):

    - not on the window's first frame when the window has other full frames: the search
      after one frame then reads the nominal scale alone (the picture as sent, the usual
      case: a strong mark is still found after one frame, at 1/28 of the whole picture's
      search); a scale read on one frame could only add a mark strong enough to be found
      a quarter of a window later anyway.
    - scale ``i`` on the later full frames ``k`` (1, 2, ...) with ``(k - i) % spread
      == 0``: each reads ``1 / spread`` of the scales, and every scale is read on every
      ``spread``-th (at least once a window).

    Which frames a scale reads does not depend on the picture, so each hypothesis's
    score keeps its bound (a scale not read yet scores 0), and every scale is searched,
    and counted, at every search.

    In a still window the refinement screens ``still_candidates`` hypotheses (about 7
    ms CPU each, once a window) instead of the verify's 32: a live watch keeps its CPU
    for the moving pictures of calls, and a still one is read again the next window.
    And it reads the pictures as captured, through no inverse gamma (``gammas``): a
    call's encoders and players keep the tone curve, and the four gammas would add
    about half again to every refinement (a file with its tones changed is
    ``verify``'s case).

    Args:
        window: the frames of a window (the detector is reset between windows).
        spread: read each scale but the nominal one on every ``spread``-th full frame.
    """

    still_candidates = 4
    gammas = ()

    def __init__(
        self,
        public_key: bytes = PUBLIC_KEY,
        *,
        searches: int = 1,
        max_scale: float | None = None,
        window: int,
        spread: int = 1,
    ) -> None:
        super().__init__(public_key, searches=searches, max_scale=max_scale)
        full = -(-window // SEARCH_EVERY)  # full frames per window
        self._first = 1 if full > 1 else 0
        self._spread = max(1, min(spread, full - self._first))

    def _reads_scale(self, i: int) -> bool:
        if not super()._reads_scale(i):
            return False
        k = self.frames // SEARCH_EVERY - self._first
        return not i or (k >= 0 and (k - i) % self._spread == 0)


def checkpoints_for(window: int) -> tuple[int, ...]:
    """The searches of a window of ``window`` frames: after 1 frame, a quarter, and all."""
    return tuple(sorted({1, max(1, window // 4), window}))


@dataclass(frozen=True, slots=True)
class Finding:
    """The mark found in one target of a window.

    Attributes:
        box: where (x, y, width, height) in the frame, or None for the whole picture.
        detection: the detector's result (payload, score, bound).
        time: the timestamp of the frame after which it was found.
    """

    box: Box | None
    detection: Detection
    time: float


@dataclass(frozen=True, slots=True)
class Decision:
    """The stream's state after the latest frame.

    Attributes:
        present: the mark is found (a payload, or presence without one) in the current
            window, or was in the previous one and the current one has not yet ruled it
            out.
        findings: each target where it is found, best first (payload before presence).
        since: when the current run of "present" (or of "not present") began.
        false_positive_bound: the probability that unmarked content gives the best
            finding (union over every search of its window); 1.0 if nothing was found.
        window_bound: the bound on a false claim of any kind per window.
        score: the best lattice score in the current window (about 0 on unmarked video).
        window: the index of the current window; ``frames``: its frames so far.
        boxes: the tile rectangles searched in the current window.
    """

    present: bool
    findings: tuple[Finding, ...]
    since: float
    false_positive_bound: float
    window_bound: float
    score: float
    window: int
    frames: int
    boxes: tuple[Box, ...] = ()

    @property
    def payload(self) -> Payload | None:
        """The payload of the best finding, if one was read."""
        for f in self.findings:
            if f.detection.payload is not None:
                return f.detection.payload
        return None

    @property
    def box(self) -> Box | None:
        """Where the best finding is (None: the whole picture, or nothing found)."""
        return self.findings[0].box if self.findings else None


@dataclass(slots=True)
class _Target:
    box: Box | None
    detector: Detector
    #: The detector's working picture (width, height) and the frame's region it covers
    #: (the box, or the whole frame, trimmed to the columns read).
    work: tuple[int, int]
    region: Box
    found: Finding | None = None
    score: float = 0.0


@dataclass(slots=True)
class _Window:
    targets: list[_Target] = field(default_factory=list)
    frames: int = 0


class StreamDetector:
    """Frames in, the current :class:`Decision` out.

    ::

        stream = StreamDetector()
        for frame in frames:  # BGR uint8, e.g. 10 samples a second of a captured window
            decision = stream.add(frame, timestamp)
            if decision.present:
                print(decision.box, decision.payload, decision.false_positive_bound)

    Each frame is turned into grey once (a :class:`~overlay.watermark.pyramid.GreyPyramid`)
    and every search reads its working picture from that; the whole picture is searched
    at every scale of the detector, each tile at scales up to ``tile_scale`` (its box is
    cut to the picture's edges). Detectors are kept from window to window while the
    working sizes stay, so a steady capture builds them once.

    Args:
        public_key: the detection key.
        window: frames per window.
        checkpoints: after how many frames of a window to search (default: 1, a quarter
            of the window, the whole window).
        tiles: rectangles searched on their own per window (0: the whole picture only).
        tile_scale: the largest scale searched in a tile (the whole picture is searched
            at every scale of the detector).
    """

    def __init__(
        self,
        public_key: bytes = PUBLIC_KEY,
        *,
        window: int = WINDOW,
        checkpoints: tuple[int, ...] | None = None,
        tiles: int = TILES,
        tile_scale: float = TILE_SCALE,
        spread: int = SPREAD,
    ) -> None:
        if window < 1:
            raise ValueError(f"window {window} must be 1 frame or more")
        self.public_key = public_key
        self.window = window
        self.checkpoints = tuple(sorted({c for c in checkpoints or () if 0 < c < window}))
        if checkpoints is None:
            self.checkpoints = checkpoints_for(window)
        elif self.checkpoints[-1:] != (window,):
            self.checkpoints = (*self.checkpoints, window)
        self.tiles = tiles
        self.tile_scale = tile_scale
        if spread < 1:
            raise ValueError(f"spread {spread} must be 1 or more")
        self.spread = spread
        #: Searches per window, counted in every bound.
        self.searches = len(self.checkpoints) * (1 + tiles)
        # Idle detectors by working size (a detector's geometry is built for one size:
        # a tile found again a few pixels off has the same working size, so the next
        # window reuses it).
        self._pool: dict[tuple[bool, int, int], list[Detector]] = {}
        self._pyramid = GreyPyramid()
        self._finder = TileFinder(limit=tiles)
        self._proposals: list[Box] = []
        #: The frame size (height, width) the proposals were found in.
        self._proposed_in: tuple[int, int] | None = None
        self._current = _Window()
        self._previous: tuple[Finding, ...] = ()
        self._present = False
        self._since = 0.0
        self._started = False
        #: Windows begun so far.
        self.windows = 0
        self._decision: Decision | None = None

    @property
    def window_bound(self) -> float:
        """Bound on a window claiming the mark (payload or presence) in unmarked video."""
        return payload_bound(READS * self.searches) + PRESENCE_BOUND

    def false_alarms_per_hour(self, fps: float) -> float:
        """Expected false claims per hour of unmarked video sampled at ``fps`` (a bound)."""
        return self.window_bound * 3600.0 * fps / self.window

    def reset(self) -> None:
        """Forget everything seen (a new source)."""
        self._finder.reset()
        self._proposals = []
        self._release()
        self._current = _Window()
        self._previous = ()
        self._present = False
        self._started = False
        self._decision = None

    def _target(self, box: Box | None, w: int, h: int) -> _Target:
        x, y, bw, bh = box if box is not None else (0, 0, w, h)
        work_w, work_h, columns = working_size(bw, bh)
        work = (work_w, work_h)
        idle = self._pool.get((box is None, *work))
        if idle:
            det = idle.pop()
        else:
            # The whole picture at every scale (read on fewer frames), a tile at a few.
            whole = box is None
            det = _Paced(
                self.public_key,
                searches=self.searches,
                max_scale=None if whole else self.tile_scale,
                window=self.window,
                spread=self.spread if whole else 1,
            )
        det.reset()
        return _Target(box, det, work, (x, y, columns, bh))

    def _release(self) -> None:
        for t in self._current.targets:
            self._pool.setdefault((t.box is None, *t.work), []).append(t.detector)
        self._current.targets = []

    def _trim(self) -> None:
        # Keep at most a window's worth of idle detectors (each holds its geometry and
        # accumulators, some 10 MB per scale searched); the sizes pooled first go first.
        for work in [k for k, idle in self._pool.items() if not idle]:
            del self._pool[work]
        while sum(len(idle) for idle in self._pool.values()) > 1 + self.tiles:
            work = next(iter(self._pool))
            self._pool[work].pop()
            if not self._pool[work]:
                del self._pool[work]

    def _begin(self) -> None:
        h, w = self._pyramid.shape
        proposals = self._proposals if self._proposed_in == (h, w) else []
        if not proposals:
            # Nothing from a previous window (the first one, or a capture that changed):
            # the tiles this frame shows by their texture.
            proposals = TileFinder.single(self._pyramid, limit=self.tiles)
        boxes = [b for b in proposals if b[0] + b[2] <= w and b[1] + b[3] <= h]
        self._release()
        self._current = _Window([self._target(b, w, h) for b in (None, *boxes[: self.tiles])])
        self._trim()
        self.windows += 1

    def add(self, image: BGRImage, timestamp: float = 0.0) -> Decision:
        """Add one BGR frame taken at ``timestamp`` (seconds); returns the decision."""
        if not self._started:
            self._started = True
            self._since = timestamp
        # One grey for the tile finder and every search (see overlay.watermark.pyramid).
        self._pyramid.update(image)
        if self._current.frames == 0:
            self._begin()
        win = self._current
        self._finder.add(self._pyramid)
        win.frames += 1
        search = win.frames in self.checkpoints
        unfound: list[tuple[float, _Target]] = []
        for target in win.targets:
            if target.found is not None:
                continue
            work_w, work_h = target.work
            # At twice the working size: what the detector measures from.
            target.detector.add(self._pyramid.resized((2 * work_w, 2 * work_h), target.region))
            if search:
                result = target.detector.detect(refine=False)
                target.score = max(target.score, result.score)
                if result.present:
                    target.found = Finding(target.box, _in_frame(result, target), timestamp)
                else:
                    unfound.append((result.score, target))
        if unfound and win.frames == self.checkpoints[-1]:
            # The refinement (see Detector.detect) once a window, for the target that
            # scored highest: a grid between the phases searched scores low everywhere
            # but nearest there, and refining every target would cost a search each.
            # The search's read-outs are the same ones plus the refined one: its bound
            # holds.
            target = max(unfound, key=lambda pair: pair[0])[1]
            result = target.detector.detect(refine=True)
            if result.present:
                target.found = Finding(target.box, _in_frame(result, target), timestamp)
        decision = self._decide(timestamp)
        if win.frames >= self.window:
            self._previous = self._found()
            self._proposals = self._finder.boxes()
            self._proposed_in = self._pyramid.shape
            self._finder.reset()
            win.frames = 0
        return decision

    def _found(self) -> tuple[Finding, ...]:
        found = [t.found for t in self._current.targets if t.found is not None]
        # A payload before presence alone; then the stronger bound.
        found.sort(key=lambda f: (f.detection.payload is None, f.detection.false_positive_bound))
        return tuple(found)

    def _decide(self, timestamp: float) -> Decision:
        win = self._current
        findings = self._found()
        if not findings and win.frames < self.window:
            # Until this window has run every search, the last window's findings hold.
            findings = self._previous
        present = bool(findings)
        if present != self._present:
            self._present = present
            self._since = findings[0].time if present else timestamp
        self._decision = Decision(
            present=present,
            findings=findings,
            since=self._since,
            false_positive_bound=(
                min(f.detection.false_positive_bound for f in findings) if findings else 1.0
            ),
            window_bound=self.window_bound,
            score=max((t.score for t in win.targets), default=0.0),
            window=self.windows,
            frames=win.frames,
            boxes=tuple(t.box for t in win.targets if t.box is not None),
        )
        return self._decision

    @property
    def decision(self) -> Decision | None:
        """The decision after the latest frame (None before the first)."""
        return self._decision


def _in_frame(result: Detection, target: _Target) -> Detection:
    """The detection with its offset in pixels of the frame (the detector read the
    target's working picture)."""
    per = target.region[3] / (2 * target.work[1])
    ox, oy = result.offset
    return replace(result, offset=(ox * per, oy * per))
