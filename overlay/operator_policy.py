"""An operator's policy: settings a booth or an organisation fixes or bounds for every session.

Not to be confused with :mod:`overlay.provenance.policy`, which decides what a session
*declares* (its digitalSourceType, whether consent is needed). This one is what an
operator *allows*: a TOML file in the system-wide config folder (platformdirs' site
config dir, e.g. ``/etc/xdg/overlay/policy.toml``) or given with ``--policy FILE``::

    max_size = "1280x720"          # the output may be at most this large
    min_text_height = 0.08         # the banner's text height, >= the 5% rule
    positions = ["top-left"]       # banner positions allowed
    languages = ["zh"]             # banner languages allowed
    banner_text = "AI生成 演示"     # the banner says exactly this
    sources = ["avatar", "file"]   # source names (or exact specs) allowed
    record = true                  # every session is recorded
    kiosk = true                   # the app runs in kiosk mode

Every key is optional; an unknown key is refused (a typo must not loosen a policy). A
setting outside the policy is refused with one line that names the policy file; the
session's signed manifest records the policy's SHA-256. The CLI, the app and library
callers that pass a policy (``RunSettings.policy``) are all held to it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs

from overlay.config import LANGUAGES, MIN_TEXT_HEIGHT, POSITIONS, BannerConfig, parse_size
from overlay.errors import ConfigError

if TYPE_CHECKING:
    from overlay.runner import RunSettings

__all__ = [
    "POLICY_FILE",
    "OperatorPolicy",
    "PolicyError",
    "find_policy",
    "load_policy",
    "site_policy_path",
]

POLICY_FILE = "policy.toml"
#: The source names the automatic choice may open (the webcam, else the avatar).
AUTOMATIC_SOURCES = ("webcam", "avatar")
_KEYS = {
    "max_size",
    "min_text_height",
    "positions",
    "languages",
    "banner_text",
    "sources",
    "record",
    "kiosk",
}


class PolicyError(ConfigError):
    """A setting is outside the operator's policy (the message names the policy file)."""


def site_policy_path() -> Path:
    """``policy.toml`` in the system-wide config folder (platformdirs' site config dir)."""
    return Path(platformdirs.site_config_dir("overlay", appauthor=False)) / POLICY_FILE


