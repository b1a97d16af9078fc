"""The Sariska scheduler API: every endpoint, conflicts, DST days, visibility, rooms."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from parley.db import Database
from parley.sip.models import SipConfig
from tests.api.reservations.helpers import SCHEDULER, reserve, unique_room, utc_wall
from tests.oidc_issuer import TestIssuer

RESERVATION = f"{SCHEDULER}/reservation"
CONFERENCE = f"{SCHEDULER}/conference"


async def post(
    client: httpx.AsyncClient, headers: dict[str, str], **body: Any
) -> httpx.Response:
    payload = {
        "mail_owner": "alice@example.com",
        "name": unique_room(),
        "duration": 60,
        "start_time": "2040-06-01T10:00",
        "timezone": "UTC",
        **body,
    }
    return await client.post(RESERVATION, json=payload, headers=headers)


async def test_seed_example_round_trips_through_every_reservation_endpoint(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    name = unique_room("MyRoom")
    created = await reserve(
        client,
        alice,
        duration=60,
        mail_owner="Alice@Example.com",
        name=name,
        start_time="2040-09-28T15:08",
        timezone="America/New York",
    )
    assert isinstance(created["id"], int)
    assert created == {
        "id": created["id"],
        "mail_owner": "alice@example.com",
        "name": name,
        "duration": 60,
        "start_time": "2040-09-28T15:08",
        "timezone": "America/New_York",
        "pin": None,
        "room_id": None,
        "max_occupants": None,
        "lobby": None,
        "opened_by": None,
    }
    one = await client.get(f"{RESERVATION}/{created['id']}", headers=alice)
    assert (one.status_code, one.json()) == (200, created)
    by_room = await client.get(f"{RESERVATION}/room/{name.upper()}", headers=alice)
    assert (by_room.status_code, by_room.json()) == (200, created)
    listed = await client.get(RESERVATION, headers=alice)
    assert listed.status_code == 200
    assert created in listed.json()

    deleted = await client.delete(f"{RESERVATION}/{created['id']}", headers=alice)
    assert (deleted.status_code, deleted.json()) == (200, created)
    gone = await client.get(f"{RESERVATION}/{created['id']}", headers=alice)
    assert gone.status_code == 404
    assert gone.json() == {
        "code": "reservation_not_found",
        "message": "The reservation could not be found",
    }
    again = await client.delete(f"{RESERVATION}/{created['id']}", headers=alice)
    assert again.status_code == 404
    # The window is free again.
    await reserve(
        client,
        alice,
        name=name,
        start_time="2040-09-28T15:30",
        timezone="America/New_York",
    )


async def test_duration_as_numeric_string_and_optional_fields(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    created = await reserve(
        client,
        alice,
        duration="90",
        start_time="2040-06-01T10:00:30",
        pin="1234",
        max_occupants=12,
        lobby=True,
    )
    assert created["duration"] == 90
    assert created["start_time"] == "2040-06-01T10:00:30"
    assert (created["pin"], created["max_occupants"], created["lobby"]) == (
        "1234",
        12,
        True,
    )


async def test_overlap_is_409_naming_the_conflict(
    client: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    name = unique_room("Conflict")
    first = await reserve(client, alice, name=name, start_time="2040-06-01T10:00")
    before = len((await client.get(RESERVATION, headers=alice)).json())
    for headers, room, start in [
        (alice, name, "2040-06-01T10:59"),
        (alice, name.upper(), "2040-06-01T09:30"),  # names are case-insensitive
        (bob, f"  {name.lower()} ", "2040-06-01T10:15"),  # and global
    ]:
        response = await post(client, headers, name=room, start_time=start)
        assert response.status_code == 409, response.text
        body = response.json()
        assert body["conflict_id"] == first["id"]
        assert body["code"] == "reservation_conflict"
        assert f"(reservation {first['id']})" in body["message"]
    assert len((await client.get(RESERVATION, headers=alice)).json()) == before


async def test_back_to_back_reservations_do_not_conflict(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    name = unique_room()
    await reserve(client, alice, name=name, start_time="2040-06-01T10:00")
    await reserve(client, alice, name=name, start_time="2040-06-01T11:00")
    await reserve(client, alice, name=name, start_time="2040-06-01T09:00")
    await reserve(client, alice, name=unique_room(), start_time="2040-06-01T10:00")


async def test_new_york_dst_day(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    """2040-03-11: New York skips 02:00-03:00; durations are real minutes."""
    name = unique_room("ny")
    early = await reserve(
        client,
        alice,
        name=name,
        start_time="2040-03-11T01:30",
        timezone="America/New York",
    )
    assert early["start_time"] == "2040-03-11T01:30"
    # 01:30 EST + 60 min = 03:30 EDT: a 03:00 reservation overlaps, 03:30 does not.
    overlapping = await post(
        client,
        alice,
        name=name,
        start_time="2040-03-11T03:00",
        timezone="America/New_York",
    )
    assert overlapping.status_code == 409
    assert overlapping.json()["conflict_id"] == early["id"]
    await reserve(
        client,
        alice,
        name=name,
        start_time="2040-03-11T03:30",
        timezone="America/New_York",
    )
    gap = await post(
        client,
        alice,
        name=name,
        start_time="2040-03-11T02:30",
        timezone="America/New_York",
    )
    assert gap.status_code == 400
    assert gap.json()["code"] == "invalid_start_time"
    assert "daylight saving" in gap.json()["message"]
    # Zones meet on the UTC timeline: 09:00 EDT is 13:00Z, 14:30 CET is 13:30Z.
    other = unique_room("ny2")
    await reserve(
        client,
        alice,
        name=other,
        start_time="2040-03-11T09:00",
        timezone="America/New_York",
    )
    crossing = await post(
        client,
        alice,
        name=other,
        start_time="2040-03-11T14:30",
        timezone="Europe/Berlin",
    )
    assert crossing.status_code == 409


async def test_berlin_dst_days(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    """2040-03-25 skips 02:00-03:00; 2040-10-28 repeats 02:00-03:00 (first one meant)."""
    name = unique_room("berlin")
    gap = await post(
        client,
        alice,
        name=name,
        start_time="2040-03-25T02:30",
        timezone="Europe/Berlin",
    )
    assert gap.status_code == 400
    assert gap.json()["code"] == "invalid_start_time"
    spring = await reserve(
        client,
        alice,
        name=name,
        start_time="2040-03-25T01:30",
        timezone="Europe/Berlin",
    )
    # 01:30 CET + 60 min = 03:30 CEST.
    assert (
        await post(
            client,
            alice,
            name=name,
            start_time="2040-03-25T03:15",
            timezone="Europe/Berlin",
        )
    ).json()["conflict_id"] == spring["id"]

    autumn = await reserve(
        client,
        alice,
        name=name,
        start_time="2040-10-28T02:30",
        timezone="Europe/Berlin",
    )
    assert autumn["start_time"] == "2040-10-28T02:30"
    # The first 02:30 is 00:30Z; the window runs to 01:30Z (02:30 CET, the second one).
    in_utc = await post(
        client, alice, name=name, start_time="2040-10-28T01:00", timezone="UTC"
    )
    assert in_utc.json()["conflict_id"] == autumn["id"]
    await reserve(
        client, alice, name=name, start_time="2040-10-28T01:30", timezone="UTC"
    )


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"name": "my room"}, 400, "invalid_room_name"),
        ({"name": ""}, 400, "invalid_room_name"),
        ({"name": "x" * 129}, 400, "invalid_room_name"),
        ({"timezone": "Mars/Olympus_Mons"}, 400, "invalid_timezone"),
        ({"start_time": "2040-06-01 10:00"}, 400, "invalid_start_time"),
        ({"start_time": "2040-06-01T10:00Z"}, 400, "invalid_start_time"),
        ({"duration": "an hour"}, 400, "invalid_duration"),
        ({"duration": 0}, 400, "invalid_duration"),
        ({"duration": 10081}, 400, "invalid_duration"),
        ({"pin": "12"}, 400, "invalid_pin"),
        ({"start_time": "2020-01-01T10:00"}, 400, "reservation_in_past"),
        ({"room_id": str(uuid.uuid4()), "create_room": True}, 400, "bad_request"),
        ({"duration": 1.5}, 422, "validation_failed"),
        ({"duration": True}, 422, "validation_failed"),
        ({"mail_owner": "not-an-email"}, 422, "validation_failed"),
        ({"name": 5}, 422, "validation_failed"),
        ({"lobby": "yes"}, 422, "validation_failed"),
        ({"max_occupants": 0}, 422, "validation_failed"),
    ],
)
async def test_bad_reservations_are_rejected_and_change_nothing(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    body: dict[str, Any],
    status: int,
    code: str,
) -> None:
    before = (await client.get(RESERVATION, headers=alice)).json()
    response = await post(client, alice, **body)
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert (await client.get(RESERVATION, headers=alice)).json() == before


async def test_missing_fields_are_422(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    response = await client.post(RESERVATION, json={"name": "x"}, headers=alice)
    assert response.status_code == 422
    fields = {error["field"] for error in response.json()["errors"]}
    assert {"mail_owner", "duration", "start_time", "timezone"} <= fields


async def test_only_creator_and_owner_see_a_reservation(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    bob: dict[str, str],
    oidc_issuer: TestIssuer,
) -> None:
    private = await reserve(client, alice, start_time="2040-07-01T10:00")
    for_bob = await reserve(
        client, alice, mail_owner="bob@example.com", start_time="2040-07-01T10:00"
    )
    assert (
        await client.get(f"{RESERVATION}/{private['id']}", headers=bob)
    ).status_code == 404
    assert (
        await client.delete(f"{RESERVATION}/{private['id']}", headers=bob)
    ).status_code == 404
    assert (
        await client.get(f"{RESERVATION}/room/{private['name']}", headers=bob)
    ).status_code == 404
    bobs = (await client.get(RESERVATION, headers=bob)).json()
    assert for_bob in bobs
    assert private not in bobs
    assert (
        await client.get(f"{RESERVATION}/{for_bob['id']}", headers=bob)
    ).json() == for_bob
    stranger = oidc_issuer.headers("carol@example.com")
    assert (await client.get(RESERVATION, headers=stranger)).json() == []


async def test_room_lookup_prefers_the_current_then_the_next(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    name = unique_room()
    later = await reserve(client, alice, name=name, start_time=utc_wall(300))
    sooner = await reserve(client, alice, name=name, start_time=utc_wall(120))
    found = await client.get(f"{RESERVATION}/room/{name}", headers=alice)
    assert found.json() == sooner
    current = await reserve(
        client, alice, name=name, start_time=utc_wall(-5), duration=30
    )
    assert (
        await client.get(f"{RESERVATION}/room/{name}", headers=alice)
    ).json() == current
    listed = [r["id"] for r in (await client.get(RESERVATION, headers=alice)).json()]
    assert (
        listed.index(current["id"])
        < listed.index(sooner["id"])
        < listed.index(later["id"])
    )
    missing = await client.get(f"{RESERVATION}/room/{unique_room()}", headers=alice)
    assert missing.status_code == 404
    bad = await client.get(f"{RESERVATION}/room/bad%20name", headers=alice)
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_room_name")


async def test_running_conferences(
    client: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    name = unique_room("Live")
    running = await reserve(
        client, alice, name=name, start_time=utc_wall(-10), duration=60, pin="4321"
    )
    upcoming = await reserve(client, alice, start_time=utc_wall(120))
    listed = (await client.get(CONFERENCE, headers=alice)).json()
    assert running in listed
    assert upcoming not in listed
    one = await client.get(f"{CONFERENCE}/{running['id']}", headers=alice)
    assert (one.status_code, one.json()) == (200, running)
    by_room = await client.get(f"{CONFERENCE}/room/{name.lower()}", headers=alice)
    assert (by_room.status_code, by_room.json()) == (200, running)
    not_running = await client.get(f"{CONFERENCE}/{upcoming['id']}", headers=alice)
    assert not_running.status_code == 404
    assert not_running.json()["code"] == "conference_not_found"
    assert (
        await client.get(f"{CONFERENCE}/room/{upcoming['name']}", headers=alice)
    ).status_code == 404
    assert (
        await client.get(f"{CONFERENCE}/{running['id']}", headers=bob)
    ).status_code == 404
    assert running not in (await client.get(CONFERENCE, headers=bob)).json()


async def test_lists_page_with_link_headers(
    client: httpx.AsyncClient, oidc_issuer: TestIssuer
) -> None:
    pager = oidc_issuer.headers("pager-res@example.com")
    for hour in (10, 11, 12):
        await reserve(
            client,
            pager,
            mail_owner="pager-res@example.com",
            start_time=f"2040-08-01T{hour}:00",
        )
    first = await client.get(RESERVATION, params={"per_page": 2}, headers=pager)
    assert len(first.json()) == 2
    assert 'rel="next"' in first.headers["link"]
    second = await client.get(
        RESERVATION, params={"per_page": 2, "page": 2}, headers=pager
    )
    assert [r["start_time"] for r in second.json()] == ["2040-08-01T12:00"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", RESERVATION),
        ("POST", RESERVATION),
        ("GET", f"{RESERVATION}/1"),
        ("DELETE", f"{RESERVATION}/1"),
        ("GET", f"{RESERVATION}/room/x"),
        ("GET", CONFERENCE),
        ("GET", f"{CONFERENCE}/1"),
        ("GET", f"{CONFERENCE}/room/x"),
    ],
)
async def test_every_endpoint_needs_a_bearer_token(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await client.request(method, path)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


@pytest.mark.parametrize("path", [f"{RESERVATION}/abc", f"{CONFERENCE}/0"])
async def test_bad_ids_are_400(
    client: httpx.AsyncClient, alice: dict[str, str], path: str
) -> None:
    response = await client.get(path, headers=alice)
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"


async def sip_config(database: Database, room_id: str) -> SipConfig | None:
    async with database.sessionmaker() as session:
        return await session.scalar(
            select(SipConfig).where(SipConfig.room_id == uuid.UUID(room_id))
        )


async def test_create_room_with_pin_makes_a_sip_room(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    created = await reserve(
        client,
        alice,
        start_time="2040-06-02T10:00",
        create_room=True,
        pin="2468",
        lobby=True,
    )
    room = await client.get(f"/v1/rooms/{created['room_id']}", headers=alice)
    assert room.status_code == 200
    assert room.json()["waiting_room"] is True
    config = await sip_config(database, created["room_id"])
    assert config is not None
    assert (config.password, config.lobby) == ("2468", True)
    plain = await reserve(
        client, alice, start_time="2040-06-02T10:00", create_room=True
    )
    assert await sip_config(database, plain["room_id"]) is None


async def test_pin_becomes_the_call_in_pin_of_an_attached_sip_room(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    bob: dict[str, str],
    database: Database,
) -> None:
    sip_room = (
        await client.post("/v1/rooms", json={"enable_sip": True}, headers=alice)
    ).json()
    sip_id = (await sip_config(database, sip_room["id"])).sip_id  # type: ignore[union-attr]
    created = await reserve(
        client,
        alice,
        start_time="2040-06-03T10:00",
        room_id=sip_room["id"],
        pin="13579",
    )
    assert created["room_id"] == sip_room["id"]
    config = await sip_config(database, sip_room["id"])
    assert config is not None
    assert (config.sip_id, config.password) == (sip_id, "13579")

    plain_room = (await client.post("/v1/rooms", json={}, headers=alice)).json()
    await reserve(
        client,
        alice,
        start_time="2040-06-03T10:00",
        room_id=plain_room["id"],
        pin="1111",
    )
    assert await sip_config(database, plain_room["id"]) is None

    foreign = await post(
        client, bob, room_id=sip_room["id"], mail_owner="bob@example.com"
    )
    assert (foreign.status_code, foreign.json()["code"]) == (403, "forbidden")
    unknown = await post(client, alice, room_id=str(uuid.uuid4()))
    assert (unknown.status_code, unknown.json()["code"]) == (404, "not_found")

    # Deleting the room leaves the reservation, without a room.
    assert (
        await client.delete(f"/v1/rooms/{sip_room['id']}", headers=alice)
    ).status_code == 204
    after = await client.get(f"{RESERVATION}/{created['id']}", headers=alice)
    assert after.json()["room_id"] is None
