"""Deleting a room over REST ends its meeting: `room_deleted` to everyone, then 1000."""

from __future__ import annotations

from tests.ws.live import Api
from tests.ws.test_moderation import waiting_guest


async def test_deleting_the_room_tells_joined_and_waiting_participants(
    api: Api,
) -> None:
    owner = api.user("owner")
    room = await api.room(owner, waiting_room=True)
    host = await api.joined_user(owner, room, "Host")
    guest = await waiting_guest(api, owner, room, "Gina")
    await host.expect("moderation", "joined_waiting_room")

    deleted = await api.http.delete(f"/v1/rooms/{room}", headers=owner)

    assert deleted.status_code == 204
    for peer in (host, guest):
        assert await peer.expect("control", "room_deleted") == {
            "message": "room_deleted"
        }
        assert await peer.closed() == 1000


async def test_deleting_an_event_ends_the_meeting_in_its_room(api: Api) -> None:
    owner = api.user("owner")
    created = await api.http.post(
        "/v1/events",
        json={"title": "Standup", "description": "", "is_time_independent": True},
        headers=owner,
    )
    assert created.status_code == 201, created.text
    event = created.json()
    host = await api.joined_user(owner, event["room"]["id"], "Host")

    deleted = await api.http.delete(f"/v1/events/{event['id']}", headers=owner)

    assert deleted.status_code == 204
    assert (await host.expect("control", "room_deleted"))["message"] == "room_deleted"
    assert await host.closed() == 1000


async def test_other_rooms_and_refused_deletions_announce_nothing(api: Api) -> None:
    owner, stranger = api.user("owner"), api.user("stranger")
    room, other_room = await api.room(owner), await api.room(owner)
    host = await api.joined_user(owner, room, "Host")
    elsewhere = await api.joined_user(owner, other_room, "Elsewhere")

    refused = await api.http.delete(f"/v1/rooms/{room}", headers=stranger)
    deleted = await api.http.delete(f"/v1/rooms/{other_room}", headers=owner)

    assert refused.status_code == 403
    assert deleted.status_code == 204
    assert (await elsewhere.expect("control", "room_deleted"))["message"] == (
        "room_deleted"
    )
    await host.nothing()
