"""Tariffs: GET /users/me/tariff, GET /rooms/{id}/tariff, and the enforcement helpers."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from parley.db import Database
from parley.hooks import Hooks
from parley.rooms import service as rooms_service
from parley.tariffs import service as tariffs_service
from parley.tariffs.config import tariff_id
from parley.users.models import User
from tests.api.rooms.test_rooms import create_room

TARIFFS = """
[[tariffs]]
name = "Basic"
disabled_features = ["core::call_in"]
quotas = { room_participant_limit = 5, room_time_limit_secs = 1800, max_storage = 1000 }

[[tariffs]]
name = "Premium"
quotas = { room_participant_limit = 100 }
"""

BASIC = {
    "id": str(tariff_id("Basic")),
    "name": "Basic",
    "quotas": {
        "max_storage": 1000,
        "room_participant_limit": 5,
        "room_time_limit_secs": 1800,
    },
    "enabled_modules": ["chat", "core", "echo", "moderation"],
    "disabled_features": ["core::call_in"],
    "modules": {
        "chat": {"features": []},
        "core": {"features": []},
        "echo": {"features": []},
        "moderation": {"features": []},
    },
}
PREMIUM = {
    "id": str(tariff_id("Premium")),
    "name": "Premium",
    "quotas": {"room_participant_limit": 100},
    "enabled_modules": ["chat", "core", "echo", "moderation"],
    "disabled_features": [],
    "modules": {
        "chat": {"features": []},
        "core": {"features": ["call_in"]},
        "echo": {"features": []},
        "moderation": {"features": []},
    },
}


@pytest.fixture
async def tariff_client(
    client_with: Callable[..., Any], tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    path = tmp_path / "tariffs.toml"
    path.write_text(TARIFFS)
    async with client_with(tariffs_file=path, default_tariff="Basic") as http:
        yield http


async def assign(database: Database, email: str, tariff: str | None) -> None:
    async with database.sessionmaker() as session, session.begin():
        user = await session.scalar(select(User).where(User.email == email))
        assert user is not None
        await tariffs_service.assign_tariff(session, user, tariff)


async def test_builtin_default_tariff(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    response = await client.get("/v1/users/me/tariff", headers=alice)
    assert response.status_code == 200
    assert response.json() == {
        "id": str(tariff_id("OpenTalkDefaultTariff")),
        "name": "OpenTalkDefaultTariff",
        "quotas": {},
        "enabled_modules": ["chat", "core", "echo", "moderation"],
        "disabled_features": [],
        "modules": {
            "chat": {"features": []},
            "core": {"features": ["call_in"]},
            "echo": {"features": []},
            "moderation": {"features": []},
        },
    }


async def test_configured_default_and_assigned_tariffs(
    tariff_client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    assert (
        await tariff_client.get("/v1/users/me/tariff", headers=alice)
    ).json() == BASIC
    await assign(database, "alice@example.com", "Premium")
    assert (
        await tariff_client.get("/v1/users/me/tariff", headers=alice)
    ).json() == PREMIUM
    await assign(database, "alice@example.com", None)
    assert (
        await tariff_client.get("/v1/users/me/tariff", headers=alice)
    ).json() == BASIC


async def test_assigning_an_unknown_tariff_is_refused(
    tariff_client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    await tariff_client.get("/v1/users/me", headers=alice)
    with pytest.raises(tariffs_service.UnknownTariff):
        await assign(database, "alice@example.com", "Gold")


async def test_a_tariff_no_longer_configured_falls_back_to_the_default(
    tariff_client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    await tariff_client.get("/v1/users/me", headers=alice)
    async with database.sessionmaker() as session, session.begin():
        user = await session.scalar(
            select(User).where(User.email == "alice@example.com")
        )
        assert user is not None
        user.tariff = "Retired"
    assert (
        await tariff_client.get("/v1/users/me/tariff", headers=alice)
    ).json() == BASIC


async def test_room_tariff_is_the_creators(
    tariff_client: httpx.AsyncClient,
    alice: dict[str, str],
    bob: dict[str, str],
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    room = await create_room(tariff_client, alice)
    await tariff_client.get("/v1/users/me", headers=bob)
    await assign(database, "alice@example.com", "Premium")

    async def invitee(session: Any, room: Any, user_id: uuid.UUID) -> bool:
        return True

    monkeypatch.setattr(rooms_service, "access_checks", Hooks("test", [invitee]))
    for headers in (alice, bob):
        response = await tariff_client.get(
            f"/v1/rooms/{room['id']}/tariff", headers=headers
        )
        assert response.status_code == 200
        assert response.json() == PREMIUM
    assert (await tariff_client.get("/v1/users/me/tariff", headers=bob)).json() == BASIC


async def test_room_tariff_errors(
    client: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    room = await create_room(client, alice)
    stranger = await client.get(f"/v1/rooms/{room['id']}/tariff", headers=bob)
    assert stranger.status_code == 403
    assert stranger.json()["code"] == "forbidden"
    unknown = await client.get(f"/v1/rooms/{uuid.uuid4()}/tariff", headers=alice)
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "not_found"
    malformed = await client.get("/v1/rooms/nope/tariff", headers=alice)
    assert malformed.status_code == 400
    for url in (f"/v1/rooms/{room['id']}/tariff", "/v1/users/me/tariff"):
        assert (await client.get(url)).status_code == 401


async def test_enforcement_helpers_for_signaling_and_call_in(
    tariff_client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    room = await create_room(tariff_client, alice)
    room_id = uuid.UUID(str(room["id"]))
    async with database.sessionmaker() as session:
        loaded = await rooms_service.get_room_or_raise(session, room_id)
        tariff = await tariffs_service.tariff_for_room(session, loaded)
        assert tariff.quota("room_participant_limit") == 5
        assert tariff.quota("room_time_limit_secs") == 1800
        with pytest.raises(tariffs_service.FeatureDisabledByTariff) as denied:
            await tariffs_service.require_feature(session, loaded, "call_in")
        assert denied.value.status_code == 403
        assert denied.value.code == "feature_disabled_by_tariff"
        assert denied.value.body() == {
            "code": "feature_disabled_by_tariff",
            "message": "The room owner's tariff does not include core::call_in",
        }
    await assign(database, "alice@example.com", "Premium")
    async with database.sessionmaker() as session:
        loaded = await rooms_service.get_room_or_raise(session, room_id)
        tariff = await tariffs_service.tariff_for_room(session, loaded)
        assert tariff.quota("room_participant_limit") == 100
        assert tariff.quota("room_time_limit_secs") is None
        await tariffs_service.require_feature(session, loaded, "core::call_in")
