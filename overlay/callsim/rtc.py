"""The aiortc half of the call harness; imported only when a call runs.

How each promise of :mod:`overlay.callsim` is kept is written next to the code that keeps
it: :func:`loopback_only` (no interface but 127.0.0.1, no STUN), :class:`PinnedEncoder`
(the bitrate, REMB, frame dropping) and :class:`ClipTrack` (the media clock).
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import fractions
import re
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import aioice.ice
import av
import cv2
import numpy as np
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpSender,
)
from aiortc.codecs.base import Encoder
from aiortc.codecs.h264 import H264Encoder
from aiortc.codecs.vpx import Vp8Encoder, VpxPayloadDescriptor
from aiortc.mediastreams import MediaStreamError
from av.frame import Frame as AVFrame

from overlay.callsim import CallError
from overlay.callsim.pacer import FrameDropper
from overlay.errors import ConfigError
from overlay.frames import BGRImage, as_bgr, check_image

__all__ = ["CallStats", "check_loopback_sdp", "loopback_only", "run_call"]

LOOPBACK = "127.0.0.1"
#: RTP's video clock (aiortc's VIDEO_TIME_BASE): frame timestamps are in these ticks.
CLOCK_RATE = 90_000
TIME_BASE = fractions.Fraction(1, CLOCK_RATE)
MIME = {"vp8": "video/vp8", "h264": "video/h264"}


# -- loopback only -----------------------------------------------------------------------
class _Patch:
    """Who is inside :func:`loopback_only` (calls may overlap, in threads or one loop)."""

    lock = threading.Lock()
    users = 0
    host_addresses = aioice.ice.get_host_addresses


def _loopback_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    return [LOOPBACK]


@contextlib.contextmanager
def loopback_only() -> Iterator[None]:
    """While inside, aioice gathers exactly one host candidate: 127.0.0.1.

    ``aioice.ice.Connection.gather_candidates`` takes its host addresses from the
    module-level ``aioice.ice.get_host_addresses(use_ipv4, use_ipv6)``, which lists every
    interface and leaves 127.0.0.1 out on purpose; aioice has no setting for it. So the
    function is replaced, for the duration of the calls (reference-counted, restored when
    the last one ends), by one returning ``["127.0.0.1"]``: the UDP sockets are bound to
    127.0.0.1, so they can reach no other host. STUN is off because every peer gets
    ``RTCConfiguration(iceServers=[])`` (``None`` would mean aiortc's default, Google's
    STUN server), TURN is never configured, and :func:`check_loopback_sdp` refuses any
    description with a candidate that is not 127.0.0.1.
    """
    with _Patch.lock:
        if _Patch.users == 0:
            aioice.ice.get_host_addresses = _loopback_addresses
        _Patch.users += 1
    try:
        yield
    finally:
        with _Patch.lock:
            _Patch.users -= 1
            if _Patch.users == 0:
                aioice.ice.get_host_addresses = _Patch.host_addresses


_CANDIDATE = re.compile(r"^a=candidate:\S+ \d+ \S+ \d+ (\S+) \d+ typ (\S+)", re.MULTILINE)


def check_loopback_sdp(sdp: str, who: str) -> int:
    """The number of candidates in ``sdp``; raises CallError unless all are 127.0.0.1 hosts."""
    found = _CANDIDATE.findall(sdp)
    if not found:
        raise CallError(
            f"the {who} gathered no ICE candidate on {LOOPBACK}; "
            "check that the loopback interface is up (ip link set lo up)"
        )
    for host, kind in found:
        if host != LOOPBACK or kind != "host":
            raise CallError(
                f"the {who} offered a {kind} candidate on {host}, not a host candidate on "
                f"{LOOPBACK}; the call harness stays on loopback: report this with the "
                f"aioice version ({getattr(aioice, '__version__', '?')})"
            )
    return len(found)


# -- the sender's encoder ------------------------------------------------------------------
@dataclass(slots=True)
class CallStats:
    """What the sender and the receiver counted (written by the harness while it runs)."""

    offered: int = 0
    encoded: int = 0
    dropped: int = 0
    keyframes: int = 0
    keyframes_requested: int = 0
    encoded_bytes: int = 0
    encoded_indices: list[int] = field(default_factory=list)
    received: int = 0
    last_received: int = -1
    #: Index of the flush frame sent after the clip (not counted, not shown).
    flush_index: int | None = None
    encode_seconds: float = 0.0


def _is_keyframe(codec: str, payloads: list[bytes]) -> bool:
    """Whether the packetised frame is a key frame (read from the RTP payloads)."""
    if not payloads:
        return False
    if codec == "vp8":
        _, data = VpxPayloadDescriptor.parse(payloads[0])
        # VP8 frame tag (RFC 6386 section 9.1): bit 0 is 0 for a key frame.
        return bool(data) and data[0] & 1 == 0
    for p in payloads:
        nal = p[0] & 0x1F
        if nal == 24:  # STAP-A: 2-byte sizes, each followed by one NAL unit
            pos = 1
            while pos + 3 <= len(p):
                (size,) = struct.unpack_from("!H", p, pos)
                if p[pos + 2] & 0x1F in (5, 7):
                    return True
                pos += 2 + size
        elif nal == 28:  # FU-A: the type is in the FU header
            if len(p) > 1 and p[1] & 0x1F in (5, 7):
                return True
        elif nal in (5, 7):  # IDR slice, SPS
            return True
    return False


class PinnedEncoder(Encoder):
    """aiortc's own VP8 or H.264 encoder at exactly ``bitrate``, deaf to REMB, with dropping.

    - The bitrate: aiortc's ``Vp8Encoder``/``H264Encoder`` clamp the ``target_bitrate``
      setter to 250 k-1.5 M (VP8) and 500 k-3 M (H.264) bit/s. The clamp is in the setter
      only, so the value is written to the private field the setter guards
      (``_Vp8Encoder__target_bitrate``/``_H264Encoder__target_bitrate``): the encoder then
      opens libvpx/libx264 with that ``bit_rate`` (VP8 also uses it for ``minrate``,
      ``maxrate`` and ``bufsize``: CBR with a 1 s buffer), and everything else is aiortc's.
    - REMB: ``RTCRtpSender`` applies the far end's REMB only
      ``if hasattr(encoder, "target_bitrate")``; this wrapper has no such attribute, so
      REMB is ignored and the target never moves.
    - Dropping: before each encode, a :class:`FrameDropper` (leaky bucket over the
      encoded bits, on the media clock) may drop the frame, as a browser's sender does
      when the encoder overshoots; a key frame the far end asked for (PLI/FIR) is never
      dropped. A dropped frame returns no payload, which ``RTCRtpSender`` skips.
    """

    def __init__(
        self,
        codec: str,
        bitrate: int,
        fps: float,
        dropper: FrameDropper | None,
        stats: CallStats,
    ) -> None:
        self.codec = codec
        self.fps = fps
        self.inner: Encoder = Vp8Encoder() if codec == "vp8" else H264Encoder()
        setattr(self.inner, f"_{type(self.inner).__name__}__target_bitrate", bitrate)
        got = getattr(self.inner, "target_bitrate", None)
        if got != bitrate:
            raise CallError(
                f"could not pin aiortc's {type(self.inner).__name__} to {bitrate} bit/s "
                f"(it reports {got}); this aiortc version changed its encoder: "
                "install aiortc 1.16 (tested)"
            )
        self.dropper = dropper
        self.stats = stats

    def encode(self, frame: AVFrame, force_keyframe: bool = False) -> tuple[list[bytes], int]:
        assert frame.pts is not None and frame.time_base is not None
        t = float(frame.pts * frame.time_base)
        index = round(t * self.fps)
        timestamp = round(frame.pts * frame.time_base * CLOCK_RATE)
        if self.stats.flush_index is not None and index >= self.stats.flush_index:
            return self.inner.encode(frame, force_keyframe)
        if force_keyframe:
            self.stats.keyframes_requested += 1
        if self.dropper is not None and not self.dropper.admit(t) and not force_keyframe:
            self.stats.dropped += 1
            return [], timestamp
        t0 = time.perf_counter()
        payloads, timestamp = self.inner.encode(frame, force_keyframe)
        self.stats.encode_seconds += time.perf_counter() - t0
        nbytes = sum(len(p) for p in payloads)
        key = _is_keyframe(self.codec, payloads)
        if self.dropper is not None:
            self.dropper.fill(t, nbytes, key)
        self.stats.encoded += 1
        self.stats.keyframes += int(key)
        self.stats.encoded_bytes += nbytes
        self.stats.encoded_indices.append(index)
        return payloads, timestamp

    def pack(self, packet: object) -> tuple[list[bytes], int]:
        raise CallError("the call harness encodes raw frames; it was handed an encoded packet")


# -- the sending track -----------------------------------------------------------------
class ClipTrack(MediaStreamTrack):
    """The clip as a video track, on a media clock of its own.

    Frame ``i`` gets ``pts = round(i * 90000 / fps)`` in 1/90000 s, whatever the wall
    clock says: aiortc's encoders and their rate control (libvpx computes its frame rate
    from the timestamps; libx264 is opened by aiortc at a fixed 30 fps) and the
    :class:`FrameDropper` see a steady ``fps`` stream, and the RTP timestamps are the
    ones a real-time sender would stamp. Frames are handed out as fast as the far end
    keeps up (at most ``in_flight`` encoded frames not yet decoded there), or at ``fps``
    on the wall clock with ``realtime``.
    """

    kind = "video"

    def __init__(
        self,
        frames: Iterator[BGRImage],
        *,
        fps: float,
        size: tuple[int, int] | None,
        stats: CallStats,
        progress: asyncio.Event,
        in_flight: int,
        realtime: bool,
        keep_sent: bool,
    ) -> None:
        super().__init__()
        self._frames = frames
        self.fps = fps
        self.size = size
        self.stats = stats
        self._progress = progress
        self._in_flight = in_flight
        self._realtime = realtime
        self._keep_sent = keep_sent
        self.sent: dict[int, BGRImage] = {}
        self._last: BGRImage | None = None
        self.error: Exception | None = None
        self.ended = asyncio.Event()
        self.started = asyncio.Event()
        self._t0 = 0.0
        self.stall_seconds = 0.0

    def _outstanding(self) -> int:
        done = bisect.bisect_right(self.stats.encoded_indices, self.stats.last_received)
        return len(self.stats.encoded_indices) - done

    async def recv(self) -> AVFrame:
        if self.readyState != "live":
            raise MediaStreamError
        loop = asyncio.get_running_loop()
        if not self.started.is_set():
            self.started.set()
            self._t0 = loop.time()
        i = self.stats.offered
        if self._realtime:
            await asyncio.sleep(max(0.0, self._t0 + i / self.fps - loop.time()))
        t_wait = loop.time()
        while self._outstanding() >= self._in_flight:
            self._progress.clear()
            try:
                await asyncio.wait_for(self._progress.wait(), 2.0)
            except TimeoutError:
                break  # a frame was lost: go on rather than wait for it
        self.stall_seconds += loop.time() - t_wait
        try:
            image = next(self._frames, None)
            if image is not None:
                image = check_image(image, f"call input frame {i}")
        except Exception as exc:
            # Raised again by run_call once both peers are closed.
            self.error = exc
            image, self._last = None, None
        if image is None:
            if self._last is None or self.stats.flush_index is not None:
                self.ended.set()
                self.stop()
                raise MediaStreamError
            # aiortc's jitter buffer hands a frame on when the next frame's first packet
            # arrives, so the clip's last frame needs one more behind it: the last image
            # again, neither counted nor shown.
            self.stats.flush_index = i
            return self._frame(self._last, i)
        if self.size is None:
            self.size = (image.shape[1], image.shape[0])
        if (image.shape[1], image.shape[0]) != self.size:
            # A call app scales the camera picture to the resolution it sends.
            image = as_bgr(cv2.resize(image, self.size, interpolation=cv2.INTER_AREA))
        if self._keep_sent:
            self.sent[i] = image
        self._last = image
        self.stats.offered += 1
        return self._frame(image, i)

    def _frame(self, image: BGRImage, i: int) -> AVFrame:
        frame = av.VideoFrame.from_ndarray(image, format="bgr24")
        frame.pts = round(i * CLOCK_RATE / self.fps)
        frame.time_base = TIME_BASE
        return frame


# -- the call --------------------------------------------------------------------------
@dataclass(slots=True)
class Received:
    frames: list[BGRImage] = field(default_factory=list)
    indices: list[int] = field(default_factory=list)
    psnr: list[float] = field(default_factory=list)


def psnr(a: BGRImage, b: BGRImage) -> float:
    """PSNR in dB of ``a`` against ``b`` (same shape), capped at 100 for identical images."""
    mse = float(np.mean((a.astype(np.float32) - b.astype(np.float32)) ** 2))
    return 100.0 if mse <= 1e-10 else float(10 * np.log10(255.0**2 / mse))


async def _consume(
    track: MediaStreamTrack,
    sender: ClipTrack,
    stats: CallStats,
    out: Received,
    progress: asyncio.Event,
    fps: float,
) -> None:
    first: int | None = None
    while True:
        try:
            frame = await track.recv()
        except MediaStreamError:
            return
        assert isinstance(frame, av.VideoFrame) and frame.pts is not None
        # The receiver's timestamps start at 0 with the first frame it got (aiortc's
        # TimestampMapper); that first frame is the first one sent: the key frame,
        # without which nothing would decode.
        if first is None:
            first = stats.encoded_indices[0] if stats.encoded_indices else 0
        assert frame.time_base is not None
        index = first + round(float(frame.pts * frame.time_base) * fps)
        if stats.flush_index is not None and index >= stats.flush_index:
            continue
        image = as_bgr(frame.to_ndarray(format="bgr24"))
        out.frames.append(image)
        out.indices.append(index)
        for i in [k for k in sender.sent if k < index]:
            del sender.sent[i]  # dropped or lost: never compared
        ref = sender.sent.pop(index, None)
        out.psnr.append(psnr(image, ref) if ref is not None else float("nan"))
        stats.received += 1
        stats.last_received = max(stats.last_received, index)
        progress.set()


@dataclass(slots=True)
class CallRun:
    """Everything one call produced (turned into the public CallResult by the caller)."""

    stats: CallStats
    received: Received
    size: tuple[int, int]
    setup_seconds: float
    stall_seconds: float
    candidates: int


async def run_call(
    frames: Iterator[BGRImage],
    *,
    codec: str,
    bitrate: int,
    fps: float,
    size: tuple[int, int] | None,
    drop_on_overshoot: bool,
    realtime: bool,
    in_flight: int,
    drain_seconds: float,
    compare: bool,
    stats: CallStats,
) -> CallRun:
    """One call: two peer connections in this event loop, on 127.0.0.1 only."""
    progress = asyncio.Event()
    received = Received()
    t_start = time.perf_counter()
    with loopback_only():
        config = RTCConfiguration(iceServers=[])  # [] = no STUN; None = Google's STUN
        pc_send = RTCPeerConnection(config)
        pc_recv = RTCPeerConnection(config)
        consumer: asyncio.Task[None] | None = None
        try:
            track = ClipTrack(
                frames,
                fps=fps,
                size=size,
                stats=stats,
                progress=progress,
                in_flight=in_flight,
                realtime=realtime,
                keep_sent=compare,
            )
            transceiver = pc_send.addTransceiver(track, direction="sendonly")
            wanted = [
                c
                for c in RTCRtpSender.getCapabilities("video").codecs
                if c.mimeType.lower() == MIME[codec]
            ]
            transceiver.setCodecPreferences(wanted)
            dropper = FrameDropper(bitrate, fps) if drop_on_overshoot else None
            encoder = PinnedEncoder(codec, bitrate, fps, dropper, stats)
            # RTCRtpSender creates its encoder on the first frame only if it has none
            # (``if self.__encoder is None``); giving it one first is how the pinned
            # encoder replaces aiortc's. The stats check after the call proves it was used.
            transceiver.sender._RTCRtpSender__encoder = encoder  # type: ignore[attr-defined]

            remote: asyncio.Future[MediaStreamTrack] = asyncio.get_running_loop().create_future()

            @pc_recv.on("track")
            def _on_track(t: MediaStreamTrack) -> None:
                if not remote.done():
                    remote.set_result(t)

            await pc_send.setLocalDescription(await pc_send.createOffer())
            candidates = check_loopback_sdp(pc_send.localDescription.sdp, "sender")
            await pc_recv.setRemoteDescription(pc_send.localDescription)
            await pc_recv.setLocalDescription(await pc_recv.createAnswer())
            candidates += check_loopback_sdp(pc_recv.localDescription.sdp, "receiver")
            await pc_send.setRemoteDescription(pc_recv.localDescription)
            consumer = asyncio.create_task(
                _consume(await remote, track, stats, received, progress, fps)
            )
            await track.started.wait()
            setup = time.perf_counter() - t_start
            await track.ended.wait()
            # Drain: wait for the last encoded frame, or for the far end to go quiet.
            while stats.encoded_indices and stats.last_received < stats.encoded_indices[-1]:
                progress.clear()
                try:
                    await asyncio.wait_for(progress.wait(), drain_seconds)
                except TimeoutError:
                    break
        finally:
            await pc_send.close()
            await pc_recv.close()
            if consumer is not None:
                consumer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await consumer
    if track.error is not None:
        raise track.error
    if stats.offered == 0:
        raise ConfigError("the call was given 0 frames; pass at least one BGR frame")
    if stats.offered and not stats.encoded and not stats.dropped:
        raise CallError(
            "aiortc did not use the pinned encoder (0 frames encoded through it); "
            "this aiortc version changed RTCRtpSender: install aiortc 1.16 (tested)"
        )
    assert track.size is not None
    return CallRun(stats, received, track.size, setup, track.stall_seconds, candidates)
