"""The source picker's entries, built from the source registry (no source module imported)
and the cameras :func:`~overlay.sources.listing.list_cameras` finds.

Sources added to ``overlay.sources`` (avatar, screen, region, window) show up here as
soon as they are registered; names without a known label still get an entry. What
``overlay.sources.listing.list_sources()`` finds (cameras by name, screens, windows) is
put first once the window has listed it (see ``listed_choices``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from overlay.sources import source_names
from overlay.sources.listing import SourceListing, list_cameras

__all__ = [
    "AUTOMATIC_LABEL",
    "PickerEntry",
    "choice_for_spec",
    "listed_choices",
    "source_choices",
]


@dataclass(frozen=True, slots=True)
class PickerEntry:
    """One entry of the source picker.

    Attributes:
        label: what the picker shows.
        name: the registry name (``--source NAME[:ARG]``).
        fixed_arg: the argument this entry stands for (a camera's index), or None.
        takes_arg: the user types (or browses for) an argument.
        required: the argument must not be empty.
        hint: placeholder text for the argument field.
        browse: the argument is a file to browse for.
    """

    label: str
    name: str
    fixed_arg: str | None = None
    takes_arg: bool = False
    required: bool = False
    hint: str = ""
    browse: bool = False

    def spec(self, arg: str = "") -> str:
        """The ``--source`` string for this entry and the argument field's text."""
        if not self.name:
            return ""
        if self.fixed_arg is not None:
            return f"{self.name}:{self.fixed_arg}"
        arg = arg.strip()
        return f"{self.name}:{arg}" if arg else self.name


# name -> (label, takes_arg, required, hint, browse)
_KNOWN: dict[str, tuple[str, bool, bool, str, bool]] = {
    "synthetic": ("Synthetic test scene", False, False, "", False),
    "file": ("Video or image file", True, True, "path/to/clip.mp4", True),
    "device": (
        "Other camera device (e.g. a face-swap tool's output)",
        True,
        True,
        "/dev/video2",
        False,
    ),
    "pipe": ("Pipe: raw BGR frames on stdin", True, True, "frame size, e.g. 1280x720", False),
    "avatar": ("Avatar", True, False, "optional: avatar name or image", False),
    "screen": ("Screen", True, False, "optional: monitor number", False),
    "region": ("Screen region", True, True, "x,y,width,height", False),
    "window": ("Window", True, True, "window title", False),
}
_ORDER = ["synthetic", "file", "device", "avatar", "screen", "region", "window", "pipe"]


#: The first entry: no ``--source`` (the webcam if one opens, else the avatar).
AUTOMATIC_LABEL = "Automatic: the camera, else the avatar"

_KIND_LABELS = {"camera": "Camera", "screen": "Screen", "window": "Window"}


def listed_choices(listing: SourceListing) -> list[PickerEntry]:
    """Picker entries for what ``list_sources()`` found (a ``SourceListing``)."""
    out: list[PickerEntry] = []
    for c in listing.choices:
        name, _, arg = str(c.spec).partition(":")
        prefix = _KIND_LABELS.get(str(c.kind), str(c.kind).capitalize())
        out.append(PickerEntry(f"{prefix}: {c.label}", name, fixed_arg=arg))
    return out


def source_choices(listed: Sequence[PickerEntry] | None = None) -> list[PickerEntry]:
    """The picker's entries: what was listed (or each camera by name), then every source.

    Args:
        listed: entries from :func:`listed_choices`; None: the cameras only
            (:func:`~overlay.sources.listing.list_cameras` reads /dev and /sys, fast enough
            for the window's first paint).
    """
    names = source_names()
    out: list[PickerEntry] = [PickerEntry(AUTOMATIC_LABEL, "")]
    if listed is None:
        listed = listed_choices(SourceListing(tuple(list_cameras())))
    out.extend(listed)
    if "webcam" in names:
        out.append(PickerEntry("Camera by number", "webcam", takes_arg=True, hint="0"))
    rest = [n for n in names if n != "webcam"]
    rest.sort(key=lambda n: (_ORDER.index(n) if n in _ORDER else len(_ORDER), n))
    for name in rest:
        label, takes, required, hint, browse = _KNOWN.get(
            name, (name.capitalize(), True, False, "optional argument", False)
        )
        out.append(PickerEntry(label, name, None, takes, required, hint, browse))
    return out


def choice_for_spec(spec: str, choices: list[PickerEntry]) -> tuple[int, str]:
    """The entry (index) and argument text that stand for ``spec``; (-1, "") if none."""
    name, _, arg = spec.partition(":")
    name = name.strip().lower()
    for i, c in enumerate(choices):
        if c.name == name and c.fixed_arg is not None and c.fixed_arg == arg:
            return i, ""
    for i, c in enumerate(choices):
        if c.name == name and c.fixed_arg is None:
            return i, arg
    return -1, ""
