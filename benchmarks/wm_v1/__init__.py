"""The watermark's first design (format 1: chips of height/60, one amplitude update a
second), frozen here only so that the benchmarks can measure it beside the current one
in the same run. Nothing in ``overlay`` imports it."""

from benchmarks.wm_v1.detect import Detector
from benchmarks.wm_v1.embed import Embedder
from benchmarks.wm_v1.payload import Payload, seal_session_id

__all__ = ["Detector", "Embedder", "Payload", "seal_session_id"]
