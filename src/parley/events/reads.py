"""Read use cases that return API shapes: the calendar listing, one event, instances."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, SQLColumnExpression, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.events.errors import EventNotFound
from parley.events.instances import InstancePage
from parley.events.listing import Filters, SortKey, Window, list_page
from parley.events.models import Event, EventException
from parley.events.occurrences import (
    Occurrence,
    apply_exception,
    overlaps,
    stored_timing,
)
from parley.events.schemas import EventExceptionRead, EventInstanceRead, EventRead
from parley.events.timing import BEGINNING_OF_TIME, END_OF_TIME, Timing
from parley.events.views import (
    add_users,
    event_read,
    exception_read,
    instance_read,
    load_events,
)

# Widening of the exception pre-filter: all-day occurrences cover local days up
# to 14 hours away from their UTC date.
_SLACK = timedelta(days=2)


async def list_events(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    window: Window,
    filters: Filters,
    after: SortKey | None,
    per_page: int,
    invitees_max: int,
) -> tuple[list[EventRead | EventExceptionRead], SortKey | None]:
    """A page of the user's events, each recurring one followed by its exceptions.

    With a window, only exceptions whose original or moved occurrence overlaps
    it are included. Returns the items and the sort key of the page's last event.
    """
    candidates = await list_page(
        session, user_id, window=window, filters=filters, after=after, limit=per_page
    )
    if not candidates:
        return [], None
    events, context = await load_events(
        session,
        [candidate.key.event_id for candidate in candidates],
        user_id=user_id,
        invitees_max=invitees_max,
    )
    exceptions = await _exceptions_for(session, events, window)
    await add_users(
        session, context, (x for found in exceptions.values() for x in found)
    )
    items: list[EventRead | EventExceptionRead] = []
    for event in events:
        items.append(event_read(event, context))
        items.extend(
            exception_read(event, exception, context)
            for exception in exceptions.get(event.id, [])
        )
    return items, candidates[-1].key


async def _exceptions_for(
    session: AsyncSession, events: Sequence[Event], window: Window
) -> dict[uuid.UUID, list[EventException]]:
    recurring = {event.id: event for event in events if event.is_recurring}
    if not recurring:
        return {}
    statement = select(EventException).where(
        EventException.event_id.in_(list(recurring))
    )
    if window.is_bounded:
        longest = max(
            (
                e.ends_at - e.starts_at
                for e in recurring.values()
                if e.starts_at and e.ends_at
            ),
            default=timedelta(0),
        )
        statement = statement.where(_exception_prefilter(window, longest))
    found: dict[uuid.UUID, list[EventException]] = {}
    timings: dict[uuid.UUID, Timing] = {}
    for exception in await session.scalars(
        statement.order_by(EventException.original_starts_at)
    ):
        event = recurring[exception.event_id]
        if window.is_bounded:
            if event.id not in timings:
                timings[event.id] = stored_timing(event)
            if not _touches(timings[event.id], exception, window):
                continue
        found.setdefault(event.id, []).append(exception)
    return found


def _exception_prefilter(window: Window, longest: timedelta) -> ColumnElement[bool]:
    """A superset of the exceptions touching the window, narrowed in Python after."""
    lo = window.start - longest - _SLACK if window.start is not None else None
    hi = window.end + _SLACK if window.end is not None else None

    def between(column: SQLColumnExpression[datetime]) -> ColumnElement[bool]:
        parts: list[ColumnElement[bool]] = []
        if lo is not None:
            parts.append(column >= lo)
        if hi is not None:
            parts.append(column < hi)
        return and_(*parts)

    moved = and_(
        or_(EventException.starts_at.is_(None), EventException.starts_at < hi)
        if hi is not None
        else EventException.starts_at.is_not(None),
        or_(EventException.ends_at.is_(None), EventException.ends_at > lo)
        if lo is not None
        else EventException.ends_at.is_not(None),
        or_(EventException.starts_at.is_not(None), EventException.ends_at.is_not(None)),
    )
    return or_(between(EventException.original_starts_at), moved)


def _touches(timing: Timing, exception: EventException, window: Window) -> bool:
    start = window.start or BEGINNING_OF_TIME
    end = window.end or END_OF_TIME
    unmoved = apply_exception(timing, exception.original_starts_at, None)
    moved = apply_exception(timing, exception.original_starts_at, exception)
    return overlaps(unmoved.span(), start, end) or overlaps(moved.span(), start, end)


async def read_event(
    session: AsyncSession, event: Event, *, user_id: uuid.UUID, invitees_max: int
) -> EventRead:
    loaded, context = await load_events(
        session, [event.id], user_id=user_id, invitees_max=invitees_max
    )
    if not loaded:  # deleted by a concurrent request since it was looked up
        raise EventNotFound()
    return event_read(loaded[0], context)


async def read_instance(
    session: AsyncSession,
    event: Event,
    occurrence: Occurrence,
    *,
    user_id: uuid.UUID,
    invitees_max: int,
) -> EventInstanceRead:
    page = InstancePage([occurrence], None)
    (shown,) = await read_instances(
        session, event, page, user_id=user_id, invitees_max=invitees_max
    )
    return shown


async def read_instances(
    session: AsyncSession,
    event: Event,
    page: InstancePage,
    *,
    user_id: uuid.UUID,
    invitees_max: int,
) -> list[EventInstanceRead]:
    _, context = await load_events(
        session, [event.id], user_id=user_id, invitees_max=invitees_max
    )
    await add_users(
        session, context, (o.exception for o in page.occurrences if o.exception)
    )
    return [instance_read(event, o, context) for o in page.occurrences]
