"""GET/PUT/DELETE /rooms/{id}/sip: call-in credentials of a room."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from parley.db import Database
from tests.api.rooms.test_rooms import create_room
from tests.api.tariffs.test_tariffs import TARIFFS, assign
from tests.conftest import AppClient


def sip_path(room: dict[str, object]) -> str:
    return f"/v1/rooms/{room['id']}/sip"


def assert_digits(value: object) -> None:
    assert isinstance(value, str)
    assert len(value) == 10
    assert value.isascii()
    assert value.isdigit()


async def test_put_creates_then_changes_the_config(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    room = await create_room(client, alice)
    assert (await client.get(sip_path(room), headers=alice)).status_code == 404

    created = await client.put(sip_path(room), json={"lobby": True}, headers=alice)
    changed = await client.put(
        sip_path(room), json={"password": "0123456789"}, headers=alice
    )
    fetched = await client.get(sip_path(room), headers=alice)

    assert created.status_code == 201
    config = created.json()
    assert set(config) == {"room", "sip_id", "password", "lobby"}
    assert (config["room"], config["lobby"]) == (room["id"], True)
    assert_digits(config["sip_id"])
    assert_digits(config["password"])
    assert changed.status_code == 200
    assert changed.json() == {**config, "password": "0123456789"}
    assert fetched.status_code == 200
    assert fetched.json() == changed.json()


async def test_created_config_takes_the_given_pin_and_defaults_lobby_off(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    room = await create_room(client, alice)

    created = await client.put(
        sip_path(room), json={"password": "9876543210"}, headers=alice
    )

    assert created.status_code == 201
    assert (created.json()["password"], created.json()["lobby"]) == (
        "9876543210",
        False,
    )


async def test_sip_ids_are_unique(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    ids = set()
    for _ in range(5):
        room = await create_room(client, alice, enable_sip=True)
        ids.add((await client.get(sip_path(room), headers=alice)).json()["sip_id"])
    assert len(ids) == 5


async def test_delete_removes_the_config(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    room = await create_room(client, alice, enable_sip=True)

    deleted = await client.delete(sip_path(room), headers=alice)
    again = await client.delete(sip_path(room), headers=alice)
    fetched = await client.get(sip_path(room), headers=alice)

    assert (deleted.status_code, again.status_code) == (204, 204)
    assert deleted.content == b""
    assert fetched.status_code == 404
    assert fetched.json() == {
        "code": "not_found",
        "message": "This room has no SIP config",
    }


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            {},
            [{"code": "missing_values", "message": "At least one field must be set"}],
        ),
        ({"password": None, "lobby": None}, [{"code": "missing_values"}]),
        # sip_id is always generated: one sent is ignored, so this body is empty.
        ({"sip_id": "0123456789"}, [{"code": "missing_values"}]),
        ({"password": "123456789"}, [{"field": "password", "code": "invalid_value"}]),
        ({"password": "12345678901"}, [{"field": "password", "code": "invalid_value"}]),
        ({"password": "abcdefghij"}, [{"field": "password", "code": "invalid_value"}]),
        ({"password": 1234567890}, [{"field": "password", "code": "invalid_value"}]),
        ({"lobby": "yes"}, [{"field": "lobby", "code": "invalid_value"}]),
    ],
)
async def test_bad_put_bodies_are_422_and_change_nothing(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    body: dict[str, Any],
    errors: list[dict[str, str]],
) -> None:
    room = await create_room(client, alice, enable_sip=True)
    before = (await client.get(sip_path(room), headers=alice)).json()

    response = await client.put(sip_path(room), json=body, headers=alice)

    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"
    got = [
        {k: v for k, v in error.items() if k in expected}
        for error, expected in zip(response.json()["errors"], errors, strict=True)
    ]
    assert got == errors
    assert (await client.get(sip_path(room), headers=alice)).json() == before


async def test_only_the_owner_changes_it_and_strangers_cannot_read_it(
    client: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    room = await create_room(client, alice, enable_sip=True)

    responses = [
        await client.get(sip_path(room), headers=bob),
        await client.put(sip_path(room), json={"lobby": True}, headers=bob),
        await client.delete(sip_path(room), headers=bob),
    ]

    assert [r.status_code for r in responses] == [403, 403, 403]
    assert (await client.get(sip_path(room), headers=alice)).json()["lobby"] is False


async def test_unknown_room_is_404_and_anonymous_is_401(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    unknown = {"id": str(uuid.uuid4())}

    assert (await client.get(sip_path(unknown), headers=alice)).status_code == 404
    assert (
        await client.put(sip_path(unknown), json={"lobby": True}, headers=alice)
    ).status_code == 404
    assert (await client.get(sip_path(unknown))).status_code == 401


@pytest.fixture
async def basic_client(
    client_with: AppClient, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    """Everyone is on tariff Basic (no call-in) unless assigned Premium."""
    path = tmp_path / "tariffs.toml"
    path.write_text(TARIFFS)
    async with client_with(tariffs_file=path, default_tariff="Basic") as http:
        yield http


DISABLED = {
    "code": "feature_disabled_by_tariff",
    "message": "The room owner's tariff does not include core::call_in",
}


async def test_sip_config_needs_call_in_in_the_owners_tariff(
    basic_client: httpx.AsyncClient,
    alice: dict[str, str],
    bob: dict[str, str],
    database: Database,
) -> None:
    await basic_client.get("/v1/users/me", headers=alice)
    await assign(database, "alice@example.com", "Premium")
    room = await create_room(basic_client, alice, enable_sip=True)
    before = (await basic_client.get(sip_path(room), headers=alice)).json()
    await assign(database, "alice@example.com", None)  # downgraded to Basic

    responses = [
        await basic_client.get(sip_path(room), headers=alice),
        await basic_client.put(sip_path(room), json={"lobby": True}, headers=alice),
        await basic_client.delete(sip_path(room), headers=alice),
    ]
    # Access and body are checked first, as for any room.
    stranger = await basic_client.get(sip_path(room), headers=bob)
    empty = await basic_client.put(sip_path(room), json={}, headers=alice)

    assert [(r.status_code, r.json()) for r in responses] == [(403, DISABLED)] * 3
    assert (stranger.status_code, stranger.json()["code"]) == (403, "forbidden")
    assert (empty.status_code, empty.json()["code"]) == (422, "validation_failed")
    await assign(database, "alice@example.com", "Premium")
    assert (await basic_client.get(sip_path(room), headers=alice)).json() == before


async def test_creating_a_room_with_sip_needs_call_in_in_the_tariff(
    basic_client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    refused = await basic_client.post(
        "/v1/rooms", json={"enable_sip": True}, headers=alice
    )
    rooms = await basic_client.get("/v1/rooms", headers=alice)
    plain = await basic_client.post(
        "/v1/rooms", json={"enable_sip": False}, headers=alice
    )

    assert refused.status_code == 403
    assert refused.json() == {
        "code": "feature_disabled_by_tariff",
        "message": "Your tariff does not include core::call_in",
    }
    assert rooms.json() == []
    assert plain.status_code == 201
