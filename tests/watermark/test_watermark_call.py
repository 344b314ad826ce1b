"""One real WebRTC call (aiortc, VP8 at 300 kbit/s, 640x360, 127.0.0.1 only) per clip:
a session's 3 s of output (a pan over a photo at 1280x720, stamped) and its unmarked twin.

The harness must work (frames arrive, in order, as sent; the bitrate holds; no socket
leaves loopback) and the unmarked twin must stay unmarked. Whether the mark survives is
the open bug of issue 10: the watermark v1 does not, so that one test is an expected
failure until v2 lands. ``benchmarks/watermark_call.py`` runs the full set of settings.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from watermark_content import SIZE, picture

from overlay.config import BannerConfig
from overlay.frames import BGRImage, Frame
from overlay.session import Session
from overlay.stamps import BannerStamp, MarkStamp, Stamp, WatermarkStamp
from overlay.watermark.clips import pan_zoom

pytest.importorskip("aiortc", reason="the call test needs aiortc (pip install 'overlay[call]')")

from benchmarks.watermark_call import check_watermark, write_lossless
from overlay.callsim import CallResult, through_call

pytestmark = pytest.mark.slow

FPS = 30.0
FRAMES = 90  # 3 s
BITRATE = 300_000
CALL_SIZE = (640, 360)
KEY = bytes(range(32))
SESSION = Session(SIZE, FPS, id="c0ffee42")
LOOPBACK = ipaddress.ip_network("127.0.0.0/8")


# -- the socket guard -------------------------------------------------------------------
@dataclass
class Guard:
    loopback: int = 0
    refused: list[Any] = field(default_factory=list)


@contextlib.contextmanager
def loopback_guard() -> Iterator[Guard]:
    """Every IPv4/IPv6 socket's connect/sendto/sendmsg must go to 127.0.0.0/8.

    Anything else is refused before it is sent (OSError) and recorded, so a library
    that swallows the error still fails the test.
    """
    guard = Guard()
    originals = {
        n: getattr(socket.socket, n) for n in ("connect", "connect_ex", "sendto", "sendmsg")
    }

    def check(sock: socket.socket, address: Any) -> None:
        if sock.family not in (socket.AF_INET, socket.AF_INET6):
            return  # unix sockets (the event loop's self-pipe)
        host = address[0] if isinstance(address, tuple) else address
        try:
            ok = ipaddress.ip_address(host) in LOOPBACK
        except ValueError:
            ok = False  # a name: would need a DNS lookup
        if not ok:
            guard.refused.append(address)
            raise OSError(f"test guard: {address!r} is not on 127.0.0.0/8")
        guard.loopback += 1

    def connect(self: socket.socket, address: Any) -> None:
        check(self, address)
        originals["connect"](self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        check(self, address)
        return int(originals["connect_ex"](self, address))

    def sendto(self: socket.socket, data: bytes, *args: Any) -> int:
        check(self, args[-1])
        return int(originals["sendto"](self, data, *args))

    def sendmsg(
        self: socket.socket, buffers: Any, ancdata: Any = (), flags: int = 0, address: Any = None
    ) -> int:
        if address is not None:
            check(self, address)
            return int(originals["sendmsg"](self, buffers, ancdata, flags, address))
        return int(originals["sendmsg"](self, buffers, ancdata, flags))

    patched = {"connect": connect, "connect_ex": connect_ex, "sendto": sendto, "sendmsg": sendmsg}
    for name, fn in patched.items():
        setattr(socket.socket, name, fn)
    try:
        yield guard
    finally:
        for name, fn in originals.items():
            setattr(socket.socket, name, fn)


# -- the calls (once per module) ------------------------------------------------------------
@dataclass
class Calls:
    sent_marked: list[BGRImage]
    sent_twin: list[BGRImage]
    marked: CallResult
    twin: CallResult
    guard: Guard


def stamped(frames: list[BGRImage], *, watermark: bool) -> list[BGRImage]:
    """The session's stamp chain (watermark, banner with its start card, mark), or the
    same without the watermark: the unmarked twin. No face tag: the picture has no face."""
    chain: list[Stamp] = [BannerStamp(SESSION, BannerConfig()), MarkStamp(SESSION)]
    if watermark:
        chain.insert(0, WatermarkStamp(SESSION, installation_key=KEY))
    out = []
    for i, image in enumerate(frames):
        frame = Frame(image.copy(), i, i / FPS)
        for stamp in chain:
            frame = stamp.apply(frame)
        out.append(frame.image)
    return out


@pytest.fixture(scope="module")
def calls() -> Calls:
    # No sensor grain (watermark_content.clip adds it at ~0.2 s per 720p frame here).
    frames = list(pan_zoom(picture("coffee"), SIZE, FRAMES, zoom=1.5))
    marked = stamped(frames, watermark=True)
    twin = stamped(frames, watermark=False)
    with loopback_guard() as guard:
        got_marked, got_twin = (
            through_call(c, fps=FPS, codec="vp8", bitrate=BITRATE, size=CALL_SIZE, timeout=120)
            for c in (marked, twin)
        )
    return Calls(marked, twin, got_marked, got_twin, guard)


# -- the harness ----------------------------------------------------------------------------
@pytest.mark.parametrize("which", ["marked", "twin"])
def test_the_far_end_gets_every_frame_in_order(calls: Calls, which: str) -> None:
    r: CallResult = getattr(calls, which)
    assert r.offered == FRAMES
    assert r.sent + r.dropped == FRAMES
    assert r.sent >= FRAMES // 2
    assert r.lost <= 2  # loopback: NACK repairs a lost packet, nothing else is lost
    assert r.indices == sorted(set(r.indices))
    assert r.indices[0] >= 0 and r.indices[-1] < FRAMES
    assert all(f.shape == (CALL_SIZE[1], CALL_SIZE[0], 3) for f in r.frames)
    assert len(r.timeline()) == FRAMES - r.indices[0]


@pytest.mark.parametrize("which", ["marked", "twin"])
def test_bitrate_holds_the_target(calls: Calls, which: str) -> None:
    r: CallResult = getattr(calls, which)
    assert BITRATE / 1.5 <= r.achieved_kbps * 1000 <= BITRATE * 1.5


def test_received_frames_show_the_frames_sent_at_their_index(calls: Calls) -> None:
    import cv2

    from overlay.callsim.rtc import psnr

    r = calls.marked
    assert r.mean_psnr > 25
    # The same frame index matches better than the frame 10 later (the pan moves).
    sent = [cv2.resize(f, CALL_SIZE, interpolation=cv2.INTER_AREA) for f in calls.sent_marked]
    for image, i in list(zip(r.frames, r.indices, strict=True))[:: len(r.frames) // 6]:
        later = min(i + 10, FRAMES - 1)
        assert psnr(image, sent[i]) > psnr(image, sent[later]) + 1.0


def test_no_socket_left_loopback(calls: Calls) -> None:
    assert calls.guard.refused == []
    assert calls.guard.loopback > 2 * FRAMES  # the guard saw the call's packets
    assert calls.marked.candidates >= 2


def test_the_guard_refuses_another_host() -> None:
    # The twin of the above: a datagram to TEST-NET-1 never leaves, and is recorded.
    with loopback_guard() as guard, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        with pytest.raises(OSError, match="not on 127"):
            s.sendto(b"x", ("192.0.2.1", 9))
        with pytest.raises(OSError, match="not on 127"):
            s.connect(("192.0.2.1", 9))
        s.sendto(b"x", ("127.0.0.1", 9))
    assert guard.refused == [("192.0.2.1", 9), ("192.0.2.1", 9)]
    assert guard.loopback == 1


# -- the watermark ---------------------------------------------------------------------------
def far_end_file(r: CallResult, path: Path) -> Path:
    return write_lossless(path, r.timeline(), FPS)


def test_watermark_survives_the_call(calls: Calls, tmp_path: Path) -> None:
    got = check_watermark(far_end_file(calls.marked, tmp_path / "far.avi"), SESSION.id, KEY)
    assert got.right_id, got.text


def test_unmarked_twin_stays_unmarked_after_the_call(calls: Calls, tmp_path: Path) -> None:
    got = check_watermark(far_end_file(calls.twin, tmp_path / "far.avi"), SESSION.id, KEY)
    assert not got.found, got.text
