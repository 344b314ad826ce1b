"""The words the window shows: the disclosure line, chips, switches. No Qt here.

Plain language for people who stream, not for the people who wrote the code: no class
names, no sink specs. Each function takes what the session reports and returns text.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from overlay.config import BannerConfig

__all__ = [
    "Chip",
    "disclosure_line",
    "dropped_chip",
    "elapsed",
    "fps_chip",
    "provenance_chip",
    "recording_chip",
    "short_path",
    "source_chip",
    "vcam_chip",
    "watermark_chip",
]

POSITION_WORDS = {
    "top-right": "top right",
    "top-left": "top left",
    "top": "top",
    "bottom": "bottom",
}


@dataclass(frozen=True, slots=True)
class Chip:
    """One status chip: its text, its state (``on``, ``off``, ``warn``, ``bad``), a tooltip."""

    text: str
    state: str = "off"
    tip: str = ""


def disclosure_line(banner: BannerConfig, *, recording: bool = False) -> str:
    """The line under the preview: what is disclosed, and where. It cannot be turned off."""
    where = POSITION_WORDS.get(banner.position, banner.position)
    record = "; the recording is signed too" if recording else ""
    return (
        f"This is what others see. Disclosed in every frame: the “{banner.banner_text}” "
        f"banner ({where}), a per-frame mark, an invisible watermark; a signed record of "
        f"the session is kept{record}."
    )


def short_path(path: str | Path, home: Path | None = None) -> str:
    """``~/Videos/x.mp4`` for a path under the home folder, else the path."""
    p = Path(path)
    home = home or Path.home()
    try:
        rel = p.relative_to(home).as_posix()
    except ValueError:
        return str(p)
    return "~" if rel == "." else f"~/{rel}"


def elapsed(seconds: float) -> str:
    """``0:07``, ``12:34``, ``1:02:03``."""
    s = max(0, int(seconds))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def vcam_chip(on: bool, listed_as: str = "", problem: str = "") -> Chip:
    if problem:
        return Chip("Virtual camera: not available", "bad", problem)
    if on:
        name = f" as “{listed_as}”" if listed_as else ""
        return Chip(f"Virtual camera: on{name}", "on", "call apps can pick this camera")
    return Chip("Virtual camera: off", "off", "call apps do not see this picture")


def recording_chip(on: bool, seconds: float = 0.0) -> Chip:
    if on:
        return Chip(f"Recording {elapsed(seconds)}", "rec", "the output is being recorded")
    return Chip("Not recording", "off")


def watermark_chip(status: str) -> Chip:
    """``status``: what the session reports about the watermark ("" before a session)."""
    if not status:
        return Chip("Watermark: waiting", "off")
    low = status.lower()
    if low.startswith(("not", "off", "placeholder")) or "no key" in low:
        return Chip("Watermark: off", "warn", status)
    return Chip("Watermark: on", "on", status)


def provenance_chip(manifest: str) -> Chip:
    """``manifest``: where the signed record goes ("" when the session keeps none)."""
    if manifest:
        return Chip("Signed record: on", "on", manifest)
    return Chip("Signed record: off", "warn", "this session keeps no signed record")


def fps_chip(fps: float, target: float) -> Chip:
    state = "on" if fps >= 0.9 * target else "warn"
    return Chip(f"{fps:.0f} fps", state, f"frames sent per second (target {target:g})")


def dropped_chip(dropped: int, slates: int) -> Chip:
    state = "on" if dropped == 0 and slates == 0 else "warn"
    tip = f"source frames dropped: {dropped}; slate frames sent: {slates}"
    return Chip(f"{dropped} dropped", state, tip)


def source_chip(problem: str, *, paused: bool) -> Chip:
    """The source's state: fine (empty), paused (the slate is sent), or failed."""
    if paused:
        return Chip("Source paused: sending the slate", "warn", problem)
    if problem:
        return Chip("Source stopped", "bad", problem)
    return Chip("Source: live", "on")
