"""Tariff files: parsing, validation errors, lookups, the resource shape."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from parley.tariffs.config import (
    TariffCatalogue,
    TariffConfigError,
    feature_id,
    tariff_id,
)
from parley.tariffs.service import tariff_resource

TOML = """
[[tariffs]]
name = "Free"
disabled_modules = ["recording"]
disabled_features = ["core::call_in"]
quotas = { room_participant_limit = 5, room_time_limit_secs = 1800, max_storage = 1000 }

[[tariffs]]
name = "Pro"
"""


def test_toml_file_parses(tmp_path: Path) -> None:
    path = tmp_path / "tariffs.toml"
    path.write_text(TOML)
    catalogue = TariffCatalogue.load(path, "Free")
    free = catalogue.get(None)
    assert free.name == "Free"
    assert free.quota("room_participant_limit") == 5
    assert free.quota("max_storage") == 1000
    assert catalogue.get("Pro").quotas == {}
    assert catalogue.get("Pro").quota("max_storage") is None
    assert catalogue.get("Gone").name == "Free"


def test_json_file_parses(tmp_path: Path) -> None:
    path = tmp_path / "tariffs.json"
    path.write_text(json.dumps({"tariffs": [{"name": "Only", "quotas": {}}]}))
    assert list(TariffCatalogue.load(path, "Only").tariffs) == ["Only"]


def test_builtin_default_has_no_limits() -> None:
    tariff = TariffCatalogue.builtin("OpenTalkDefaultTariff").default
    assert tariff.name == "OpenTalkDefaultTariff"
    assert tariff.quotas == {}
    assert not tariff.is_feature_disabled("call_in")


def test_ids_are_stable_uuids_from_the_name() -> None:
    assert tariff_id("Free") == tariff_id("Free")
    assert tariff_id("Free") != tariff_id("Pro")
    assert tariff_id("Free").version == 5
    assert isinstance(tariff_id("x"), uuid.UUID)


@pytest.mark.parametrize(
    ("feature", "expected"),
    [
        ("call_in", "core::call_in"),
        ("core::call_in", "core::call_in"),
        ("chat::x", "chat::x"),
    ],
)
def test_feature_ids(feature: str, expected: str) -> None:
    assert feature_id(feature) == expected


def test_disabled_feature_and_module() -> None:
    catalogue = TariffCatalogue.parse(
        {
            "tariffs": [
                {"name": "A", "disabled_features": ["core::call_in"]},
                {"name": "B", "disabled_modules": ["core"]},
                {"name": "C"},
            ]
        },
        "A",
    )
    assert catalogue.get("A").is_feature_disabled("call_in")
    assert catalogue.get("B").is_feature_disabled("core::call_in")
    assert not catalogue.get("C").is_feature_disabled("call_in")


def test_resource_shape_modules_keyed_by_name() -> None:
    catalogue = TariffCatalogue.parse(
        {
            "tariffs": [
                {
                    "name": "Free",
                    "quotas": {"max_storage": 10, "room_participant_limit": 3},
                    "disabled_features": ["core::call_in"],
                }
            ]
        },
        "Free",
    )
    assert tariff_resource(catalogue.default).model_dump(mode="json") == {
        "id": str(tariff_id("Free")),
        "name": "Free",
        "quotas": {"max_storage": 10, "room_participant_limit": 3},
        "enabled_modules": ["chat", "core", "echo", "moderation"],
        "disabled_features": ["core::call_in"],
        "modules": {
            "chat": {"features": []},
            "core": {"features": []},
            "echo": {"features": []},
            "moderation": {"features": []},
        },
    }


@pytest.mark.parametrize(
    ("data", "mentions"),
    [
        ({}, "tariffs"),
        ({"tariffs": []}, "tariffs"),
        ({"tariffs": [{"name": ""}]}, "tariffs.0.name"),
        ({"tariffs": [{"name": "A", "quotas": {"max_storag": 1}}]}, "max_storag"),
        ({"tariffs": [{"name": "A", "quotas": {"max_storage": -1}}]}, "max_storage"),
        ({"tariffs": [{"name": "A", "quotas": {"max_storage": "1"}}]}, "max_storage"),
        (
            {"tariffs": [{"name": "A", "disabled_features": ["call_in"]}]},
            "disabled_features",
        ),
        (
            {"tariffs": [{"name": "A", "disabled_modules": ["Core!"]}]},
            "disabled_modules",
        ),
        ({"tariffs": [{"name": "A", "colour": "red"}]}, "colour"),
        ({"tariffs": [{"name": "A"}, {"name": "A"}]}, "defined twice"),
        ({"tariffs": [{"name": "B"}]}, "PARLEY_DEFAULT_TARIFF"),
    ],
)
def test_invalid_files_are_one_line_errors(data: object, mentions: str) -> None:
    with pytest.raises(TariffConfigError) as error:
        TariffCatalogue.parse(data, "A")
    message = str(error.value)
    assert "\n" not in message
    assert mentions in message


def test_unreadable_and_unparsable_files(tmp_path: Path) -> None:
    with pytest.raises(TariffConfigError, match="cannot read"):
        TariffCatalogue.load(tmp_path / "missing.toml", "A")
    broken = tmp_path / "broken.toml"
    broken.write_text("[[tariffs]\nname=")
    with pytest.raises(TariffConfigError, match="does not parse"):
        TariffCatalogue.load(broken, "A")
