"""What every provenance check shares: how a result looks, the keys, the inputs.

Each check returns a frozen dataclass (:class:`Evidence`) with ``valid`` (bool),
``reason`` (None when valid, else one line saying what is wrong), ``present`` (the record
exists) and details; it never raises for bad input. "Not found", damaged, foreign-key and
tampered files are results. ``to_dict()`` gives the JSON object ``overlay verify --json``
prints. Keys are looked up in this installation's keyring (current and rotated keys);
pass ``public_key`` (a PEM file from ``overlay keys export-public``) to check files made
on another machine.
"""

from __future__ import annotations

import re
from dataclasses import Field, asdict, dataclass, replace
from pathlib import Path
from typing import Any, ClassVar, Protocol, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from overlay.errors import ProvenanceError
from overlay.provenance.keys import key_id_of, load_public_key, public_keys
from overlay.provenance.naming import SID

__all__ = [
    "HEX",
    "SID",
    "Evidence",
    "Outcome",
    "PathLike",
    "fail",
    "inputs",
    "keys_for",
]

HEX = re.compile(r"^[0-9a-f]+$")

PathLike = str | Path


class Evidence(Protocol):
    """What every check result has (each check's dataclass adds its details)."""

    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]

    @property
    def valid(self) -> bool: ...

    @property
    def reason(self) -> str | None: ...

    @property
    def present(self) -> bool: ...

    def to_dict(self) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class Outcome:
    """A check with nothing more to say than its verdict: whether the watermark's session
    belongs to the manifest, or a record that is not there at all (``present`` False).

    Attributes:
        valid: the check passed.
        reason: None when valid, else what is wrong in one line.
        present: the record exists.
    """

    valid: bool
    reason: str | None
    present: bool = True

    @classmethod
    def missing(cls, reason: str) -> Outcome:
        """No record to check (not valid, not present)."""
        return cls(False, reason, present=False)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def keys_for(public_key: PathLike | bytes | None) -> tuple[dict[str, Ed25519PublicKey], str | None]:
    keys = public_keys()
    if public_key is None:
        return keys, None
    try:
        data = public_key if isinstance(public_key, bytes) else Path(public_key).read_bytes()
        key = load_public_key(data)
    except (OSError, ProvenanceError) as exc:
        return keys, f"the public key given cannot be used ({exc})"
    keys[key_id_of(key)] = key
    return keys, None


def inputs(
    path: Path, what: str, public_key: PathLike | bytes | None
) -> tuple[dict[str, Ed25519PublicKey], bytes] | str:
    """The keys to check with and the file's bytes, or the reason in one line why not."""
    keys, key_problem = keys_for(public_key)
    if key_problem:
        return key_problem
    try:
        return keys, path.read_bytes()
    except FileNotFoundError:
        return f"{what} not found: {path}"
    except OSError as exc:
        return f"cannot read the {what} {path}: {exc.strerror}"


_C = TypeVar("_C", bound=Evidence)


def fail(result: _C, reason: str) -> _C:
    """``result``, not valid because of ``reason``."""
    return replace(result, valid=False, reason=reason)
