"""Booking profile use cases: validate, create, read, list, change, delete.

Every semantic check of a profile (zone, step, duration, intervals, active
period, name) raises ``BookingProfileInvalid`` (400) naming the field the way
the JSON spells it; nothing is written unless the whole profile is valid.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from parley.booking.availability import (
    ALLOWED_STEP_MINUTES,
    DaySchedule,
    WorkHours,
    WorkingInterval,
)
from parley.booking.durations import normalize_iso_duration, parse_iso_duration
from parley.booking.errors import (
    BookingFieldError,
    BookingProfileInvalid,
    BookingProfileNameTaken,
    BookingProfileNotFound,
)
from parley.booking.models import BookingProfile
from parley.booking.schemas import ProfileCreate, ProfileUpdate, WorkHoursBody
from parley.errors import ValidationFailed
from parley.pagination import fetch_slice

NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}", re.ASCII)
MAX_DURATION_MINUTES = 24 * 60
MAX_BUFFER_MINUTES = 24 * 60
MAX_NOTICE_MINUTES = 365 * 24 * 60
MAX_HORIZON = timedelta(days=366)
_LOCAL_TIME = re.compile(r"(\d\d):(\d\d)(?::(\d\d))?", re.ASCII)
_OFFSET_SUFFIX = re.compile(r".*(?:Z|[+-]\d\d(?::?\d\d)?)", re.ASCII | re.IGNORECASE)
# Fields that PATCH may set to null; the others must keep a value.
_NULLABLE = frozenset(
    {"subject", "description", "location", "start_time", "end_time", "context"}
)


@dataclass(frozen=True, slots=True)
class ProfileRules:
    """A stored profile's availability rules, parsed once per use."""

    work_hours: WorkHours
    duration: timedelta
    step_minutes: int
    horizon: timedelta
    buffer_before: timedelta
    buffer_after: timedelta
    notice: timedelta
    active_start: datetime | None
    active_end: datetime | None


def profile_rules(profile: BookingProfile) -> ProfileRules:
    """The rules of a stored (hence valid) profile."""
    return ProfileRules(
        work_hours=work_hours_from_json(profile.work_hours),
        duration=timedelta(minutes=profile.duration_minutes),
        step_minutes=profile.availability_step,
        horizon=parse_iso_duration(profile.time_available_for),
        buffer_before=timedelta(minutes=profile.buffer_before_minutes),
        buffer_after=timedelta(minutes=profile.buffer_after_minutes),
        notice=timedelta(minutes=profile.minimum_notice_minutes),
        active_start=profile.start_time,
        active_end=profile.end_time,
    )


# --- work hours ---------------------------------------------------------------


def _parse_local_time(text: str, path: str, *, is_end: bool) -> time:
    """HH:MM or HH:MM:SS local time; 24:00 (or 00:00) as an end is midnight."""
    match = _LOCAL_TIME.fullmatch(text)
    if match is None:
        if _OFFSET_SUFFIX.fullmatch(text):
            message = (
                "must be a local time without offset (the zone is "
                f"workHours.timezone), got {text!r}"
            )
        else:
            message = f"must be a time of day HH:MM or HH:MM:SS, got {text!r}"
        raise BookingProfileInvalid.for_field(path, message)
    hour, minute, second = (int(part or 0) for part in match.groups())
    if is_end and (hour, minute, second) == (24, 0, 0):
        return time(0)
    if hour > 23 or minute > 59 or second > 59:
        raise BookingProfileInvalid.for_field(path, f"is not a time of day: {text!r}")
    return time(hour, minute, second)


def _format_local_time(value: time) -> str:
    return value.strftime("%H:%M" if value.second == 0 else "%H:%M:%S")


def _work_hours(raw: dict[str, Any]) -> WorkHours:
    """Build WorkHours from the canonical JSON spelling, turning errors into 400s."""
    schedules = []
    for day_index, day in enumerate(raw["daySchedules"]):
        base = f"workHours.daySchedules[{day_index}].workingIntervals"
        intervals = [
            WorkingInterval(
                _parse_local_time(
                    interval["start"], f"{base}[{i}].start", is_end=False
                ),
                _parse_local_time(interval["end"], f"{base}[{i}].end", is_end=True),
            )
            for i, interval in enumerate(day["workingIntervals"])
        ]
        schedules.append(DaySchedule(day["dayOfWeek"], tuple(intervals)))
    try:
        return WorkHours(raw["timezone"], tuple(schedules))
    except BookingFieldError as exc:
        raise BookingProfileInvalid.for_field(exc.field, exc.message) from None


