"""The modules (and their features) this server offers, as tariffs present them.

A tariff's `modules` lists what the server offers minus what the tariff disables.
Packages that add a signaling module register it here (at import), e.g.
`register_module("chat")`; `core` carries the controller's own features.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

_modules: dict[str, frozenset[str]] = {"core": frozenset({"call_in"})}


def register_module(name: str, features: Iterable[str] = ()) -> None:
    """Offer a module (and features of it) in every tariff that does not disable it."""
    _modules[name] = _modules.get(name, frozenset()) | frozenset(features)


def offered_modules() -> Mapping[str, frozenset[str]]:
    return dict(_modules)
