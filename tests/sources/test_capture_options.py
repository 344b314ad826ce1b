"""Capture sources without an X server: parsing, missing display, listings, doctor's note."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from overlay.cli import main
from overlay.cli.sources import format_listing
from overlay.doctor import other_os_checks
from overlay.errors import ConfigError, SourceError
from overlay.sources import open_source, source_names
from overlay.sources.listing import SourceChoice, SourceListing, list_cameras, list_sources
from overlay.sources.screen import RegionSource, WindowSource, parse_region


@pytest.fixture
def no_display(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)


def test_capture_sources_are_registered() -> None:
    assert {"screen", "region", "window"} <= set(source_names())
    assert isinstance(open_source("window:Deep-Live-Cam"), WindowSource)
    assert isinstance(open_source("region:0,0,640,360"), RegionSource)


@pytest.mark.parametrize(
    ("arg", "rect"),
    [("0,0,1280,720", (0, 0, 1280, 720)), (" -1920, 10 ,640,360", (-1920, 10, 640, 360))],
)
def test_parse_region(arg: str, rect: tuple[int, int, int, int]) -> None:
    assert parse_region(arg) == rect


@pytest.mark.parametrize(
    "arg", [None, "", "1,2,3", "1,2,3,4,5", "a,b,c,d", "0,0,1.5,2", "0,0,0,10"]
)
def test_parse_region_rejects(arg: str | None) -> None:
    with pytest.raises(ConfigError, match=r"region .*(X,Y,W,H|at least 2 pixels)"):
        parse_region(arg)


def test_window_needs_a_title() -> None:
    with pytest.raises(ConfigError, match=r"needs a title, e\.g\. --source window:"):
        open_source("window:")
    with pytest.raises(ConfigError):
        open_source("window:   ")


def test_without_a_display_capture_fails_in_one_line(
    no_display: None, capsys: pytest.CaptureFixture[str]
) -> None:
    for spec in ("screen", "region:0,0,64,64", "window:anything"):
        code = main(["run", "--source", spec, "--sink", "null", "--frames", "1"])
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 2
        assert len(err) == 1 and "no X display (DISPLAY is not set)" in err[0], err


def test_without_a_display_the_source_raises_source_error(no_display: None) -> None:
    src = open_source("screen:1")
    with pytest.raises(SourceError, match="DISPLAY is not set"):
        src.open()
    src.close()


def test_wayland_without_x_says_so(no_display: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    with pytest.raises(SourceError, match="Wayland session has no X display"):
        open_source("screen").open()


def test_listing_without_a_display_gives_reasons_not_errors(no_display: None) -> None:
    listing = list_sources()
    assert not listing.of_kind("screen") and not listing.of_kind("window")
    assert "DISPLAY is not set" in listing.problems["screen"]
    assert "DISPLAY is not set" in listing.problems["window"]
    text = format_listing(listing)
    assert "screens:\n  (cannot capture the screen: no X display" in text
    assert main(["sources"]) == 0


def _video_node(sys_root: Path, dev_root: Path, n: int, name: str, index: int, *, virtual: bool):
    (dev_root / f"video{n}").touch()
    base = sys_root / (
        "devices/virtual/video4linux" if virtual else "devices/pci0/usb1/video4linux"
    )
    real = base / f"video{n}"
    real.mkdir(parents=True)
    (real / "name").write_text(name + "\n")
    (real / "index").write_text(f"{index}\n")
    link_dir = sys_root / "class" / "video4linux"
    link_dir.mkdir(parents=True, exist_ok=True)
    os.symlink(real, link_dir / f"video{n}")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="video nodes are Linux")
def test_cameras_real_and_virtual(tmp_path: Path) -> None:
    sys_root, dev_root = tmp_path / "sys", tmp_path / "dev"
    dev_root.mkdir()
    _video_node(sys_root, dev_root, 0, "Integrated Camera", 0, virtual=False)
    _video_node(sys_root, dev_root, 1, "Integrated Camera", 1, virtual=False)  # metadata
    _video_node(sys_root, dev_root, 10, "Deep-Live-Cam", 0, virtual=True)
    _video_node(sys_root, dev_root, 2, "USB Camera", 0, virtual=False)
    choices = list_cameras(sys_root, dev_root)
    # by number, not by name: video2 before video10 (the one camera enumeration)
    assert [c.spec for c in choices] == ["webcam:0", "webcam:2", f"device:{dev_root}/video10"]
    assert choices[0].label == f"Integrated Camera ({dev_root}/video0)"
    assert choices[2].label == "Deep-Live-Cam (virtual camera)"
    assert all(c.kind == "camera" for c in choices)
    # No nodes: nothing listed.
    assert list_cameras(sys_root, tmp_path / "empty") == []


def test_format_listing_quotes_specs_for_the_shell() -> None:
    listing = SourceListing(
        (
            SourceChoice("screen", "screen:1", "screen 1: 1920x1080 at 0,0", (1920, 1080)),
            SourceChoice("window", "window:My Tool — Preview", "My Tool — Preview: 640x480"),
        ),
        {"camera": "cameras are not enumerated on this system"},
    )
    text = format_listing(listing)
    assert "--source 'window:My Tool — Preview'" in text
    assert "--source screen:1 " in text and "'screen:1'" not in text
    assert "--source region:X,Y,W,H" in text
    assert "cameras:\n  (cameras are not enumerated on this system)" in text


def test_doctor_explains_the_obs_collision_on_windows_only() -> None:
    note = [c for c in other_os_checks("win32") if "single device" in c.what]
    assert len(note) == 1
    assert "window:" in note[0].detail and "unitycapture" in note[0].detail
    assert not [c for c in other_os_checks("darwin") if "single device" in c.what]
