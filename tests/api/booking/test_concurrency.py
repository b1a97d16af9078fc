"""Never double-booked: simultaneous bookings on real, committing connections.

These tests do not use the per-test rolled-back transaction: every request
gets its own pooled connection and commits for real, as in production, so the
PostgreSQL advisory lock and SQLite's single writer are what is tested. The
owner (and with it every row the test made) is deleted afterwards.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import delete, func, select

from parley.booking.models import Booking
from parley.config import Settings
from parley.db import Database, create_engine
from parley.events.models import Event
from parley.main import create_app
from parley.users.models import User
from tests.api.booking.helpers import (
    availability_url,
    booking_body,
    create_profile,
    day_schedules,
    one_day,
    owner_id,
)
from tests.oidc_issuer import TestIssuer

DAY = datetime.now(UTC).date() + timedelta(days=6)
BOOKINGS = 20


def berlin(hour: int, minute: int) -> datetime:
    return datetime(
        DAY.year, DAY.month, DAY.day, hour, minute, tzinfo=ZoneInfo("Europe/Berlin")
    )


@pytest.fixture
async def real_client(
    settings: Settings, oidc_issuer: TestIssuer
) -> AsyncIterator[tuple[httpx.AsyncClient, Database, dict[str, str]]]:
    database = Database.from_engine(create_engine(settings))
    app = create_app(
        settings.model_copy(update={"booking_rate_limit_per_minute": 0}),
        database=database,
    )
    headers = oidc_issuer.headers(f"owner-{uuid.uuid4().hex[:8]}@example.com")
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://test"
            ) as client:
                yield client, database, headers
                user_id = await owner_id(client, headers)
        async with database.sessionmaker() as session, session.begin():
            await session.execute(delete(User).where(User.id == user_id))
    finally:
        await database.dispose()


async def _book_concurrently(
    client: httpx.AsyncClient, url: str, bodies: list[dict[str, object]]
) -> list[httpx.Response]:
    start = asyncio.Event()

    async def one(body: dict[str, object]) -> httpx.Response:
        await start.wait()
        return await client.post(url, json=body)

    tasks = [asyncio.create_task(one(body)) for body in bodies]
    start.set()
    return list(await asyncio.gather(*tasks))


async def _rows(database: Database, owner: uuid.UUID) -> tuple[int, int]:
    async with database.sessionmaker() as session:
        bookings = await session.scalar(
            select(func.count()).select_from(Booking).where(Booking.owner_id == owner)
        )
        events = await session.scalar(
            select(func.count()).select_from(Event).where(Event.created_by_id == owner)
        )
    return int(bookings or 0), int(events or 0)


@pytest.mark.parametrize(
    ("duration", "starts"),
    [
        pytest.param(30, [(10, 0)], id="same-slot"),
        pytest.param(
            60, [(10, 0), (10, 15), (10, 30), (10, 45)], id="overlapping-slots"
        ),
    ],
)
async def test_simultaneous_bookings_make_exactly_one_meeting(
    real_client: tuple[httpx.AsyncClient, Database, dict[str, str]],
    duration: int,
    starts: list[tuple[int, int]],
) -> None:
    client, database, headers = real_client
    profile = await create_profile(
        client,
        headers,
        durationMinutes=duration,
        availabilityStep=15,
        workHours={
            "timezone": "Europe/Berlin",
            "daySchedules": day_schedules([{"start": "09:00", "end": "17:00"}]),
        },
        **one_day(DAY, "Europe/Berlin"),
    )
    bodies: list[dict[str, object]] = [
        booking_body(
            berlin(*starts[index % len(starts)]),
            duration,
            email=f"booker{index}@example.com",
        )
        for index in range(BOOKINGS)
    ]
    responses = await _book_concurrently(client, availability_url(profile), bodies)
    statuses = Counter(response.status_code for response in responses)
    assert statuses == {200: 1, 409: BOOKINGS - 1}, [r.text for r in responses]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {
        "slot_taken"
    }
    assert await _rows(database, await owner_id(client, headers)) == (1, 1)


async def _race_booking_and_event(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], start: datetime
) -> tuple[httpx.Response, httpx.Response]:
    """Book the slot and, at the same moment, let the owner put an event there."""
    end = start + timedelta(minutes=30)
    event_body = {
        "title": "Own meeting",
        "description": "",
        "is_time_independent": False,
        "is_all_day": False,
        "starts_at": {"datetime": start.isoformat(), "timezone": "Europe/Berlin"},
        "ends_at": {"datetime": end.isoformat(), "timezone": "Europe/Berlin"},
    }
    booked, created = await _all_at_once(
        client.post(url, json=booking_body(start, 30)),
        client.post("/v1/events", json=event_body, headers=headers),
    )
    return booked, created


async def _all_at_once(
    *requests: Coroutine[Any, Any, httpx.Response],
) -> list[httpx.Response]:
    go = asyncio.Event()

    async def when_ready(
        request: Coroutine[Any, Any, httpx.Response],
    ) -> httpx.Response:
        await go.wait()
        return await request

    tasks = [asyncio.create_task(when_ready(request)) for request in requests]
    go.set()
    return list(await asyncio.gather(*tasks))


async def test_a_booking_never_misses_an_event_written_at_the_same_time(
    real_client: tuple[httpx.AsyncClient, Database, dict[str, str]],
) -> None:
    """Events created through /v1/events take the owner's calendar lock too.

    Each round races one booking against the owner creating an event in the
    same slot. Both stamp ``created_at`` under the lock, so whichever got the
    lock first is the older row; a booking may only succeed if it came first
    (it cannot have seen an event that was written after it).
    """
    client, database, headers = real_client
    profile = await create_profile(
        client,
        headers,
        durationMinutes=30,
        availabilityStep=30,
        workHours={
            "timezone": "Europe/Berlin",
            "daySchedules": day_schedules([{"start": "09:00", "end": "17:00"}]),
        },
        **one_day(DAY, "Europe/Berlin"),
    )
    outcomes = []
    for hour in range(9, 17):
        start = berlin(hour, 0)
        booked, created = await _race_booking_and_event(
            client, availability_url(profile), headers, start
        )
        assert created.status_code == 201, created.text
        assert booked.status_code in (200, 409), booked.text
        outcomes.append((booked.status_code, created.json()["id"], start))

    async with database.sessionmaker() as session:
        for status, own_event_id, start in outcomes:
            own_created = await session.scalar(
                select(Event.created_at).where(Event.id == uuid.UUID(own_event_id))
            )
            booked_created = await session.scalar(
                select(Event.created_at)
                .join(Booking, Booking.event_id == Event.id)
                .where(Booking.starts_at == start.astimezone(UTC))
            )
            if status == 200:
                assert booked_created is not None
                assert own_created is not None
                assert booked_created < own_created, (start, "booking missed the event")
            else:
                assert booked_created is None
