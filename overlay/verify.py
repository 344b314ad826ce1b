"""``verify``: check a video, image or screenshot for overlay's disclosures.

:func:`verify` returns a :class:`VerifyReport`; "not found" is a result, not an
exception. The report has one section per kind of evidence: the ``watermark``, and the
provenance checks beside it (``c2pa``, ``manifest``, ``log``, ``watermark_session``,
``frames``). ``overlay.verify(path)`` (this module, called) is the same as
:func:`verify`.
"""

from __future__ import annotations

import itertools
import math
import sys
import types
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import cv2
import numpy as np

from overlay.errors import FrameFormatError, SourceError
from overlay.frames import BGRImage
from overlay.images import check_pixels, read_image, regular_file
from overlay.paths import display_path
from overlay.watermark import PUBLIC_KEY, Detector, open_session_id
from overlay.watermark.tiles import Box, TileDetector, find_tiles

if TYPE_CHECKING:  # the checks load cryptography: only when provenance is checked
    from overlay.provenance.checks import (
        C2paCheck,
        Evidence,
        FrameMatch,
        LogCheck,
        ManifestCheck,
        Outcome,
    )

__all__ = [
    "EXIT_ERROR",
    "EXIT_FOUND",
    "EXIT_NOT_FOUND",
    "EXIT_PROVENANCE_FAILED",
    "IMAGE_SUFFIXES",
    "WINDOW",
    "VerifyReport",
    "WatermarkReport",
    "exit_code",
    "provenance_failures",
    "scan_frames",
    "verify",
]

# Exit codes of ``overlay verify`` (documented in the README; scripts rely on them).
#: The disclosure (watermark) was found and no provenance record failed.
EXIT_FOUND = 0
#: No disclosure was found.
EXIT_NOT_FOUND = 1
#: Bad input or an error (one line on stderr).
EXIT_ERROR = 2
#: The disclosure was found but a provenance record failed: tampered, damaged, another
#: session's, or the frames do not match the log (with ``--strict``: also missing).
EXIT_PROVENANCE_FAILED = 3

#: The provenance sections of a report, in the order they are printed.
PROVENANCE_SECTIONS = ("c2pa", "manifest", "log", "watermark_session", "frames")

#: Frames per detection window (2 s at 30 fps): evidence is accumulated over a window.
WINDOW = 60
#: Within a window, the search runs after this many frames (an early result is cheaper).
CHECKPOINTS = (1, 4, 15, 30, 60)
#: Tiles (call tiles in a screen recording: overlay.watermark.tiles) searched on their
#: own when the whole picture gives no payload.
TILES = 2
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"})

Progress = Callable[[int, int], None]


@dataclass(slots=True)
class WatermarkReport:
    """What the watermark detector found.

    ``state`` says it in one word: ``"payload"`` (the mark and its payload were read: an
    AI disclosure with its session), ``"present"`` (the mark is there beyond doubt, its
    bound <= 1e-9, but no window gave a readable payload: still an AI disclosure, without
    a session), or ``"absent"``.

    Attributes:
        state: ``"payload"``, ``"present"`` or ``"absent"``.
        detected: a payload passed its check in at least one window.
        present: the mark was found (a payload, or the lattice score alone).
        session_id: the session id, when the installation key was given and a payload read.
        sealed_id: the session id as carried (sealed by the installation key).
        ai_generated: the payload's AI-generated flag (None if not detected).
        version: the payload's format version (None if not detected).
        frames_checked: frames read.
        frames_detected: frames in windows where the payload was read.
        windows: windows searched; ``windows_detected`` of them had the payload.
        score: the best lattice score over all windows (about 0 on unmarked video).
        false_positive_bound: for the best detection, the probability that unmarked
            content gives a result this strong, over every hypothesis searched in its
            window (1.0 when nothing was detected).
        frames_needed: frames accumulated when the first window read the payload.
        presence_threshold: the score at which the mark is claimed present without a
            payload (set by the hypotheses each search covers). A payload needs no
            score: its keyed check carries its own bound.
        tile: where the mark was found when it was in a moving rectangle of the video
            (x, y, width, height; a call tile in a screen recording), else None.
        timeline: (frame index, score) after each search, for plotting.
    """

    state: str = "absent"
    detected: bool = False
    present: bool = False
    session_id: str | None = None
    sealed_id: str | None = None
    ai_generated: bool | None = None
    version: int | None = None
    frames_checked: int = 0
    frames_detected: int = 0
    windows: int = 0
    windows_detected: int = 0
    score: float = 0.0
    false_positive_bound: float = 1.0
    frames_needed: int | None = None
    presence_threshold: float = 0.0
    tile: tuple[int, int, int, int] | None = None
    timeline: list[tuple[int, float]] = field(default_factory=list)