@dataclass(frozen=True, slots=True)
class OperatorPolicy:
    """The bounds an operator sets. None / False: that setting is not bounded.

    Attributes:
        path: the policy file (named in every refusal).
        sha256: SHA-256 of the file's bytes (recorded in the session's manifest).
        max_size: the largest output (width, height).
        min_text_height: the smallest banner text height (fraction of the shortest side).
        positions: the banner positions allowed.
        languages: the banner languages allowed.
        banner_text: the banner's text, fixed.
        sources: source names (``webcam``) or exact specs (``file:/booth/loop.mp4``).
        record: every session records to a file.
        kiosk: the app runs in kiosk mode.
    """

    path: Path
    sha256: str
    max_size: tuple[int, int] | None = None
    min_text_height: float | None = None
    positions: tuple[str, ...] | None = None
    languages: tuple[str, ...] | None = None
    banner_text: str | None = None
    sources: tuple[str, ...] | None = None
    record: bool = False
    kiosk: bool = False

    @property
    def by(self) -> str:
        """``the operator policy /etc/xdg/overlay/policy.toml`` (for messages)."""
        return f"the operator policy {self.path}"

    def summary(self) -> dict[str, Any]:
        """What the manifest records: the file, its SHA-256 and the bounds."""
        out: dict[str, Any] = {"file": str(self.path), "sha256": self.sha256}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name not in ("path", "sha256") and value not in (None, False):
                out[f.name] = list(value) if isinstance(value, tuple) else value
        return out

    # -- single rules ------------------------------------------------------------------
    def allows_source(self, spec: str | None) -> bool:
        """Whether ``spec`` may be opened (None / "": the automatic webcam-else-avatar)."""
        if self.sources is None:
            return True
        if not spec:
            return all(name in self.sources for name in AUTOMATIC_SOURCES)
        name = spec.partition(":")[0].strip().lower()
        return name in self.sources or spec.strip() in self.sources

    def allows_kind(self, name: str) -> bool:
        """Whether some source of this kind (``file``) may be opened: by name or exact spec."""
        if self.sources is None:
            return True
        return name in self.sources or any(x.startswith(f"{name}:") for x in self.sources)

    def size_problem(self, size: tuple[int, int]) -> str:
        if self.max_size is None:
            return ""
        (w, h), (mw, mh) = size, self.max_size
        if w <= mw and h <= mh:
            return ""
        return (
            f"output size {w}x{h} is above the maximum {mw}x{mh} set by {self.by}; "
            f"pick {mw}x{mh} or smaller"
        )

    def banner_problem(self, banner: BannerConfig) -> str:
        if self.banner_text is not None and banner.banner_text != self.banner_text:
            return (
                f"banner text {banner.banner_text!r} is not the text {self.banner_text!r} "
                f"fixed by {self.by}; leave the banner text to the policy"
            )
        if self.languages is not None and banner.lang not in self.languages:
            return (
                f"banner language {banner.lang!r} is not allowed by {self.by}; use "
                f"{_one_of(self.languages)}"
            )
        if self.positions is not None and banner.position not in self.positions:
            return (
                f"banner position {banner.position!r} is not allowed by {self.by}; use "
                f"{_one_of(self.positions)}"
            )
        if self.min_text_height is not None and banner.text_height < self.min_text_height - 1e-9:
            return (
                f"banner text height {banner.text_height:.1%} is below the minimum "
                f"{self.min_text_height:.1%} set by {self.by}; use {self.min_text_height:g} "
                "or more"
            )
        return ""

    def source_problem(self, spec: str | None) -> str:
        if self.allows_source(spec):
            return ""
        allowed = ", ".join(self.sources or ())
        what = f"source {spec!r}" if spec else "the automatic source (the webcam, else the avatar)"
        return f"{what} is not allowed by {self.by}; use one of: {allowed}"

    def sinks_problem(self, sinks: tuple[str, ...]) -> str:
        if self.record and not any(k.partition(":")[0] == "file" for k in sinks):
            return (
                f"{self.by} requires every session to be recorded; add a recording "
                "(--sink file:PATH.mp4, or the Record switch)"
            )
        return ""

    # -- a whole session ---------------------------------------------------------------
    def check(self, settings: RunSettings) -> None:
        """Raise PolicyError (one line naming the policy file) if ``settings`` is outside."""
        problem = (
            self.size_problem(settings.output.size)
            or self.banner_problem(settings.banner)
            or self.source_problem(settings.source)
            or self.sinks_problem(settings.sinks)
        )
        if not problem and not settings.provenance:
            problem = f"{self.by} needs the signed record of the session; keep provenance on"
        if problem:
            raise PolicyError(problem)

    def fill(self, settings: RunSettings, given: frozenset[str]) -> RunSettings:
        """Settings the user left to defaults, moved inside the policy.

        Args:
            settings: built from the user's flags and the defaults.
            given: the names the user set (``size``, ``text``, ``lang``, ``position``,
                ``text_height``, ``preset``, ``source``); those are never changed, so a
                value outside the policy is refused by :meth:`check`, not bent.
        """
        changes: dict[str, Any] = {}
        if "size" not in given and self.size_problem(settings.output.size):
            assert self.max_size is not None
            changes["output"] = dataclasses.replace(settings.output, size=self.max_size)
        banner = settings.banner
        b: dict[str, Any] = {}
        if self.banner_text is not None and "text" not in given:
            b["text"] = self.banner_text
        free_lang = "lang" not in given and "preset" not in given
        if self.languages and free_lang and banner.lang not in self.languages:
            b["lang"] = self.languages[0]
        free_pos = "position" not in given and "preset" not in given
        if self.positions and free_pos and banner.position not in self.positions:
            b["position"] = self.positions[0]
        low = self.min_text_height is not None and banner.text_height < self.min_text_height
        if low and "text_height" not in given:
            b["text_height"] = self.min_text_height
        if b:
            changes["banner"] = banner.with_changes(**b)
        if self.sources and "source" not in given and not self.allows_source(settings.source):
            changes["source"] = self.sources[0]
        return dataclasses.replace(settings, **changes) if changes else settings

    def locks(self) -> dict[str, str]:
        """The app's locked fields: ``field -> reason`` ("fixed: …" disables the control).

        The reasons are short (they sit beside the controls); :attr:`by` names the file.
        """
        out: dict[str, str] = {}
        if self.max_size is not None:
            out["size"] = f"at most {self.max_size[0]}x{self.max_size[1]}"
        if self.min_text_height is not None:
            out["text_height"] = f"at least {self.min_text_height:.1%}"
        for key, allowed in (("position", self.positions), ("lang", self.languages)):
            if allowed is not None:
                out[key] = (
                    f"fixed: {allowed[0]}" if len(allowed) == 1 else f"only {', '.join(allowed)}"
                )
        if self.banner_text is not None:
            out["text"] = f"fixed: “{self.banner_text}”"
            out["preset"] = "fixed: the policy's banner"
        if self.record:
            out["record"] = "fixed: every session is recorded"
        if self.sources is not None:
            out["source"] = f"only {', '.join(self.sources)}"
        return out


