"""Evidence 4: a (re-encoded, rescaled) copy matched frame by frame to a verified log."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from overlay.provenance.canonical import parse_canonical
from overlay.provenance.checks.common import PathLike, fail
from overlay.provenance.checks.log import check_log

__all__ = ["MATCH_DISTANCE", "match_recording"]

#: Largest Hamming distance (of 64 bits) at which a decoded frame counts as the logged one.
MATCH_DISTANCE = 12


def _logged_hashes(path: Path) -> tuple[list[int], list[int]]:
    indices: list[int] = []
    hashes: list[int] = []
    for line in path.read_bytes().split(b"\n"):
        if not line:
            continue
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
) -> dict[str, Any]:
    """Match a (possibly re-encoded or rescaled) video to a verified frame log.

    Each decoded frame's perceptual hash is looked up among the logged ones; a frame
    matches when the nearest is within ``MATCH_DISTANCE`` bits.

    Returns:
        ``valid`` (at least 90 % of the decoded frames match), ``reason``, ``frames``
        (decoded), ``matched``, ``first_index``/``last_index`` (the logged frame indices
        the video covers), ``median_distance``, ``session_id``.
    """
    import cv2
    import numpy as np

    result: dict[str, Any] = {
        "valid": False,
        "reason": None,
        "frames": 0,
        "matched": 0,
        "first_index": None,
        "last_index": None,
        "median_distance": None,
        "session_id": None,
    }
    checked = check_log(log_path, public_key=public_key)
    result["session_id"] = checked["session_id"]
    if not checked["valid"] and checked["records"] < 2:
        return fail(result, f"the frame log cannot be used: {checked['reason']}")
    indices, hashes = _logged_hashes(Path(log_path))
    if not hashes:
        return fail(result, "the frame log has no frames")
    table = np.array(hashes, dtype=np.uint64)
    if not Path(video_path).is_file():
        return fail(result, f"video not found: {video_path}")
    capture = cv2.VideoCapture(str(video_path))
    from overlay.frames import as_bgr
    from overlay.provenance.framelog import perceptual_hash

    distances: list[int] = []
    hits: list[int] = []
    try:
        while result["frames"] < max_frames:
            ok, image = capture.read()
            if not ok or image is None:
                break
            result["frames"] += 1
            h = np.uint64(int(perceptual_hash(as_bgr(image)), 16))
            xor = np.bitwise_xor(table, h)
            bits = np.unpackbits(xor.view(np.uint8).reshape(-1, 8), axis=1).sum(axis=1)
            best = int(np.argmin(bits))
            distances.append(int(bits[best]))
            if bits[best] <= MATCH_DISTANCE:
                hits.append(indices[best])
    finally:
        capture.release()
    if not result["frames"]:
        return fail(result, f"no frame could be decoded from {video_path}")
    result["matched"] = len(hits)
    result["median_distance"] = float(np.median(distances))
    if hits:
        result["first_index"], result["last_index"] = min(hits), max(hits)
    if len(hits) < 0.9 * result["frames"]:
        return fail(
            result,
            f"only {len(hits)} of {result['frames']} frames match the log "
            f"(median distance {result['median_distance']:.0f} bits)",
        )
    result.update(valid=True, reason=None)
    return result
