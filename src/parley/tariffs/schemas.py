from __future__ import annotations

import uuid

from parley.schemas import Schema


class TariffModuleRead(Schema):
    """A module the tariff enables, with the features of it that stay enabled."""

    features: list[str]


class TariffRead(Schema):
    """The spec's Tariff; `modules` is an object keyed by module name (notes 8.5)."""

    id: uuid.UUID
    name: str
    quotas: dict[str, int]
    enabled_modules: list[str]
    disabled_features: list[str]
    modules: dict[str, TariffModuleRead]
