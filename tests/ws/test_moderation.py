"""The moderation namespace: waiting room, kick, ban, debrief, names, SIP lobby."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from parley.hooks import Hooks
from parley.rooms import service as rooms_service
from parley.rooms.models import Room
from tests.oidc_issuer import TestIssuer
from tests.ws.live import Api, Peer, guest_peer, host_and_guest


async def waiting_guest(api: Api, owner: dict[str, str], room: str, name: str) -> Peer:
    guest = await guest_peer(api, owner, room)
    await guest.send("control", action="join", display_name=name)
    assert await guest.expect("moderation", "in_waiting_room") == {
        "message": "in_waiting_room"
    }
    return guest


async def test_waiting_room_admit_flow(api: Api) -> None:
    owner = api.user()
    room = await api.room(owner, waiting_room=True)
    host = await api.joined_user(owner, room, "Host")

    guest = await waiting_guest(api, owner, room, "Gina")
    entered = await host.expect("moderation", "joined_waiting_room")
    assert set(entered) == {"message", "id", "control"}
    assert entered["control"]["display_name"] == "Gina"
    guest_id = entered["id"]
    # While waiting: no room events, only control/echo, enter_room refused.
    await guest.send("chat", action="send_message", scope="global", content="hi")
    await guest.send("control", action="enter_room")
    assert (await guest.expect("control", "error"))[
        "error"
    ] == "not_accepted_or_not_in_waiting_room"
    await host.nothing()
    # Chat is for the room: a private message does not reach the waiting room.
    await host.send(
        "chat", action="send_message", scope="private", target=guest_id, content="x"
    )
    await host.expect("chat", "message_sent")
    await guest.nothing()

    await host.send("moderation", action="accept", target=guest_id)
    assert await guest.expect("moderation", "accepted") == {"message": "accepted"}
    await guest.send("control", action="enter_room")

    assert await host.expect("moderation", "left_waiting_room") == {
        "message": "left_waiting_room",
        "id": guest_id,
    }
    success = await guest.expect("control", "join_success")
    assert success["id"] == guest_id
    assert [p["id"] for p in success["participants"]] == [host.id]
    assert (await host.expect("control", "joined"))["id"] == guest_id


async def test_moderator_joining_later_sees_who_waits(api: Api) -> None:
    owner = api.user()
    room = await api.room(owner, waiting_room=True)
    await api.joined_user(owner, room, "First host")
    await waiting_guest(api, owner, room, "Wanda")

    late = await api.connect((await api.start(owner, room))["ticket"])
    success = await late.join("Second host")

    waiting = success["moderation"]["waiting_room_participants"]
    assert [
        (w["control"]["display_name"], w["waiting_room_state"]) for w in waiting
    ] == [("Wanda", "waiting")]
    assert success["moderation"]["waiting_room_enabled"] is True


async def test_accepted_guest_resuming_skips_the_waiting_room(api: Api) -> None:
    owner = api.user()
    room = await api.room(owner, waiting_room=True)
    host = await api.joined_user(owner, room, "Host")
    code = await api.invite(owner, room)
    start = await api.start_guest(room, code)
    guest = await api.connect(start["ticket"])
    await guest.send("control", action="join", display_name="Gil")
    await guest.expect("moderation", "in_waiting_room")
    guest_id = (await host.expect("moderation", "joined_waiting_room"))["id"]
    await host.send("moderation", action="accept", target=guest_id)
    await guest.expect("moderation", "accepted")
    await guest.send("control", action="enter_room")
    await guest.expect("control", "join_success")
    await guest.close()

    again = await api.connect(
        (await api.start_guest(room, code, resumption=start["resumption"]))["ticket"]
    )
    success = await again.join("Gil")

    assert success["id"] == guest_id


async def test_waiting_guest_who_leaves_is_announced_and_non_moderators_are_ignored(
    api: Api,
) -> None:
    owner = api.user()
    room = await api.room(owner, waiting_room=True)
    host = await api.joined_user(owner, room, "Host")
    guest = await waiting_guest(api, owner, room, "Walt")
    waiting_id = (await host.expect("moderation", "joined_waiting_room"))["id"]
    await host.send("moderation", action="disable_waiting_room")
    await host.expect("moderation", "waiting_room_disabled")
    member = await guest_peer(api, owner, room)
    await member.join("Member")
    await host.expect("control", "joined")

    await member.send("moderation", action="accept", target=waiting_id)
    await member.send("moderation", action="kick", target=host.id)
    await guest.nothing()
    await guest.close()

    assert await host.expect("moderation", "left_waiting_room") == {
        "message": "left_waiting_room",
        "id": waiting_id,
    }
    assert (await member.expect("moderation", "left_waiting_room"))["id"] == waiting_id


async def test_enable_and_disable_the_waiting_room(api: Api) -> None:
    owner = api.user()
    room = await api.room(owner)
    host = await api.joined_user(owner, room, "Host")
    member = await guest_peer(api, owner, room)
    await member.join("Member")
    await host.expect("control", "joined")

    await host.send("moderation", action="enable_waiting_room")
    for peer in (host, member):
        await peer.expect("moderation", "waiting_room_enabled")
    waiting = await waiting_guest(api, owner, room, "Late")
    for peer in (host, member):  # every joined participant, not only moderators
        await peer.expect("moderation", "joined_waiting_room")

    await host.send("moderation", action="disable_waiting_room")
    for peer in (host, member):
        await peer.expect("moderation", "waiting_room_disabled")
    await waiting.nothing()  # disabling does not admit those already waiting
    direct = await guest_peer(api, owner, room)
    await direct.join("Direct")


async def test_kick_closes_the_target_and_tells_the_room(api: Api) -> None:
    _, _, host, guest = await host_and_guest(api, "Kim")

    await host.send("moderation", action="kick", target=guest.id)

    assert await guest.expect("moderation", "kicked") == {"message": "kicked"}
    assert await guest.closed() == 1000
    assert await host.expect("control", "left") == {"message": "left", "id": guest.id}


@pytest.fixture
def everyone_may_enter(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let any registered user start any room (as an event invite would)."""

    async def allow(session: AsyncSession, room: Room, user_id: uuid.UUID) -> bool:
        return True

    monkeypatch.setattr(rooms_service, "access_checks", Hooks("test", [allow]))


