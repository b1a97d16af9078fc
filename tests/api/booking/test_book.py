"""Booking a meeting: the slot is re-checked, the event is created, the booker invited."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from parley.booking.models import Booking
from parley.config import Settings
from parley.db import Database
from parley.events.models import Event, EventEmailInvite, EventInvite
from tests.api.booking.helpers import (
    add_event,
    availability_url,
    booking_body,
    create_profile,
    day_schedules,
    one_day,
    owner_id,
    slot_starts,
)

DAY = datetime.now(UTC).date() + timedelta(days=5)


def morning(**overrides: Any) -> dict[str, Any]:
    return {
        "workHours": {
            "timezone": "Europe/Berlin",
            "daySchedules": day_schedules([{"start": "10:00", "end": "13:00"}]),
        },
        **one_day(DAY, "Europe/Berlin"),
        **overrides,
    }


def berlin(clock: str) -> datetime:
    """DAY at a Berlin wall-clock time, as a UTC instant."""
    from zoneinfo import ZoneInfo

    hour, minute = map(int, clock.split(":"))
    return datetime(
        DAY.year, DAY.month, DAY.day, hour, minute, tzinfo=ZoneInfo("Europe/Berlin")
    )


async def book(
    client: httpx.AsyncClient, profile: dict[str, Any], body: dict[str, Any]
) -> httpx.Response:
    return await client.post(availability_url(profile), json=body)


async def event_of(database: Database, event_id: str) -> Event:
    async with database.sessionmaker() as session:
        event = await session.get(Event, uuid.UUID(event_id))
        assert event is not None
        return event


async def test_booking_creates_the_event_and_invites_the_booker(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    profile = await create_profile(client, alice, **morning())
    start = berlin("10:30")
    response = await book(client, profile, booking_body(start))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body == {
        "status": "Ok",
        "eventId": body["eventId"],
        "bookingId": body["bookingId"],
    }

    event = await event_of(database, body["eventId"])
    assert event.created_by_id == await owner_id(client, alice)
    assert event.title == "Intro call with Carol Client"
    assert event.description == (
        "Agenda: pricing. Notes: none\n\nLocation: Online\n\n"
        "Booked by Carol Client <carol@example.com>"
    )
    assert (event.starts_at, event.ends_at) == (start, start + timedelta(minutes=30))
    assert (event.starts_at_tz, event.ends_at_tz) == ("Europe/Berlin", "Europe/Berlin")
    async with database.sessionmaker() as session:
        invites = (
            await session.scalars(
                select(EventEmailInvite).where(EventEmailInvite.event_id == event.id)
            )
        ).all()
        booking = await session.get(Booking, uuid.UUID(body["bookingId"]))
    assert [(i.email, i.role) for i in invites] == [("carol@example.com", "guest")]
    assert booking is not None
    assert (booking.profile_id, booking.event_id) == (
        uuid.UUID(profile["id"]),
        event.id,
    )
    assert (booking.name, booking.email) == ("Carol Client", "carol@example.com")
    assert booking.substitution_data == {"topic": "pricing"}

    availability = (await client.get(availability_url(profile))).json()
    assert "09:30" not in slot_starts(availability)  # 10:30 Berlin is taken


async def test_a_registered_booker_gets_a_user_invite(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    bob: dict[str, str],
    database: Database,
) -> None:
    bob_id = await owner_id(client, bob)
    profile = await create_profile(client, alice, **morning())
    response = await book(
        client, profile, booking_body(berlin("11:00"), email="Bob@Example.com")
    )
    assert response.status_code == 200, response.text
    async with database.sessionmaker() as session:
        invite = await session.scalar(
            select(EventInvite).where(
                EventInvite.event_id == uuid.UUID(response.json()["eventId"])
            )
        )
    assert invite is not None
    assert invite.invitee_id == bob_id


async def test_start_conference_puts_the_room_link_in_the_event(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    database: Database,
    settings: Settings,
) -> None:
    profile = await create_profile(client, alice, startConference=True, **morning())
    response = await book(client, profile, booking_body(berlin("10:00")))
    event = await event_of(database, response.json()["eventId"])
    assert event.description.endswith(
        f"\n\nJoin the meeting: {settings.base_url}/room/{event.room_id}"
    )


async def test_missing_required_fields_are_422_naming_them(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    profile = await create_profile(
        client,
        alice,
        description="{{topic}} {{company}} {{notes=-}} {{name}}",
        **morning(),
    )
    response = await book(
        client,
        profile,
        booking_body(berlin("10:00"), substitutionData={"topic": "  ", "extra": "x"}),
    )
    assert response.status_code == 422
    assert response.json() == {
        "code": "validation_failed",
        "message": "Missing required fields: topic, company",
        "errors": [
            {"field": "substitutionData.topic", "code": "value_required", "message": "This field is required"},
            {"field": "substitutionData.company", "code": "value_required", "message": "This field is required"},
        ],
    }  # fmt: skip
    async with database.sessionmaker() as session:
        assert (await session.scalars(select(Booking))).all() == []


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        pytest.param(booking_body(datetime(2030, 1, 1, tzinfo=UTC), minutes=45), "time.end", "invalid_value", id="wrong-length"),
        pytest.param(booking_body(datetime(2030, 1, 1, tzinfo=UTC), email="nope"), "email", "invalid_email", id="bad-email"),
        pytest.param(booking_body(datetime(2030, 1, 1, tzinfo=UTC), name=""), "name", "invalid_length", id="empty-name"),
        pytest.param(booking_body(datetime(2030, 1, 1, tzinfo=UTC), name="   "), "name", "value_required", id="blank-name"),
        pytest.param({**booking_body(datetime(2030, 1, 1, tzinfo=UTC)), "time": {"start": "2030-01-01T10:00:00", "end": "2030-01-01T10:30:00"}},
                     "time.start", "invalid_value", id="naive-time"),
        pytest.param({"name": "x"}, "time", "value_required", id="missing-time"),
    ],
)  # fmt: skip
async def test_bad_booking_bodies_are_422(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    body: dict[str, Any],
    field: str,
    code: str,
) -> None:
    profile = await create_profile(client, alice, **morning())
    response = await book(client, profile, body)
    assert response.status_code == 422, response.text
    assert (field, code) in [
        (e.get("field"), e["code"]) for e in response.json()["errors"]
    ]


@pytest.mark.parametrize(
    "start",
    [
        pytest.param(lambda: berlin("10:10"), id="off-grid"),
        pytest.param(lambda: berlin("09:30"), id="before-work-hours"),
        pytest.param(lambda: berlin("12:45"), id="runs-past-work-hours"),
        pytest.param(
            lambda: berlin("10:00") + timedelta(days=1), id="outside-active-period"
        ),
    ],
)
async def test_times_the_profile_never_offers_are_422(
    client: httpx.AsyncClient, alice: dict[str, str], start: Any
) -> None:
    profile = await create_profile(client, alice, **morning())
    response = await book(client, profile, booking_body(start()))
    assert response.status_code == 422
    assert response.json() == {
        "code": "slot_not_offered",
        "message": "The requested time is not one of this profile's slots",
        "errors": [
            {
                "field": "time.start",
                "code": "slot_not_offered",
                "message": "Not a slot of this profile now: off the step grid, "
                "outside the work hours, or outside the booking window",
            }
        ],
    }


async def test_a_slot_booked_twice_is_409(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    profile = await create_profile(client, alice, **morning())
    assert (
        await book(client, profile, booking_body(berlin("10:00")))
    ).status_code == 200
    again = await book(
        client, profile, booking_body(berlin("10:00"), email="dan@example.com")
    )
    assert again.status_code == 409
    assert again.json() == {
        "code": "slot_taken",
        "message": "The requested time is no longer available",
    }


async def test_overlapping_slots_and_buffers_are_409(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    profile = await create_profile(
        client,
        alice,
        durationMinutes=60,
        availabilityStep=15,
        bufferAfterMinutes=15,
        **morning(),
    )
    assert (
        await book(client, profile, booking_body(berlin("11:00"), 60))
    ).status_code == 200
    # 10:30 and 11:45 overlap it; 10:00 would end where it starts, but needs
    # 15 minutes free after it.
    for clock in ("10:30", "11:45", "10:00"):
        response = await book(client, profile, booking_body(berlin(clock), 60))
        assert response.status_code == 409, clock
    # Touching is fine: no buffer is asked before a slot.
    assert (
        await book(client, profile, booking_body(berlin("12:00"), 60))
    ).status_code == 200
    other = await create_profile(
        client, alice, name="other", durationMinutes=60, **morning()
    )
    # The calendar is the owner's, not the profile's: another profile sees the bookings.
    for clock in ("11:00", "12:00"):
        response = await book(client, other, booking_body(berlin(clock), 60))
        assert response.status_code == 409, clock


async def test_a_slot_taken_by_another_event_meanwhile_is_409(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    profile = await create_profile(client, alice, **morning())
    await add_event(
        database,
        await owner_id(client, alice),
        berlin("10:15"),
        berlin("10:45"),
        zone="Europe/Berlin",
    )
    for clock in ("10:00", "10:30"):
        response = await book(client, profile, booking_body(berlin(clock)))
        assert (response.status_code, response.json()["code"]) == (409, "slot_taken")
    assert (
        await book(client, profile, booking_body(berlin("11:00")))
    ).status_code == 200


async def test_unknown_profile_is_404(client: httpx.AsyncClient) -> None:
    response = await client.post(
        f"/v1/book/{uuid.uuid4()}/intro/meeting", json=booking_body(berlin("10:00"))
    )
    assert response.status_code == 404


async def test_deleting_the_profile_keeps_the_booked_meeting(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    profile = await create_profile(client, alice, **morning())
    booked = (await book(client, profile, booking_body(berlin("10:00")))).json()
    url = f"/v1/book/profiles/{profile['id']}"
    assert (await client.delete(url, headers=alice)).status_code == 204
    async with database.sessionmaker() as session:
        booking = await session.get(Booking, uuid.UUID(booked["bookingId"]))
        assert booking is not None
        assert booking.profile_id is None
    assert (await event_of(database, booked["eventId"])).title.startswith("Intro call")


async def test_booking_reopens_when_the_event_is_deleted(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    from parley.events import service as events_service

    profile = await create_profile(client, alice, **morning())
    booked = (await book(client, profile, booking_body(berlin("10:00")))).json()
    alice_id = await owner_id(client, alice)
    async with database.sessionmaker() as session:
        event = await events_service.get_event_or_raise(
            session, uuid.UUID(booked["eventId"])
        )
        await events_service.delete_event(session, event, actor_id=alice_id)
        await session.commit()
    async with database.sessionmaker() as session:
        assert await session.get(Booking, uuid.UUID(booked["bookingId"])) is None
    assert (
        await book(client, profile, booking_body(berlin("10:00")))
    ).status_code == 200
