"""The app's form as data: validated into RunSettings, saved as JSON between runs.

No Qt here, so the rules are testable on their own and the window only maps widgets to
fields. Validation uses the library's own checks (BannerConfig, OutputConfig,
banner_geometry), so the form refuses exactly what the CLI refuses, with the same reason.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

from overlay.config import PRESETS, BannerConfig, OutputConfig, parse_size
from overlay.errors import ConfigError
from overlay.operator_policy import OperatorPolicy
from overlay.paths import config_dir
from overlay.provenance.policy import DECLARATIONS
from overlay.runner import RunSettings
from overlay.session import Session
from overlay.sinks.file import default_recording_path
from overlay.sources import source_names
from overlay.stamps.banner import banner_geometry

__all__ = [
    "CUSTOM",
    "AppSettings",
    "Validated",
    "load_settings",
    "save_settings",
    "settings_path",
]

log = logging.getLogger(__name__)

#: The banner "preset" that takes the custom text, language, position and height fields.
CUSTOM = "custom"
SETTINGS_FILE = "app.json"


@dataclass(frozen=True, slots=True)
class Validated:
    """A form that passed every rule.

    Attributes:
        run: what the session is built from (without the preview sink).
        banner: the banner it will carry.
        output: the output size and rate.
        text_height_px: the banner's cap height in pixels at the output size.
        text_height_fraction: that height as a fraction of the output's shortest side.
    """

    run: RunSettings
    banner: BannerConfig
    output: OutputConfig
    text_height_px: int
    text_height_fraction: float


@dataclass(frozen=True, slots=True)
class AppSettings:
    """Everything the window's form holds (and the JSON file stores).

    Attributes:
        source: a ``--source`` spec, e.g. ``synthetic``, ``webcam:0``, ``file:clip.mp4``;
            "" = automatic: the webcam if one opens, else the avatar.
        size: output size ``WxH``.
        fps: output frames per second.
        vcam: send to the virtual camera.
        device: virtual camera device ("" = pyvirtualcam's choice).
        backend: pyvirtualcam backend ("" = try each).
        record: record the output to an mp4.
        record_path: a folder (a new ``overlay-<time>-<session>.mp4`` per session) or a
            ``.mp4`` file path; "" = the user's Videos folder, else home.
        preset: a key of ``overlay.config.PRESETS`` or ``"custom"``.
        text: custom banner text ("" = the language's own text); custom only.
        lang: banner language; custom only.
        position: banner position; custom only.
        text_height: text height as a fraction of the shortest side; custom only.
        self_view: show a mirrored self-view beside the output preview (never sent).
        declare: what the source is (``face-swap``, ``avatar``, ``generated``; "" = by its
            origin), for the provenance record (see ``overlay.provenance.policy``).
        likeness: image of the person a face-swap source shows ("" = none); a consent
            record for it is needed (``overlay consent add``).
        setup_done: the virtual-camera set-up page was seen (it opens by itself only once).
    """

    source: str = ""
    size: str = "1280x720"
    fps: float = 30.0
    vcam: bool = False
    device: str = ""
    backend: str = ""
    record: bool = False
    record_path: str = ""
    preset: str = "eu"
    text: str = ""
    lang: str = "en"
    position: str = "top-right"
    text_height: float = 0.055
    self_view: bool = False
    declare: str = ""
    likeness: str = ""
    setup_done: bool = False

    def banner(self) -> BannerConfig:
        """The banner these settings ask for. Raises ConfigError with the reason."""
        if self.preset == CUSTOM:
            return BannerConfig(
                lang=self.lang,  # type: ignore[arg-type]  # validated by BannerConfig
                text=self.text or None,
                position=self.position,  # type: ignore[arg-type]
                text_height=float(self.text_height),
            )
        preset = PRESETS.get(self.preset)
        if preset is None:
            raise ConfigError(
                f"unknown banner preset {self.preset!r}; use one of: "
                f"{', '.join([*sorted(PRESETS), CUSTOM])}"
            )
        return preset

    def output(self) -> OutputConfig:
        if self.fps != self.fps:  # NaN
            raise ConfigError("fps nan is not a number; use e.g. 30")
        return OutputConfig(parse_size(self.size, "output size"), float(self.fps))

    def recording_target(self, session_id: str, *, keep_existing: bool = False) -> Path:
        """The mp4 this session records to (a new name per session in a folder).

        Args:
            session_id: names the file in a folder.
            keep_existing: a named ``.mp4`` that exists gets ``-<session>`` added instead
                (kiosk restarts must not stop at the first session's file).
        """
        raw = self.record_path.strip()
        if raw.lower().endswith(".mp4"):
            path = Path(raw).expanduser()
            if keep_existing and path.exists():
                path = path.with_name(f"{path.stem}-{session_id}{path.suffix}")
            return path
        folder = Path(raw).expanduser() if raw else default_recording_folder()
        return default_recording_path(session_id, folder)

    def validate(
        self,
        session: Session | None = None,
        *,
        keep_existing: bool = False,
        policy: OperatorPolicy | None = None,
    ) -> Validated:
        """Check every rule; the settings for a session, or ConfigError with the reason.

        Args:
            session: the session the recording path is named after (default: a new one
                for the output size; only its id is used).
            keep_existing: see :meth:`recording_target`.
            policy: an operator policy the settings must stay inside (PolicyError names
                its file); the session is held to it as well.
        """
        output = self.output()
        banner = self.banner()
        sprite, _, _ = banner_geometry(banner, output.size)  # refuses a banner that won't fit
        name = self.source.partition(":")[0].strip().lower()
        if name and name not in source_names():
            raise ConfigError(f"unknown source {name!r}; use one of: {', '.join(source_names())}")
        spec = self.source.strip()
        if name == "pipe":
            arg = spec.partition(":")[2].strip()
            if not arg:
                raise ConfigError(
                    "the pipe source needs the frame size of the raw BGR stream, e.g. 1280x720"
                )
            spec = f"pipe:{'x'.join(map(str, parse_size(arg, 'pipe frame size')))}"
        sinks: list[str] = []
        if self.vcam:
            sinks.append(f"vcam:{self.device}" if self.device.strip() else "vcam")
        if self.record:
            sid = session.id if session else Session(output.size, output.fps).id
            target = self.recording_target(sid, keep_existing=keep_existing)
            if not target.parent.is_dir():
                raise ConfigError(
                    f"recording folder {target.parent} does not exist; create it or pick another"
                )
            if target.exists():
                raise ConfigError(
                    f"recording {target} exists; pick another name or a folder instead"
                )
            sinks.append(f"file:{target}")
        if not sinks:
            # Preview only: the pipeline needs a sink, and the runner's default would pick
            # the virtual camera or a recording the user did not ask for.
            sinks.append("null")
        if self.declare and self.declare not in DECLARATIONS:
            raise ConfigError(
                f"unknown declaration {self.declare!r}; use one of: {', '.join(DECLARATIONS)}"
            )
        run = RunSettings(
            source=spec or None,  # None: the webcam if one opens, else the avatar
            sinks=tuple(sinks),
            output=output,
            banner=banner,
            device=self.device.strip() or None,
            backend=self.backend.strip() or None,
            declare=self.declare or None,
            likeness=self.likeness.strip() or None,
            policy=policy,
        )
        if policy is not None:
            policy.check(run)
        short = min(output.size)
        return Validated(run, banner, output, sprite.text_height_px, sprite.text_height_px / short)

    def with_changes(self, **changes: object) -> AppSettings:
        return replace(self, **changes)  # type: ignore[arg-type]

    def within(self, policy: OperatorPolicy) -> tuple[AppSettings, list[str]]:
        """These settings moved inside ``policy``, and a line per change.

        Saved settings (or a hand-edited ``app.json``) may predate the policy; the app
        starts inside it instead of refusing to start (a kiosk has nobody to fix it).
        """
        changes: dict[str, object] = {}
        notes: list[str] = []
        try:
            size: tuple[int, int] | None = parse_size(self.size)
        except ConfigError:
            size = None
        if size is not None and policy.max_size and policy.size_problem(size):
            mw, mh = policy.max_size
            changes["size"] = f"{mw}x{mh}"
            notes.append(f"size {self.size} -> {mw}x{mh}")
        try:
            banner = self.banner()
        except ConfigError:
            banner = BannerConfig()
        fields: dict[str, object] = {
            "text": banner.text or "",
            "lang": banner.lang,
            "position": banner.position,
            "text_height": banner.text_height,
        }
        moved = []
        if policy.banner_text is not None and banner.banner_text != policy.banner_text:
            fields["text"] = policy.banner_text
            moved.append("text")
        if policy.languages and banner.lang not in policy.languages:
            fields["lang"] = policy.languages[0]
            moved.append("language")
        if policy.positions and banner.position not in policy.positions:
            fields["position"] = policy.positions[0]
            moved.append("position")
        low = policy.min_text_height is not None and banner.text_height < policy.min_text_height
        if low:
            fields["text_height"] = policy.min_text_height
            moved.append("text height")
        if moved:
            changes.update(preset=CUSTOM, **fields)
            notes.append(f"banner {', '.join(moved)} set by the policy")
        if policy.record and not self.record:
            changes["record"] = True
            notes.append("recording on")
        if not policy.allows_source(self.source) and policy.sources:
            changes["source"] = policy.sources[0]
            notes.append(f"source {self.source or 'automatic'} -> {policy.sources[0]}")
        return (self.with_changes(**changes) if changes else self), notes


def default_recording_folder() -> Path:
    videos = Path.home() / "Videos"
    return videos if videos.is_dir() else Path.home()


def settings_path() -> Path:
    """``app.json`` in the user config folder (``OVERLAY_CONFIG_DIR`` overrides it)."""
    return config_dir() / SETTINGS_FILE


def load_settings(path: Path | None = None) -> AppSettings:
    """The saved settings; defaults for a missing file and for fields of the wrong type.

    A damaged file is not an error: the app starts with defaults and logs why.
    """
    path = path or settings_path()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return AppSettings()
    except (OSError, ValueError) as exc:
        log.warning("ignoring the saved settings in %s: %s", path, exc)
        return AppSettings()
    if not isinstance(raw, dict):
        log.warning("ignoring the saved settings in %s: not a JSON object", path)
        return AppSettings()
    defaults = AppSettings()
    values: dict[str, object] = {}
    for f in fields(AppSettings):
        if f.name not in raw:
            continue
        value, default = raw[f.name], getattr(defaults, f.name)
        if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if type(value) is not type(default):
            log.warning("ignoring saved %s=%r: expected %s", f.name, value, type(default).__name__)
            continue
        values[f.name] = value
    return replace(defaults, **values)  # type: ignore[arg-type]


def save_settings(settings: AppSettings, path: Path | None = None) -> Path:
    """Write the settings atomically (a crash leaves the old file, never half a file)."""
    path = path or settings_path()
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(asdict(settings), indent=2, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)
    return path
