"""Which events a user sees in a window: index range scans per span class.

A user's events are those they created plus those they are invited to; each
source is scanned per span class (``listing_keys``) and the parts are combined
with UNION ALL in one statement, each part ordered and limited by the index.
The caller merges the parts in the listing order

    (first_start NULLS FIRST, created_at, id)

which is the reference controller's order (time-independent events first).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    literal,
    or_,
    select,
    true,
    tuple_,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from parley.db import UTCDateTime
from parley.events.listing_keys import (
    BOUNDED_CLASSES,
    OPEN_CLASS,
    TIME_INDEPENDENT_CLASS,
    class_span_limit,
)
from parley.events.models import Event, EventFavorite, EventInvite
from parley.events.timing import BEGINNING_OF_TIME


@dataclass(frozen=True, slots=True)
class Window:
    """``[start, end)``; either side may be open. Any bound excludes untimed events."""

    start: datetime | None = None
    end: datetime | None = None

    @property
    def is_bounded(self) -> bool:
        return self.start is not None or self.end is not None


@dataclass(frozen=True, slots=True)
class SortKey:
    """A row's position in the listing order; also the content of the cursor."""

    first_start: datetime | None
    created_at: datetime
    event_id: uuid.UUID

    def ordering(self) -> tuple[Any, ...]:
        return (
            self.first_start is not None,
            self.first_start or BEGINNING_OF_TIME,
            self.created_at,
            self.event_id,
        )


@dataclass(frozen=True, slots=True)
class Filters:
    """The GET /events filters besides the window."""

    favorites: bool = False
    adhoc: bool | None = None
    time_independent: bool | None = None
    invite_status: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class _Source:
    """One table a user's calendar is read from, with its listing-key columns."""

    owner: Any
    event_id: Any
    first_start: Any
    last_end: Any
    span_class: Any
    created_at: Any
    status: Any | None  # the invitee's answer; None for the creator's own events


_CREATED = _Source(
    owner=Event.created_by_id,
    event_id=Event.id,
    first_start=Event.first_start,
    last_end=Event.last_end,
    span_class=Event.span_class,
    created_at=Event.created_at,
    status=None,
)
_INVITED = _Source(
    owner=EventInvite.invitee_id,
    event_id=EventInvite.event_id,
    first_start=EventInvite.first_start,
    last_end=EventInvite.last_end,
    span_class=EventInvite.span_class,
    created_at=EventInvite.event_created_at,
    status=EventInvite.status,
)


def _instant(value: datetime) -> ColumnElement[datetime]:
    return literal(value, UTCDateTime())


def _classes(window: Window, filters: Filters) -> list[int]:
    timed = [*BOUNDED_CLASSES, OPEN_CLASS]
    if window.is_bounded or filters.time_independent is False:
        return timed
    if filters.time_independent:
        return [TIME_INDEPENDENT_CLASS]
    return [TIME_INDEPENDENT_CLASS, *timed]


def _window_clause(source: _Source, number: int, window: Window) -> list[Any]:
    """Overlap of ``[first_start, last_end)`` with the window, as a range on first_start.

    A zero-length event at instant t is inside when start <= t < end.
    """
    clauses: list[Any] = []
    if window.end is not None:
        clauses.append(source.first_start < _instant(window.end))
    if window.start is None:
        return clauses
    limit = class_span_limit(number)
    if limit is not None:
        try:
            lowest = window.start - limit
        except OverflowError:
            lowest = BEGINNING_OF_TIME
        clauses.append(source.first_start >= _instant(lowest))
    reaches = or_(
        source.last_end > _instant(window.start),
        source.first_start >= _instant(window.start),
    )
    if number == OPEN_CLASS:
        reaches = or_(source.last_end.is_(None), reaches)
    clauses.append(reaches)
    return clauses


