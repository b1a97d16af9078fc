"""Videsk access tokens admit their holder over the real websocket, inside the room's
window only; ending the room sends everyone away; maxParticipants is a seat limit."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from parley.db import Database
from tests.api.easycalendar.helpers import make_key
from tests.ws.live import Api, Peer

ROOMS = "/vpaas/rooms"
EXP_AHEAD_SECONDS = 6


def iso(moment: datetime) -> str:
    return (
        moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


@pytest.fixture
async def videsk(api: Api, live_database: Database) -> dict[str, str]:
    """Headers with the api-token of a fresh user of the live server."""
    owner = api.user("vpaas")
    me = await api.http.get("/v1/users/me", headers=owner)
    assert me.status_code == 200, me.text
    _, secret = await make_key(live_database, uuid.UUID(me.json()["id"]), "videsk")
    return {"Authorization": f"Bearer {secret}"}


async def new_room(api: Api, videsk: dict[str, str], **body: Any) -> dict[str, Any]:
    response = await api.http.post(ROOMS, json=body, headers=videsk)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def start(api: Api, room_id: str, token: str) -> Any:
    return await api.http.post(
        f"/v1/rooms/{room_id}/start",
        json={},
        headers={"Authorization": f"Bearer {token}"},
    )


async def guest(api: Api, room_id: str, token: str) -> Peer:
    started = await start(api, room_id, token)
    assert started.status_code == 200, started.text
    return await api.connect(started.json()["ticket"])


async def test_an_access_token_joins_the_room_as_a_guest(
    api: Api, videsk: dict[str, str]
) -> None:
    room = await new_room(api, videsk, name="Standup")
    joined = await api.http.post(f"{ROOMS}/{room['id']}/join", json={}, headers=videsk)

    first = await guest(api, room["id"], room["accessToken"])
    second = await guest(api, room["id"], joined.json()["accessToken"])
    success = await first.join("Guest One")
    other = await second.join("Guest Two")

    assert (success["role"], other["role"]) == ("guest", "guest")
    assert [p["control"]["display_name"] for p in other["participants"]] == [
        "Guest One"
    ]
    assert (await first.expect("control", "joined"))["id"] == second.id
    assert success["is_room_owner"] is False


async def test_a_token_is_refused_after_exp(api: Api, videsk: dict[str, str]) -> None:
    now = datetime.now(UTC)
    # Long enough for the first start to land inside the window on a loaded machine.
    expires = now + timedelta(seconds=EXP_AHEAD_SECONDS)
    room = await new_room(
        api, videsk, nbf=iso(now - timedelta(minutes=5)), exp=iso(expires)
    )
    assert (await start(api, room["id"], room["accessToken"])).status_code == 200

    await asyncio.sleep(
        max(0.0, (expires + timedelta(seconds=0.2) - datetime.now(UTC)).total_seconds())
    )
    refused = await start(api, room["id"], room["accessToken"])

    assert refused.status_code == 401
    assert refused.json()["code"] == "access_token_expired"
    assert refused.json()["message"].startswith("The room access token expired at ")


async def test_ending_the_room_disconnects_and_refuses_its_tokens(
    api: Api, videsk: dict[str, str]
) -> None:
    room = await new_room(api, videsk)
    peer = await guest(api, room["id"], room["accessToken"])
    await peer.join("Guest")

    ended = await api.http.patch(
        f"{ROOMS}/{room['id']}", json={"ended": True}, headers=videsk
    )

    assert ended.status_code == 200, ended.text
    assert (await peer.expect("control", "room_deleted")) == {"message": "room_deleted"}
    assert await peer.closed() == 1000
    refused = await start(api, room["id"], room["accessToken"])
    assert refused.status_code == 403
    assert refused.json()["code"] == "room_ended"


async def test_a_ticket_issued_before_the_end_is_refused_at_the_handshake(
    api: Api, videsk: dict[str, str]
) -> None:
    room = await new_room(api, videsk)
    ticket = (await start(api, room["id"], room["accessToken"])).json()["ticket"]
    await api.http.patch(f"{ROOMS}/{room['id']}", json={"ended": True}, headers=videsk)

    with pytest.raises(Exception, match="403"):
        await api.connect(ticket)


async def test_tokens_of_another_room_a_past_or_a_future_window_are_refused(
    api: Api, videsk: dict[str, str]
) -> None:
    room = await new_room(api, videsk)
    other = await new_room(api, videsk)
    past = await new_room(
        api, videsk, nbf="2024-08-14T15:00:00.000Z", exp="2024-08-14T18:00:00.000Z"
    )
    future = await new_room(
        api, videsk, nbf=iso(datetime.now(UTC) + timedelta(hours=1))
    )

    wrong_room = await start(api, other["id"], room["accessToken"])
    expired = await start(api, past["id"], past["accessToken"])
    early = await start(api, future["id"], future["accessToken"])
    tampered = await start(api, room["id"], room["accessToken"][:-4] + "AAAA")

    assert (wrong_room.status_code, wrong_room.json()["code"]) == (
        403,
        "access_token_wrong_room",
    )
    assert (expired.status_code, expired.json()["code"]) == (
        401,
        "access_token_expired",
    )
    assert (early.status_code, early.json()["code"]) == (
        403,
        "access_token_not_yet_valid",
    )
    assert tampered.status_code == 401


async def test_max_participants_blocks_the_join_beyond_it(
    api: Api, videsk: dict[str, str]
) -> None:
    room = await new_room(api, videsk, config={"maxParticipants": 1})
    second_token = (
        await api.http.post(f"{ROOMS}/{room['id']}/join", json={}, headers=videsk)
    ).json()["accessToken"]
    first = await guest(api, room["id"], room["accessToken"])
    await first.join("First")

    second = await guest(api, room["id"], second_token)
    await second.send("control", action="join", display_name="Second")

    blocked = await second.expect("control", "join_blocked")
    assert blocked["reason"] == "participant_limit_reached"
    await first.nothing()
