"""Room streaming targets: CRUD, key visibility, owner-only changes, bad input."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from parley.hooks import Hooks
from tests.api.rooms.test_rooms import create_room

TARGET = {
    "name": "Conference stream",
    "kind": "custom",
    "streaming_endpoint": "rtmp://ingest.example.com/live",
    "streaming_key": "s3cr3t-key",
    "public_url": "https://watch.example.com/conference",
}


def targets_url(room: dict[str, Any], target_id: object = None) -> str:
    base = f"/v1/rooms/{room['id']}/streaming_targets"
    return base if target_id is None else f"{base}/{target_id}"


async def create_target(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    room: dict[str, Any],
    **overrides: object,
) -> dict[str, Any]:
    response = await client.post(
        targets_url(room), json={**TARGET, **overrides}, headers=headers
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_create_read_update_delete(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    room = await create_room(client, alice)
    created = await create_target(client, alice, room)
    assert created == {"id": created["id"], **TARGET}
    uuid.UUID(created["id"])

    fetched = await client.get(targets_url(room, created["id"]), headers=alice)
    assert fetched.status_code == 200
    assert fetched.json() == created

    patched = await client.patch(
        targets_url(room, created["id"]),
        json={"name": "Renamed", "streaming_key": "new-key"},
        headers=alice,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json() == {**created, "name": "Renamed", "streaming_key": "new-key"}
    listed = await client.get(targets_url(room), headers=alice)
    assert listed.json() == [patched.json()]

    deleted = await client.delete(targets_url(room, created["id"]), headers=alice)
    assert deleted.status_code == 204
    assert deleted.content == b""
    missing = await client.get(targets_url(room, created["id"]), headers=alice)
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"
    assert (await client.get(targets_url(room), headers=alice)).json() == []


async def test_urls_are_normalised(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    room = await create_room(client, alice)
    created = await create_target(
        client,
        alice,
        room,
        streaming_endpoint="RTMPS://ingest.example.com:443/app",
        public_url="HTTPS://Watch.Example.com",
    )
    assert created["streaming_endpoint"] == "rtmps://ingest.example.com:443/app"
    assert created["public_url"] == "https://watch.example.com/"


async def test_suppress_email_notification_is_accepted(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    room = await create_room(client, alice)
    params = {"suppress_email_notification": "true"}
    created = await client.post(
        targets_url(room), json=TARGET, params=params, headers=alice
    )
    assert created.status_code == 201
    target = targets_url(room, created.json()["id"])
    patched = await client.patch(
        target, json={"name": "x"}, params=params, headers=alice
    )
    assert patched.status_code == 200
    assert (
        await client.delete(target, params=params, headers=alice)
    ).status_code == 204
    bad = await client.post(
        targets_url(room),
        json=TARGET,
        params={"suppress_email_notification": "perhaps"},
        headers=alice,
    )
    assert bad.status_code == 400
    assert bad.json()["code"] == "bad_request"


async def test_change_listener_hears_the_flag(
    client: httpx.AsyncClient, alice: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from parley.streaming import service

    heard: list[tuple[uuid.UUID, bool]] = []

    async def listener(session: Any, room: Any, suppress: bool) -> None:
        heard.append((room.id, suppress))

    monkeypatch.setattr(service, "change_listeners", Hooks("test", [listener]))
    room = await create_room(client, alice)
    created = await create_target(client, alice, room)
    await client.delete(
        targets_url(room, created["id"]),
        params={"suppress_email_notification": "true"},
        headers=alice,
    )
    room_id = uuid.UUID(str(room["id"]))
    assert heard == [(room_id, False), (room_id, True)]


async def test_streaming_key_only_for_the_owner(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    bob: dict[str, str],
    grant_bob_access: None,
) -> None:
    room = await create_room(client, alice)
    created = await create_target(client, alice, room)
    public = {k: v for k, v in created.items() if k != "streaming_key"}

    listed = await client.get(targets_url(room), headers=bob)
    assert listed.status_code == 200
    assert listed.json() == [public]
    one = await client.get(targets_url(room, created["id"]), headers=bob)
    assert one.status_code == 200
    assert one.json() == public
    assert (await client.get(targets_url(room), headers=alice)).json() == [created]


async def test_only_the_owner_changes_targets(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    bob: dict[str, str],
    grant_bob_access: None,
) -> None:
    room = await create_room(client, alice)
    created = await create_target(client, alice, room)
    target = targets_url(room, created["id"])
    attempts = [
        await client.post(targets_url(room), json=TARGET, headers=bob),
        await client.patch(target, json={"name": "mine"}, headers=bob),
        await client.delete(target, headers=bob),
    ]
    for response in attempts:
        assert response.status_code == 403, response.text
        assert response.json()["code"] == "forbidden"
    assert (await client.get(targets_url(room), headers=alice)).json() == [created]


async def test_strangers_get_403_and_unknown_rooms_404(
    client: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    room = await create_room(client, alice)
    created = await create_target(client, alice, room)
    for url in (targets_url(room), targets_url(room, created["id"])):
        response = await client.get(url, headers=bob)
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"
    unknown = {"id": uuid.uuid4()}
    for response in (
        await client.get(targets_url(unknown), headers=alice),
        await client.post(targets_url(unknown), json=TARGET, headers=alice),
        await client.get(targets_url(unknown, created["id"]), headers=alice),
    ):
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


async def test_target_of_another_room_is_404(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    room, other = await create_room(client, alice), await create_room(client, alice)
    created = await create_target(client, alice, room)
    for method in ("GET", "PATCH", "DELETE"):
        response = await client.request(
            method,
            targets_url(other, created["id"]),
            json={"name": "x"} if method == "PATCH" else None,
            headers=alice,
        )
        assert response.status_code == 404, method
        assert response.json()["code"] == "not_found"


async def test_unauthenticated_is_401_before_404(client: httpx.AsyncClient) -> None:
    response = await client.get(targets_url({"id": uuid.uuid4()}))
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


async def test_malformed_ids_are_400(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    room = await create_room(client, alice)
    for url in (targets_url({"id": "nope"}), targets_url(room, "nope")):
        response = await client.get(url, headers=alice)
        assert response.status_code == 400
        assert response.json()["code"] == "bad_request"


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        (
            {"streaming_endpoint": "ftp://ingest.example.com/live"},
            "streaming_endpoint",
            "invalid_url",
        ),
        ({"streaming_endpoint": "/live"}, "streaming_endpoint", "invalid_url"),
        ({"streaming_endpoint": "rtmp://"}, "streaming_endpoint", "invalid_url"),
        (
            {"streaming_endpoint": "javascript:alert(1)"},
            "streaming_endpoint",
            "invalid_url",
        ),
        ({"streaming_endpoint": 5}, "streaming_endpoint", "invalid_url"),
        (
            {"streaming_endpoint": "rtmp://x.example/" + "a" * 2100},
            "streaming_endpoint",
            "invalid_url",
        ),
        ({"public_url": "not a url"}, "public_url", "invalid_url"),
        ({"public_url": "mailto:someone@example.com"}, "public_url", "invalid_url"),
        ({"kind": "youtube"}, "kind", "invalid_value"),
        ({"name": "n" * 256}, "name", "invalid_length"),
        ({"name": ""}, "name", "invalid_length"),
        ({"name": 7}, "name", "invalid_value"),
        ({"streaming_key": "k" * 1025}, "streaming_key", "invalid_length"),
        ({"streaming_key": None}, "streaming_key", "invalid_value"),
    ],
)
async def test_create_rejects_bad_bodies(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    change: dict[str, object],
    field: str,
    code: str,
) -> None:
    room = await create_room(client, alice)
    response = await client.post(
        targets_url(room), json={**TARGET, **change}, headers=alice
    )
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "validation_failed"
    assert {"field": field, "code": code} in [
        {"field": e.get("field"), "code": e["code"]} for e in body["errors"]
    ]
    assert (await client.get(targets_url(room), headers=alice)).json() == []


@pytest.mark.parametrize("missing", sorted(TARGET))
async def test_create_requires_every_field(
    client: httpx.AsyncClient, alice: dict[str, str], missing: str
) -> None:
    room = await create_room(client, alice)
    body = {k: v for k, v in TARGET.items() if k != missing}
    response = await client.post(targets_url(room), json=body, headers=alice)
    assert response.status_code == 422
    assert {"field": missing, "code": "value_required"} in [
        {"field": e.get("field"), "code": e["code"]} for e in response.json()["errors"]
    ]


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({}, None, "missing_values"),
        ({"name": None}, "name", "invalid_value"),
        ({"public_url": None}, "public_url", "invalid_value"),
        ({"kind": "other"}, "kind", "invalid_value"),
        ({"public_url": "rtmp:/broken"}, "public_url", "invalid_url"),
        ({"name": "x" * 256}, "name", "invalid_length"),
    ],
)
async def test_patch_rejects_bad_bodies(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    body: dict[str, object],
    field: str | None,
    code: str,
) -> None:
    room = await create_room(client, alice)
    created = await create_target(client, alice, room)
    response = await client.patch(
        targets_url(room, created["id"]), json=body, headers=alice
    )
    assert response.status_code == 422, response.text
    assert {"field": field, "code": code} in [
        {"field": e.get("field"), "code": e["code"]} for e in response.json()["errors"]
    ]
    assert (
        await client.get(targets_url(room, created["id"]), headers=alice)
    ).json() == created


async def test_list_is_paged_with_link_header(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    room = await create_room(client, alice)
    created = [
        await create_target(client, alice, room, name=f"target {i}") for i in range(3)
    ]
    first = await client.get(targets_url(room), params={"per_page": 2}, headers=alice)
    assert first.json() == created[:2]
    assert 'page=2&per_page=2>; rel="next"' in first.headers["link"]
    second = await client.get(
        targets_url(room), params={"per_page": 2, "page": 2}, headers=alice
    )
    assert second.json() == created[2:]
    assert 'rel="prev"' in second.headers["link"]
    bad = await client.get(targets_url(room), params={"per_page": 0}, headers=alice)
    assert bad.status_code == 400


async def test_deleting_the_room_deletes_its_targets(
    client: httpx.AsyncClient, alice: dict[str, str], database: Any
) -> None:
    from sqlalchemy import func, select

    from parley.streaming.models import RoomStreamingTarget

    room = await create_room(client, alice)
    await create_target(client, alice, room)
    assert (
        await client.delete(f"/v1/rooms/{room['id']}", headers=alice)
    ).status_code == 204
    async with database.sessionmaker() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(RoomStreamingTarget)
            .where(RoomStreamingTarget.room_id == uuid.UUID(str(room["id"])))
        )
    assert count == 0
