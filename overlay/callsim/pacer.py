"""A sender's frame dropper: a leaky bucket over encoded bits, on the media clock.

Pure Python, no aiortc: the call harness asks it before each encode.
"""

from __future__ import annotations

__all__ = ["FrameDropper"]


class FrameDropper:
    """Drops frames before encoding while the sender is over its bit budget.

    A variant of libwebrtc's ``FrameDropper`` (modules/video_coding/utility): the
    encoded frames fill a bucket, which leaks at the target bitrate on the media clock
    (frame timestamps, not the wall clock); while it holds more than ``window`` seconds
    of the target rate, the next frame is dropped before it reaches the encoder. As in
    libwebrtc, a key frame's bits are spread over the next ``window`` seconds of frames,
    so one key frame does not drop a burst of frames after it.

    Args:
        bitrate: the target in bits per second.
        fps: the input frame rate (for the key frame spread).
        window: seconds of the target rate the bucket holds before frames drop (0.5 in
            libwebrtc).
    """

    def __init__(self, bitrate: int, fps: float, window: float = 0.5) -> None:
        if bitrate <= 0 or fps <= 0 or window <= 0:
            raise ValueError(f"bitrate, fps and window must be > 0, got {bitrate}, {fps}, {window}")
        self.bitrate = bitrate
        self.capacity = bitrate * window
        self.spread = max(1, round(window * fps))
        self.level = 0.0
        self._t: float | None = None
        self._spread_left = 0
        self._spread_bits = 0.0

    def _advance(self, t: float) -> None:
        if self._t is not None and t > self._t:
            self.level = max(0.0, self.level - self.bitrate * (t - self._t))
        self._t = t if self._t is None else max(self._t, t)

    def admit(self, t: float) -> bool:
        """Whether the frame at media time ``t`` (seconds) may be encoded."""
        self._advance(t)
        if self._spread_left:
            self.level += self._spread_bits
            self._spread_left -= 1
        return self.level <= self.capacity

    def fill(self, t: float, nbytes: int, key: bool) -> None:
        """Account for a frame of ``nbytes`` encoded at media time ``t``."""
        self._advance(t)
        bits = 8.0 * nbytes
        if key and self.spread > 1:
            # This slice now, the rest one slice per incoming frame (libwebrtc spreads
            # key frames the same way); a spread still running is settled at once.
            self.level += self._spread_bits * self._spread_left
            self._spread_bits = bits / self.spread
            self._spread_left = self.spread - 1
            bits = self._spread_bits
        self.level += bits
