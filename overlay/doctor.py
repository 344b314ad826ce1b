"""Virtual-camera prerequisites: checks with a per-OS fix (``overlay doctor``, the app).

No printing here: :mod:`overlay.cli.doctor` prints these checks, the app shows them.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "Check",
    "all_checks",
    "linux_checks",
    "listed_as",
    "loopback_names",
    "opencv_check",
    "other_os_checks",
    "vcam_checks",
]

V4L2_INSTALL = (
    "sudo apt install v4l2loopback-dkms (Debian/Ubuntu) or your distribution's v4l2loopback package"
)
V4L2_LOAD = 'sudo modprobe v4l2loopback devices=1 exclusive_caps=1 card_label="overlay"'

#: What call apps list pyvirtualcam's devices as on Windows and macOS, by backend.
_BACKEND_NAMES = {"obs": "OBS Virtual Camera", "unitycapture": "Unity Video Capture"}


@dataclass(frozen=True, slots=True)
class Check:
    """One prerequisite: what was checked, whether it holds, and the fix when it does not."""

    what: str
    ok: bool
    detail: str = ""
    fix: str = ""


def linux_checks(sys_root: Path = Path("/sys"), dev_root: Path = Path("/dev")) -> list[Check]:
    """The v4l2loopback checks, reading ``sys_root`` and ``dev_root`` (swappable for tests)."""
    checks: list[Check] = []
    module = sys_root / "module" / "v4l2loopback"
    loaded = module.is_dir()
    checks.append(
        Check(
            "v4l2loopback kernel module loaded",
            loaded,
            "loaded" if loaded else "not loaded",
            "" if loaded else f"install it ({V4L2_INSTALL}), then load it: {V4L2_LOAD}",
        )
    )
    nodes: list[Path] = []
    for entry in sorted((sys_root / "devices" / "virtual" / "video4linux").glob("video*")):
        nodes.append(dev_root / entry.name)
    checks.append(
        Check(
            "a v4l2loopback device node exists",
            bool(nodes),
            ", ".join(map(str, nodes)) or "none",
            "" if nodes else f"load the module with a device: {V4L2_LOAD}",
        )
    )
    if nodes:
        writable = [n for n in nodes if os.access(n, os.R_OK | os.W_OK)]
        checks.append(
            Check(
                "the device node is writable by you",
                bool(writable),
                ", ".join(map(str, writable)) or "no access",
                ""
                if writable
                else "add yourself to the video group: sudo usermod -aG video $USER "
                "(then log out and in)",
            )
        )
    caps_file = module / "parameters" / "exclusive_caps"
    if loaded:
        caps = caps_file.read_text().strip() if caps_file.exists() else ""
        ok = bool(caps) and all(c in {"Y", "1"} for c in caps.replace(",", " ").split())
        checks.append(
            Check(
                "exclusive_caps=1 (Chrome, Meet and Zoom only list the camera with it)",
                ok,
                caps or "unknown",
                "" if ok else f"reload the module: sudo modprobe -r v4l2loopback && {V4L2_LOAD}",
            )
        )
    return checks


def opencv_check(versions: dict[str, str] | None = None) -> Check:
    """One OpenCV build: the opencv-* distributions that write ``cv2/`` share one version.

    mediapipe pulls opencv-contrib-python beside opencv-python; if their versions differ,
    ``cv2/`` holds files of both and may not import.
    """
    if versions is None:
        from importlib import metadata

        versions = {}
        for dist in ("opencv-python", "opencv-contrib-python", "opencv-python-headless"):
            try:
                versions[dist] = metadata.version(dist)
            except metadata.PackageNotFoundError:
                continue
    found = ", ".join(f"{k} {v}" for k, v in sorted(versions.items())) or "none"
    if len(set(versions.values())) == 1:
        return Check("one OpenCV build installed", True, found)
    return Check(
        "one OpenCV build installed",
        False,
        found,
        "reinstall overlay so both are pinned to one release: pip install --force-reinstall -e .",
    )


def other_os_checks(platform: str) -> list[Check]:
    """Windows and macOS: the OBS virtual camera (pyvirtualcam's backend there)."""
    checks: list[Check] = []
    try:
        import pyvirtualcam

        with pyvirtualcam.Camera(640, 360, 30, fmt=pyvirtualcam.PixelFormat.BGR) as cam:
            checks.append(Check("a virtual camera opens", True, f"{cam.device} ({cam.backend})"))
    except Exception as exc:  # pyvirtualcam raises RuntimeError listing every backend
        fix = (
            "install OBS Studio 26.1 or newer and start its virtual camera once "
            "(Start Virtual Camera), then stop it"
        )
        if platform == "darwin":
            fix = "install OBS Studio 30 or newer and allow its camera extension in System Settings"
        checks.append(Check("a virtual camera opens", False, str(exc).replace("\n", "; "), fix))
    if platform == "win32":
        checks.append(
            Check(
                "note: OBS's virtual camera is a single device",
                True,
                "pyvirtualcam's OBS backend is the same 'OBS Virtual Camera' that OBS's own "
                "Start Virtual Camera uses, so a face-swap tool -> OBS virtual camera -> overlay "
                "chain collides; skip OBS and capture the tool's window directly "
                "(--source window:TITLE; 'overlay sources' lists the windows), or install "
                "Unity Capture and send to it (--backend unitycapture)",
            )
        )
    return checks


def vcam_checks(platform: str | None = None) -> list[Check]:
    """The virtual-camera checks for this OS (Linux: v4l2loopback; else: OBS's camera)."""
    platform = platform or sys.platform
    if platform.startswith("linux"):
        return linux_checks()
    return other_os_checks(platform)


def all_checks(platform: str | None = None) -> list[Check]:
    """What ``overlay doctor`` checks: one OpenCV build, then the virtual camera."""
    return [opencv_check(), *vcam_checks(platform)]


def loopback_names(sys_root: Path = Path("/sys")) -> dict[str, str]:
    """``/dev/videoN`` -> the name call apps list (v4l2loopback's ``card_label``)."""
    names: dict[str, str] = {}
    for entry in sorted((sys_root / "devices" / "virtual" / "video4linux").glob("video*")):
        try:
            name = (entry / "name").read_text(encoding="utf-8").strip()
        except OSError:
            continue
        if name:
            names[f"/dev/{entry.name}"] = name
    return names


def listed_as(
    device: str | None = None,
    backend: str | None = None,
    *,
    platform: str | None = None,
    sys_root: Path = Path("/sys"),
) -> str:
    """The name a call app (Zoom, Meet, Teams, OBS) lists the virtual camera under.

    Args:
        device: the device in use or asked for ("" / None: the first one).
        backend: the pyvirtualcam backend in use or asked for.
        platform: ``sys.platform`` (default: this one).
        sys_root: where to read v4l2loopback's device names (tests).

    Returns "" when it cannot be known (no device yet).
    """
    platform = platform or sys.platform
    if backend in _BACKEND_NAMES:
        return _BACKEND_NAMES[backend]
    if not platform.startswith("linux"):
        return _BACKEND_NAMES["obs"]
    names = loopback_names(sys_root)
    if device and device in names:
        return names[device]
    if not device and names:
        return next(iter(names.values()))
    return ""
