"""What can be captured here: cameras, monitors and windows, each with its ``--source``.

``list_sources()`` returns plain data; ``overlay sources`` prints it and the app's source
picker shows the same list.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from overlay.errors import SourceError
from overlay.sources.desktop import Rect, list_monitors, list_windows, open_grabber

__all__ = ["Kind", "SourceChoice", "SourceListing", "list_cameras", "list_sources"]

Kind = Literal["camera", "screen", "window"]


@dataclass(frozen=True, slots=True)
class SourceChoice:
    """One thing to capture.

    Attributes:
        kind: "camera", "screen" (a monitor or all of them) or "window".
        spec: the exact ``--source`` string (``RunSettings.source``) that captures it.
        label: what a person recognises it by (camera name, monitor size, window title).
        size: (width, height) in pixels when known.
        rect: where it is on the screen (left, top, width, height), for screens and windows.
    """

    kind: Kind
    spec: str
    label: str
    size: tuple[int, int] | None = None
    rect: Rect | None = None


@dataclass(frozen=True, slots=True)
class SourceListing:
    """The choices, and for each kind that could not be listed, why (with the fix).

    Attributes:
        choices: cameras first, then screens, then windows (topmost first).
        problems: kind -> one line saying why that kind could not be listed.
    """

    choices: tuple[SourceChoice, ...] = ()
    problems: dict[str, str] = field(default_factory=dict)

    def of_kind(self, kind: Kind) -> list[SourceChoice]:
        return [c for c in self.choices if c.kind == kind]


def _sysfs_text(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def list_cameras(
    sys_root: Path = Path("/sys"), dev_root: Path = Path("/dev")
) -> list[SourceChoice]:
    """Linux video devices: ``webcam:N`` for cameras, ``device:PATH`` for virtual ones.

    A v4l2loopback device is another program's output (a face-swap tool's virtual camera,
    or overlay's own), so it is offered as ``device:`` (generator origin). Elsewhere
    cameras are not enumerated (see ``list_sources``).
    """
    if not sys.platform.startswith("linux"):
        return []
    nodes = [p for p in dev_root.glob("video*") if p.name.removeprefix("video").isdigit()]
    nodes.sort(key=lambda p: int(p.name.removeprefix("video")))
    choices: list[SourceChoice] = []
    for node in nodes:
        info = sys_root / "class" / "video4linux" / node.name
        # UVC cameras add a metadata node (index 1) beside the picture node (index 0).
        if _sysfs_text(info / "index") not in {"", "0"}:
            continue
        card = _sysfs_text(info / "name") or node.name
        virtual = info.exists() and "/devices/virtual/" in str(info.resolve())
        if virtual:
            choices.append(SourceChoice("camera", f"device:{node}", f"{card} (virtual camera)"))
        else:
            number = node.name.removeprefix("video")
            choices.append(SourceChoice("camera", f"webcam:{number}", f"{card} ({node})"))
    return choices


def _screens() -> list[SourceChoice]:
    grabber = open_grabber()
    try:
        monitors = list_monitors(grabber)
    finally:
        grabber.close()
    choices: list[SourceChoice] = []
    for m in monitors[1:]:
        x, y, w, h = m.rect
        primary = ", primary" if m.primary else ""
        choices.append(
            SourceChoice(
                "screen",
                f"screen:{m.number}",
                f"screen {m.number}: {w}x{h} at {x},{y}{primary}",
                (w, h),
                m.rect,
            )
        )
    if len(monitors) > 2:
        x, y, w, h = monitors[0].rect
        choices.append(
            SourceChoice(
                "screen", "screen:0", f"all screens: {w}x{h} at {x},{y}", (w, h), monitors[0].rect
            )
        )
    return choices


def _windows() -> list[SourceChoice]:
    windows = list_windows()
    choices: list[SourceChoice] = []
    for i, win in enumerate(windows):
        x, y, w, h = win.rect
        label = f"{w}x{h} at {x},{y}"
        # window:TITLE picks the topmost match; say so when a window above also matches.
        needle = win.title.casefold()
        if any(needle in other.title.casefold() for other in windows[:i]):
            label += " (a window above also matches this title; close or rename it)"
        choices.append(
            SourceChoice("window", f"window:{win.title}", f"{win.title}: {label}", (w, h), win.rect)
        )
    return choices


def list_sources(
    *, cameras: bool = True, screens: bool = True, windows: bool = True
) -> SourceListing:
    """Everything that can be captured now, each with its exact ``--source`` string.

    Never raises for a kind that cannot be listed: its reason goes to ``problems``.
    """
    choices: list[SourceChoice] = []
    problems: dict[str, str] = {}
    if cameras:
        choices.extend(list_cameras())
        if not sys.platform.startswith("linux"):
            problems["camera"] = (
                "cameras are not enumerated on this system; try --source webcam:0, webcam:1, ..."
            )
    if screens:
        try:
            choices.extend(_screens())
        except SourceError as exc:
            problems["screen"] = str(exc)
    if windows:
        try:
            choices.extend(_windows())
        except SourceError as exc:
            problems["window"] = str(exc)
    return SourceListing(tuple(choices), problems)
