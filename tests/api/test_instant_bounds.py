"""Instants near the ends of the calendar: refused where they are accepted (years
1900 to 8999, parley.instants), never a 500, and nothing stored; values inside the
range keep working where later shifts (durations, zones, recurrence) would overflow.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from parley.db import Database
from tests.api.booking.helpers import profile_body
from tests.api.easycalendar.helpers import easycalendar_headers
from tests.api.events.helpers import create_event, dt
from tests.api.reservations.helpers import (
    app_client,
    make_api_key,
    unique_room,
    user_id,
)
from tests.api.snapshots import snapshot
from tests.api.videsk.test_rooms import videsk_headers
from tests.oidc_issuer import TestIssuer

# (value, zone): the issue's two, the ends of Python's range, and the bounds' edges.
OUTSIDE = [
    ("9999-12-31T23:00:00Z", "Pacific/Kiritimati"),
    ("0001-01-01T00:30:00+01:00", "Europe/Berlin"),
    ("9999-12-31T23:59:59-12:00", "Etc/GMT+12"),
    ("0001-01-01T00:00:00Z", "UTC"),
    ("1899-12-31T23:59:59Z", "UTC"),
    ("9000-01-01T00:00:00Z", "UTC"),
]
RANGE = "must be from 1900-01-01T00:00:00Z to before 9000-01-01T00:00:00Z"
JITSI_TOKEN = "TOKEN-237958623045-prosody"


def field_error(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()
    error = body["errors"][0]
    return response.status_code, error["field"], error["message"]


@pytest.fixture
async def unchanged(
    client: httpx.AsyncClient, database: Database, alice: dict[str, str]
) -> Any:
    """Asserts at teardown that the test's refused requests stored nothing."""
    await client.get("/v1/users/me", headers=alice)
    before = await snapshot(database)
    yield
    assert await snapshot(database) == before


@pytest.mark.parametrize(("value", "zone"), OUTSIDE)
async def test_events_refuse_instants_outside_the_range(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    value: str,
    zone: str,
) -> None:
    event = await create_event(client, alice)
    url = f"/v1/events/{event['id']}"
    created = await client.post(
        "/v1/events",
        json={
            "title": "t",
            "description": "",
            "is_time_independent": False,
            "is_all_day": False,
            "starts_at": dt(value, zone),
            "ends_at": dt("2030-01-01T00:00:00Z", zone),
        },
        headers=alice,
    )
    assert field_error(created)[0:2] == (422, "starts_at.datetime")
    assert RANGE in field_error(created)[2]
    patched = await client.patch(url, json={"ends_at": dt(value, zone)}, headers=alice)
    assert field_error(patched)[0:2] == (422, "ends_at.datetime")
    listed = await client.get("/v1/events", params={"time_min": value}, headers=alice)
    assert field_error(listed)[0:2] == (400, "time_min")
    instances = await client.get(
        f"{url}/instances", params={"time_max": value}, headers=alice
    )
    assert field_error(instances)[0:2] == (400, "time_max")
    assert (await client.get(url, headers=alice)).json() == event


async def test_recurrence_dates_and_invites_are_bounded(
    client: httpx.AsyncClient, database: Database, alice: dict[str, str]
) -> None:
    room = (await client.post("/v1/rooms", json={}, headers=alice)).json()
    before = await snapshot(database)
    for line in ("RDATE:99991231T230000Z", "EXDATE:00010101T000000Z"):
        response = await client.post(
            "/v1/events",
            json={
                "title": "t",
                "description": "",
                "is_time_independent": False,
                "is_all_day": False,
                "starts_at": dt("2030-01-07T08:00:00Z"),
                "ends_at": dt("2030-01-07T09:00:00Z"),
                "recurrence_pattern": ["RRULE:FREQ=DAILY", line],
            },
            headers=alice,
        )
        assert (response.status_code, response.json()["code"]) == (
            422,
            "invalid_event",
        )
        assert RANGE in response.json()["message"]
    for value, _ in OUTSIDE:
        invite = await client.post(
            f"/v1/rooms/{room['id']}/invites", json={"expiration": value}, headers=alice
        )
        assert field_error(invite)[0:2] == (422, "expiration")
    assert await snapshot(database) == before


