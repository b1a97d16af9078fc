"""Tariff definitions: the operator's file (PARLEY_TARIFFS_FILE) or a built-in default.

Pure: parsing and lookups, no database. The file is TOML (`.toml`) or JSON, e.g.

    [[tariffs]]
    name = "Basic"
    disabled_modules = ["recording"]
    disabled_features = ["core::call_in"]
    quotas = { room_participant_limit = 10, room_time_limit_secs = 3600, max_storage = 1073741824 }
"""

from __future__ import annotations

import json
import tomllib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from parley.config import Settings, SettingsError

# Quota names the controller enforces (notes 8.5); others are rejected as typos.
ROOM_PARTICIPANT_LIMIT = "room_participant_limit"
ROOM_TIME_LIMIT_SECS = "room_time_limit_secs"
MAX_STORAGE = "max_storage"
QUOTA_NAMES = frozenset({ROOM_PARTICIPANT_LIMIT, ROOM_TIME_LIMIT_SECS, MAX_STORAGE})

# Stable ids: the same name always has the same id, across restarts and instances.
TARIFF_NAMESPACE = uuid.UUID("5f0b3f1e-7d1c-5a53-9c55-7061726c6579")

_NAME_PATTERN = r"^[a-z0-9_]+$"
_FEATURE_PATTERN = r"^[a-z0-9_]+::[a-z0-9_]+$"


class TariffConfigError(SettingsError):
    """The tariffs file is unreadable or invalid; the message is one line."""


def tariff_id(name: str) -> uuid.UUID:
    return uuid.uuid5(TARIFF_NAMESPACE, name)


def feature_id(feature: str) -> str:
    """`call_in` → `core::call_in`; ids that name their module stay as they are."""
    return feature if "::" in feature else f"core::{feature}"


@dataclass(frozen=True)
class Tariff:
    name: str
    quotas: Mapping[str, int] = field(default_factory=dict)
    disabled_modules: frozenset[str] = frozenset()
    disabled_features: frozenset[str] = frozenset()

    @property
    def id(self) -> uuid.UUID:
        return tariff_id(self.name)

    def quota(self, name: str) -> int | None:
        """The quota's limit, or None when the tariff sets none (unlimited)."""
        return self.quotas.get(name)

    def is_feature_disabled(self, feature: str) -> bool:
        """True when the tariff disables the feature or its whole module."""
        full = feature_id(feature)
        module = full.split("::", 1)[0]
        return module in self.disabled_modules or full in self.disabled_features


Quota = Annotated[int, Field(ge=0, le=2**63 - 1, strict=True)]


class _TariffSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=255, strict=True)]
    quotas: dict[str, Quota] = {}
    disabled_modules: list[Annotated[str, Field(pattern=_NAME_PATTERN)]] = []
    disabled_features: list[Annotated[str, Field(pattern=_FEATURE_PATTERN)]] = []

    @field_validator("quotas")
    @classmethod
    def _known_quotas(cls, quotas: dict[str, int]) -> dict[str, int]:
        unknown = sorted(set(quotas) - QUOTA_NAMES)
        if unknown:
            raise ValueError(
                f"unknown quota {unknown[0]!r} (known: {', '.join(sorted(QUOTA_NAMES))})"
            )
        return quotas


class _TariffFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tariffs: list[_TariffSpec] = Field(min_length=1)


@dataclass(frozen=True)
class TariffCatalogue:
    """Every configured tariff by name, and the one users get unless assigned another."""

    tariffs: Mapping[str, Tariff]
    default_name: str

    @property
    def default(self) -> Tariff:
        return self.tariffs[self.default_name]

    def get(self, name: str | None) -> Tariff:
        """The named tariff; None (not assigned) or a name no longer configured → default."""
        if name is None:
            return self.default
        return self.tariffs.get(name, self.default)

    @classmethod
    def builtin(cls, default_name: str) -> TariffCatalogue:
        """No file: one tariff without quotas or disabled features."""
        return cls({default_name: Tariff(name=default_name)}, default_name)

    @classmethod
    def parse(cls, data: object, default_name: str) -> TariffCatalogue:
        """Validate the decoded file; raises TariffConfigError naming the problem."""
        try:
            parsed = _TariffFile.model_validate(data)
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(part) for part in error["loc"])
            raise TariffConfigError(
                f"invalid setting PARLEY_TARIFFS_FILE: {where}: {error['msg']}"
            ) from None
        tariffs: dict[str, Tariff] = {}
        for spec in parsed.tariffs:
            if spec.name in tariffs:
                raise TariffConfigError(
                    f"invalid setting PARLEY_TARIFFS_FILE: tariff {spec.name!r} is defined twice"
                )
            tariffs[spec.name] = Tariff(
                name=spec.name,
                quotas=dict(spec.quotas),
                disabled_modules=frozenset(spec.disabled_modules),
                disabled_features=frozenset(spec.disabled_features),
            )
        if default_name not in tariffs:
            raise TariffConfigError(
                f"invalid setting PARLEY_DEFAULT_TARIFF: {default_name!r} is not defined "
                "in PARLEY_TARIFFS_FILE"
            )
        return cls(tariffs, default_name)

    @classmethod
    def load(cls, path: Path, default_name: str) -> TariffCatalogue:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise TariffConfigError(
                f"invalid setting PARLEY_TARIFFS_FILE: cannot read {path}: {exc.strerror}"
            ) from None
        try:
            data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
        except ValueError as exc:  # JSONDecodeError and TOMLDecodeError both are
            raise TariffConfigError(
                f"invalid setting PARLEY_TARIFFS_FILE: {path} does not parse: {exc}"
            ) from None
        return cls.parse(data, default_name)

    @classmethod
    def from_settings(cls, settings: Settings) -> TariffCatalogue:
        if settings.tariffs_file is None:
            return cls.builtin(settings.default_tariff)
        return cls.load(settings.tariffs_file, settings.default_tariff)
