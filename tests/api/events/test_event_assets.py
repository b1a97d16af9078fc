"""Assets of an event's room carry the event's id in GET /v1/users/me/assets."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from parley.db import Database
from tests.api.assets.test_assets import asset_dir, store_asset
from tests.api.events.helpers import create_event


async def test_assets_of_an_event_room_name_the_event(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    event = await create_event(client, alice)
    room = {"id": event["room"]["id"]}
    asset = await store_asset(database, room, b"minutes")
    response = await client.get("/v1/users/me/assets", headers=alice)
    assert response.status_code == 200
    assert response.json()["owned_assets"] == [
        {**asset, "room_id": room["id"], "event_id": event["id"]}
    ]


async def test_deleting_the_event_deletes_its_rooms_stored_files(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database, app: FastAPI
) -> None:
    event = await create_event(client, alice)
    asset = await store_asset(database, {"id": event["room"]["id"]}, b"minutes")
    path = asset_dir(app) / "objects" / asset["id"][:2] / asset["id"]
    assert path.is_file()

    deleted = await client.delete(f"/v1/events/{event['id']}", headers=alice)

    assert deleted.status_code == 204
    assert not path.exists()