@pytest.mark.usefixtures("everyone_may_enter")
async def test_ban_closes_the_user_and_start_refuses_them(api: Api) -> None:
    owner, visitor = api.user("owner"), api.user("visitor")
    room = await api.room(owner)
    host = await api.joined_user(owner, room, "Host")
    user = await api.joined_user(visitor, room, "Visitor")
    await host.expect("control", "joined")
    guest = await guest_peer(api, owner, room)
    await guest.join("Guest")
    await host.expect("control", "joined")
    await user.expect("control", "joined")

    await host.send("moderation", action="ban", target=guest.id)
    assert await host.expect("moderation", "error") == {
        "message": "error",
        "error": "cannot_ban_guest",
    }
    await host.send("moderation", action="ban", target=user.id)

    assert await user.expect("moderation", "banned") == {"message": "banned"}
    assert await user.closed() == 1000
    assert (await host.expect("control", "left"))["id"] == user.id
    refused = await api.http.post(f"/v1/rooms/{room}/start", json={}, headers=visitor)
    assert (refused.status_code, refused.json()["code"]) == (403, "banned_from_room")


async def test_send_to_waiting_room_and_its_owner_exception(api: Api) -> None:
    owner = api.user()
    room = await api.room(owner)
    host = await api.joined_user(owner, room, "Host")
    helper = await guest_peer(api, owner, room)
    await helper.join("Helper")
    guest = await guest_peer(api, owner, room)
    await guest.join("Guest")
    await host.expect("control", "joined")
    await host.expect("control", "joined")
    await helper.expect("control", "joined")
    await host.send("control", action="grant_moderator_role", target=helper.id)
    await helper.expect("control", "role_updated")
    await guest.expect("control", "update")
    await host.expect("control", "update")

    await helper.send("moderation", action="send_to_waiting_room", target=host.id)
    assert (await helper.expect("moderation", "error"))[
        "error"
    ] == "cannot_send_room_owner_to_waiting_room"
    await helper.send("moderation", action="send_to_waiting_room", target=guest.id)

    assert await guest.expect("moderation", "sent_to_waiting_room") == {
        "message": "sent_to_waiting_room"
    }
    assert await guest.closed() == 1000


