"""The modules (and their features) this server offers, as tariffs present them.

A tariff's `modules` lists what the server offers minus what the tariff disables.
`core` carries the controller's own features; the signaling modules are listed
below (`media` only while a Janus is configured), and `register_module` adds others.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

from parley.config import Settings

# `core` and the signaling namespaces Parley serves besides `control` (a test
# keeps this in step with parley.signaling.messages.NAMESPACES). Listed here,
# not registered by the signaling package at import, so the CLI and the API
# show the same modules whatever was imported.
_modules: dict[str, frozenset[str]] = {
    "core": frozenset({"call_in"}),
    "chat": frozenset(),
    "echo": frozenset(),
    "moderation": frozenset(),
}


def register_module(name: str, features: Iterable[str] = ()) -> None:
    """Offer a module (and features of it) in every tariff that does not disable it."""
    _modules[name] = _modules.get(name, frozenset()) | frozenset(features)


# Offered only by a server set up for them: `media` needs a Janus.
_MEDIA: Final = "media"


def offered_modules(settings: Settings | None = None) -> Mapping[str, frozenset[str]]:
    """What a server with these settings offers (without settings: the fixed modules)."""
    modules = dict(_modules)
    if settings is not None and settings.media_enabled:
        modules[_MEDIA] = frozenset()
    return modules
