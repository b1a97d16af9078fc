"""Public availability: slots from work hours minus the owner's real calendar."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from parley.db import Database
from parley.events import invites as events_invites
from parley.events import service as events_service
from parley.events.models import EventException
from tests.api.booking.helpers import (
    ALL_DAYS,
    add_event,
    at,
    availability_url,
    create_profile,
    day_schedules,
    iso,
    next_date,
    one_day,
    owner_id,
    slot_starts,
)

DAY = datetime.now(UTC).date() + timedelta(days=5)


def morning_profile(day: date = DAY, **overrides: Any) -> dict[str, Any]:
    """09:00-12:00 UTC every day, 30-minute slots, active on `day` only."""
    return {
        "workHours": {
            "timezone": "UTC",
            "daySchedules": day_schedules([{"start": "09:00", "end": "12:00"}]),
        },
        **one_day(day),
        **overrides,
    }


async def availability(
    client: httpx.AsyncClient, profile: dict[str, Any]
) -> dict[str, Any]:
    response = await client.get(availability_url(profile))
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_availability_shape(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    profile = await create_profile(client, alice, **morning_profile())
    body = await availability(client, profile)
    assert body == {
        "items": [
            {"start": iso(at(DAY, clock)), "end": iso(at(DAY, clock) + timedelta(minutes=30))}
            for clock in ("09:00", "09:30", "10:00", "10:30", "11:00", "11:30")
        ],
        "additionalFields": [
            {"name": "topic", "type": "string", "default": None},
            {"name": "notes", "type": "string", "default": "none"},
        ],
        "name": "intro",
        "ownerName": "alice",
        "subject": "Intro call with {{name}}",
        "description": "Agenda: {{topic}}. Notes: {{notes=none}}",
        "location": "Online",
        "durationMinutes": 30,
        "availabilityStep": 30,
        "timeAvailableFor": "P30D",
        "startTime": profile["startTime"],
        "endTime": profile["endTime"],
        "workHours": profile["workHours"],
        "startConference": False,
    }  # fmt: skip
    assert "context" not in body


@pytest.mark.parametrize(
    ("month", "expected"),
    [
        pytest.param(7, ["13", "14", "15", "16", "17", "18", "19", "20"], id="summer-EDT"),
        pytest.param(1, ["14", "15", "16", "17", "18", "19", "20", "21"], id="winter-EST"),
    ],
)  # fmt: skip
async def test_new_york_work_hours_follow_daylight_saving(
    client: httpx.AsyncClient, alice: dict[str, str], month: int, expected: list[str]
) -> None:
    day = next_date(month, 15)
    profile = await create_profile(
        client,
        alice,
        durationMinutes=60,
        availabilityStep=60,
        timeAvailableFor="P366D",
        workHours={
            "timezone": "America/New_York",
            "daySchedules": day_schedules([{"start": "09:00", "end": "17:00"}]),
        },
        **one_day(day, "America/New_York"),
    )
    items = (await availability(client, profile))["items"]
    assert [item["start"][11:13] for item in items] == expected
    assert {item["start"][:10] for item in items} == {day.isoformat()}
    assert all(item["start"].endswith(":00:00Z") for item in items)


async def test_half_hour_zone_keeps_the_local_grid(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    profile = await create_profile(
        client,
        alice,
        durationMinutes=60,
        availabilityStep=60,
        workHours={
            "timezone": "Asia/Kolkata",
            "daySchedules": day_schedules([{"start": "09:00", "end": "12:00"}]),
        },
        **one_day(DAY, "Asia/Kolkata"),
    )
    # 09:00 IST is 03:30 UTC.
    assert slot_starts(await availability(client, profile)) == [
        "03:30",
        "04:30",
        "05:30",
    ]


async def test_notice_and_horizon_bound_the_slots(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    profile = await create_profile(
        client,
        alice,
        durationMinutes=60,
        availabilityStep=60,
        timeAvailableFor="P2D",
        minimumNoticeMinutes=180,
        workHours={
            "timezone": "UTC",
            "daySchedules": day_schedules([{"start": "00:00", "end": "24:00"}]),
        },
    )
    before = datetime.now(UTC)
    items = (await availability(client, profile))["items"]
    after = datetime.now(UTC)
    starts = [datetime.fromisoformat(item["start"]) for item in items]
    ends = [datetime.fromisoformat(item["end"]) for item in items]
    assert starts[0] >= before + timedelta(hours=3)
    assert starts[0] < after + timedelta(hours=4)
    assert ends[-1] <= after + timedelta(days=2)
    assert ends[-1] > before + timedelta(days=2) - timedelta(hours=2)
    assert all(b - a == timedelta(hours=1) for a, b in pairwise(starts))


async def test_owner_events_and_buffers_block_slots(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    profile = await create_profile(client, alice, **morning_profile())
    alice_id = await owner_id(client, alice)
    await add_event(database, alice_id, at(DAY, "10:00"), at(DAY, "10:30"))
    assert slot_starts(await availability(client, profile)) == [
        "09:00", "09:30", "10:30", "11:00", "11:30",
    ]  # fmt: skip
    await client.patch(
        f"/v1/book/profiles/{profile['id']}",
        json={"bufferBeforeMinutes": 15, "bufferAfterMinutes": 15},
        headers=alice,
    )
    assert slot_starts(await availability(client, profile)) == [
        "09:00",
        "11:00",
        "11:30",
    ]


async def test_recurring_events_block_and_cancelled_instances_free(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    profile = await create_profile(client, alice, **morning_profile())
    alice_id = await owner_id(client, alice)
    first = DAY - timedelta(days=10)
    event_id = await add_event(
        database,
        alice_id,
        at(first, "11:00"),
        at(first, "11:30"),
        rrule="RRULE:FREQ=DAILY",
    )
    assert "11:00" not in slot_starts(await availability(client, profile))
    async with database.sessionmaker() as session:
        session.add(
            EventException(
                event_id=event_id,
                original_starts_at=at(DAY, "11:00"),
                status="cancelled",
                created_by_id=alice_id,
                updated_by_id=alice_id,
            )
        )
        await session.flush()
        event = await events_service.get_event_or_raise(session, event_id)
        await events_service.refresh_listing_keys(session, event)
        await session.commit()
    assert "11:00" in slot_starts(await availability(client, profile))


async def test_accepted_invites_block_and_pending_ones_do_not(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    bob: dict[str, str],
    database: Database,
) -> None:
    profile = await create_profile(client, alice, **morning_profile())
    alice_id, bob_id = await owner_id(client, alice), await owner_id(client, bob)
    event_id = await add_event(database, bob_id, at(DAY, "09:00"), at(DAY, "09:30"))
    async with database.sessionmaker() as session:
        event = await events_service.get_event_or_raise(session, event_id)
        await events_service.invite_user(
            session, event, invitee_id=alice_id, inviter_id=bob_id
        )
        await session.commit()
    assert slot_starts(await availability(client, profile))[0] == "09:00"
    async with database.sessionmaker() as session:
        event = await events_service.get_event_or_raise(session, event_id)
        await events_invites.answer_invite(
            session, event, user_id=alice_id, status="accepted"
        )
        await session.commit()
    assert slot_starts(await availability(client, profile))[0] == "09:30"


async def test_other_owners_events_do_not_block(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    bob: dict[str, str],
    database: Database,
) -> None:
    profile = await create_profile(client, alice, **morning_profile())
    await add_event(
        database, await owner_id(client, bob), at(DAY, "09:00"), at(DAY, "12:00")
    )
    assert len((await availability(client, profile))["items"]) == 6


async def test_empty_when_the_active_period_is_over(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    past = datetime.now(UTC).date() - timedelta(days=3)
    profile = await create_profile(client, alice, **morning_profile(past))
    assert (await availability(client, profile))["items"] == []


async def test_days_without_schedule_offer_nothing(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    weekday = ALL_DAYS[DAY.weekday()]
    others = tuple(day for day in ALL_DAYS if day != weekday)
    profile = await create_profile(
        client,
        alice,
        **morning_profile(
            workHours={
                "timezone": "UTC",
                "daySchedules": day_schedules(
                    [{"start": "09:00", "end": "12:00"}], others
                ),
            }
        ),
    )
    assert (await availability(client, profile))["items"] == []


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        (f"/v1/book/{uuid.uuid4()}/intro/meeting", 404, "not_found"),
        ("/v1/book/not-a-uuid/intro/meeting", 400, "bad_request"),
    ],
)
async def test_unknown_profiles(
    client: httpx.AsyncClient, path: str, status: int, code: str
) -> None:
    response = await client.get(path)
    assert (response.status_code, response.json()["code"]) == (status, code)


async def test_another_owners_namespace_does_not_find_the_profile(
    client: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    profile = await create_profile(client, alice)
    bob_id = await owner_id(client, bob)
    response = await client.get(f"/v1/book/{bob_id}/{profile['name']}/meeting")
    assert response.status_code == 404


async def test_public_routes_are_rate_limited_per_address(
    make_app: Callable[..., FastAPI], alice: dict[str, str]
) -> None:
    app = make_app(booking_rate_limit_per_minute=3)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 1234))
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test"
        ) as client:
            profile = await create_profile(client, alice)
            url = availability_url(profile)
            assert [(await client.get(url)).status_code for _ in range(3)] == [200] * 3
            limited = await client.get(url)
            assert limited.status_code == 429
            assert limited.json() == {
                "code": "too_many_requests",
                "message": "Too many requests from this address, try again later",
            }
            assert 1 <= int(limited.headers["retry-after"]) <= 20
            page = await client.get(f"/book/{profile['clientId']}/{profile['name']}")
            assert page.status_code == 429
            # The owner's authenticated API is not limited.
            assert (
                await client.get("/v1/book/profiles", headers=alice)
            ).status_code == 200
        other = httpx.ASGITransport(app=app, client=("198.51.100.9", 1234))
        async with httpx.AsyncClient(transport=other, base_url="http://test") as client:
            assert (await client.get(url)).status_code == 200
