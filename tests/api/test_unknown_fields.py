"""Unknown request fields are ignored in every dialect, as the controller does;
known fields keep their strict types (docs/decisions.md, "Unknown request fields")."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.api.booking.helpers import profile_body
from tests.api.reservations.helpers import unique_room, utc_wall

NEWER = {"e2e_encryption": False, "guest_access": "direct_access", "x-trace": [1, {}]}


async def test_rooms_users_and_streaming_ignore_unknown_fields(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    room = await client.post(
        "/v1/rooms", json={"waiting_room": True, **NEWER}, headers=alice
    )
    assert room.status_code == 201, room.text
    assert room.json()["waiting_room"] is True
    assert not set(NEWER) & set(room.json())

    me = await client.patch(
        "/v1/users/me", json={"display_name": "Al", "is_admin": True}, headers=alice
    )
    assert (me.status_code, me.json()["display_name"]) == (200, "Al")
    assert "is_admin" not in me.json()

    target = await client.post(
        f"/v1/rooms/{room.json()['id']}/streaming_targets",
        json={
            "kind": "custom",
            "name": "Stream",
            "streaming_endpoint": "rtmp://ingest.example.com/x",
            "streaming_key": "k",
            "public_url": "https://watch.example.com/x",
            "provider": "owncast",  # a newer controller's field
        },
        headers=alice,
    )
    assert target.status_code == 201, target.text
    assert "provider" not in target.json()


async def test_dialects_ignore_unknown_fields_too(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    reservation = await client.post(
        "/api/v1/scheduler/reservation",
        json={
            "mail_owner": "alice@example.com",
            "name": unique_room(),
            "duration": 30,
            "start_time": utc_wall(60),
            "timezone": "UTC",
            "color": "red",
        },
        headers=alice,
    )
    assert reservation.status_code == 201, reservation.text
    profile = await client.post(
        "/v1/book/profiles", json=profile_body(id=1, color="red"), headers=alice
    )
    assert profile.status_code == 201, profile.text


@pytest.mark.parametrize(
    ("method", "url", "body", "field"),
    [
        ("post", "/v1/rooms", {"waiting_room": "yes", **NEWER}, "waiting_room"),
        ("patch", "/v1/users/me", {"display_name": 5, "extra": 1}, "display_name"),
        (
            "post",
            "/v1/events",
            {"title": 1, "description": "", "is_time_independent": True, **NEWER},
            "title",
        ),
        (
            "post",
            "/api/v1/scheduler/reservation",
            {"mail_owner": "a@example.com", "name": 5, "duration": 5, "color": 1},
            "name",
        ),
    ],
)
async def test_wrong_types_of_known_fields_are_still_422(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    method: str,
    url: str,
    body: dict[str, Any],
    field: str,
) -> None:
    response = await client.request(method, url, json=body, headers=alice)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_failed"
    fields = [error.get("field") for error in response.json()["errors"]]
    assert field in fields
    assert not set(NEWER) & set(fields)


def test_the_openapi_document_does_not_forbid_unknown_fields(app: FastAPI) -> None:
    """No request body schema says `additionalProperties: false`."""
    schemas = app.openapi()["components"]["schemas"]
    closed = sorted(
        name
        for name, schema in schemas.items()
        if schema.get("additionalProperties") is False
    )
    assert closed == []
