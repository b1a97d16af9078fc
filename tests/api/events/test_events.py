"""Events: create, read, patch, delete, validation, permissions, the room's event."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.api.events.helpers import (
    create_event,
    dt,
    event_body,
    invite,
    me,
    public,
)
from tests.oidc_issuer import TestIssuer


@pytest.fixture
def carol(oidc_issuer: TestIssuer) -> dict[str, str]:
    return oidc_issuer.headers("carol@example.com", given_name="Carol")


async def test_create_event_returns_spec_shape(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    profile = public(await me(client, alice))
    event = await create_event(
        client,
        alice,
        body=event_body(
            pattern=["RRULE:FREQ=WEEKLY;COUNT=3"], password="secret", waiting_room=True
        ),
    )
    assert event == {
        "id": event["id"],
        "created_by": profile,
        "created_at": event["created_at"],
        "updated_by": profile,
        "updated_at": event["created_at"],
        "title": "Planning",
        "description": "Quarterly planning",
        "room": {"id": event["room"]["id"], "password": "secret", "waiting_room": True},
        "invitees_truncated": True,
        "invitees": [],
        "is_time_independent": False,
        "is_all_day": False,
        "streaming_targets": [],
        "starts_at": dt("2030-01-07T08:00:00Z"),
        "ends_at": dt("2030-01-07T09:00:00Z"),
        "recurrence_pattern": ["RRULE:FREQ=WEEKLY;COUNT=3"],
        "is_adhoc": False,
        "type": "recurring",
        "status": "ok",
        "invite_status": "accepted",
        "is_favorite": False,
        "can_edit": True,
        "show_meeting_details": False,
    }
    fetched = await client.get(f"/v1/events/{event['id']}", headers=alice)
    assert fetched.status_code == 200
    assert fetched.json() == event
    room = await client.get(f"/v1/rooms/{event['room']['id']}", headers=alice)
    assert room.status_code == 200
    assert room.json()["password"] == "secret"


async def test_time_independent_event_has_no_times(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    event = await create_event(client, alice, start=None, end=None, is_adhoc=True)
    assert event["is_time_independent"] is True
    assert event["type"] == "single"
    assert event["is_adhoc"] is True
    for absent in ("is_all_day", "starts_at", "ends_at", "recurrence_pattern"):
        assert absent not in event
    assert event["room"] == {"id": event["room"]["id"], "waiting_room": False}


async def test_all_day_event_keeps_dates(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    event = await create_event(
        client,
        alice,
        start="2030-01-07T00:00:00Z",
        end="2030-01-08T00:00:00Z",
        all_day=True,
    )
    assert (event["is_all_day"], event["type"]) == (True, "single")
    assert event["starts_at"] == dt("2030-01-07T00:00:00Z")


def _with(**changes: Any) -> dict[str, Any]:
    body = event_body()
    for key, value in changes.items():
        if value is _DROP:
            body.pop(key)
        else:
            body[key] = value
    return body


_DROP = object()
_TARGET = {
    "name": "Broadcast",
    "kind": "custom",
    "streaming_endpoint": "rtmp://ingest.example.org/live",
    "streaming_key": "k3y",
    "public_url": "https://watch.example.org/",
}


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        (_with(title="x" * 256), "title", "invalid_length"),
        (_with(description="x" * 4097), "description", "invalid_length"),
        (_with(password=""), "password", "invalid_length"),
        (_with(password="x" * 256), "password", "invalid_length"),
        (
            _with(recurrence_pattern=["RRULE:FREQ=DAILY"] * 5),
            "recurrence_pattern",
            "invalid_length",
        ),
        (
            _with(recurrence_pattern=["RRULE:FREQ=DAILY;" + "X" * 1020]),
            "recurrence_pattern.0",
            "invalid_length",
        ),
        (_with(title=_DROP), "title", "value_required"),
        (_with(description=_DROP), "description", "value_required"),
        (_with(is_time_independent=_DROP), "is_time_independent", "value_required"),
        (_with(title=5), "title", "invalid_value"),
        (_with(is_adhoc="yes"), "is_adhoc", "invalid_value"),
        (
            _with(starts_at={"datetime": "2030-01-07T08:00:00", "timezone": "UTC"}),
            "starts_at.datetime",
            "invalid_value",
        ),
        (
            _with(starts_at={"datetime": 1_900_000_000, "timezone": "UTC"}),
            "starts_at.datetime",
            "invalid_value",
        ),
        (
            _with(starts_at=dt("2030-01-07T08:00:00Z", "Mars/Olympus")),
            "starts_at.timezone",
            "invalid_value",
        ),
        (
            _with(starts_at={"datetime": "2030-01-07T08:00:00Z"}),
            "starts_at.timezone",
            "value_required",
        ),
        (
            _with(streaming_targets=[{**_TARGET, "streaming_endpoint": "ftp://e"}]),
            "streaming_targets.0.streaming_endpoint",
            "invalid_url",
        ),
        (
            _with(streaming_targets=[{**_TARGET, "public_url": "/watch"}]),
            "streaming_targets.0.public_url",
            "invalid_url",
        ),
        (
            _with(streaming_targets=[{**_TARGET, "kind": "youtube"}]),
            "streaming_targets.0.kind",
            "invalid_value",
        ),
        (
            _with(streaming_targets=[_TARGET] * 33),
            "streaming_targets",
            "invalid_length",
        ),
    ],
)
async def test_create_rejects_invalid_fields(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    body: dict[str, Any],
    field: str,
    code: str,
) -> None:
    response = await client.post("/v1/events", json=body, headers=alice)
    assert response.status_code == 422, response.text
    payload = response.json()
    assert payload["code"] == "validation_failed"
    assert [(e.get("field"), e["code"]) for e in payload["errors"]] == [(field, code)]
    listed = await client.get("/v1/events", headers=alice)
    assert listed.json() == []


@pytest.mark.parametrize(
    ("body", "status", "code", "message_part"),
    [
        (
            event_body(None, None, is_all_day=False),
            400,
            "bad_request",
            "must not have is_all_day",
        ),
        (
            {**event_body(None, None), "starts_at": dt("2030-01-07T08:00:00Z")},
            400,
            "bad_request",
            "must not have starts_at",
        ),
        (
            {**event_body(None, None), "recurrence_pattern": ["RRULE:FREQ=DAILY"]},
            400,
            "bad_request",
            "recurrence_pattern",
        ),
        (_with(ends_at=_DROP), 400, "bad_request", "needs ends_at"),
        (_with(is_all_day=_DROP), 400, "bad_request", "needs is_all_day"),
        (
            event_body("2030-01-07T09:00:00Z", "2030-01-07T08:00:00Z"),
            422,
            "invalid_event",
            "ends_at must not be before starts_at",
        ),
        (
            event_body("2030-01-07T08:00:00Z", "2030-01-08T00:00:00Z", all_day=True),
            422,
            "invalid_event",
            "zero time part",
        ),
        (
            event_body("2030-01-07T08:00:00.5Z", "2030-01-07T09:00:00Z"),
            422,
            "invalid_event",
            "whole second",
        ),
        (
            event_body(pattern=["RRULE:FREQ=HOURLY"]),
            422,
            "invalid_event",
            "HOURLY",
        ),
        (
            event_body(pattern=["RRULE:FREQ=SECONDLY"]),
            422,
            "invalid_event",
            "SECONDLY",
        ),
        (
            event_body(pattern=["RRULE:FREQ=DAILY;COUNT=2;UNTIL=20300201T000000Z"]),
            422,
            "invalid_event",
            "COUNT",
        ),
        (
            event_body(pattern=["DTSTART:20300107T080000Z"]),
            422,
            "invalid_event",
            "DTSTART",
        ),
        (
            event_body(pattern=["RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"]),
            422,
            "invalid_event",
            "matches no date",
        ),
        (
            event_body(pattern=["RRULE:FREQ=DAILY;COUNT=1", "EXDATE:20300107T080000Z"]),
            422,
            "invalid_event",
            "no occurrence",
        ),
    ],
)
async def test_create_rejects_invalid_times(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    body: dict[str, Any],
    status: int,
    code: str,
    message_part: str,
) -> None:
    response = await client.post("/v1/events", json=body, headers=alice)
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert message_part in response.json()["message"]
    assert (await client.get("/v1/events", headers=alice)).json() == []


async def test_malformed_json_is_400(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    response = await client.post(
        "/v1/events",
        content=b"{",
        headers={**alice, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_json"


async def test_read_permissions(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    bob: dict[str, str],
    carol: dict[str, str],
) -> None:
    event = await create_event(client, alice)
    bob_profile = await me(client, bob)
    await me(client, carol)
    await invite(client, alice, event["id"], {"invitee": bob_profile["id"]})
    url = f"/v1/events/{event['id']}"
    as_bob = await client.get(url, headers=bob)
    assert as_bob.status_code == 200
    assert (as_bob.json()["invite_status"], as_bob.json()["can_edit"]) == (
        "pending",
        False,
    )
    as_carol = await client.get(url, headers=carol)
    assert as_carol.status_code == 403
    assert as_carol.json()["code"] == "forbidden"
    assert (await client.get(url)).status_code == 401
    missing = await client.get(f"/v1/events/{uuid.uuid4()}", headers=alice)
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    bad_id = await client.get("/v1/events/not-a-uuid", headers=alice)
    assert (bad_id.status_code, bad_id.json()["code"]) == (400, "bad_request")


async def test_patch_changes_fields_and_room(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    event = await create_event(client, alice, body=event_body(password="old"))
    url = f"/v1/events/{event['id']}"
    response = await client.patch(
        url,
        json={
            "title": "Retro",
            "waiting_room": True,
            "password": None,
            "is_adhoc": True,
            "ends_at": dt("2030-01-07T10:00:00Z", "UTC"),
        },
        headers=alice,
    )
    assert response.status_code == 200, response.text
    patched = response.json()
    assert patched["title"] == "Retro"
    assert patched["room"] == {"id": event["room"]["id"], "waiting_room": True}
    assert patched["is_adhoc"] is True
    assert patched["ends_at"] == dt("2030-01-07T10:00:00Z", "UTC")
    assert patched["starts_at"] == event["starts_at"]
    assert patched["updated_at"] >= event["updated_at"]
    assert (await client.get(url, headers=alice)).json() == patched


async def test_empty_patch_is_204_and_changes_nothing(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    event = await create_event(client, alice)
    url = f"/v1/events/{event['id']}"
    response = await client.patch(url, json={}, headers=alice)
    assert response.status_code == 204
    assert response.content == b""
    assert (await client.get(url, headers=alice)).json() == event


async def test_patch_to_time_independent_and_back(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    event = await create_event(client, alice, pattern=["RRULE:FREQ=DAILY"])
    url = f"/v1/events/{event['id']}"
    untimed = await client.patch(url, json={"is_time_independent": True}, headers=alice)
    assert untimed.status_code == 200, untimed.text
    assert untimed.json()["is_time_independent"] is True
    assert "starts_at" not in untimed.json()
    assert "recurrence_pattern" not in untimed.json()
    missing = await client.patch(
        url, json={"is_time_independent": False}, headers=alice
    )
    assert (missing.status_code, missing.json()["code"]) == (400, "bad_request")
    timed = await client.patch(
        url,
        json={
            "is_time_independent": False,
            "is_all_day": False,
            "starts_at": dt("2030-02-01T08:00:00Z"),
            "ends_at": dt("2030-02-01T09:00:00Z"),
        },
        headers=alice,
    )
    assert timed.status_code == 200, timed.text
    assert timed.json()["type"] == "single"


@pytest.mark.parametrize(
    ("patch", "status", "code"),
    [
        ({"ends_at": dt("2030-01-07T07:00:00Z")}, 422, "invalid_event"),
        ({"is_all_day": True}, 422, "invalid_event"),
        ({"recurrence_pattern": ["RRULE:FREQ=MINUTELY"]}, 422, "invalid_event"),
        (
            {"starts_at": dt("2030-01-07T07:00:00Z", "Nowhere/City")},
            422,
            "validation_failed",
        ),
        ({"title": "x" * 256}, 422, "validation_failed"),
        ({"password": ""}, 422, "validation_failed"),
        (
            {"starts_at": dt("2030-01-07T07:00:00Z"), "is_time_independent": True},
            400,
            "bad_request",
        ),
    ],
)
async def test_patch_rejects_invalid_changes(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    patch: dict[str, Any],
    status: int,
    code: str,
) -> None:
    event = await create_event(client, alice)
    url = f"/v1/events/{event['id']}"
    response = await client.patch(url, json=patch, headers=alice)
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert (await client.get(url, headers=alice)).json() == event


async def test_only_the_creator_may_change_or_delete(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    bob: dict[str, str],
    carol: dict[str, str],
) -> None:
    event = await create_event(client, alice)
    bob_id = (await me(client, bob))["id"]
    await me(client, carol)
    await invite(client, alice, event["id"], {"invitee": bob_id, "role": "moderator"})
    url = f"/v1/events/{event['id']}"
    for headers in (bob, carol):
        patched = await client.patch(url, json={"title": "Mine"}, headers=headers)
        assert (patched.status_code, patched.json()["code"]) == (403, "forbidden")
        deleted = await client.delete(url, headers=headers)
        assert deleted.status_code == 403
    assert (await client.get(url, headers=alice)).json()["title"] == "Planning"
    unknown = await client.delete(f"/v1/events/{uuid.uuid4()}", headers=alice)
    assert unknown.status_code == 404


async def test_delete_removes_event_and_room(
    client: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    event = await create_event(client, alice)
    bob_id = (await me(client, bob))["id"]
    await invite(client, alice, event["id"], {"invitee": bob_id})
    response = await client.delete(
        f"/v1/events/{event['id']}",
        params={"suppress_email_notification": "true"},
        headers=alice,
    )
    assert response.status_code == 204
    assert (
        await client.get(f"/v1/events/{event['id']}", headers=alice)
    ).status_code == 404
    room = await client.get(f"/v1/rooms/{event['room']['id']}", headers=alice)
    assert room.status_code == 404
    pending = await client.get("/v1/users/me/pending_invites", headers=bob)
    assert pending.json() == {"total_pending_invites": 0}


async def test_room_event_and_invitee_room_access(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    bob: dict[str, str],
    carol: dict[str, str],
) -> None:
    event = await create_event(client, alice, body=event_body(is_adhoc=True))
    room_id = event["room"]["id"]
    bob_id = (await me(client, bob))["id"]
    await me(client, carol)
    info = {
        "id": event["id"],
        "room_id": room_id,
        "title": "Planning",
        "is_adhoc": True,
    }
    url = f"/v1/rooms/{room_id}/event"
    assert (await client.get(url, headers=alice)).json() == info
    assert (await client.get(f"/v1/rooms/{room_id}", headers=bob)).status_code == 403
    assert (await client.get(url, headers=bob)).status_code == 403
    await invite(client, alice, event["id"], {"invitee": bob_id})
    assert (await client.get(url, headers=bob)).json() == info
    assert (await client.get(f"/v1/rooms/{room_id}", headers=bob)).status_code == 200
    assert (await client.get(url, headers=carol)).status_code == 403
    assert (await client.get(url)).status_code == 401

    code = (
        await client.post(f"/v1/rooms/{room_id}/invites", json={}, headers=alice)
    ).json()
    guest = {"Authorization": f"Bearer {code['invite_code']}"}
    assert (await client.get(url, headers=guest)).json() == info
    other_room = (await client.post("/v1/rooms", json={}, headers=alice)).json()
    wrong = await client.get(f"/v1/rooms/{other_room['id']}/event", headers=guest)
    assert wrong.status_code == 403
    unknown = {"Authorization": f"Bearer {uuid.uuid4()}"}
    assert (await client.get(url, headers=unknown)).status_code == 401
    no_event = await client.get(f"/v1/rooms/{other_room['id']}/event", headers=alice)
    assert (no_event.status_code, no_event.json()["code"]) == (404, "not_found")


async def test_deleting_the_room_deletes_the_event(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    event = await create_event(client, alice)
    response = await client.delete(f"/v1/rooms/{event['room']['id']}", headers=alice)
    assert response.status_code == 204
    assert (
        await client.get(f"/v1/events/{event['id']}", headers=alice)
    ).status_code == 404
