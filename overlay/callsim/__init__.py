"""A real WebRTC video call in one process, on loopback: what the far end of a call sees.

``through_call(frames, fps=30, codec="vp8", bitrate=300_000, size=(640, 360))`` sends the
frames from one aiortc ``RTCPeerConnection`` to another in the same asyncio loop (real
ICE, DTLS, SRTP, RTP packetisation, jitter buffer, NACK/PLI, aiortc's libvpx/libx264
encoders and FFmpeg decoders) and returns what the receiver decoded, with the sender's
and receiver's counts. aiortc is an optional extra (``pip install 'overlay[call]'``),
imported when a call runs.

Where it departs from aiortc's defaults, and why (code in :mod:`overlay.callsim.rtc`):

- **Loopback only.** aioice takes its host addresses from
  ``aioice.ice.get_host_addresses()``, which leaves 127.0.0.1 out by design and has no
  setting for it; while a call runs that function returns ``["127.0.0.1"]`` (restored
  after the last call ends), so every socket is bound to 127.0.0.1. Both peers get
  ``RTCConfiguration(iceServers=[])``: no STUN (aiortc's default is Google's STUN
  server), no TURN. Each side's SDP is checked: a candidate that is not a 127.0.0.1 host
  candidate stops the call with :class:`CallError`.
- **Pinned bitrate.** aiortc clamps its encoders' ``target_bitrate`` setter (VP8 >= 250
  kbit/s, H.264 >= 500 kbit/s) and sets it from the receiver's REMB. The sender is given
  a wrapper around aiortc's own encoder whose private target field is written directly
  (the clamp is only in the setter), and which has no ``target_bitrate`` attribute, the
  condition aiortc's sender tests before it applies a REMB: the target is exactly
  ``bitrate`` for the whole call.
- **Frame dropping.** Like a browser's sender, a leaky bucket over the encoded bits
  (:class:`FrameDropper`, after libwebrtc's: 0.5 s of the target rate, key frames spread
  over 0.5 s) drops frames before they reach the encoder while the encoder is over its
  budget (``drop_on_overshoot=False`` turns it off).
- **Media clock.** Frame ``i`` is stamped ``i / fps`` seconds (RTP's 90 kHz clock) and the
  encoders' rate control and the dropper run on those stamps, so the call runs faster
  than real time with the same bitstream a real-time sender would make; the sender
  stays at most a few frames ahead of the far end's decoder (no queue overflows, no
  loss that a real-time call would not have). ``realtime=True`` paces the frames on the
  wall clock instead.
- **Scaling.** With ``size``, the sender scales each frame to it (``cv2.INTER_AREA``)
  before encoding, as a call app sends its camera at 640x360; the far end's frames come
  back at that size.

``achieved_kbps`` counts the RTP payload bytes (codec bitstream plus the 1-4 byte
VP8/H.264 payload headers; no RTP, SRTP or UDP headers) over the clip's duration.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from overlay.callsim.pacer import FrameDropper
from overlay.errors import ConfigError, OverlayError
from overlay.frames import BGRImage

__all__ = [
    "CODECS",
    "CallError",
    "CallResult",
    "FrameDropper",
    "through_call",
    "through_call_async",
]

Codec = Literal["vp8", "h264"]
CODECS: tuple[Codec, ...] = ("vp8", "h264")


class CallError(OverlayError, ConnectionError):
    """The simulated call could not be set up or did not finish."""


@dataclass(slots=True)
class CallResult:
    """What one call delivered.

    Attributes:
        frames: the far end's decoded frames (BGR, at the sent size), in arrival order.
        indices: for each received frame, the index of the input frame it shows.
        psnr: for each received frame, PSNR (dB) against the frame as sent (after
            scaling); NaN when ``compare`` was off.
        codec, bitrate, fps, size: the call's settings (``size`` as sent).
        offered: input frames handed to the sender.
        sent: frames encoded and sent.
        dropped: frames the sender dropped before encoding (over budget).
        received: frames the far end decoded.
        keyframes: key frames sent; ``keyframes_requested`` of them were asked for by
            the far end (PLI/FIR after a loss).
        payload_bytes: RTP payload bytes sent.
        setup_seconds: wall time from the start to the first frame (ICE, DTLS).
        wall_seconds: wall time of the whole call.
        encode_seconds: wall time spent in the encoder.
        candidates: ICE candidates in both descriptions (all 127.0.0.1 host candidates).
    """

    frames: list[BGRImage]
    indices: list[int]
    psnr: list[float]
    codec: str
    bitrate: int
    fps: float
    size: tuple[int, int]
    offered: int
    sent: int
    dropped: int
    received: int
    keyframes: int
    keyframes_requested: int
    payload_bytes: int
    setup_seconds: float
    wall_seconds: float
    encode_seconds: float
    candidates: int
    lost: int = field(init=False)

    def __post_init__(self) -> None:
        self.lost = self.sent - self.received

    @property
    def target_kbps(self) -> float:
        return self.bitrate / 1000

    @property
    def achieved_kbps(self) -> float:
        """Payload bits sent per second of clip (``offered / fps`` seconds)."""
        seconds = self.offered / self.fps
        return 8 * self.payload_bytes / seconds / 1000 if seconds else 0.0

    @property
    def mean_psnr(self) -> float:
        values = [v for v in self.psnr if math.isfinite(v)]
        return sum(values) / len(values) if values else math.nan

    def timeline(self) -> list[BGRImage]:
        """One frame per input frame from the first received one on, holding the last
        received frame over dropped or lost ones: what a viewer's screen shows at ``fps``.
        """
        if not self.frames:
            return []
        out: list[BGRImage] = []
        k = 0
        for i in range(self.indices[0], self.offered):
            while k + 1 < len(self.indices) and self.indices[k + 1] <= i:
                k += 1
            out.append(self.frames[k])
        return out


def _check(codec: str, bitrate: int, fps: float, size: tuple[int, int] | None) -> None:
    if codec not in CODECS:
        raise ConfigError(f"call codec {codec!r} is not supported; use one of {', '.join(CODECS)}")
    if not 10_000 <= bitrate <= 50_000_000:
        raise ConfigError(
            f"call bitrate {bitrate} bit/s is out of range; give 10000-50000000 (e.g. 300000)"
        )
    if not 1 <= fps <= 120:
        raise ConfigError(f"call fps {fps} is out of range; give 1-120 (e.g. 30)")
    if size is not None and (size[0] < 16 or size[1] < 16 or size[0] % 2 or size[1] % 2):
        raise ConfigError(
            f"call size {size[0]}x{size[1]} is not an even size of at least 16x16; "
            "give e.g. 640x360"
        )


async def through_call_async(
    frames: Iterable[BGRImage],
    *,
    fps: float = 30.0,
    codec: Codec = "vp8",
    bitrate: int = 300_000,
    size: tuple[int, int] | None = None,
    drop_on_overshoot: bool = True,
    realtime: bool = False,
    compare: bool = True,
    timeout: float = 120.0,
) -> CallResult:
    """:func:`through_call` inside a running asyncio loop."""
    _check(codec, bitrate, fps, size)
    try:
        from overlay.callsim import rtc
    except ImportError as exc:
        raise CallError(
            f"the call harness needs aiortc ({exc}); install it: pip install 'overlay[call]'"
        ) from exc
    stats = rtc.CallStats()
    t0 = time.perf_counter()
    try:
        run = await asyncio.wait_for(
            rtc.run_call(
                iter(frames),
                codec=codec,
                bitrate=bitrate,
                fps=fps,
                size=size,
                drop_on_overshoot=drop_on_overshoot,
                realtime=realtime,
                in_flight=4,
                drain_seconds=2.0,
                compare=compare,
                stats=stats,
            ),
            timeout,
        )
    except TimeoutError:
        raise CallError(
            f"the call did not finish within {timeout} s ({stats.offered} frames offered, "
            f"{stats.encoded} sent, {stats.received} received); give a larger timeout "
            "or fewer frames"
        ) from None
    got = run.received
    return CallResult(
        frames=got.frames,
        indices=got.indices,
        psnr=got.psnr,
        codec=codec,
        bitrate=bitrate,
        fps=fps,
        size=run.size,
        offered=stats.offered,
        sent=stats.encoded,
        dropped=stats.dropped,
        received=stats.received,
        keyframes=stats.keyframes,
        keyframes_requested=stats.keyframes_requested,
        payload_bytes=stats.encoded_bytes,
        setup_seconds=run.setup_seconds,
        wall_seconds=time.perf_counter() - t0,
        encode_seconds=stats.encode_seconds,
        candidates=run.candidates,
    )


def through_call(
    frames: Iterable[BGRImage],
    *,
    fps: float = 30.0,
    codec: Codec = "vp8",
    bitrate: int = 300_000,
    size: tuple[int, int] | None = None,
    drop_on_overshoot: bool = True,
    realtime: bool = False,
    compare: bool = True,
    timeout: float = 120.0,
) -> CallResult:
    """Send ``frames`` through a real WebRTC call on 127.0.0.1 and return the far end's.

    Args:
        frames: BGR uint8 frames (any iterable; read as the call goes).
        fps: the frame rate the frames are stamped with.
        codec: ``"vp8"`` or ``"h264"`` (aiortc's libvpx and libx264 encoders).
        bitrate: the encoder's target in bit/s, held for the whole call.
        size: (width, height) the sender scales to; default: the frames' own size.
        drop_on_overshoot: drop frames before encoding when over budget (a browser does).
        realtime: pace the frames on the wall clock (default: as fast as the far end
            decodes; the media clock is the same either way).
        compare: compute each received frame's PSNR against the frame as sent.
        timeout: seconds for the whole call.

    Raises:
        ConfigError: a setting is out of range.
        CallError: aiortc is missing, the call could not be set up, or it did not finish
            within ``timeout``.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        raise CallError(
            "through_call() was called inside a running asyncio loop; "
            "await through_call_async() instead"
        )
    return asyncio.run(
        through_call_async(
            frames,
            fps=fps,
            codec=codec,
            bitrate=bitrate,
            size=size,
            drop_on_overshoot=drop_on_overshoot,
            realtime=realtime,
            compare=compare,
            timeout=timeout,
        )
    )
