"""The tariff shown in ``join_success`` (notes §8.5).

Parley has no tariffs yet: every room gets one default tariff without quotas,
listing the signaling modules Parley runs. A tariffs domain replaces this.
"""

from __future__ import annotations

import uuid
from typing import Final

from parley.signaling.messages.control import Tariff, TariffModule

DEFAULT_TARIFF_ID: Final = uuid.uuid5(uuid.NAMESPACE_URL, "parley:tariff:default")
MODULES: Final = ("chat", "echo", "moderation")

DEFAULT_TARIFF: Final = Tariff(
    id=DEFAULT_TARIFF_ID,
    name="Default",
    quotas={},
    enabled_modules=list(MODULES),
    disabled_features=[],
    modules={name: TariffModule(features=[]) for name in MODULES},
)
