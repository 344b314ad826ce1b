"""No network at run time: sessions (with and without the face tag, recording and
signing, bench) run in an empty network namespace under strace with zero connection
attempts, zero DNS queries and no helper programs; MediaPipe is loaded without its
audio (sounddevice) and drawing (matplotlib) modules. The twins run plain MediaPipe
the same way and show what the tracer catches (in the empty namespace nothing leaves)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

OVERLAY = [sys.executable, "-m", "overlay"]


def _traceable() -> str | None:
    """Why the network test cannot run here, or None."""
    if not sys.platform.startswith("linux"):
        return "needs Linux (strace, network namespaces)"
    if shutil.which("strace") is None:
        return "needs strace (apt install strace)"
    if shutil.which("unshare") is None:
        return "needs unshare (util-linux)"
    for cmd in (["unshare", "-n", "true"], ["unshare", "-rn", "true"]):
        if subprocess.run(cmd, capture_output=True, check=False).returncode == 0:
            return None
    return "cannot create a network namespace (unshare -n / -rn refused)"


REASON = _traceable()
needs_trace = pytest.mark.skipif(REASON is not None, reason=REASON or "")


def _unshare() -> list[str]:
    ok = subprocess.run(["unshare", "-n", "true"], capture_output=True, check=False)
    return ["unshare", "-n"] if ok.returncode == 0 else ["unshare", "-rn"]


@dataclass
class Trace:
    connects: list[str]
    dns: list[str]
    programs: list[str]
    returncode: int
    stderr: str


def traced(argv: list[str], tmp_path: Path) -> Trace:
    """Run ``argv`` with no network (empty namespace) under strace; what it tried."""
    log = tmp_path / f"strace-{len(list(tmp_path.glob('strace-*')))}.txt"
    cmd = [*_unshare(), "strace", "-f", "-qq", "-e", "trace=connect,sendto,sendmsg,execve"]
    done = subprocess.run(
        [*cmd, "-o", str(log), *argv],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    lines = log.read_text().splitlines()
    connects = [ln for ln in lines if "connect(" in ln and re.search(r"AF_INET6?\b", ln)]
    dns = [ln for ln in lines if "htons(53)" in ln]
    programs = [
        m.group(1)
        for ln in lines
        if (m := re.search(r'execve\("([^"]+)"', ln)) and "ENOENT" not in ln
    ]
    return Trace(connects, dns, programs[1:], done.returncode, done.stderr)


@needs_trace
@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [
        ["run", "--source", "avatar", "--sink", "null", "--frames", "45"],
        ["run", "--source", "avatar", "--sink", "null", "--frames", "45", "--no-face-tag"],
        ["run", "--source", "synthetic", "--sink", "file:out.mp4", "--frames", "45"],
        ["bench", "--frames", "30", "--size", "640x360"],
    ],
    ids=["avatar-face-tag", "avatar-no-face-tag", "record-and-sign", "bench"],
)
def test_session_makes_no_network_attempt(tmp_path: Path, args: list[str]) -> None:
    t = traced([*OVERLAY, *args], tmp_path)
    assert t.returncode == 0, t.stderr[-2000:]
    assert t.connects == [], t.connects
    assert t.dns == [], t.dns
    assert t.programs == [], t.programs


PLAIN_MEDIAPIPE = """
import numpy as np, mediapipe as mp
from mediapipe.tasks.python import BaseOptions, vision
from overlay.faces.models import resolve_model
model = resolve_model(download=False)
options = vision.FaceDetectorOptions(
    base_options=BaseOptions(model_asset_buffer=model.detector_bytes()),
    running_mode=vision.RunningMode.IMAGE)
task = vision.FaceDetector.create_from_options(options)
task.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=np.zeros((128, 128, 3), np.uint8)))
task.close()
"""


@needs_trace
@pytest.mark.slow
def test_plain_mediapipe_is_caught_by_the_same_trace(tmp_path: Path) -> None:
    # Twin: MediaPipe imported and run as its docs show tries to reach its telemetry
    # host and runs helper programs (sounddevice's ldconfig/gcc); the trace sees both.
    t = traced([sys.executable, "-c", PLAIN_MEDIAPIPE], tmp_path)
    assert t.returncode == 0, t.stderr[-2000:]
    assert t.dns or t.connects
    assert any(p.endswith(("ldconfig", "gcc")) for p in t.programs), t.programs


#: Modules MediaPipe's package import brings that overlay must not load at run time.
HEAVY = ("sounddevice", "_sounddevice", "matplotlib")


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys\nprint('\\n'.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    return set(out.split())


def test_mediapipe_loads_without_audio_and_drawing_modules() -> None:
    mods = _modules_after(
        "from overlay.faces.detector import import_mediapipe\n"
        "mp = import_mediapipe()\n"
        "from mediapipe.tasks.python import BaseOptions, vision\n"
        "assert vision.FaceDetector and vision.FaceLandmarker and mp.Image and BaseOptions"
    )
    assert "mediapipe.tasks.python.vision.face_detector" in mods
    assert not {m for m in mods if m.startswith(HEAVY)}
    assert "mediapipe.tasks.python.audio" not in mods
    # Twin: the package's own import pulls both in.
    plain = _modules_after("import mediapipe")
    assert {m for m in plain if m.startswith(HEAVY)}
    assert "mediapipe.tasks.python.audio" in plain


def test_native_lookups_are_refused_in_process() -> None:
    # The detector's telemetry lookup happens when it closes: it reaches the refusal.
    code = (
        "from overlay.faces.detector import FaceDetector\n"
        "from overlay.faces.models import resolve_model\n"
        "from overlay.faces.offline import blocked_lookups\n"
        "d = FaceDetector(resolve_model(download=False))\n"
        "d.close()\n"
        "print('LOOKUPS', blocked_lookups())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    count = int(out.split("LOOKUPS")[1])
    assert count >= 1, out


def test_python_sockets_are_not_blocked() -> None:
    # Twin: the block is on MediaPipe's library only; Python still resolves (the model
    # download), checked on the loopback name.
    import socket

    from overlay.faces.detector import import_mediapipe

    import_mediapipe()
    assert socket.getaddrinfo("localhost", 80)
