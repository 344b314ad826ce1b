"""Evidence 4: a (re-encoded, rescaled) copy matched frame by frame to a verified log."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from overlay.provenance.canonical import parse_canonical
from overlay.provenance.checks.common import PathLike, fail
from overlay.provenance.checks.log import check_log

__all__ = ["MATCH_DISTANCE", "FrameMatch", "match_recording"]

#: Largest Hamming distance (of 64 bits) at which a decoded frame counts as the logged one.
MATCH_DISTANCE = 12


@dataclass(frozen=True, slots=True)
class FrameMatch:
    """A video's frames matched to a verified frame log's perceptual hashes.

    Attributes:
        valid: at least 90 % of the decoded frames match a logged one.
        reason: None when valid, else what is wrong in one line.
        frames: frames decoded.
        matched: decoded frames within :data:`MATCH_DISTANCE` of a logged one.
        first_index: the first logged frame index the video covers.
        last_index: the last logged frame index the video covers.
        median_distance: the median distance (bits) to the nearest logged hash.
        session_id: the log's session.
        present: always True (there was a video and a log to compare).
    """

    valid: bool = False
    reason: str | None = None
    frames: int = 0
    matched: int = 0
    first_index: int | None = None
    last_index: int | None = None
    median_distance: float | None = None
    session_id: str | None = None
    present: bool = True

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of ``overlay verify``."""
        return asdict(self)


def _logged_hashes(path: Path, records: int) -> tuple[list[int], list[int]]:
    """The frame indices and perceptual hashes in the first ``records`` records (the ones
    that verify: what follows a broken or cut record is not evidence)."""
    indices: list[int] = []
    hashes: list[int] = []
    for line in path.read_bytes().split(b"\n")[:records]:
        rec = parse_canonical(line)
        if isinstance(rec, dict) and rec.get("type") == "frames":
            first = int(rec["first"])
            for k, h in enumerate(rec["phash"]):
                indices.append(first + k)
                hashes.append(int(str(h), 16))
    return indices, hashes


def match_recording(
    video_path: PathLike,
    log_path: PathLike,
    *,
    max_frames: int = 300,
    public_key: PathLike | bytes | None = None,
) -> FrameMatch:
    """Match a (possibly re-encoded or rescaled) video to a verified frame log.

    Each decoded frame's perceptual hash is looked up among the logged ones; a frame
    matches when the nearest is within ``MATCH_DISTANCE`` bits.
    """
    import cv2
    import numpy as np

    checked = check_log(log_path, public_key=public_key)
    result = FrameMatch(session_id=checked.session_id)
    if not checked.valid and checked.records < 2:
        return fail(result, f"the frame log cannot be used: {checked.reason}")
    indices, hashes = _logged_hashes(Path(log_path), checked.records)
    if not hashes:
        return fail(result, "the frame log has no frames")
    table = np.array(hashes, dtype=np.uint64)
    if not Path(video_path).is_file():
        return fail(result, f"video not found: {video_path}")
    capture = cv2.VideoCapture(str(video_path))
    from overlay.frames import as_bgr
    from overlay.provenance.framelog import perceptual_hash

    decoded = 0
    distances: list[int] = []
    hits: list[int] = []
    try:
        while decoded < max_frames:
            ok, image = capture.read()
            if not ok or image is None:
                break
            decoded += 1
            h = np.uint64(int(perceptual_hash(as_bgr(image)), 16))
            xor = np.bitwise_xor(table, h)
            bits = np.unpackbits(xor.view(np.uint8).reshape(-1, 8), axis=1).sum(axis=1)
            best = int(np.argmin(bits))
            distances.append(int(bits[best]))
            if bits[best] <= MATCH_DISTANCE:
                hits.append(indices[best])
    finally:
        capture.release()
    result = replace(result, frames=decoded)
    if not decoded:
        return fail(result, f"no frame could be decoded from {video_path}")
    median = float(np.median(distances))
    result = replace(result, matched=len(hits), median_distance=median)
    if hits:
        result = replace(result, first_index=min(hits), last_index=max(hits))
    if len(hits) < 0.9 * decoded:
        return fail(
            result,
            f"only {len(hits)} of {decoded} frames match the log "
            f"(median distance {median:.0f} bits)",
        )
    return replace(result, valid=True, reason=None)
