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
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Integer,
    Select,
    Uuid,
    and_,
    bindparam,
    false,
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


@dataclass(frozen=True, slots=True)
class _Shape:
    """What decides the SQL of a listing; the values are bound parameters.

    Statements are built once per shape and reused, so a request costs no
    expression building and always hits SQLAlchemy's compiled cache.
    """

    sources: tuple[str, ...]
    classes: tuple[int, ...]
    has_start: bool
    has_end: bool
    cursor: str | None  # None, "untimed" (cursor in class 0) or "timed"
    statuses: bool
    favorites: bool
    adhoc: bool
    paged: bool


_SOURCES = {"created": _CREATED, "invited": _INVITED}
_INSTANT = UTCDateTime()


def footprint_overlaps(
    start: datetime | None, end: datetime | None
) -> ColumnElement[bool]:
    """Events whose footprint meets ``[start, end)`` (either side open).

    For other domains' own queries over events (the EasyCalendar list); any bound
    leaves out time-independent events, as a window does here.
    """
    conditions: list[ColumnElement[bool]] = []
    if start is not None or end is not None:
        conditions.append(Event.first_start.is_not(None))
    if end is not None:
        conditions.append(Event.first_start < end)
    if start is not None:
        conditions.append(or_(Event.last_end.is_(None), Event.last_end > start))
    return and_(true(), *conditions)


def _param(name: str, type_: Any = None) -> Any:
    return bindparam(name, type_=type_)


def _classes(window: Window, filters: Filters) -> tuple[int, ...]:
    timed = (*BOUNDED_CLASSES, OPEN_CLASS)
    if window.is_bounded or filters.time_independent is False:
        return timed
    if filters.time_independent:
        return (TIME_INDEPENDENT_CLASS,)
    return (TIME_INDEPENDENT_CLASS, *timed)


def _window_clause(source: _Source, number: int, shape: _Shape) -> list[Any]:
    """Overlap of ``[first_start, last_end)`` with the window, as a range on first_start.

    A zero-length event at instant t is inside when start <= t < end.
    """
    clauses: list[Any] = []
    if shape.has_end:
        clauses.append(source.first_start < _param("w_end", _INSTANT))
    if not shape.has_start:
        return clauses
    if class_span_limit(number) is not None:
        clauses.append(source.first_start >= _param(f"lower_{number}", _INSTANT))
    start = _param("w_start", _INSTANT)
    reaches = or_(source.last_end > start, source.first_start >= start)
    if number == OPEN_CLASS:
        reaches = or_(source.last_end.is_(None), reaches)
    clauses.append(reaches)
    return clauses


def _cursor_clause(source: _Source, number: int, shape: _Shape) -> Any:
    if shape.cursor is None:
        return None
    created, event_id = _param("c_created", _INSTANT), _param("c_id", Uuid())
    if number == TIME_INDEPENDENT_CLASS:
        if shape.cursor == "timed":
            return false()
        return tuple_(source.created_at, source.event_id) > tuple_(created, event_id)
    if shape.cursor == "untimed":
        return None
    return tuple_(source.first_start, source.created_at, source.event_id) > tuple_(
        _param("c_start", _INSTANT), created, event_id
    )


def _part(source: _Source, number: int, shape: _Shape) -> Select[Any]:
    user_id = _param("user_id", Uuid())
    statement = select(
        source.event_id.label("event_id"),
        source.first_start.label("first_start"),
        source.created_at.label("created_at"),
        source.last_end.label("last_end"),
    ).where(
        source.owner == user_id,
        source.span_class == number,
        *_window_clause(source, number, shape),
    )
    cursor = _cursor_clause(source, number, shape)
    if cursor is not None:
        statement = statement.where(cursor)
    if source.status is not None and shape.statuses:
        statement = statement.where(
            source.status.in_(bindparam("statuses", expanding=True))
        )
    if shape.favorites:
        statement = statement.join(
            EventFavorite,
            and_(
                EventFavorite.event_id == source.event_id,
                EventFavorite.user_id == user_id,
            ),
        )
    if shape.adhoc:
        if source is not _CREATED:
            statement = statement.join(Event, Event.id == source.event_id)
        statement = statement.where(Event.is_adhoc == _param("adhoc", Boolean()))
    if shape.paged:
        statement = statement.order_by(
            source.first_start, source.created_at, source.event_id
        ).limit(_param("part_limit", Integer()))
    return statement


