"""A real X server for the capture tests (Xvfb + openbox, started once) and helpers.

Xvfb picks a free display itself (``-displayfd``), so parallel runs do not collide.
DISPLAY is never set in the pytest process's environment for good: tests that grab the
screen in-process set it with monkeypatch (mss connects per grabber), and everything that
lists windows runs in a subprocess, because pywinctl binds to the display it first sees
when it is imported. Where Xvfb or openbox cannot be had, these tests skip with the reason.
"""

from __future__ import annotations

import json
import os
import queue
import select
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).resolve().parent
WINDOW_APP = HERE / "window_app.py"
DRIVER = HERE / "capture_driver.py"
SCREEN = (1280, 800)
#: The root window's colour (xsetroot): what a grab sees where no window is.
ROOT_BGR = (0, 0, 255)
APT_HINT = "Debian: apt-get install xvfb openbox x11-xserver-utils x11-utils"


@dataclass
class XServer:
    display: str
    env: dict[str, str]


def _start_xvfb(xvfb: str) -> tuple[subprocess.Popen[bytes], str]:
    r, w = os.pipe()
    w_, h_ = SCREEN
    proc = subprocess.Popen(
        # -noreset: without it the server resets when its last client leaves (xsetroot),
        # dropping the root colour and refusing connections for a moment.
        [
            xvfb,
            "-displayfd",
            str(w),
            "-screen",
            "0",
            f"{w_}x{h_}x24",
            "-nolisten",
            "tcp",
            "-noreset",
        ],
        pass_fds=(w,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    os.close(w)
    # Xvfb writes the number, then a newline; closing the pipe before the newline arrives
    # kills it ("Cannot write display number"), so read up to the newline.
    text = b""
    deadline = time.monotonic() + 15.0
    try:
        while not text.endswith(b"\n") and time.monotonic() < deadline:
            ready, _, _ = select.select([r], [], [], max(0.0, deadline - time.monotonic()))
            chunk = os.read(r, 64) if ready else b""
            if not chunk:
                break
            text += chunk
    finally:
        os.close(r)
    number = text.decode().strip()
    if not number.isdigit():
        proc.kill()
        _, err = proc.communicate(timeout=5)
        pytest.skip(f"Xvfb did not start: {err.decode(errors='replace').strip()[-300:]}")
    return proc, f":{number}"


def _wait_for_wm(env: dict[str, str], timeout: float = 10.0) -> bool:
    xprop = shutil.which("xprop")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if xprop is None:
            time.sleep(1.0)
            return True
        out = subprocess.run(
            [xprop, "-root", "_NET_SUPPORTING_WM_CHECK"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if "window id" in out.stdout:
            return True
        time.sleep(0.1)
    return False


def _stop(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


@pytest.fixture(scope="session")
def xserver() -> Iterator[XServer]:
    if not sys.platform.startswith("linux"):
        pytest.skip("the capture tests start Xvfb, which needs Linux")
    xvfb, openbox = shutil.which("Xvfb"), shutil.which("openbox")
    if xvfb is None or openbox is None:
        missing = " and ".join(n for n, p in (("Xvfb", xvfb), ("openbox", openbox)) if not p)
        pytest.skip(f"{missing} not installed ({APT_HINT})")
    server, display = _start_xvfb(xvfb)
    wm: subprocess.Popen[bytes] | None = None
    try:
        env = {k: v for k, v in os.environ.items() if k not in {"WAYLAND_DISPLAY"}}
        env["DISPLAY"] = display
        env.pop("QT_QPA_PLATFORM", None)
        if shutil.which("xsetroot"):
            b, g, r = ROOT_BGR
            subprocess.run(["xsetroot", "-solid", f"#{r:02x}{g:02x}{b:02x}"], env=env, check=False)
        wm = subprocess.Popen(
            [openbox, "--sm-disable"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        if not _wait_for_wm(env):
            wm.kill()
            _, err = wm.communicate(timeout=5)
            pytest.skip(
                f"openbox did not start on Xvfb {display} within 10 s: "
                + err.decode(errors="replace").strip()[-300:]
            )
        yield XServer(display, env)
    finally:
        _stop(wm)
        _stop(server)


class LineProcess:
    """A child process we talk to by lines (stdin) and read by lines (stdout), with timeouts."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            args,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.err: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()
        threading.Thread(target=self._pump_err, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def _pump_err(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.err.append(line.rstrip("\n"))

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def expect(self, timeout: float = 20.0) -> str:
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            line = None
        if line is None:
            raise AssertionError(
                f"{self.proc.args} said nothing within {timeout} s; stderr: "
                + " | ".join(self.err[-8:])
            )
        return line

    def expect_window(self) -> None:
        """Wait for a Qt window process's "ready"; skip when Qt cannot open a window."""
        try:
            line = self.expect(30.0)
        except AssertionError as exc:
            self.close()
            if "xcb" in " ".join(self.err) or "Qt" in " ".join(self.err):
                pytest.skip(f"Qt cannot open a window on Xvfb: {' | '.join(self.err[-3:])}")
            raise exc
        assert line == "ready", line

    def close(self, timeout: float = 10.0) -> None:
        if self.proc.poll() is None:
            try:
                self.send("quit")
                self.proc.wait(timeout=timeout)
            except (BrokenPipeError, subprocess.TimeoutExpired, OSError):
                self.proc.kill()
                self.proc.wait(timeout=5)


class WindowApp(LineProcess):
    """The pattern window (window_app.py) in its own process."""

    def __init__(self, xserver: XServer, title: str, x: int, y: int) -> None:
        super().__init__([sys.executable, str(WINDOW_APP), title, str(x), str(y)], xserver.env)
        self.expect_window()

    def move(self, x: int, y: int) -> None:
        self.send(f"move {x} {y}")
        assert self.expect() == "moved"

    def set_minimized(self, minimized: bool) -> None:
        cmd = "minimize" if minimized else "restore"
        self.send(cmd)
        assert self.expect() == f"{cmd}d"

    def resize(self, w: int, h: int) -> None:
        self.send(f"resize {w} {h}")
        assert self.expect() == "resized"


@pytest.fixture
def open_window(xserver: XServer) -> Iterator[Callable[[str, int, int], WindowApp]]:
    """A factory of pattern windows; every window it opened is closed after the test."""
    made: list[WindowApp] = []

    def make(title: str, x: int, y: int) -> WindowApp:
        app = WindowApp(xserver, title, x, y)
        made.append(app)
        return app

    try:
        yield make
    finally:
        for app in made:
            app.close()


class Driver(LineProcess):
    """capture_driver.py: a real Pipeline on ``spec`` into a MemorySink, in a subprocess."""

    def __init__(self, xserver: XServer, spec: str, size: tuple[int, int], fps: float) -> None:
        w, h = size
        super().__init__([sys.executable, str(DRIVER), spec, f"{w}x{h}", str(fps)], xserver.env)
        first = json.loads(self.expect(60.0))
        self.error: str | None = first.get("error")

    def dump(self, path: Path) -> dict[str, np.ndarray]:
        self.send(f"dump {path}")
        json.loads(self.expect())
        with np.load(path) as data:
            return {k: data[k] for k in data.files}

    def finish(self) -> dict[str, object]:
        self.send("quit")
        stats: dict[str, object] = json.loads(self.expect(20.0))["stats"]
        self.proc.wait(timeout=10)
        return stats


@pytest.fixture
def driver(xserver: XServer) -> Iterator[Callable[..., Driver]]:
    """A factory of capture drivers; all are stopped after the test."""
    made: list[Driver] = []

    def make(spec: str, size: tuple[int, int] = (480, 270), fps: float = 30.0) -> Driver:
        d = Driver(xserver, spec, size, fps)
        made.append(d)
        return d

    try:
        yield make
    finally:
        for d in made:
            d.close()