async def test_the_edges_of_the_range_work_end_to_end(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    """A yearly series starting in 8999 runs to year 9999: listing it, expanding it
    and reading its last instances shift past the range without overflowing."""
    early = await create_event(
        client,
        alice,
        start="1900-01-01T00:00:00Z",
        end="1900-01-01T01:00:00Z",
        zone="Pacific/Kiritimati",
    )
    assert early["starts_at"]["datetime"] == "1900-01-01T00:00:00Z"
    late = await create_event(
        client,
        alice,
        start="8999-12-31T22:00:00Z",
        end="8999-12-31T23:59:59Z",
        zone="Pacific/Kiritimati",
        pattern=["RRULE:FREQ=YEARLY"],
    )
    listed = await client.get(
        "/v1/events",
        params={"time_min": "8999-06-01T00:00:00Z", "time_max": "8999-12-31T23:59:59Z"},
        headers=alice,
    )
    assert listed.status_code == 200, listed.text
    assert [item["id"] for item in listed.json()] == [late["id"]]
    everything = await client.get("/v1/events", headers=alice)
    assert everything.status_code == 200
    instances = await client.get(
        f"/v1/events/{late['id']}/instances",
        params={"time_min": "8999-01-01T00:00:00Z", "per_page": 100},
        headers=alice,
    )
    assert instances.status_code == 200, instances.text
    assert instances.json()[0]["instance_id"] == "89991231T220000Z"
    last = await client.get(
        f"/v1/events/{late['id']}/instances/99981231T220000Z", headers=alice
    )
    assert last.status_code == 200, last.text
    assert last.json()["ends_at"]["datetime"] == "9998-12-31T23:59:59Z"
    moved = await client.patch(
        f"/v1/events/{late['id']}/instances/99981231T220000Z",
        json={"title": "Last one"},
        headers=alice,
    )
    assert moved.status_code == 200, moved.text
    ics = await client.get(f"/v1/events/{late['id']}/ics", headers=alice)
    assert ics.status_code == 200


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(
    ("start_time", "timezone"),
    [
        ("9999-12-31T23:00", "Pacific/Kiritimati"),
        ("0001-01-01T00:30", "Europe/Berlin"),
        ("9999-12-31T23:59:59", "Etc/GMT+12"),
        ("1899-12-31T23:00", "UTC"),
    ],
)
async def test_reservations_refuse_starts_outside_the_range(
    client: httpx.AsyncClient, alice: dict[str, str], start_time: str, timezone: str
) -> None:
    response = await client.post(
        "/api/v1/scheduler/reservation",
        json={
            "mail_owner": "alice@example.com",
            "name": unique_room(),
            "duration": 10_080,
            "start_time": start_time,
            "timezone": timezone,
        },
        headers=alice,
    )
    assert (response.status_code, response.json()["code"]) == (
        400,
        "invalid_start_time",
    )
    assert RANGE in response.json()["message"]


async def test_a_reservation_at_the_upper_edge_keeps_its_seven_days(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    response = await client.post(
        "/api/v1/scheduler/reservation",
        json={
            "mail_owner": "alice@example.com",
            "name": unique_room(),
            "duration": 10_080,
            "start_time": "8999-12-31T23:00",
            "timezone": "Pacific/Kiritimati",
        },
        headers=alice,
    )
    assert response.status_code == 201, response.text
    assert response.json()["duration"] == 10_080


async def test_jitsi_timestamps_outside_the_range_are_400(
    make_app: Any,
) -> None:
    async with app_client(make_app, jitsi_auth_token=SecretStr(JITSI_TOKEN)) as http:
        for start_time in ("9999-12-31T23:59:59.999Z", "0001-01-01T00:00:00.000Z"):
            response = await http.post(
                "/jitsi/conference",
                content=urlencode(
                    {"name": unique_room(), "start_time": start_time, "mail_owner": "x"}
                ).encode(),
                headers={
                    "Authorization": f"Bearer {JITSI_TOKEN}",
                    "Content-Type": "application/x-www-form-urlencoded",
                },
            )
            assert response.status_code == 400, response.text
            assert response.json()["code"] == "invalid_start_time"


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(("value", "zone"), OUTSIDE)
async def test_booking_refuses_instants_outside_the_range(
    client: httpx.AsyncClient, alice: dict[str, str], value: str, zone: str
) -> None:
    for field in ("startTime", "endTime"):
        profile = await client.post(
            "/v1/book/profiles",
            json=profile_body(name=f"p-{field}", **{field: value}),
            headers=alice,
        )
        assert field_error(profile)[0:2] == (422, field)
    owner = (await client.get("/v1/users/me", headers=alice)).json()["id"]
    booked = await client.post(
        f"/v1/book/{owner}/intro/meeting",
        json={
            "time": {"start": value, "end": value},
            "name": "Vera",
            "email": "vera@example.com",
        },
    )
    assert field_error(booked)[0:2] == (422, "time.start")


@pytest.mark.parametrize(
    "exp",
    [
        "9999-12-31T23:59:59+00:00",
        "0001-01-01T00:00:00-01:00",
        "9000-01-01T00:00:00Z",
        253_402_300_799,
        "99999999999",
    ],
)
async def test_token_times_outside_the_range_are_400(
    client: httpx.AsyncClient,
    database: Database,
    alice: dict[str, str],
    exp: object,
) -> None:
    secret = await make_api_key(database, await user_id(client, alice))
    for claim in ("exp", "nbf"):
        response = await client.post(
            "/api/v1/misc/generate-token", json={"apiKey": secret, claim: exp}
        )
        assert response.status_code == 400, response.text
        assert response.json()["code"] == f"invalid_{claim}"


async def test_an_id_token_expiring_beyond_the_range_still_logs_in(
    client: httpx.AsyncClient, oidc_issuer: TestIssuer
) -> None:
    """An issuer's `exp` of year 33658 is stored as no expiry, not a 500."""
    token = oidc_issuer.token("far@example.com", exp=10**12)
    response = await client.post("/v1/auth/login", json={"id_token": token})
    assert response.status_code == 200, response.text


def test_the_bounds_are_documented(app: FastAPI) -> None:
    schemas = app.openapi()["components"]["schemas"]
    assert "1900" in schemas["DateTimeTZ"]["properties"]["datetime"]["description"]


@pytest.mark.parametrize(
    "value",
    ["9999-12-31T23:00:00Z", "0001-01-01T00:30:00Z", "1899-12-31T23:59:59Z"],
)
async def test_the_dialects_refuse_instants_outside_the_range(
    client: httpx.AsyncClient,
    database: Database,
    alice: dict[str, str],
    value: str,
) -> None:
    """EasyCalendar and Videsk answer 400 in their own shapes, never a 500."""
    meetings = await easycalendar_headers(client, database, alice)
    rooms = await videsk_headers(client, database, alice)

    async def stored() -> tuple[int, int]:
        # Keys stamp their last use, so count what the refusals could have made.
        meetings_total = await client.get("/api/v1/meetings/list", headers=meetings)
        rooms_total = await client.get("/vpaas/rooms", headers=rooms)
        return meetings_total.json()["total"], rooms_total.json()["total"]

    before = await stored()
    spaced = value.replace("T", " ")
    for start, end in (
        (value, "2030-01-01T10:00:00Z"),
        ("2030-01-01T10:00:00Z", spaced),
    ):
        created = await client.post(
            "/api/v1/meetings/new",
            json={
                "title": "far",
                "starttime": start,
                "endtime": end,
                "firstname": "A",
                "lastname": "B",
                "email": "a@example.com",
            },
            headers=meetings,
        )
        assert created.status_code == 400, created.text
        assert created.json()["status"] == "error"
    listed = await client.get(
        "/api/v1/meetings/list", params={"starttime": value}, headers=meetings
    )
    assert listed.status_code == 400, listed.text
    for window in ({"nbf": value}, {"exp": value}, {"nbf": value, "exp": value}):
        room = await client.post("/vpaas/rooms", json=window, headers=rooms)
        assert room.status_code == 400, room.text
        assert room.json()["name"] == "BadRequest"
    assert await stored() == before
