"""Extension points one domain offers the others, filled in by :mod:`parley.wiring`.

A domain that lets others react to what it does (a room is deleted, a user
appears) declares a :class:`Hooks` and calls every callback in it; it never
imports the domains that react. Nothing adds callbacks at import time: the
composition root (:func:`parley.wiring.wire`, called by ``create_app``) adds
them all in one place, so whoever reads that file sees what is connected.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class Hooks(Generic[F]):
    """An ordered set of callbacks; adding one twice keeps the first."""

    __slots__ = ("_callbacks", "purpose")

    def __init__(self, purpose: str, callbacks: Iterable[F] = ()) -> None:
        self.purpose = purpose
        self._callbacks: list[F] = []
        for callback in callbacks:
            self.add(callback)

    def add(self, callback: F) -> None:
        if callback not in self._callbacks:
            self._callbacks.append(callback)

    def __iter__(self) -> Iterator[F]:
        return iter(tuple(self._callbacks))

    def __len__(self) -> int:
        return len(self._callbacks)

    def __repr__(self) -> str:
        names = ", ".join(getattr(c, "__qualname__", repr(c)) for c in self._callbacks)
        return f"Hooks({self.purpose!r}: {names})"