async def test_debrief_ends_the_session_for_guests(api: Api) -> None:
    room, owner, host, guest = await host_and_guest(api, "Guest")

    await host.send("moderation", action="debrief", kick_scope="guests")

    await host.expect("moderation", "waiting_room_enabled")
    await guest.expect("moderation", "waiting_room_enabled")
    assert await guest.expect("moderation", "session_ended") == {
        "message": "session_ended",
        "issued_by": host.id,
    }
    assert await guest.closed() == 1000
    assert await host.expect("moderation", "debriefing_started") == {
        "message": "debriefing_started",
        "issued_by": host.id,
    }
    assert (await host.expect("control", "left"))["id"] == guest.id
    # Next time the guest waits.
    await waiting_guest(api, owner, room, "Guest")


async def test_moderator_renames_guests_only(api: Api) -> None:
    _, _, host, guest = await host_and_guest(api, "Guest")

    async def rename(target: str | None, name: str) -> None:
        await host.send(
            "moderation", action="change_display_name", target=target, new_name=name
        )

    await rename(host.id, "Boss")
    assert (await host.expect("moderation", "error"))[
        "error"
    ] == "cannot_change_name_of_registered_users"
    await rename(guest.id, "   ")
    assert (await host.expect("moderation", "error"))["error"] == "invalid_display_name"
    await rename(guest.id, " Renamed   Guest ")

    update = await host.expect("control", "update")
    assert (update["id"], update["control"]["display_name"]) == (
        guest.id,
        "Renamed Guest",
    )
    await guest.nothing()


async def call_in_ticket(
    api: Api, issuer: TestIssuer, owner: dict[str, str], room: str
) -> str:
    config = (await api.http.get(f"/v1/rooms/{room}/sip", headers=owner)).json()
    gateway = issuer.headers(
        "gateway@services.example", realm_access={"roles": ["opentalk-call-in"]}
    )
    response = await api.http.post(
        "/v1/services/call_in/start",
        json={"id": config["sip_id"], "pin": config["password"]},
        headers=gateway,
    )
    assert response.status_code == 200, response.text
    return str(response.json()["ticket"])


@pytest.mark.parametrize("lobby", [True, False])
async def test_phone_participants_obey_the_sip_lobby_flag(
    api: Api, oidc_issuer: TestIssuer, lobby: bool
) -> None:
    owner = api.user()
    room = await api.room(owner)
    put = await api.http.put(
        f"/v1/rooms/{room}/sip", json={"lobby": lobby}, headers=owner
    )
    assert put.status_code == 201
    host = await api.joined_user(owner, room, "Host")
    phone = await api.connect(await call_in_ticket(api, oidc_issuer, owner, room))

    await phone.send("control", action="join", display_name="+49 30 1234")

    seen: dict[str, Any]
    if lobby:
        await phone.expect("moderation", "in_waiting_room")
        seen = await host.expect("moderation", "joined_waiting_room")
    else:
        assert (await phone.expect("control", "join_success"))["role"] == "guest"
        seen = await host.expect("control", "joined")
    assert seen["control"]["participation_kind"] == "sip"
    assert "chat" not in seen
