"""The OpenTalk web app's event requests, byte for byte what it sends.

The bodies are what `createPayload` (app/src/components/MeetingForms/utils/
payloadUtils.ts) builds from the meeting form and `snakeCaseKeys` sends: the
form's defaults (waiting room on, meeting details shown, direct guest access)
and fields of newer controllers Parley does not know (`e2e_encryption`,
`guest_access`, `training_participation_report`), which are ignored.
"""

from __future__ import annotations

from typing import Any

import httpx

# A new timed meeting with the form's defaults: no recurrence, no streaming, no
# password (the app sends null), training report off (undefined: not sent).
WEB_APP_NEW_MEETING: dict[str, Any] = {
    "title": "Weekly sync",
    "description": "",
    "waiting_room": True,
    "show_meeting_details": True,
    "password": None,
    "is_time_independent": False,
    "is_adhoc": False,
    "has_shared_folder": False,
    "streaming_targets": [],
    "e2e_encryption": False,
    "guest_access": "direct_access",
    "starts_at": {"datetime": "2030-01-07T08:00:00.000Z", "timezone": "Europe/Berlin"},
    "ends_at": {"datetime": "2030-01-07T08:30:00.000Z", "timezone": "Europe/Berlin"},
    "is_all_day": False,
}

# Every switch of the form on: biweekly, a live stream, a password, the training
# participation report with its default checkpoints.
WEB_APP_FULL_MEETING: dict[str, Any] = {
    "title": "Town hall",
    "description": "Quarterly numbers",
    "waiting_room": False,
    "show_meeting_details": True,
    "password": "s3cret",
    "is_time_independent": False,
    "recurrence_pattern": ["RRULE:FREQ=WEEKLY;INTERVAL=2"],
    "is_adhoc": False,
    "has_shared_folder": False,
    "streaming_targets": [
        {
            "kind": "custom",
            "name": "Owncast",
            "streaming_endpoint": "rtmp://ingest.example.com/live",
            "streaming_key": "aabbccddeeff",
            "public_url": "https://watch.example.com/townhall",
        }
    ],
    "e2e_encryption": False,
    "training_participation_report": {
        "initial_checkpoint_delay": {"after": 600, "within": 1200},
        "checkpoint_interval": {"after": 6300, "within": 1800},
    },
    "guest_access": "waiting_room",
    "starts_at": {"datetime": "2030-01-07T09:00:00.000Z", "timezone": "Europe/Berlin"},
    "ends_at": {"datetime": "2030-01-07T10:00:00.000Z", "timezone": "Europe/Berlin"},
    "is_all_day": False,
}

# The edit form's PATCH (UpdateEventPayload): the switch turned off.
WEB_APP_EDIT: dict[str, Any] = {
    "title": "Weekly sync",
    "description": "",
    "waiting_room": True,
    "show_meeting_details": False,
    "password": None,
    "is_time_independent": False,
    "is_adhoc": False,
    "has_shared_folder": False,
    "streaming_targets": [],
    "e2e_encryption": False,
    "guest_access": "direct_access",
    "starts_at": {"datetime": "2030-01-07T08:00:00.000Z", "timezone": "Europe/Berlin"},
    "ends_at": {"datetime": "2030-01-07T08:30:00.000Z", "timezone": "Europe/Berlin"},
    "is_all_day": False,
}


