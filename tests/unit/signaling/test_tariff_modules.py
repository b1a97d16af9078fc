"""The modules tariffs list are the signaling namespaces Parley serves."""

from __future__ import annotations

from parley.config import Settings
from parley.signaling.messages import NAMESPACES
from parley.tariffs.modules import offered_modules


def test_tariffs_offer_every_signaling_module_and_core() -> None:
    # `control` is the protocol itself, not a module a tariff could switch off.
    with_janus = Settings(janus_urls=["ws://127.0.0.1:8188"])

    assert set(offered_modules(with_janus)) == (NAMESPACES - {"control"}) | {"core"}


def test_media_is_offered_only_with_a_janus() -> None:
    assert "media" not in offered_modules(Settings())
    assert "media" not in offered_modules()
