"""Streaming targets given with a new event belong to its room (spec Event)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.events.helpers import create_event, event_body

TARGETS = [
    {
        "name": "Main stage",
        "kind": "custom",
        "streaming_endpoint": "rtmp://ingest.example.org/live",
        "streaming_key": "secret-key-1",
        "public_url": "https://watch.example.org/main",
    },
    {
        "name": "Backup",
        "kind": "custom",
        "streaming_endpoint": "rtmps://backup.example.org:443/app",
        "streaming_key": "secret-key-2",
        "public_url": "https://watch.example.org/backup",
    },
]


def _shown(targets: list[dict[str, Any]]) -> list[tuple[str, str, str | None]]:
    return [
        (t["name"], t["streaming_endpoint"], t.get("streaming_key")) for t in targets
    ]


async def test_created_targets_are_the_rooms_and_shown_with_keys_to_the_creator(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    event = await create_event(
        client, alice, body=event_body(streaming_targets=TARGETS)
    )
    expected = [
        ("Main stage", "rtmp://ingest.example.org/live", "secret-key-1"),
        ("Backup", "rtmps://backup.example.org:443/app", "secret-key-2"),
    ]
    assert _shown(event["streaming_targets"]) == expected
    room_targets = await client.get(
        f"/v1/rooms/{event['room']['id']}/streaming_targets", headers=alice
    )
    assert room_targets.status_code == 200
    assert _shown(room_targets.json()) == expected
    assert [t["id"] for t in room_targets.json()] == [
        t["id"] for t in event["streaming_targets"]
    ]
    fetched = await client.get(f"/v1/events/{event['id']}", headers=alice)
    assert _shown(fetched.json()["streaming_targets"]) == expected
    listed = await client.get("/v1/events", headers=alice)
    assert [_shown(e["streaming_targets"]) for e in listed.json()] == [expected]


async def test_invitees_see_targets_without_keys(
    client: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    event = await create_event(
        client, alice, body=event_body(streaming_targets=TARGETS)
    )
    bob_id = (await client.get("/v1/users/me", headers=bob)).json()["id"]
    invited = await client.post(
        f"/v1/events/{event['id']}/invites",
        json={"invitee": bob_id},
        headers=alice,
    )
    assert invited.status_code == 201, invited.text
    seen = await client.get(f"/v1/events/{event['id']}", headers=bob)
    assert seen.status_code == 200
    targets = seen.json()["streaming_targets"]
    assert [t["name"] for t in targets] == ["Main stage", "Backup"]
    assert all("streaming_key" not in t for t in targets)
    assert [t["public_url"] for t in targets] == [
        "https://watch.example.org/main",
        "https://watch.example.org/backup",
    ]


async def test_an_event_without_targets_shows_an_empty_list(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    event = await create_event(client, alice)
    assert event["streaming_targets"] == []


async def test_a_bad_target_creates_neither_event_nor_room(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    rooms_before = (await client.get("/v1/rooms", headers=alice)).json()
    body = event_body(
        streaming_targets=[TARGETS[0], {**TARGETS[1], "streaming_endpoint": "x"}]
    )
    response = await client.post("/v1/events", json=body, headers=alice)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == (
        "streaming_targets.1.streaming_endpoint"
    )
    assert (await client.get("/v1/events", headers=alice)).json() == []
    assert (await client.get("/v1/rooms", headers=alice)).json() == rooms_before


async def test_deleting_the_event_deletes_its_targets(
    client: httpx.AsyncClient, alice: dict[str, str], database: Any
) -> None:
    from sqlalchemy import func, select

    from parley.streaming.models import RoomStreamingTarget

    event = await create_event(
        client, alice, body=event_body(streaming_targets=TARGETS)
    )
    deleted = await client.delete(f"/v1/events/{event['id']}", headers=alice)
    assert deleted.status_code == 204
    async with database.sessionmaker() as session:
        left = await session.scalar(
            select(func.count()).select_from(RoomStreamingTarget)
        )
    assert left == 0
