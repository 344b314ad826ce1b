"""Name -> factory tables for ``--source NAME[:ARG]`` and ``--sink NAME[:ARG]``.

Built-in entries are ``"module:Class"`` strings whose class has a ``from_spec(arg, options)``
classmethod; the module is imported only when that name is used, so heavy dependencies
(mediapipe, pyvirtualcam, mss) load only for what was picked.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Generic, TypeVar

from overlay.errors import ConfigError

__all__ = ["Registry"]

T = TypeVar("T")
O = TypeVar("O")  # noqa: E741 - the options type


class Registry(Generic[T, O]):
    """A table of named factories ``factory(arg, options) -> T``.

    Args:
        kind: what it builds, for messages ("source", "sink").
        builtin: name -> "module:Class" of the built-in entries.
        example: an example for the "unknown name" message.
    """

    def __init__(self, kind: str, builtin: dict[str, str], example: str) -> None:
        self.kind = kind
        self._builtin = dict(builtin)
        self._registered: dict[str, Callable[[str | None, O], T]] = {}
        self._example = example

    def register(self, name: str, factory: Callable[[str | None, O], T]) -> None:
        """Make ``NAME[:ARG]`` build with ``factory(arg, options)`` (replaces a built-in)."""
        self._registered[name] = factory

    def unregister(self, name: str) -> None:
        self._registered.pop(name, None)

    def names(self) -> list[str]:
        return sorted({*self._builtin, *self._registered})

    def factory(self, name: str) -> Callable[[str | None, O], T]:
        if name in self._registered:
            return self._registered[name]
        target = self._builtin.get(name)
        if target is None:
            raise ConfigError(
                f"unknown {self.kind} {name!r}; use one of: {', '.join(self.names())} "
                f"(e.g. {self._example})"
            )
        module, cls = target.split(":")
        factory: Callable[[str | None, O], T] = getattr(
            importlib.import_module(module), cls
        ).from_spec
        return factory

    def build(self, spec: str, options: O) -> T:
        """Build what ``NAME[:ARG]`` names; the argument is everything after the first colon."""
        name, sep, arg = spec.partition(":")
        return self.factory(name.strip().lower())(arg if sep else None, options)
