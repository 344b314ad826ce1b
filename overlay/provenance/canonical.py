"""Canonical JSON: the one byte form that is signed and written.

Sorted keys, compact separators, UTF-8 without escapes. A signed file must equal the
canonical form of what it parses to, so no byte of it can change unnoticed (whitespace,
key order, escapes and duplicate keys all change the canonical form).
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["canonical_json", "parse_canonical"]


def canonical_json(value: Any) -> bytes:
    """``value`` as canonical JSON bytes (no trailing newline)."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def parse_canonical(data: bytes) -> Any:
    """Parse ``data`` and return it only if it is exactly in canonical form.

    Raises:
        ValueError: not UTF-8, not JSON, or not canonical (the message says which).
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 at byte {exc.start}") from None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg} at byte {exc.pos})") from None
    try:
        again = canonical_json(value)
    except ValueError as exc:
        raise ValueError(f"not canonical JSON ({exc})") from None
    if again != data:
        raise ValueError("not in canonical form (bytes were changed or reformatted)")
    return value
