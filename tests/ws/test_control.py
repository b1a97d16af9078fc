"""The control namespace over real websockets: join, presence, hands, roles, errors."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.ws.live import Api, Peer, guest_peer, host_and_guest

ANY_TIME = object()


def same_shape(actual: Any, expected: Any) -> bool:
    """Equal, where ANY_TIME in ``expected`` matches any RFC 3339 UTC string."""
    if expected is ANY_TIME:
        return isinstance(actual, str) and actual.endswith("Z")
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and actual.keys() == expected.keys()
            and all(same_shape(actual[k], expected[k]) for k in expected)
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(same_shape(a, e) for a, e in zip(actual, expected, strict=True))
        )
    return bool(actual == expected)


def control(name: str, role: str, kind: str, **extra: Any) -> dict[str, Any]:
    data = {
        "display_name": name,
        "role": role,
        "participation_kind": kind,
        "hand_is_up": False,
        "joined_at": ANY_TIME,
        "left_at": None,
        "hand_updated_at": ANY_TIME,
        "is_room_owner": False,
    }
    return data | extra


EMPTY_CHAT = {
    "enabled": True,
    "room_history": [],
    "groups_history": [],
    "private_history": [],
    "last_seen_timestamp_global": None,
    "last_seen_timestamps_private": {},
    "last_seen_timestamps_group": {},
}


async def test_join_success_and_joined_have_the_reference_shape(api: Api) -> None:
    owner = api.user("olga")
    room = await api.room(owner)
    me = (await api.http.get("/v1/users/me", headers=owner)).json()
    olga = await api.joined_user(owner, room, "Olga")
    guest = await guest_peer(api, owner, room)

    success = await guest.join("  Gus   the\tGuest ")

    olga_view = {
        "id": olga.id,
        "control": control(
            "Olga",
            "moderator",
            "user",
            avatar_url=me["avatar_url"],
            is_room_owner=True,
        ),
        "chat": {"groups": []},
    }
    assert same_shape(
        success,
        {
            "message": "join_success",
            "id": success["id"],
            "display_name": "Gus the Guest",
            "role": "guest",
            "tariff": success["tariff"],
            "participants": [olga_view],
            "event_info": None,
            "is_room_owner": False,
            "moderation": {"raise_hands_enabled": True},
            "chat": EMPTY_CHAT,
        },
    ), success
    assert set(success["tariff"]) == {
        "id",
        "name",
        "quotas",
        "enabled_modules",
        "disabled_features",
        "modules",
    }
    joined = await olga.expect("control", "joined")
    assert same_shape(
        joined,
        {
            "message": "joined",
            "id": success["id"],
            "control": control("Gus the Guest", "guest", "guest"),
        },
    ), joined
    await guest.nothing()


async def test_moderators_see_the_waiting_room_in_join_success(api: Api) -> None:
    owner = api.user()
    room = await api.room(owner, waiting_room=True)
    peer = await api.connect((await api.start(owner, room))["ticket"])

    success = await peer.join("Owner")

    assert (success["role"], success["is_room_owner"]) == ("moderator", True)
    assert success["moderation"] == {
        "raise_hands_enabled": True,
        "waiting_room_enabled": True,
        "waiting_room_participants": [],
    }


async def test_registered_user_without_a_name_gets_the_account_name(api: Api) -> None:
    owner = api.user("wilma", nickname="Wilma W.")
    room = await api.room(owner)
    peer = await api.connect((await api.start(owner, room))["ticket"])

    await peer.send("control", action="join")

    assert (await peer.expect("control", "join_success"))["display_name"] == "Wilma W."


async def test_participants_include_those_who_left(api: Api) -> None:
    owner = api.user()
    room = await api.room(owner)
    first = await api.joined_user(owner, room, "First")
    leaver = await guest_peer(api, owner, room)
    await leaver.join("Leaver")
    await first.expect("control", "joined")
    await leaver.close()
    assert (await first.expect("control", "left")) == {
        "message": "left",
        "id": leaver.id,
    }

    late = await guest_peer(api, owner, room)
    success = await late.join("Late")

    by_name = {p["control"]["display_name"]: p for p in success["participants"]}
    assert by_name.keys() == {"First", "Leaver"}
    assert by_name["First"]["control"]["left_at"] is None
    assert str(by_name["Leaver"]["control"]["left_at"]).endswith("Z")


@pytest.mark.parametrize("name", ["", "   ", "é" * 51, None])
async def test_invalid_names_are_invalid_username_and_join_can_be_retried(
    api: Api, name: str | None
) -> None:
    owner = api.user()
    room = await api.room(owner)
    guest = await guest_peer(api, owner, room)

    payload = {} if name is None else {"display_name": name}
    await guest.send("control", action="join", **payload)

    assert await guest.expect("control", "error") == {
        "message": "error",
        "error": "invalid_username",
    }
    await guest.join("é" * 50)


async def test_second_join_is_already_joined(api: Api) -> None:
    owner = api.user()
    room = await api.room(owner)
    peer = await api.joined_user(owner, room, "Owner")

    await peer.send("control", action="join", display_name="Again")

    assert (await peer.expect("control", "error"))["error"] == "already_joined"


async def test_before_join_only_control_and_echo_are_served(api: Api) -> None:
    owner = api.user()
    room = await api.room(owner)
    peer = await api.connect((await api.start(owner, room))["ticket"])

    await peer.send("chat", action="send_message", scope="global", content="hi")
    await peer.send("nope", action="x")
    await peer.send("moderation", action="enable_waiting_room")
    await peer.nothing()
    await peer.connection.send(json.dumps({"namespace": "echo", "payload": [1, "x"]}))
    echoed = await peer.receive()
    assert (echoed["namespace"], echoed["payload"]) == ("echo", [1, "x"])
    await peer.send("control", action="raise_hand")
    assert (await peer.expect("control", "error"))["error"] == "not_yet_joined"
    await peer.send("control", action="enter_room")
    assert (await peer.expect("control", "error"))[
        "error"
    ] == "not_accepted_or_not_in_waiting_room"


@pytest.mark.parametrize(
    "frame",
    [
        "not json",
        "[]",
        json.dumps({"payload": {"action": "join"}}),
        json.dumps({"namespace": "control", "payload": {"action": "dance"}}),
        json.dumps(
            {"namespace": "control", "payload": {"action": "grant_moderator_role"}}
        ),
    ],
)
async def test_unparsable_frames_are_invalid_json(api: Api, frame: str) -> None:
    owner = api.user()
    room = await api.room(owner)
    peer = await api.joined_user(owner, room, "Owner")

    await peer.connection.send(frame)

    assert await peer.expect("control", "error") == {
        "message": "error",
        "error": "invalid_json",
    }


async def test_after_join_unknown_namespaces_are_errors_and_bad_module_payloads_dropped(
    api: Api,
) -> None:
    owner = api.user()
    room = await api.room(owner)
    peer = await api.joined_user(owner, room, "Owner")

    await peer.send("polls", action="start")
    assert (await peer.expect("control", "error"))["error"] == "invalid_namespace"
    await peer.send("chat", action="send_message", scope="private", content="no target")
    await peer.send("moderation", action="kick")
    await peer.nothing()
    # Binary frames carry JSON as well.
    await peer.connection.send(
        json.dumps({"namespace": "echo", "payload": {"ping": 1}}).encode()
    )
    assert (await peer.receive())["payload"] == {"ping": 1}


async def test_hands_go_up_and_down_with_updates_to_the_others(api: Api) -> None:
    _, _, host, guest = await host_and_guest(api, "Guest")

    await guest.send("control", action="raise_hand")
    assert (await guest.expect("control", "hand_raised")) == {"message": "hand_raised"}
    update = await host.expect("control", "update")
    assert (update["id"], update["control"]["hand_is_up"]) == (guest.id, True)

    await guest.send("control", action="lower_hand")
    await guest.expect("control", "hand_lowered")
    update = await host.expect("control", "update")
    assert update["control"]["hand_is_up"] is False
    await guest.nothing()


async def test_disabled_raise_hands_lowers_hands_and_refuses_new_ones(
    api: Api,
) -> None:
    _, _, host, guest = await host_and_guest(api, "Guest")
    await guest.send("control", action="raise_hand")
    await guest.expect("control", "hand_raised")
    await host.expect("control", "update")

    await host.send("moderation", action="disable_raise_hands")

    lowered = await host.expect("control", "update")
    assert (lowered["id"], lowered["control"]["hand_is_up"]) == (guest.id, False)
    for peer in (host, guest):
        disabled = await peer.expect("moderation", "raise_hands_disabled")
        assert disabled == {"message": "raise_hands_disabled", "issued_by": host.id}
    await guest.send("control", action="raise_hand")
    assert (await guest.expect("control", "error"))["error"] == "raise_hands_disabled"

    await host.send("moderation", action="enable_raise_hands")
    await guest.expect("moderation", "raise_hands_enabled")
    await guest.send("control", action="raise_hand")
    await guest.expect("control", "hand_raised")


async def test_moderator_role_grant_and_revoke_with_every_error(api: Api) -> None:
    _, _, host, guest = await host_and_guest(api, "Guest")

    async def command(peer: Peer, action: str, target: str | None) -> None:
        await peer.send("control", action=action, target=target)

    await command(guest, "grant_moderator_role", guest.id)
    assert (await guest.expect("control", "error"))[
        "error"
    ] == "insufficient_permissions"
    await command(host, "grant_moderator_role", host.id)
    assert (await host.expect("control", "error"))["error"] == "nothing_to_do"
    await command(host, "revoke_moderator_role", guest.id)
    assert (await host.expect("control", "error"))["error"] == "nothing_to_do"
    await command(host, "grant_moderator_role", "6a8c8b2e-0a4e-4a4b-9d6b-1f2e3d4c5b6a")
    assert (await host.expect("control", "error"))["error"] == "nothing_to_do"

    await command(host, "grant_moderator_role", guest.id)
    assert await guest.expect("control", "role_updated") == {
        "message": "role_updated",
        "new_role": "moderator",
    }
    update = await host.expect("control", "update")
    assert (update["id"], update["control"]["role"]) == (guest.id, "moderator")

    # The new moderator may not demote the room owner.
    await command(guest, "revoke_moderator_role", host.id)
    assert (await guest.expect("control", "error"))["error"] == "target_is_room_owner"

    await command(host, "revoke_moderator_role", guest.id)
    assert (await guest.expect("control", "role_updated"))["new_role"] == "guest"
    assert (await host.expect("control", "update"))["control"]["role"] == "guest"
    await command(guest, "grant_moderator_role", guest.id)
    assert (await guest.expect("control", "error"))[
        "error"
    ] == "insufficient_permissions"


async def test_role_commands_before_join_are_not_yet_joined(api: Api) -> None:
    owner = api.user()
    room = await api.room(owner)
    peer = await api.connect((await api.start(owner, room))["ticket"])

    await peer.send("control", action="grant_moderator_role", target=str(room))

    assert (await peer.expect("control", "error"))["error"] == "not_yet_joined"


async def test_event_invitees_join_in_the_role_their_invite_gives(api: Api) -> None:
    owner = api.user("owner")
    made_moderator, plain = api.user("mod"), api.user("plain")
    created = await api.http.post(
        "/v1/events",
        json={"title": "Review", "description": "", "is_time_independent": True},
        headers=owner,
    )
    assert created.status_code == 201, created.text
    event = created.json()
    for headers, role in ((made_moderator, "moderator"), (plain, "user")):
        me = (await api.http.get("/v1/users/me", headers=headers)).json()
        invited = await api.http.post(
            f"/v1/events/{event['id']}/invites",
            json={"invitee": me["id"], "role": role},
            headers=owner,
        )
        assert invited.status_code == 201, invited.text
    room_id = event["room"]["id"]

    moderator = await api.connect((await api.start(made_moderator, room_id))["ticket"])
    user = await api.connect((await api.start(plain, room_id))["ticket"])

    assert (await moderator.join("Mo"))["role"] == "moderator"
    assert (await user.join("Pat"))["role"] == "user"


async def test_join_success_names_the_rooms_event(api: Api) -> None:
    owner = api.user("owner")
    created = await api.http.post(
        "/v1/events",
        json={
            "title": "Retro <Q3>",
            "description": "",
            "is_time_independent": True,
            "is_adhoc": True,
        },
        headers=owner,
    )
    assert created.status_code == 201, created.text
    event = created.json()
    plain_room = await api.room(owner)

    in_event_room = await api.connect(
        (await api.start(owner, event["room"]["id"]))["ticket"]
    )
    in_plain_room = await api.connect((await api.start(owner, plain_room))["ticket"])

    assert (await in_event_room.join("Owner"))["event_info"] == {
        "id": event["id"],
        "room_id": event["room"]["id"],
        "title": "Retro <Q3>",
        "is_adhoc": True,
    }
    assert (await in_plain_room.join("Owner"))["event_info"] is None


async def test_join_success_carries_meeting_details_when_the_event_shows_them(
    api: Api,
) -> None:
    """`show_meeting_details`: participants get the guest link and live streams."""
    owner = api.user("owner")
    created = await api.http.post(
        "/v1/events",
        json={
            "title": "Town hall",
            "description": "",
            "is_time_independent": True,
            "show_meeting_details": True,
            "streaming_targets": [
                {
                    "kind": "custom",
                    "name": "Owncast",
                    "streaming_endpoint": "rtmp://ingest.example.com/live",
                    "streaming_key": "secret-key",
                    "public_url": "https://watch.example.com/townhall",
                }
            ],
        },
        headers=owner,
    )
    assert created.status_code == 201, created.text
    room_id = created.json()["room"]["id"]
    code = await api.http.post(f"/v1/rooms/{room_id}/invites", json={}, headers=owner)
    joined = await (
        await api.connect((await api.start(owner, room_id))["ticket"])
    ).join("Owner")
    assert joined["event_info"] == {
        "id": created.json()["id"],
        "room_id": room_id,
        "title": "Town hall",
        "is_adhoc": False,
        "meeting_details": {
            "invite_code_id": code.json()["invite_code"],
            "streaming_links": [
                {"name": "Owncast", "url": "https://watch.example.com/townhall"}
            ],
        },
    }
