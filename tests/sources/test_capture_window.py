"""window:TITLE against a real X server: a real window in another process, the real Pipeline.

The scenario runs once (starting windows and drivers costs seconds): capture by title,
move the window, close it (slate), open an unrelated window (still slate), open the
window again (picked up). Each phase checks frames a phase earlier would fail.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from capture_pattern import GREY, HEIGHT, RED_BGR, WIDTH, close_to, read_code, sample
from capture_x11 import ROOT_BGR, SCREEN, XServer

from overlay.config import MIN_START_CARD_SECONDS as CARD_SECONDS
from overlay.config import BannerConfig
from overlay.stamps.banner import banner_geometry
from overlay.watermark import DEFAULT_STRENGTH

OUT = (480, 270)
TITLE = "overlay-test Pattern Window 7"


def codes(
    frames: dict[str, np.ndarray], win: tuple[int, int] = (WIDTH, HEIGHT)
) -> list[int | None]:
    return [read_code(img, win) for img in frames["images"]]


def expected_banner_patch() -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """The banner drawn over the window's plain grey, as the pipeline must send it."""
    w, h = OUT
    canvas = np.full((h, w, 3), GREY, np.uint8)
    sprite, x, y = banner_geometry(BannerConfig(), OUT)
    sprite.blender().blend(canvas, x, y)
    box = (x, y, sprite.width, sprite.height)
    return canvas[y : y + sprite.height, x : x + sprite.width], box


