"""The modules tariffs list are the signaling namespaces Parley serves."""

from __future__ import annotations

from parley.signaling.messages import NAMESPACES
from parley.tariffs.modules import offered_modules


def test_tariffs_offer_every_signaling_module_and_core() -> None:
    # `control` is the protocol itself, not a module a tariff could switch off.
    assert set(offered_modules()) == (NAMESPACES - {"control"}) | {"core"}