@dataclass(slots=True)
class VerifyReport:
    """Everything ``verify`` found in one file.

    ``manifest``, ``log`` and ``c2pa`` come from the provenance checks (each with ``valid``,
    ``reason`` and ``present``; an :class:`~overlay.provenance.checks.Outcome` when the
    record is not there at all); ``watermark_session`` says whether the watermark's
    session id belongs to the manifest found; ``frames`` whether the video's frames match
    the log's perceptual hashes. They are None when provenance was not checked (or, for
    the last two, when there was nothing to compare).
    """

    path: str
    kind: str
    width: int
    height: int
    watermark: WatermarkReport
    manifest: ManifestCheck | Outcome | None = None
    log: LogCheck | Outcome | None = None
    c2pa: C2paCheck | Outcome | None = None
    watermark_session: Outcome | None = None
    frames: FrameMatch | None = None

    @property
    def found(self) -> bool:
        """An AI disclosure was found (with or without a readable payload)."""
        return self.watermark.present

    def sections(self) -> list[tuple[str, Evidence | None]]:
        """The provenance sections by name, in :data:`PROVENANCE_SECTIONS` order."""
        return [
            ("c2pa", self.c2pa),
            ("manifest", self.manifest),
            ("log", self.log),
            ("watermark_session", self.watermark_session),
            ("frames", self.frames),
        ]

    def to_dict(self) -> dict[str, Any]:
        """The JSON object ``overlay verify --json`` prints."""

        def part(check: Evidence | None) -> dict[str, Any] | None:
            return check.to_dict() if check is not None else None

        return {
            "path": self.path,
            "kind": self.kind,
            "width": self.width,
            "height": self.height,
            "watermark": asdict(self.watermark),
            "manifest": part(self.manifest),
            "log": part(self.log),
            "c2pa": part(self.c2pa),
            "watermark_session": part(self.watermark_session),
            "frames": part(self.frames),
            "found": self.found,
        }


def verify(
    path: str | Path,
    *,
    public_key: bytes = PUBLIC_KEY,
    installation_key: bytes | None = None,
    window: int = WINDOW,
    max_frames: int | None = None,
    progress: Progress | None = None,
    provenance: bool = True,
    manifest: str | Path | None = None,
    provenance_key: str | Path | None = None,
) -> VerifyReport:
    """Check one file for the watermark, and its provenance records.

    Args:
        path: a video (anything OpenCV decodes) or an image (by suffix).
        public_key: the detection key.
        installation_key: reads the session id when given.
        window: frames per window.
        max_frames: stop after this many frames.
        progress: called with (frames read, frames expected or 0) every window.
        provenance: also check the recording's C2PA manifest and the session's signed
            manifest and frame log (found by the watermark's or the C2PA session id).
        manifest: a session manifest to check against (default: found by session id).
        provenance_key: a PEM public key (``overlay keys export-public``) for records
            made by another installation.

    Raises:
        SourceError: the file is missing, a directory, empty, truncated or undecodable.
        FrameFormatError: an image that is too small, greyscale or not 8-bit.
    """
    p = regular_file(path, "file")
    if p.suffix.lower() in IMAGE_SUFFIXES:
        image = _read_image(p)
        h, w = image.shape[:2]
        report = WatermarkReport()
        _scan(iter([image]), report, public_key, installation_key, 1, None)
        result = VerifyReport(str(p), "image", w, h, _finish(report))
        return _with_provenance(result, provenance, manifest, provenance_key)
    cap = cv2.VideoCapture(str(p))
    try:
        if not cap.isOpened():
            raise SourceError(
                f"cannot decode {display_path(p)} as a video or image; is it truncated or "
                "corrupt? (images need a suffix such as .png)"
            )
        total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        w = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        h = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        check_pixels(w, h, f"video {display_path(p)}")
        report = WatermarkReport()

        def frames() -> Any:
            while max_frames is None or report.frames_checked < max_frames:
                ok, image = cap.read()
                if not ok or image is None:
                    return
                yield image

        def tick(n: int) -> None:
            if progress is not None:
                progress(n, total)

        _scan(frames(), report, public_key, installation_key, window, tick)
    finally:
        cap.release()
    if not report.detected and report.frames_checked > 1:
        _scan_tiles(
            lambda: _video_frames(p), report, public_key, installation_key, window, max_frames
        )
    if report.frames_checked == 0:
        raise SourceError(f"no frame could be decoded from {p}; is it truncated or corrupt?")
    if max_frames is None and total > 0 and report.frames_checked < 0.9 * total - 1:
        raise SourceError(
            f"{p} is truncated or corrupt: decoded {report.frames_checked} of {total} frames; "
            "re-export or re-download it"
        )
    result = VerifyReport(str(p), "video", w, h, _finish(report))
    return _with_provenance(result, provenance, manifest, provenance_key)


