"""Shared helpers for the booking API tests: profile bodies, dates, requests."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from parley.db import Database
from parley.events import service as events_service
from parley.events.schemas import DateTimeTZ, PostEventsBody

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")
ALL_DAYS = (*WEEKDAYS, "saturday", "sunday")


def day_schedules(
    intervals: list[dict[str, str]], days: tuple[str, ...] = ALL_DAYS
) -> list[dict[str, Any]]:
    return [{"dayOfWeek": day, "workingIntervals": intervals} for day in days]


def profile_body(**overrides: Any) -> dict[str, Any]:
    """A valid profile: 30-minute meetings, 09:00-17:00 Berlin on weekdays."""
    body: dict[str, Any] = {
        "name": "intro",
        "durationMinutes": 30,
        "availabilityStep": 30,
        "timeAvailableFor": "P30D",
        "subject": "Intro call with {{name}}",
        "description": "Agenda: {{topic}}. Notes: {{notes=none}}",
        "location": "Online",
        "workHours": {
            "timezone": "Europe/Berlin",
            "daySchedules": day_schedules(
                [{"start": "09:00", "end": "17:00"}], WEEKDAYS
            ),
        },
        "context": "crm-42",
    }
    body.update(overrides)
    return body


async def create_profile(
    client: httpx.AsyncClient, headers: dict[str, str], **overrides: Any
) -> dict[str, Any]:
    response = await client.post(
        "/v1/book/profiles", json=profile_body(**overrides), headers=headers
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def next_date(month: int, day: int, *, after: date | None = None) -> date:
    """The next month/day at least two days after `after` (default: today)."""
    start = (after or datetime.now(UTC).date()) + timedelta(days=2)
    candidate = date(start.year, month, day)
    return candidate if candidate >= start else date(start.year + 1, month, day)


def local_midnight(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(0), ZoneInfo(zone)).astimezone(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def one_day(day: date, zone: str = "UTC") -> dict[str, str]:
    """startTime/endTime limiting the active period to one local day."""
    start = local_midnight(day, zone)
    return {
        "startTime": iso(start),
        "endTime": iso(local_midnight(day + timedelta(days=1), zone)),
    }


def availability_url(profile: dict[str, Any]) -> str:
    return f"/v1/book/{profile['clientId']}/{profile['name']}/meeting"


async def owner_id(client: httpx.AsyncClient, headers: dict[str, str]) -> uuid.UUID:
    response = await client.get("/v1/users/me", headers=headers)
    return uuid.UUID(response.json()["id"])


async def add_event(
    database: Database,
    creator_id: uuid.UUID,
    start: datetime,
    end: datetime,
    *,
    zone: str = "UTC",
    rrule: str | None = None,
) -> uuid.UUID:
    """An event on the creator's calendar, made through the events service."""
    async with database.sessionmaker() as session:
        event = await events_service.create_event(
            session,
            creator_id=creator_id,
            data=PostEventsBody(
                title="Busy",
                description="",
                is_time_independent=False,
                is_all_day=False,
                starts_at=DateTimeTZ(datetime=start, timezone=zone),
                ends_at=DateTimeTZ(datetime=end, timezone=zone),
                recurrence_pattern=[rrule] if rrule else None,
            ),
        )
        await session.commit()
        return event.id


def at(day: date, clock: str) -> datetime:
    """A UTC instant on `day` at HH:MM."""
    return datetime.combine(day, time.fromisoformat(clock), UTC)


def slot_starts(availability: dict[str, Any]) -> list[str]:
    return [item["start"][11:16] for item in availability["items"]]


def booking_body(
    start: datetime, minutes: int = 30, **overrides: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "time": {"start": iso(start), "end": iso(start + timedelta(minutes=minutes))},
        "name": "Carol Client",
        "email": "carol@example.com",
        "substitutionData": {"topic": "pricing"},
    }
    body.update(overrides)
    return body
