"""Instances of an event and the exceptions that change or cancel one of them.

Instances are listed by their original start (the rule's), paged with the
engine's bounded expansion; an exception keeps the instance id of the
occurrence it changes even when it moves it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.db import utcnow
from parley.errors import BadRequest, ValidationFailed
from parley.events import notifications
from parley.events.calendar_lock import lock_calendar
from parley.events.errors import InstanceNotFound
from parley.events.invites import insert_once
from parley.events.models import Event, EventException
from parley.events.occurrences import (
    Occurrence,
    apply_exception,
    exceptions_by_start,
    stored_timing,
)
from parley.events.recurrence import (
    RecurrenceError,
    is_occurrence,
    occurrences,
    parse_instance_id,
)
from parley.events.schemas import PatchEventInstance
from parley.events.sequence import bump_sequence
from parley.events.service import (
    ensure_creator,
    notify_update,
    refresh_listing_keys,
)
from parley.events.timing import END_OF_TIME, Moment, Timing, check_times

_ONE_SECOND = timedelta(seconds=1)


class InvalidInstanceId(BadRequest):
    default_message = "The instance id is malformed"


class ExpansionLimitReached(ValidationFailed):
    """The requested occurrences lie beyond the recurrence engine's work bound."""

    code = "expansion_limit_reached"
    default_message = (
        "The occurrences in this range lie beyond the recurrence expansion bound "
        "(a COUNT rule expanded too far); ask for an earlier range"
    )


@dataclass(frozen=True, slots=True)
class InstancePage:
    """Occurrences by original start, and where the next page starts (None: done)."""

    occurrences: list[Occurrence]
    next_from: datetime | None


def parse_instance(text: str) -> datetime:
    try:
        return parse_instance_id(text)
    except RecurrenceError as exc:
        raise InvalidInstanceId(str(exc)) from None


async def _exceptions_at(
    session: AsyncSession, event: Event, starts: list[datetime]
) -> dict[datetime, EventException]:
    if not starts:
        return {}
    found = await session.scalars(
        select(EventException).where(
            EventException.event_id == event.id,
            EventException.original_starts_at.in_(starts),
        )
    )
    return exceptions_by_start(found)


async def list_instances(
    session: AsyncSession,
    event: Event,
    *,
    time_min: datetime | None,
    time_max: datetime | None,
    after: datetime | None,
    per_page: int,
) -> InstancePage:
    """A page of the event's instances whose original start is in the window."""
    timing = stored_timing(event)
    if timing.starts_at is None:
        return InstancePage([], None)
    lower = max(d for d in (time_min, after, timing.starts_at.at) if d is not None)
    upper = time_max or END_OF_TIME
    if timing.recurrence is None:
        start = timing.starts_at.at
        starts = [start] if lower <= start < upper else []
        return InstancePage([apply_exception(timing, s, None) for s in starts], None)
    page = occurrences(
        timing.recurrence, window_start=lower, window_end=upper, limit=per_page
    )
    if page.truncated and page.resume_from is None:
        raise ExpansionLimitReached()
    exceptions = await _exceptions_at(session, event, list(page.starts))
    found = [apply_exception(timing, s, exceptions.get(s)) for s in page.starts]
    return InstancePage(found, page.resume_from if page.truncated else None)


async def _is_instance(
    session: AsyncSession, event: Event, timing: Timing, original: datetime
) -> EventException | None:
    """The exception of the instance (or None); 404 when there is no such instance."""
    exception = (await _exceptions_at(session, event, [original])).get(original)
    if exception is not None:
        return exception
    if timing.recurrence is None or not is_occurrence(timing.recurrence, original):
        raise InstanceNotFound()
    return None


async def get_instance(
    session: AsyncSession, event: Event, instance_id: str
) -> Occurrence:
    """One instance by id; a single event has exactly one, at its start."""
    original = parse_instance(instance_id)
    timing = stored_timing(event)
    if timing.starts_at is None:
        raise InstanceNotFound()
    if timing.recurrence is None:
        if original != timing.starts_at.at:
            raise InstanceNotFound()
        return apply_exception(timing, original, None)
    exception = await _is_instance(session, event, timing, original)
    return apply_exception(timing, original, exception)


def _merge_patch(
    exception: EventException, changes: dict[str, object], data: PatchEventInstance
) -> None:
    for name in ("title", "description", "is_all_day", "status"):
        if changes.get(name) is not None:
            setattr(exception, name, changes[name])
    for name in ("starts_at", "ends_at"):
        value = getattr(data, name)
        if value is not None:
            setattr(exception, name, value.datetime)
            setattr(exception, f"{name}_tz", value.timezone)


async def _new_exception(
    session: AsyncSession,
    event: Event,
    original: datetime,
    actor_id: uuid.UUID,
    now: datetime,
) -> EventException:
    """A new exception row, or the one a concurrent request just created."""
    exception = EventException(
        event_id=event.id,
        original_starts_at=original,
        status="ok",
        created_by_id=actor_id,
        created_at=now,
        updated_by_id=actor_id,
        updated_at=now,
    )
    if await insert_once(session, exception):
        return exception
    return (await _exceptions_at(session, event, [original]))[original]


async def patch_instance(
    session: AsyncSession,
    event: Event,
    instance_id: str,
    data: PatchEventInstance,
    *,
    actor_id: uuid.UUID,
    notify: bool = True,
) -> Occurrence | None:
    """Create or update the exception of one instance (creator only).

    Returns None for an empty patch (nothing changes). Only recurring events
    have exceptions; any other instance id is 404.
    """
    ensure_creator(event, actor_id)
    original = parse_instance(instance_id)
    timing = stored_timing(event)
    if timing.recurrence is None:
        raise InstanceNotFound("Only instances of recurring events can be changed")
    exception = await _is_instance(session, event, timing, original)
    changes = data.model_dump(exclude_unset=True)
    if not any(value is not None for value in changes.values()):
        return None
    await lock_calendar(session, event.created_by_id)
    now = utcnow()
    if exception is None:
        exception = await _new_exception(session, event, original, actor_id, now)
    _merge_patch(exception, changes, data)
    exception.updated_by_id = actor_id
    exception.updated_at = now
    occurrence = apply_exception(timing, original, exception)
    check_times(
        Moment(occurrence.starts_at.at, occurrence.starts_at.zone),
        Moment(occurrence.ends_at.at, occurrence.ends_at.zone),
        is_all_day=occurrence.is_all_day,
    )
    await session.flush()
    await refresh_listing_keys(session, event)
    await bump_sequence(session, event)
    if notify:
        await notify_update(
            session,
            event,
            actor_id=actor_id,
            change=notifications.EventChange(
                fields=frozenset(k for k, v in changes.items() if v is not None),
                instance_start=original,
                cancelled=occurrence.cancelled,
            ),
        )
    return occurrence


def next_cursor_start(page: InstancePage) -> datetime | None:
    """Where the page after this one starts, when a next page is announced."""
    if page.next_from is not None:
        return page.next_from
    if page.occurrences:
        return page.occurrences[-1].original_start + _ONE_SECOND
    return None