async def test_the_web_apps_new_meeting_is_created_as_it_asked(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    created = await client.post("/v1/events", json=WEB_APP_NEW_MEETING, headers=alice)
    assert created.status_code == 201, created.text
    event = created.json()
    assert {
        key: event.get(key)
        for key in (
            "title",
            "description",
            "is_time_independent",
            "is_all_day",
            "is_adhoc",
            "type",
            "starts_at",
            "ends_at",
            "show_meeting_details",
            "streaming_targets",
        )
    } == {
        "title": "Weekly sync",
        "description": "",
        "is_time_independent": False,
        "is_all_day": False,
        "is_adhoc": False,
        "type": "single",
        "starts_at": {"datetime": "2030-01-07T08:00:00Z", "timezone": "Europe/Berlin"},
        "ends_at": {"datetime": "2030-01-07T08:30:00Z", "timezone": "Europe/Berlin"},
        "show_meeting_details": True,
        "streaming_targets": [],
    }
    assert event["room"] == {"id": event["room"]["id"], "waiting_room": True}
    assert "e2e_encryption" not in event
    assert "guest_access" not in event
    fetched = await client.get(f"/v1/events/{event['id']}", headers=alice)
    assert fetched.json() == event


async def test_meeting_details_follow_the_switch(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    created = await client.post("/v1/events", json=WEB_APP_FULL_MEETING, headers=alice)
    assert created.status_code == 201, created.text
    event = created.json()
    assert (event["type"], event["recurrence_pattern"]) == (
        "recurring",
        ["RRULE:FREQ=WEEKLY;INTERVAL=2"],
    )
    assert event["room"]["password"] == "s3cret"
    room_id = event["room"]["id"]
    info_url = f"/v1/rooms/{room_id}/event"
    # No invite code yet: the details have the stream, and no guest link.
    shown = await client.get(info_url, headers=alice)
    assert shown.json() == {
        "id": event["id"],
        "room_id": room_id,
        "title": "Town hall",
        "is_adhoc": False,
        "meeting_details": {
            "streaming_links": [
                {"name": "Owncast", "url": "https://watch.example.com/townhall"}
            ],
        },
    }
    # An expired and a deactivated code are never shown; the oldest usable one is.
    expired = await client.post(
        f"/v1/rooms/{room_id}/invites",
        json={"expiration": "2020-01-01T00:00:00Z"},
        headers=alice,
    )
    assert expired.status_code == 200, expired.text
    revoked = (
        await client.post(f"/v1/rooms/{room_id}/invites", json={}, headers=alice)
    ).json()["invite_code"]
    await client.delete(f"/v1/rooms/{room_id}/invites/{revoked}", headers=alice)
    usable = (
        await client.post(f"/v1/rooms/{room_id}/invites", json={}, headers=alice)
    ).json()["invite_code"]
    await client.post(f"/v1/rooms/{room_id}/invites", json={}, headers=alice)
    details = (await client.get(info_url, headers=alice)).json()["meeting_details"]
    assert details["invite_code_id"] == usable
    # A guest in the lobby reads the same with its invite code.
    as_guest = await client.get(
        info_url, headers={"Authorization": f"InviteCode {usable}"}
    )
    assert as_guest.json()["meeting_details"] == details

    # The edit form turns the switch off: the resource says so, the details go.
    patched = await client.patch(
        f"/v1/events/{event['id']}", json=WEB_APP_EDIT, headers=alice
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["show_meeting_details"] is False
    hidden = await client.get(info_url, headers=alice)
    assert hidden.json() == {
        "id": event["id"],
        "room_id": room_id,
        "title": "Weekly sync",
        "is_adhoc": False,
    }
    # Only the switch, on again.
    again = await client.patch(
        f"/v1/events/{event['id']}", json={"show_meeting_details": True}, headers=alice
    )
    assert again.json()["show_meeting_details"] is True
    assert "meeting_details" in (await client.get(info_url, headers=alice)).json()


async def test_the_switch_is_off_when_a_client_does_not_send_it(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    """Clients of older controllers omit it: false, as the controller's default."""
    body = {
        key: value
        for key, value in WEB_APP_NEW_MEETING.items()
        if key != "show_meeting_details"
    }
    created = await client.post("/v1/events", json=body, headers=alice)
    assert created.json()["show_meeting_details"] is False
    info = await client.get(
        f"/v1/rooms/{created.json()['room']['id']}/event", headers=alice
    )
    assert "meeting_details" not in info.json()


async def test_the_switch_keeps_strict_types(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    for value in ("yes", 1, None):
        response = await client.post(
            "/v1/events",
            json={**WEB_APP_NEW_MEETING, "show_meeting_details": value},
            headers=alice,
        )
        assert response.status_code == 422, (value, response.text)
        assert response.json()["errors"][0]["field"] == "show_meeting_details"