def work_hours_from_json(raw: dict[str, Any]) -> WorkHours:
    """WorkHours of a stored profile."""
    return _work_hours(raw)


def canonical_work_hours(body: WorkHoursBody) -> dict[str, Any]:
    """Validated work hours in their stored spelling: lower-case days, HH:MM times."""
    raw: dict[str, Any] = {
        "timezone": body.timezone,
        "daySchedules": [
            {
                # Aurinko writes "monday"; accept "Monday" too.
                "dayOfWeek": day.day_of_week.lower(),
                "workingIntervals": [
                    {"start": interval.start, "end": interval.end}
                    for interval in day.working_intervals
                ],
            }
            for day in body.day_schedules
        ],
    }
    parsed = _work_hours(raw)
    for day in raw["daySchedules"]:
        for interval in day["workingIntervals"]:
            for key in ("start", "end"):
                value = _parse_local_time(interval[key], "", is_end=key == "end")
                interval[key] = _format_local_time(value)
    raw["timezone"] = parsed.timezone
    return raw


# --- whole-profile validation -------------------------------------------------------


def _check_range(value: int, field: str, low: int, high: int) -> None:
    if not low <= value <= high:
        raise BookingProfileInvalid.for_field(
            field, f"must be between {low} and {high}, got {value}"
        )


def _validated(values: dict[str, Any]) -> dict[str, Any]:
    """Check every field of a complete profile; returns the stored values."""
    if not NAME_PATTERN.fullmatch(values["name"]):
        raise BookingProfileInvalid.for_field(
            "name",
            "must be 1-64 characters: letters, digits, '-' and '_', "
            "starting with a letter or digit",
        )
    _check_range(values["duration_minutes"], "durationMinutes", 1, MAX_DURATION_MINUTES)
    if values["availability_step"] not in ALLOWED_STEP_MINUTES:
        raise BookingProfileInvalid.for_field(
            "availabilityStep",
            f"must be one of {', '.join(map(str, ALLOWED_STEP_MINUTES))} minutes, "
            f"got {values['availability_step']}",
        )
    try:
        horizon_text = normalize_iso_duration(values["time_available_for"])
        horizon = parse_iso_duration(horizon_text)
    except BookingFieldError as exc:
        raise BookingProfileInvalid.for_field(exc.field, exc.message) from None
    if not timedelta(0) < horizon <= MAX_HORIZON:
        raise BookingProfileInvalid.for_field(
            "timeAvailableFor",
            f"must be longer than zero and at most {MAX_HORIZON.days} days",
        )
    _check_range(
        values["buffer_before_minutes"], "bufferBeforeMinutes", 0, MAX_BUFFER_MINUTES
    )
    _check_range(
        values["buffer_after_minutes"], "bufferAfterMinutes", 0, MAX_BUFFER_MINUTES
    )
    _check_range(
        values["minimum_notice_minutes"], "minimumNoticeMinutes", 0, MAX_NOTICE_MINUTES
    )
    start, end = values["start_time"], values["end_time"]
    if start is not None and end is not None and end <= start:
        raise BookingProfileInvalid.for_field("endTime", "must be after startTime")
    return {
        **values,
        "time_available_for": horizon_text,
        "start_time": start.astimezone(UTC) if start is not None else None,
        "end_time": end.astimezone(UTC) if end is not None else None,
    }


def _create_values(data: ProfileCreate) -> dict[str, Any]:
    values = data.model_dump(exclude={"id", "work_hours"})
    values["work_hours"] = canonical_work_hours(data.work_hours)
    return _validated(values)


