"""POST /rooms/{id}/start and /start_invited: checks, tickets, resumption."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from parley.signaling.state import (
    Participation,
    ResumptionData,
    SignalingState,
    TicketData,
)
from parley.signaling.tokens import generate_resumption_token, is_well_formed_token
from tests.api.rooms.test_rooms import create_room
from tests.conftest import AppClient


def signaling_state(app: FastAPI) -> SignalingState:
    state: SignalingState = app.state.signaling.state
    return state


async def user_id(client: httpx.AsyncClient, headers: dict[str, str]) -> uuid.UUID:
    return uuid.UUID((await client.get("/v1/users/me", headers=headers)).json()["id"])


async def start(
    client: httpx.AsyncClient, headers: dict[str, str], room_id: object, **body: Any
) -> httpx.Response:
    return await client.post(f"/v1/rooms/{room_id}/start", json=body, headers=headers)


async def take_ticket(app: FastAPI, response: httpx.Response) -> TicketData:
    assert response.status_code == 200, response.text
    ticket = await signaling_state(app).take_ticket(response.json()["ticket"])
    assert ticket is not None
    return ticket


async def test_owner_gets_a_ticket_for_a_new_participant(
    app: FastAPI, client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    room = await create_room(client, alice)

    response = await start(client, alice, room["id"])

    body = response.json()
    assert set(body) == {"ticket", "resumption"}
    assert is_well_formed_token(body["ticket"])
    assert is_well_formed_token(body["resumption"])
    ticket = await take_ticket(app, response)
    assert ticket == TicketData(
        participant_id=ticket.participant_id,
        resuming=False,
        participation=Participation.user(await user_id(client, alice)),
        room_id=uuid.UUID(str(room["id"])),
        resumption=body["resumption"],
    )
    # Single use.
    assert await signaling_state(app).take_ticket(body["ticket"]) is None


async def test_every_start_is_a_new_ticket_token_and_participant(
    app: FastAPI, client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    room = await create_room(client, alice)
    first_response = await start(client, alice, room["id"])
    second_response = await start(client, alice, room["id"])

    assert first_response.json()["ticket"] != second_response.json()["ticket"]
    assert first_response.json()["resumption"] != second_response.json()["resumption"]
    first_ticket = await take_ticket(app, first_response)
    second_ticket = await take_ticket(app, second_response)
    assert first_ticket.participant_id != second_ticket.participant_id


async def test_start_needs_a_token_a_room_and_access(
    client: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    room = await create_room(client, alice)

    anonymous = await client.post(f"/v1/rooms/{room['id']}/start", json={})
    missing = await start(client, alice, uuid.uuid4())
    stranger = await start(client, bob, room["id"])

    assert anonymous.status_code == 401
    assert missing.status_code == 404
    assert missing.json() == {
        "code": "not_found",
        "message": "The room could not be found",
    }
    assert stranger.status_code == 403
    assert stranger.json()["code"] == "forbidden"


async def test_banned_user_gets_403_banned_from_room(
    app: FastAPI, client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    room = await create_room(client, alice)
    room_id = uuid.UUID(str(room["id"]))
    await signaling_state(app).ban_user(room_id, await user_id(client, alice))

    response = await start(client, alice, room_id)

    assert response.status_code == 403
    assert response.json() == {
        "code": "banned_from_room",
        "message": "You have been banned from this room",
    }


@pytest.mark.parametrize("breakout_room", [1, "7c4f5d0e-9d7d-4a43-9c46-2b1b0b0a3c11"])
async def test_breakout_rooms_are_refused(
    client: httpx.AsyncClient, alice: dict[str, str], breakout_room: object
) -> None:
    room = await create_room(client, alice)

    response = await start(client, alice, room["id"], breakout_room=breakout_room)

    assert response.status_code == 400
    assert response.json() == {
        "code": "no_breakout_rooms",
        "message": "This room has no breakout rooms",
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"breakout_room": "one"}, "breakout_room"),
        ({"resumption": 5}, "resumption"),
    ],
)
async def test_malformed_start_bodies_are_422(
    client: httpx.AsyncClient, alice: dict[str, str], body: dict[str, Any], field: str
) -> None:
    room = await create_room(client, alice)

    response = await start(client, alice, room["id"], **body)

    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"
    assert {error["field"] for error in response.json()["errors"]} <= {
        field,
        f"{field}.int",
        f"{field}.uuid",
    }


async def earlier_session(
    app: FastAPI, client: httpx.AsyncClient, headers: dict[str, str], room_id: uuid.UUID
) -> tuple[str, ResumptionData]:
    """A resumption token as a session of this user in this room left it behind."""
    data = ResumptionData(
        participant_id=uuid.uuid4(),
        participation=Participation.user(await user_id(client, headers)),
        room_id=room_id,
    )
    token = generate_resumption_token()
    await signaling_state(app).put_resumption(token, data)
    return token, data


async def test_resumption_token_gives_back_the_participant_id(
    app: FastAPI, client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    room_id = uuid.UUID(str((await create_room(client, alice))["id"]))
    state = signaling_state(app)
    token, previous = await earlier_session(app, client, alice, room_id)

    response = await start(client, alice, room_id, resumption=token)

    ticket = await take_ticket(app, response)
    assert (ticket.participant_id, ticket.resuming) == (previous.participant_id, True)
    assert response.json()["resumption"] != token
    # Used up: presenting it again gives a new participant.
    assert await state.get_resumption(token) is None
    again = await take_ticket(
        app, await start(client, alice, room_id, resumption=token)
    )
    assert again.participant_id != previous.participant_id
    assert not again.resuming


async def test_resumption_of_a_connected_session_is_400_session_running(
    app: FastAPI, client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    room_id = uuid.UUID(str((await create_room(client, alice))["id"]))
    state = signaling_state(app)
    token, running = await earlier_session(app, client, alice, room_id)
    assert await state.acquire_participant_lock(running.participant_id)

    response = await start(client, alice, room_id, resumption=token)

    assert response.status_code == 400
    assert response.json() == {
        "code": "session_running",
        "message": "The session of the given resumption token is still running",
    }
    # The running session keeps its token.
    assert await state.get_resumption(token) == running


@pytest.mark.parametrize("mismatch", ["room", "caller", "garbage", "unknown"])
async def test_foreign_or_unknown_resumption_tokens_are_ignored(
    app: FastAPI,
    client: httpx.AsyncClient,
    alice: dict[str, str],
    mismatch: str,
) -> None:
    room = await create_room(client, alice)
    room_id = uuid.UUID(str(room["id"]))
    state = signaling_state(app)
    stored = ResumptionData(
        participant_id=uuid.uuid4(),
        participation=(
            Participation.guest()
            if mismatch == "caller"
            else Participation.user(await user_id(client, alice))
        ),
        room_id=uuid.uuid4() if mismatch == "room" else room_id,
    )
    token = generate_resumption_token()
    if mismatch != "unknown":
        await state.put_resumption(token, stored)
    presented = "x" * 10 if mismatch == "garbage" else token

    response = await start(client, alice, room_id, resumption=presented)

    ticket = await take_ticket(app, response)
    assert ticket.participant_id != stored.participant_id
    assert not ticket.resuming
    if mismatch in {"room", "caller"}:
        assert await state.get_resumption(token) == stored


async def test_signaling_state_down_is_503_and_rest_keeps_working(
    client_with: AppClient, alice: dict[str, str]
) -> None:
    async with client_with(redis_url="redis://127.0.0.1:1/0") as http:
        room = await create_room(http, alice)
        started = await start(http, alice, room["id"])
        rest = await http.get(f"/v1/rooms/{room['id']}", headers=alice)

    assert started.status_code == 503
    assert started.json() == {
        "code": "service_unavailable",
        "message": "The signaling state store is unavailable",
    }
    assert rest.status_code == 200


# Guests with an invite code


async def new_invite(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    room_id: object,
    **body: Any,
) -> str:
    response = await client.post(
        f"/v1/rooms/{room_id}/invites", json=body, headers=headers
    )
    assert response.status_code == 200, response.text
    return str(response.json()["invite_code"])


async def start_invited(
    client: httpx.AsyncClient, room_id: object, **body: Any
) -> httpx.Response:
    return await client.post(f"/v1/rooms/{room_id}/start_invited", json=body)


async def test_guest_with_an_invite_gets_a_guest_ticket(
    app: FastAPI, client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    room = await create_room(client, alice)
    code = await new_invite(client, alice, room["id"])

    response = await start_invited(client, room["id"], invite_code=code)

    ticket = await take_ticket(app, response)
    assert ticket.participation == Participation.guest()
    assert str(ticket.room_id) == room["id"]
    assert not ticket.resuming


async def test_room_password_is_required_and_must_match(
    app: FastAPI, client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    room = await create_room(client, alice, password="secret")
    code = await new_invite(client, alice, room["id"])
    wrong = {"code": "wrong_room_password", "message": "The room password is wrong"}

    missing = await start_invited(client, room["id"], invite_code=code)
    mistaken = await start_invited(
        client, room["id"], invite_code=code, password="Secret"
    )
    right = await start_invited(client, room["id"], invite_code=code, password="secret")

    assert (missing.status_code, missing.json()) == (401, wrong)
    assert (mistaken.status_code, mistaken.json()) == (401, wrong)
    assert right.status_code == 200


async def test_password_is_ignored_when_the_room_has_none(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    room = await create_room(client, alice)
    code = await new_invite(client, alice, room["id"])

    response = await start_invited(
        client, room["id"], invite_code=code, password="anything"
    )

    assert response.status_code == 200


async def test_unusable_invites_are_404(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    room = await create_room(client, alice)
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    deleted = await new_invite(client, alice, room["id"])
    await client.delete(f"/v1/rooms/{room['id']}/invites/{deleted}", headers=alice)
    expired = await new_invite(client, alice, room["id"])
    # Expire it through the API: PUT takes any expiration.
    put = await client.put(
        f"/v1/rooms/{room['id']}/invites/{expired}",
        json={"expiration": past},
        headers=alice,
    )
    assert put.status_code == 200, put.text

    for code in (str(uuid.uuid4()), deleted, expired):
        response = await start_invited(client, room["id"], invite_code=code)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


async def test_invite_of_another_room_is_400_room_id_mismatch(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    room, other = await create_room(client, alice), await create_room(client, alice)
    code = await new_invite(client, alice, other["id"])

    response = await start_invited(client, room["id"], invite_code=code)

    assert response.status_code == 400
    assert response.json() == {"code": "bad_request", "message": "Room id mismatch"}


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"invite_code": "not-a-uuid"}, "invite_code", "invalid_value"),
        ({}, "invite_code", "value_required"),
        ({"invite_code": "x" * 129}, "invite_code", "invalid_length"),
        (
            {"invite_code": str(uuid.uuid4()), "password": "p" * 129},
            "password",
            "invalid_length",
        ),
    ],
)
async def test_malformed_invited_start_bodies_are_422(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    body: dict[str, Any],
    field: str,
    code: str,
) -> None:
    room = await create_room(client, alice)

    response = await start_invited(client, room["id"], **body)

    assert response.status_code == 422
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        (field, code)
    ]


async def test_guest_breakout_room_is_refused_after_the_password(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    room = await create_room(client, alice, password="pw")
    code = await new_invite(client, alice, room["id"])

    wrong = await start_invited(client, room["id"], invite_code=code, breakout_room=1)
    right = await start_invited(
        client, room["id"], invite_code=code, password="pw", breakout_room=1
    )

    assert wrong.json()["code"] == "wrong_room_password"
    assert (right.status_code, right.json()["code"]) == (400, "no_breakout_rooms")