def _with_provenance(
    report: VerifyReport,
    enabled: bool,
    manifest: str | Path | None,
    public_key: str | Path | None,
) -> VerifyReport:
    """Fill the provenance sections: C2PA, the session manifest and log, and the link."""
    if not enabled:
        return report
    from overlay.provenance.checks import provenance_report

    found = provenance_report(
        report.path if report.kind == "video" else None,
        session_id=report.watermark.session_id,
        manifest=manifest,
        public_key=public_key,
    )
    report.manifest = found.manifest
    report.log = found.log
    report.c2pa = found.c2pa
    report.watermark_session = found.watermark_session
    report.frames = found.frames
    return report


def provenance_failures(report: VerifyReport, *, strict: bool = False) -> list[str]:
    """The provenance sections that fail, as ``"section: reason"`` lines.

    A section fails when its record is there but does not verify (tampered, damaged,
    another session's, frames that do not match the log). With ``strict`` a missing
    record fails too: every section must be present and valid.
    """
    failed = []
    if strict and report.watermark.present and not report.watermark.detected:
        failed.append("watermark: present but its payload (the session id) is unreadable")
    for name, part in report.sections():
        if part is None:
            if strict:
                failed.append(f"{name}: not checked (nothing to compare)")
            continue
        if part.valid:
            continue
        if strict or part.present:
            failed.append(f"{name}: {part.reason}")
    return failed


def exit_code(report: VerifyReport, *, strict: bool = False) -> int:
    """``overlay verify``'s exit code for ``report`` (see the EXIT_ constants)."""
    if not report.found:
        return EXIT_NOT_FOUND
    return EXIT_PROVENANCE_FAILED if provenance_failures(report, strict=strict) else EXIT_FOUND


def _read_image(p: Path) -> BGRImage:
    raw = read_image(p, "image")
    if raw.dtype != np.uint8:
        raise FrameFormatError(
            f"{p} is a {raw.dtype} image; verify reads 8-bit colour images "
            "(screenshots, exported frames): convert it to 8-bit"
        )
    if raw.ndim == 2 or raw.shape[2] == 1:
        raise FrameFormatError(
            f"{p} is a greyscale image; the watermark is checked on colour frames: "
            "pass the original colour screenshot or frame"
        )
    if min(raw.shape[:2]) < 32:
        raise FrameFormatError(
            f"{p} is {raw.shape[1]}x{raw.shape[0]} pixels; the watermark needs a picture "
            "at least 32 pixels on each side (a screenshot of the video)"
        )
    if raw.shape[2] == 4:
        return np.ascontiguousarray(cv2.cvtColor(raw, cv2.COLOR_BGRA2BGR))
    return np.ascontiguousarray(raw[:, :, :3])


def _video_frames(path: Path) -> Generator[BGRImage, None, None]:
    """The frames of a video, released when the generator is closed."""
    cap = cv2.VideoCapture(str(path))
    try:
        while True:
            ok, image = cap.read()
            if not ok or image is None:
                return
            yield cast(BGRImage, image)
    finally:
        cap.release()


def scan_frames(
    frames: Sequence[BGRImage],
    *,
    public_key: bytes = PUBLIC_KEY,
    installation_key: bytes | None = None,
    window: int = WINDOW,
) -> WatermarkReport:
    """What ``verify`` finds in ``frames`` (in memory): the whole picture in windows, then
    each tile of the first window when no payload was read."""
    report = WatermarkReport()
    _scan(iter(frames), report, public_key, installation_key, window, None)
    if not report.detected and len(frames) > 1:
        _scan_tiles(lambda: (f for f in frames), report, public_key, installation_key, window, None)
    return _finish(report)


