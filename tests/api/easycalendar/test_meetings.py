"""EasyCalendar's meetings API: every sample request of the document, verbatim, and
meetings as events in /v1/events (and the reverse)."""

from __future__ import annotations

import re
from typing import Any

import httpx

from parley.db import Database
from tests.api.easycalendar.helpers import (
    API,
    CREATE_SAMPLE,
    FORM,
    LIST_SAMPLE,
    SAMPLE_OBJECT,
    UPDATE_SAMPLE,
    easycalendar_headers,
)

ZULU = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
ATTENDEES = [
    "lakshya@easycalendar.com",
    "kartikay@easycalendar.com",
    "arunav@easycalendar.com",
    "testjim@hotmail.com",
]


async def post_raw(
    client: httpx.AsyncClient, path: str, body: str, headers: dict[str, str]
) -> httpx.Response:
    """What `curl -X POST --data '<body>'` sends: the text, labelled as a form."""
    return await client.post(
        API + path, content=body.encode(), headers={**headers, "Content-Type": FORM}
    )


async def create(
    client: httpx.AsyncClient, headers: dict[str, str], body: str = CREATE_SAMPLE
) -> dict[str, Any]:
    response = await post_raw(client, "/meetings/new", body, headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def event_of(
    client: httpx.AsyncClient, user: dict[str, str], title: str
) -> dict[str, Any]:
    events = await client.get("/v1/events", headers=user)
    assert events.status_code == 200, events.text
    (event,) = [e for e in events.json() if e["title"] == title]
    return dict(event)


async def test_create_sample_request_makes_an_event_with_email_invitees(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    headers = await easycalendar_headers(client, database, alice)

    created = await create(client, headers)

    assert set(created) == {"status", "meeting_id", "created_at", "message"}
    assert created["status"] == "success"
    assert created["message"] == "Meeting created"
    assert created["meeting_id"].isdigit()
    assert ZULU.fullmatch(created["created_at"])
    event = await event_of(client, alice, "Meeting with James and Lakshya")
    assert event["description"] == "Discuss invoice status of customers"
    assert event["starts_at"] == {
        "datetime": "2020-11-18T09:15:00Z",
        "timezone": "UTC",
    }
    assert event["ends_at"]["datetime"] == "2020-11-18T10:16:10Z"
    invitees = await client.get(f"/v1/events/{event['id']}/invites", headers=alice)
    emails = [i["profile"]["email"] for i in invitees.json()]
    assert sorted(emails) == sorted(["james.harden@gmail.com", *ATTENDEES])
    assert {i["profile"]["kind"] for i in invitees.json()} == {"email"}


async def test_sample_object_with_its_missing_brace_is_created_too(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    headers = await easycalendar_headers(client, database, alice)

    created = await create(client, headers, SAMPLE_OBJECT)

    got = await client.get(
        f"{API}/meetings/get/{created['meeting_id']}", headers=headers
    )
    data = got.json()["data"]
    assert data["attendees"] == [
        "lakshya@easycalendar.com",
        "kartikay@hotmail.com",
        "arunav@gmail.com",
    ]
    assert data["google_calendar"] == "help@easycalendar.com"
    assert data["google_calendar_log"] is True


async def test_update_sample_request_changes_the_event_and_replaces_attendees(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    headers = await easycalendar_headers(client, database, alice)
    body = CREATE_SAMPLE.replace('"3":"testjim@hotmail.com"', '"3":"old@example.com"')
    meeting_id = (await create(client, headers, body))["meeting_id"]

    response = await client.patch(
        f"{API}/meetings/update/{meeting_id}",
        content=UPDATE_SAMPLE.encode(),
        headers={**headers, "Content-Type": FORM},
    )

    assert response.status_code == 200, response.text
    updated = response.json()
    assert set(updated) == {"status", "meeting_id", "updated_at", "message"}
    assert (updated["status"], updated["meeting_id"], updated["message"]) == (
        "success",
        meeting_id,
        "Meeting details updated",
    )
    assert ZULU.fullmatch(updated["updated_at"])
    data = (
        await client.get(f"{API}/meetings/get/{meeting_id}", headers=headers)
    ).json()["data"]
    assert data["client_fname"] == "Jimmy"
    assert sorted(data["attendees"]) == sorted(ATTENDEES)
    assert "old@example.com" not in data["attendees"]
    event = await event_of(client, alice, "Meeting with James and Lakshya")
    invitees = await client.get(f"/v1/events/{event['id']}/invites", headers=alice)
    assert "old@example.com" not in [i["profile"]["email"] for i in invitees.json()]


async def test_get_sample_request_answers_the_documented_shape(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    headers = await easycalendar_headers(client, database, alice)
    meeting_id = (await create(client, headers))["meeting_id"]

    response = await client.get(f"{API}/meetings/get/{meeting_id}", headers=headers)

    assert response.status_code == 200, response.text
    found = response.json()
    assert (found["status"], found["meeting_id"], found["message"]) == (
        "success",
        meeting_id,
        "Meeting details found",
    )
    data = found["data"]
    assert {
        "meeting_title",
        "client_fname",
        "client_lname",
        "client_email",
        "description",
        "attendees",
        "created_at",
        "meeting_type",
        "client_starttime",
        "client_endtime",
        "user_startime",
        "user_endtime",
        "meeting_timezone",
        "google_calendar",
    } <= set(data)
    assert data["meeting_title"] == "Meeting with James and Lakshya"
    assert (data["client_fname"], data["client_lname"], data["client_email"]) == (
        "James",
        "harden",
        "james.harden@gmail.com",
    )
    assert data["attendees"] == ATTENDEES
    assert data["meeting_type"] == 0
    assert (data["client_starttime"], data["client_endtime"]) == (
        "2020-11-18T09:15:00Z",
        "2020-11-18T10:16:10Z",
    )
    assert (data["user_startime"], data["user_endtime"]) == (
        "2020-11-18 09:15:00",
        "2020-11-18 10:16:10",
    )
    assert data["meeting_timezone"] == "UTC"
    assert data["google_calendar"] == "test@easycalendar.com"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", data["created_at"])


async def test_list_sample_request_with_its_json_body_on_the_get(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    headers = await easycalendar_headers(client, database, alice)
    on_the_19th = CREATE_SAMPLE.replace("2020-11-18T09:15:00Z", "2020-11-19T16:59:00Z")
    on_the_19th = on_the_19th.replace("2020-11-18T10:16:10Z", "2020-11-19T23:00:00Z")
    await create(client, headers)  # the 18th: outside the window
    first = (await create(client, headers, on_the_19th))["meeting_id"]
    second = (await create(client, headers, on_the_19th))["meeting_id"]
    third = (await create(client, headers, on_the_19th))["meeting_id"]
    body = LIST_SAMPLE.replace("2469", first)

    response = await client.request(
        "GET", f"{API}/meetings/list", content=body.encode(), headers=headers
    )

    assert response.status_code == 200, response.text
    listed = response.json()
    assert set(listed) == {"status", "total", "data", "pagination"}
    assert listed["status"] == "success"
    assert listed["total"] == 3
    assert [m["meeting_id"] for m in listed["data"]] == [first, second]
    assert listed["pagination"] == {"next_meeting_id": int(third)}
    item = listed["data"][0]
    assert set(item) >= {
        "meeting_id",
        "clientemail",
        "user_startime",
        "user_endtime",
        "client_fname",
        "client_lname",
        "description",
        "meeting_title",
        "attendees",
        "meeting_timezone",
        "meeting_type",
        "created_at",
        "client_starttime",
        "client_endtime",
        "google_calendar",
    }
    assert item["clientemail"] == "james.harden@gmail.com"
    assert item["client_starttime"] == "2020-11-19T16:59:00Z"
    assert item["user_startime"] == "2020-11-19 16:59:00"
    assert item["attendees"] == ATTENDEES

    last = await client.get(
        f"{API}/meetings/list",
        params={"start": third, "limit": "2", "starttime": "2020-11-19T07:15:00Z"},
        headers=headers,
    )
    assert [m["meeting_id"] for m in last.json()["data"]] == [third]
    assert last.json()["pagination"] == {"next_meeting_id": 0}


async def test_list_defaults_and_only_the_owners_meetings(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    bob: dict[str, str],
    database: Database,
) -> None:
    alice_key = await easycalendar_headers(client, database, alice)
    bob_key = await easycalendar_headers(client, database, bob)
    mine = [(await create(client, alice_key))["meeting_id"] for _ in range(12)]
    await create(client, bob_key)

    page = (await client.get(f"{API}/meetings/list", headers=alice_key)).json()

    assert page["total"] == 12
    assert [m["meeting_id"] for m in page["data"]] == mine[:10]
    assert page["pagination"]["next_meeting_id"] == int(mine[10])
    bobs = (await client.get(f"{API}/meetings/list", headers=bob_key)).json()
    assert bobs["total"] == 1
    assert (
        await client.get(f"{API}/meetings/get/{mine[0]}", headers=bob_key)
    ).status_code == 404


async def test_delete_sample_request_deletes_the_event(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    headers = await easycalendar_headers(client, database, alice)
    meeting_id = (await create(client, headers))["meeting_id"]
    event = await event_of(client, alice, "Meeting with James and Lakshya")

    response = await client.delete(
        f"{API}/meetings/delete/{meeting_id}", headers=headers
    )

    assert response.status_code == 200, response.text
    assert response.json() == {
        "status": "success",
        "meeting_id": meeting_id,
        "message": "Meeting deleted",
    }
    assert (
        await client.get(f"/v1/events/{event['id']}", headers=alice)
    ).status_code == 404
    gone = await client.get(f"{API}/meetings/get/{meeting_id}", headers=headers)
    assert gone.status_code == 404
    assert gone.json() == {"status": "error", "message": "Meeting not found"}


async def test_an_event_made_through_v1_is_a_meeting_with_a_stable_number(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    headers = await easycalendar_headers(client, database, alice)
    made = await client.post(
        "/v1/events",
        json={
            "title": "Planning",
            "description": "Q3",
            "is_time_independent": False,
            "is_all_day": False,
            "starts_at": {
                "datetime": "2030-01-07T08:00:00Z",
                "timezone": "Europe/Berlin",
            },
            "ends_at": {
                "datetime": "2030-01-07T09:00:00Z",
                "timezone": "Europe/Berlin",
            },
        },
        headers=alice,
    )
    assert made.status_code == 201, made.text

    listed = (await client.get(f"{API}/meetings/list", headers=headers)).json()
    (meeting,) = listed["data"]
    again = (await client.get(f"{API}/meetings/list", headers=headers)).json()

    assert again["data"][0]["meeting_id"] == meeting["meeting_id"]
    assert meeting["meeting_title"] == "Planning"
    assert meeting["meeting_timezone"] == "Europe/Berlin"
    assert meeting["client_starttime"] == "2030-01-07T08:00:00Z"
    assert meeting["user_startime"] == "2030-01-07 09:00:00"
    assert (meeting["clientemail"], meeting["client_fname"]) == (None, None)
    renamed = await client.patch(
        f"{API}/meetings/update/{meeting['meeting_id']}",
        json={"title": "Planning, moved"},
        headers=headers,
    )
    assert renamed.status_code == 200, renamed.text
    event = await client.get(f"/v1/events/{made.json()['id']}", headers=alice)
    assert event.json()["title"] == "Planning, moved"


async def test_update_with_only_a_start_keeps_the_end_and_checks_the_order(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    headers = await easycalendar_headers(client, database, alice)
    meeting_id = (await create(client, headers))["meeting_id"]
    path = f"{API}/meetings/update/{meeting_id}"

    moved = await client.patch(
        path, json={"starttime": "2020-11-18 09:30:00Z"}, headers=headers
    )
    too_late = await client.patch(
        path, json={"starttime": "2020-11-18T11:00:00Z"}, headers=headers
    )

    assert moved.status_code == 200, moved.text
    data = (
        await client.get(f"{API}/meetings/get/{meeting_id}", headers=headers)
    ).json()
    assert (data["data"]["client_starttime"], data["data"]["client_endtime"]) == (
        "2020-11-18T09:30:00Z",
        "2020-11-18T10:16:10Z",
    )
    assert too_late.status_code == 400
    assert too_late.json() == {
        "status": "error",
        "message": "starttime must be before the meeting's endtime",
    }


async def test_times_with_a_space_and_attendees_as_an_array(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    headers = await easycalendar_headers(client, database, alice)
    response = await client.post(
        f"{API}/meetings/new",
        json={
            "firstname": "Ann",
            "email": "ann@example.com",
            "title": "Array",
            "starttime": "2031-02-03 10:00:00Z",
            "endtime": "2031-02-03 11:00:00Z",
            "attendees": ["b@example.com", "C@Example.com", "b@example.com"],
        },
        headers=headers,
    )
    assert response.status_code == 200, response.text
    data = (
        await client.get(
            f"{API}/meetings/get/{response.json()['meeting_id']}", headers=headers
        )
    ).json()["data"]
    assert data["attendees"] == ["b@example.com", "c@example.com"]
    assert data["client_lname"] is None
    assert data["description"] == ""
    assert data["google_calendar"] is None