@lru_cache(maxsize=512)
def _statement(shape: _Shape) -> Any:
    """The UNION ALL of every (source, span class) part; paged: ordered and limited."""
    parts = [
        _part(_SOURCES[name], number, shape).subquery()
        for name in shape.sources
        for number in shape.classes
    ]
    union = union_all(*(select(part) for part in parts))
    if not shape.paged:
        return union
    rows = union.subquery()
    return (
        select(rows)
        .order_by(rows.c.first_start.nulls_first(), rows.c.created_at, rows.c.event_id)
        .limit(_param("page_limit", Integer()))
    )


def _sources(filters: Filters) -> tuple[str, ...]:
    # Creators have no invite row; the controller counts them as `accepted`.
    if filters.invite_status and "accepted" not in filters.invite_status:
        return ("invited",)
    return ("created", "invited")


def _shape_and_params(
    user_id: uuid.UUID,
    window: Window,
    filters: Filters,
    after: SortKey | None,
    limit: int | None,
) -> tuple[_Shape, dict[str, Any]]:
    params: dict[str, Any] = {"user_id": user_id}
    classes = _classes(window, filters)
    if window.end is not None:
        params["w_end"] = window.end
    if window.start is not None:
        params["w_start"] = window.start
        for number in classes:
            span = class_span_limit(number)
            if span is not None:
                try:
                    params[f"lower_{number}"] = window.start - span
                except OverflowError:
                    params[f"lower_{number}"] = BEGINNING_OF_TIME
    cursor = None
    if after is not None:
        cursor = "untimed" if after.first_start is None else "timed"
        params.update(c_created=after.created_at, c_id=after.event_id)
        if after.first_start is not None:
            params["c_start"] = after.first_start
    if filters.invite_status:
        params["statuses"] = sorted(filters.invite_status)
    if filters.adhoc is not None:
        params["adhoc"] = filters.adhoc
    if limit is not None:
        params.update(part_limit=limit, page_limit=limit)
    shape = _Shape(
        sources=_sources(filters),
        classes=classes,
        has_start=window.start is not None,
        has_end=window.end is not None,
        cursor=cursor,
        statuses=bool(filters.invite_status),
        favorites=filters.favorites,
        adhoc=filters.adhoc is not None,
        paged=limit is not None,
    )
    return shape, params


@dataclass(frozen=True, slots=True)
class Candidate:
    key: SortKey
    last_end: datetime | None


def page_statement(
    user_id: uuid.UUID,
    *,
    window: Window,
    filters: Filters,
    after: SortKey | None,
    limit: int,
) -> tuple[Any, dict[str, Any]]:
    """The listing query for a page of ``limit`` rows, and its parameters."""
    shape, params = _shape_and_params(user_id, window, filters, after, limit)
    return _statement(shape), params


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
    statement, params = page_statement(
        user_id, window=window, filters=filters, after=after, limit=limit
    )
    rows = await _run(session, statement, params)
    # A user is never invited to their own event, so the parts cannot overlap;
    # dropping repeats anyway keeps a page free of duplicates.
    seen: set[uuid.UUID] = set()
    unique = []
    for row in rows:
        if row.key.event_id not in seen:
            seen.add(row.key.event_id)
            unique.append(row)
    return unique


async def list_in_window(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    window: Window,
    invite_status: frozenset[str],
) -> list[Candidate]:
    """All timed events of the user overlapping the window (unordered, distinct)."""
    filters = Filters(time_independent=False, invite_status=invite_status)
    shape, params = _shape_and_params(user_id, window, filters, None, None)
    rows = await _run(session, _statement(shape), params)
    return list({c.key.event_id: c for c in rows}.values())


async def _run(
    session: AsyncSession, statement: Any, params: dict[str, Any]
) -> list[Candidate]:
    result = await session.execute(statement, params)
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