def assert_live_pattern(
    frames: dict[str, np.ndarray], what: str, win: tuple[int, int] = (WIDTH, HEIGHT)
) -> None:
    n = len(frames["images"])
    assert n >= 20, f"{what}: only {n} frames in the phase"
    assert not frames["slates"].any(), f"{what}: {int(frames['slates'].sum())} slates"
    read = codes(frames, win)
    found = [c for c in read if c is not None]
    assert len(found) >= 0.9 * n, f"{what}: pattern in {len(found)} of {n} frames"
    assert len(set(found)) >= 10, f"{what}: the pattern did not move ({sorted(set(found))})"
    # Stamped: the banner sits on the window's grey as the banner stamp draws it, under
    # the watermark (the last stamp: at most DEFAULT_STRENGTH grey levels anywhere).
    patch, (x, y, bw, bh) = expected_banner_patch()
    for img in frames["images"][:: max(1, n // 5)]:
        got = img[y : y + bh, x : x + bw].astype(int)
        assert np.abs(got - patch).max() <= DEFAULT_STRENGTH, (
            f"{what}: the banner is not on the frame"
        )


def test_window_source_follows_the_window_and_recovers(
    xserver: XServer, open_window, driver, tmp_path: Path
) -> None:
    app = open_window(TITLE, 60, 60)
    listing = json.loads(
        subprocess.run(
            [sys.executable, "-m", "overlay", "sources", "--json"],
            env=xserver.env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    mine = [s for s in listing["sources"] if s["spec"] == f"window:{TITLE}"]
    assert len(mine) == 1, listing
    assert tuple(mine[0]["size"]) == (WIDTH, HEIGHT)
    old = mine[0]["rect"]

    # Part of the title, other case: the first window that contains it.
    win = driver("window:pattern WINDOW 7", OUT)
    here = driver("region:" + ",".join(map(str, old)), OUT)
    assert win.error is None and here.error is None, (win.error, here.error)
    time.sleep(CARD_SECONDS + 0.3)  # the start card covers the middle of the first frames
    win.dump(tmp_path / "skip.npz")
    here.dump(tmp_path / "skip.npz")
    time.sleep(1.5)
    phase = win.dump(tmp_path / "a.npz")
    assert_live_pattern(phase, "captured by title")
    # Negative twin of the banner check: the raw window has plain grey there.
    _, (x, y, bw, bh) = expected_banner_patch()
    raw_grey = np.full((bh, bw, 3), GREY, np.uint8)
    assert np.abs(phase["images"][-1][y : y + bh, x : x + bw].astype(int) - raw_grey).max() > 2
    assert_live_pattern(here.dump(tmp_path / "r.npz"), "the region where the window was")

    app.move(700, 420)
    time.sleep(0.4)
    win.dump(tmp_path / "skip.npz")
    here.dump(tmp_path / "skip.npz")
    time.sleep(1.2)
    assert_live_pattern(win.dump(tmp_path / "b.npz"), "after the move")
    # The old place now shows the root window: a source that did not follow fails here.
    stale = here.dump(tmp_path / "r2.npz")
    assert all(c is None for c in codes(stale)), "the old place still shows the pattern"
    centre = stale["images"][-1][OUT[1] // 2, 20].astype(int)
    assert np.abs(centre - np.array(ROOT_BGR)).max() <= 2, centre
    here.finish()

    # Resized: the whole new client area is captured (a stale size would lose the blue
    # corner, and read at the old scale would misplace the blocks).
    big = (480, 270)
    app.resize(*big)
    time.sleep(0.4)
    win.dump(tmp_path / "skip.npz")
    time.sleep(1.0)
    resized = win.dump(tmp_path / "big.npz")
    assert_live_pattern(resized, "after the resize", big)
    assert all(c is None for c in codes(resized, (WIDTH, HEIGHT)))

    # Half off the right edge of the screen: same frame size, black where it cannot be seen.
    app.move(SCREEN[0] - big[0] // 2, 300)
    time.sleep(0.4)
    win.dump(tmp_path / "skip.npz")
    time.sleep(0.6)
    edge = win.dump(tmp_path / "edge.npz")
    assert len(edge["images"]) >= 10 and not edge["slates"].any()
    for img in edge["images"][-5:]:
        assert close_to(sample(img, 3, 3, big), RED_BGR), "the visible half is not the window"
        assert close_to(sample(img, 100, 30, big), (GREY, GREY, GREY), 8)
        off = sample(img, big[0] - 40, 160, big)  # below the banner, right of the blocks
        assert close_to(off, (0, 0, 0), 2), "off-screen part not black"

    app.close()
    time.sleep(1.2)  # the slate takes over after 0.5 s without frames
    win.dump(tmp_path / "skip.npz")
    time.sleep(1.0)
    gone = win.dump(tmp_path / "c.npz")
    assert len(gone["images"]) >= 20, "the output stopped instead of showing the slate"
    assert gone["slates"].all(), f"{int((~gone['slates']).sum())} non-slate frames"
    assert all(c is None for c in codes(gone))

    # A window with another title is not picked up.
    other = open_window("something else entirely", 100, 100)
    time.sleep(2.5)  # more than one retry period
    win.dump(tmp_path / "skip.npz")
    time.sleep(0.5)
    assert win.dump(tmp_path / "d.npz")["slates"].all(), "captured the wrong window"
    other.close()

    open_window(TITLE, 300, 200)
    deadline = time.monotonic() + 6.0
    back = False
    while time.monotonic() < deadline and not back:
        time.sleep(0.5)
        recent = win.dump(tmp_path / "e.npz")
        back = bool(len(recent["slates"])) and not recent["slates"][-5:].any()
    assert back, "the window came back but the source did not pick it up"
    time.sleep(1.2)
    assert_live_pattern(win.dump(tmp_path / "f.npz"), "after the window came back")
    stats = win.finish()
    assert stats["slates"] > 0 and stats["frames"] > stats["slates"]


def overlay_cli(xserver: XServer, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "overlay", *args],
        env=xserver.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_sources_lists_windows_with_their_exact_option(xserver: XServer, open_window) -> None:
    title = "overlay-test list me"
    app = open_window(title, 200, 150)
    shown = overlay_cli(xserver, "sources")
    assert shown.returncode == 0, shown.stderr
    assert f"--source 'window:{title}'" in shown.stdout
    assert "--source screen:1" in shown.stdout
    # The listed option works as printed.
    ran = overlay_cli(
        xserver, "run", "--source", f"window:{title}", "--sink", "null", "--frames", "3"
    )
    assert ran.returncode == 0, ran.stderr
    app.close()
    gone = overlay_cli(xserver, "sources")
    assert gone.returncode == 0 and f"window:{title}" not in gone.stdout


def test_window_with_no_match_is_one_line_and_exit_2(xserver: XServer) -> None:
    ran = overlay_cli(xserver, "run", "--source", "window:no such window 42", "--sink", "null")
    lines = ran.stderr.strip().splitlines()
    assert ran.returncode == 2
    assert len(lines) == 1, lines
    assert "no window title contains 'no such window 42'" in lines[0]
    assert "overlay sources" in lines[0]


def test_minimized_window_is_named_not_missing(xserver: XServer, open_window) -> None:
    title = "overlay-test minimized one"
    app = open_window(title, 250, 250)
    app.set_minimized(True)
    time.sleep(0.5)
    ran = overlay_cli(xserver, "run", "--source", f"window:{title}", "--sink", "null")
    lines = ran.stderr.strip().splitlines()
    assert ran.returncode == 2 and len(lines) == 1, lines
    assert f"the window '{title}' is minimized; show it on the screen" in lines[0]
    app.set_minimized(False)
    time.sleep(0.5)
    ran = overlay_cli(
        xserver, "run", "--source", f"window:{title}", "--sink", "null", "--frames", "2"
    )
    assert ran.returncode == 0, ran.stderr