def _stored_values(profile: BookingProfile) -> dict[str, Any]:
    return {
        "name": profile.name,
        "duration_minutes": profile.duration_minutes,
        "availability_step": profile.availability_step,
        "time_available_for": profile.time_available_for,
        "start_time": profile.start_time,
        "end_time": profile.end_time,
        "subject": profile.subject,
        "description": profile.description,
        "location": profile.location,
        "work_hours": profile.work_hours,
        "buffer_before_minutes": profile.buffer_before_minutes,
        "buffer_after_minutes": profile.buffer_after_minutes,
        "minimum_notice_minutes": profile.minimum_notice_minutes,
        "start_conference": profile.start_conference,
        "context": profile.context,
    }


def _update_values(profile: BookingProfile, data: ProfileUpdate) -> dict[str, Any]:
    changes = data.model_dump(exclude_unset=True, exclude={"work_hours"})
    if not changes and "work_hours" not in data.model_fields_set:
        raise ValidationFailed.missing_values()
    for key, value in changes.items():
        if value is None and key not in _NULLABLE:
            field = ProfileUpdate.model_fields[key].alias or key
            raise ValidationFailed.for_field(
                field, "value_required", "This field cannot be null"
            )
    if "work_hours" in data.model_fields_set:
        if data.work_hours is None:
            raise ValidationFailed.for_field(
                "workHours", "value_required", "This field cannot be null"
            )
        changes["work_hours"] = canonical_work_hours(data.work_hours)
    return _validated({**_stored_values(profile), **changes})


# --- persistence ------------------------------------------------------------------


async def _flush_unique_name(session: AsyncSession, profile: BookingProfile) -> None:
    """Flush in a savepoint so a duplicate name is a 409, not a broken transaction."""
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise BookingProfileNameTaken() from None


async def _name_taken(
    session: AsyncSession,
    owner_id: uuid.UUID,
    name: str,
    *,
    other_than: uuid.UUID | None = None,
) -> bool:
    statement = select(BookingProfile.id).where(
        BookingProfile.owner_id == owner_id, BookingProfile.name == name
    )
    if other_than is not None:
        statement = statement.where(BookingProfile.id != other_than)
    return await session.scalar(statement) is not None


async def create_profile(
    session: AsyncSession, *, owner_id: uuid.UUID, data: ProfileCreate
) -> BookingProfile:
    """A new profile owned by the caller; 400 naming a bad field, 409 on a taken name."""
    values = _create_values(data)
    if await _name_taken(session, owner_id, values["name"]):
        raise BookingProfileNameTaken()
    profile = BookingProfile(owner_id=owner_id, **values)
    session.add(profile)
    await _flush_unique_name(session, profile)
    return profile


async def get_owned_profile_or_raise(
    session: AsyncSession, profile_id: uuid.UUID, owner_id: uuid.UUID
) -> BookingProfile:
    """The caller's profile; someone else's is as unknown as a missing one (404)."""
    profile = await session.get(BookingProfile, profile_id)
    if profile is None or profile.owner_id != owner_id:
        raise BookingProfileNotFound()
    return profile


async def get_public_profile(
    session: AsyncSession, owner_id: uuid.UUID, name: str
) -> BookingProfile | None:
    return await session.scalar(
        select(BookingProfile).where(
            BookingProfile.owner_id == owner_id, BookingProfile.name == name
        )
    )


async def list_profiles(
    session: AsyncSession, owner_id: uuid.UUID, *, offset: int, limit: int
) -> tuple[list[BookingProfile], int]:
    """A slice of the owner's profiles by name, and how many there are."""
    statement = (
        select(BookingProfile)
        .where(BookingProfile.owner_id == owner_id)
        .order_by(BookingProfile.name, BookingProfile.id)
    )
    return await fetch_slice(session, statement, offset=offset, limit=limit)


async def update_profile(
    session: AsyncSession, profile: BookingProfile, data: ProfileUpdate
) -> BookingProfile:
    """Apply the given fields; the result must be a valid profile as a whole."""
    values = _update_values(profile, data)
    if values["name"] != profile.name and await _name_taken(
        session, profile.owner_id, values["name"], other_than=profile.id
    ):
        raise BookingProfileNameTaken()
    for key, value in values.items():
        setattr(profile, key, value)
    await _flush_unique_name(session, profile)
    return profile


async def delete_profile(session: AsyncSession, profile: BookingProfile) -> None:
    """Delete the profile; meetings already booked stay on the owner's calendar."""
    await session.delete(profile)
    await session.flush()