def _one_of(values: tuple[str, ...]) -> str:
    return values[0] if len(values) == 1 else "one of: " + ", ".join(values)


def _str_list(raw: Any, key: str, path: Path, allowed: tuple[str, ...] | None) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw or not all(isinstance(x, str) for x in raw):
        raise ConfigError(f'policy {path}: {key} = {raw!r} is not a list of names; e.g. ["top"]')
    if allowed is not None:
        bad = [x for x in raw if x not in allowed]
        if bad:
            raise ConfigError(
                f"policy {path}: {key} has {bad[0]!r}; use names from: {', '.join(allowed)}"
            )
    return tuple(raw)


def load_policy(path: str | Path) -> OperatorPolicy:
    """Read and check a policy file; ConfigError (one line naming the file) if it is bad.

    A policy can only tighten the library's rules: a minimum text height below the 5%
    rule or a fixed banner text without "AI" is refused here, not applied.
    """
    path = Path(path).expanduser().absolute()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"policy file {path} does not exist; check the path") from None
    except OSError as exc:
        raise ConfigError(f"policy file {path} cannot be read: {exc.strerror}") from None
    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"policy file {path} is not valid TOML: {exc}; fix the file") from None
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise ConfigError(
            f"policy {path}: unknown key {unknown[0]!r}; use: {', '.join(sorted(_KEYS))}"
        )
    kw: dict[str, Any] = {}
    if "max_size" in raw:
        if not isinstance(raw["max_size"], str):
            raise ConfigError(f'policy {path}: max_size must be a string like "1280x720"')
        kw["max_size"] = parse_size(raw["max_size"], f"policy {path}: max_size")
    if "min_text_height" in raw:
        value = raw["min_text_height"]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"policy {path}: min_text_height must be a number like 0.08")
        if not MIN_TEXT_HEIGHT <= value <= 0.25:
            raise ConfigError(
                f"policy {path}: min_text_height {value} is outside {MIN_TEXT_HEIGHT}-0.25; a "
                "policy can only raise the 5% minimum"
            )
        kw["min_text_height"] = float(value)
    if "positions" in raw:
        kw["positions"] = _str_list(raw["positions"], "positions", path, POSITIONS)
    if "languages" in raw:
        kw["languages"] = _str_list(raw["languages"], "languages", path, LANGUAGES)
    if "sources" in raw:
        kw["sources"] = _str_list(raw["sources"], "sources", path, None)
    if "banner_text" in raw:
        text = raw["banner_text"]
        if not isinstance(text, str):
            raise ConfigError(f"policy {path}: banner_text must be a string")
        try:
            BannerConfig(text=text)
        except ConfigError as exc:
            raise ConfigError(f"policy {path}: {exc}") from None
        kw["banner_text"] = text
    for key in ("record", "kiosk"):
        if key in raw:
            if not isinstance(raw[key], bool):
                raise ConfigError(f"policy {path}: {key} must be true or false")
            kw[key] = raw[key]
    return OperatorPolicy(path=path, sha256=hashlib.sha256(data).hexdigest(), **kw)


def find_policy(explicit: str | Path | None = None) -> OperatorPolicy | None:
    """The policy in force: the system-wide file if there is one, else ``explicit``.

    A system-wide policy cannot be replaced by ``--policy``: asking for another file
    while one is in force is refused (the operator's lock must not be one flag away).
    """
    site = site_policy_path()
    if site.is_file():
        if explicit is not None and Path(explicit).expanduser().resolve() != site.resolve():
            raise PolicyError(
                f"the system-wide operator policy {site} is in force; --policy {explicit} "
                "cannot replace it (ask the operator to change that file)"
            )
        return load_policy(site)
    return load_policy(explicit) if explicit is not None else None