def _scan(
    frames: Any,
    report: WatermarkReport,
    public_key: bytes,
    installation_key: bytes | None,
    window: int,
    tick: Callable[[int], None] | None,
    *,
    tile: bool = False,
) -> None:
    checkpoints = [c for c in CHECKPOINTS if c < window] + [window]
    # Every search of a window counts in its bounds: the checkpoints, and the whole
    # picture plus each tile searched on its own.
    # A tile's frames are weighed by their sharpness (TileDetector).
    kind = TileDetector if tile else Detector
    detector = kind(public_key, searches=len(checkpoints) * (1 + TILES))
    in_window = 0
    found_in_window = False

    def close_window() -> None:
        report.windows += 1
        if found_in_window:
            report.windows_detected += 1
            report.frames_detected += in_window

    for image in frames:
        if image.ndim != 3 or image.shape[2] != 3 or min(image.shape[:2]) < 32:
            raise FrameFormatError(f"decoded frame has shape {image.shape}; expected HxWx3")
        report.frames_checked += 1
        in_window += 1
        if not found_in_window:
            detector.add(image)
            if in_window in checkpoints:
                last = in_window == checkpoints[-1]
                found_in_window = _search(detector, report, installation_key, refine=last)
        if in_window >= window:
            close_window()
            if tick is not None:
                tick(report.frames_checked)
            detector.reset()
            in_window = 0
            found_in_window = False
    if in_window:
        if not found_in_window and in_window not in checkpoints:
            found_in_window = _search(detector, report, installation_key)
        close_window()


def _crops(frames: Iterator[BGRImage], box: Box, limit: int | None) -> Iterator[BGRImage]:
    x, y, w, h = box
    for n, image in enumerate(frames):
        if limit is not None and n >= limit:
            return
        yield np.ascontiguousarray(image[y : y + h, x : x + w])


def _scan_tiles(
    open_frames: Callable[[], Generator[BGRImage, None, None]],
    report: WatermarkReport,
    public_key: bytes,
    installation_key: bytes | None,
    window: int,
    max_frames: int | None,
) -> None:
    """Search each tile of the video (found in its first window) as a picture of its own
    (a call tile pasted into a larger screen recording: the mark's scale is then the
    tile's)."""
    first = open_frames()
    boxes = find_tiles(itertools.islice(first, window), limit=TILES)
    first.close()
    for box in boxes:
        tile = WatermarkReport()
        frames = open_frames()
        try:
            crops = _crops(frames, box, max_frames)
            _scan(crops, tile, public_key, installation_key, window, None, tile=True)
        finally:
            frames.close()
        report.score = max(report.score, tile.score)
        if tile.detected or (tile.present and not report.present):
            frames_checked = report.frames_checked
            timeline = report.timeline
            for name in (
                "state",
                "detected",
                "present",
                "session_id",
                "sealed_id",
                "ai_generated",
                "version",
                "frames_detected",
                "windows_detected",
                "false_positive_bound",
                "frames_needed",
            ):
                setattr(report, name, getattr(tile, name))
            report.frames_checked, report.timeline = frames_checked, timeline
            report.tile = box
        if report.detected:
            return


def _search(
    detector: Detector,
    report: WatermarkReport,
    installation_key: bytes | None,
    *,
    refine: bool = True,
) -> bool:
    result = detector.detect(refine=refine)
    report.presence_threshold = result.presence_threshold
    report.timeline.append((report.frames_checked, result.score))
    report.score = max(report.score, result.score)
    if result.present and not report.present:
        report.present = True
        report.state = "present"
        report.false_positive_bound = result.false_positive_bound
    if not result.detected or result.payload is None:
        return False
    report.state = "payload"
    if not report.detected or result.false_positive_bound < report.false_positive_bound:
        report.false_positive_bound = result.false_positive_bound
    if not report.detected:
        report.detected = True
        report.sealed_id = result.payload.sealed_id
        report.ai_generated = result.payload.ai_generated
        report.version = result.payload.version
        report.frames_needed = result.frames
        if installation_key is not None:
            report.session_id = open_session_id(result.payload.sealed_id, installation_key)
    return True


def _finish(report: WatermarkReport) -> WatermarkReport:
    if not math.isfinite(report.score):
        report.score = 0.0
    return report


class _CallableModule(types.ModuleType):
    """``overlay.verify`` is both this module and, called, its :func:`verify`."""

    def __call__(self, path: str | Path, **kwargs: Any) -> VerifyReport:
        return verify(path, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