def _cursor_clause(source: _Source, number: int, after: SortKey | None) -> Any:
    if after is None:
        return true()
    if number == TIME_INDEPENDENT_CLASS:
        if after.first_start is not None:
            return literal(False)
        return tuple_(source.created_at, source.event_id) > tuple_(
            _instant(after.created_at), literal(after.event_id)
        )
    if after.first_start is None:
        return true()
    return tuple_(source.first_start, source.created_at, source.event_id) > tuple_(
        _instant(after.first_start),
        _instant(after.created_at),
        literal(after.event_id),
    )


def _part(
    source: _Source,
    user_id: uuid.UUID,
    number: int,
    *,
    window: Window,
    filters: Filters,
    after: SortKey | None,
    limit: int | None,
) -> Select[Any]:
    statement = select(
        source.event_id.label("event_id"),
        source.first_start.label("first_start"),
        source.created_at.label("created_at"),
        source.last_end.label("last_end"),
    ).where(
        source.owner == user_id,
        source.span_class == number,
        *_window_clause(source, number, window),
        _cursor_clause(source, number, after),
    )
    if source.status is not None and filters.invite_status:
        statement = statement.where(source.status.in_(sorted(filters.invite_status)))
    if filters.favorites:
        statement = statement.join(
            EventFavorite,
            and_(
                EventFavorite.event_id == source.event_id,
                EventFavorite.user_id == user_id,
            ),
        )
    if filters.adhoc is not None:
        if source is _CREATED:
            statement = statement.where(Event.is_adhoc == filters.adhoc)
        else:
            statement = statement.join(Event, Event.id == source.event_id).where(
                Event.is_adhoc == filters.adhoc
            )
    if limit is not None:
        statement = statement.order_by(
            source.first_start, source.created_at, source.event_id
        ).limit(limit)
    return statement


def _sources(filters: Filters) -> list[_Source]:
    # Creators have no invite row; the controller counts them as `accepted`.
    if filters.invite_status and "accepted" not in filters.invite_status:
        return [_INVITED]
    return [_CREATED, _INVITED]


@dataclass(frozen=True, slots=True)
class Candidate:
    key: SortKey
    last_end: datetime | None


async def list_page(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    window: Window,
    filters: Filters,
    after: SortKey | None,
    limit: int,
) -> list[Candidate]:
    """The first ``limit`` of the user's events after the cursor, in listing order."""
    parts = [
        _part(
            source,
            user_id,
            number,
            window=window,
            filters=filters,
            after=after,
            limit=limit + 1,
        ).subquery()
        for source in _sources(filters)
        for number in _classes(window, filters)
    ]
    rows = await _run_union(session, parts)
    seen: set[uuid.UUID] = set()
    result: list[Candidate] = []
    for candidate in sorted(rows, key=lambda c: c.key.ordering()):
        if candidate.key.event_id in seen:
            continue
        seen.add(candidate.key.event_id)
        result.append(candidate)
        if len(result) == limit:
            break
    return result


async def list_in_window(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    window: Window,
    invite_status: frozenset[str],
) -> list[Candidate]:
    """All timed events of the user overlapping the window (unordered, distinct)."""
    filters = Filters(time_independent=False, invite_status=invite_status)
    parts = [
        _part(
            source,
            user_id,
            number,
            window=window,
            filters=filters,
            after=None,
            limit=None,
        ).subquery()
        for source in _sources(filters)
        for number in _classes(window, filters)
    ]
    unique = {c.key.event_id: c for c in await _run_union(session, parts)}
    return list(unique.values())


async def _run_union(session: AsyncSession, parts: Sequence[Any]) -> list[Candidate]:
    union = union_all(*(select(part) for part in parts))
    result = await session.execute(union)
    return [
        Candidate(
            key=SortKey(
                first_start=_aware(row.first_start),
                created_at=_aware(row.created_at),  # type: ignore[arg-type]
                event_id=row.event_id,
            ),
            last_end=_aware(row.last_end),
        )
        for row in result
    ]


def _aware(value: datetime | None) -> datetime | None:
    """Columns of a UNION lose their type on SQLite; results may come back naive or text."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
