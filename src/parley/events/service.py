"""Event use cases: create, read, change, delete, favorites, busy time.

Only the creator may change an event; the creator and invitees may read it.
Invites live in ``events/invites.py``, occurrences in ``events/instances.py``;
both are re-exported here where other domains need them.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from parley.db import utcnow
from parley.events import notifications
from parley.events.busy import busy_spans, merge_spans
from parley.events.calendar_lock import lock_calendar
from parley.events.errors import (
    EventNotFound,
    NoEventAccess,
    NotEventCreator,
)
from parley.events.invites import (
    InviteOutcome,
    invite_email,
    invite_status_of,
    invite_user,
    recipients_of,
)
from parley.events.listing import Window, list_in_window
from parley.events.listing_keys import listing_keys
from parley.events.models import (
    Event,
    EventException,
    EventInvite,
)
from parley.events.occurrences import (
    apply_exception,
    stored_timing,
)
from parley.events.recurrence import join_recurrence_pattern
from parley.events.schemas import DateTimeTZ, PatchEvent, PostEventsBody
from parley.events.sequence import bump_sequence, changes_calendar
from parley.events.timing import (
    Moment,
    Timing,
    footprint,
    resolve_timing,
)
from parley.hooks import Hooks
from parley.rooms import service as rooms_service
from parley.rooms.models import Room
from parley.rooms.schemas import PostRoomsBody
from parley.streaming import service as streaming_service

__all__ = [
    "InviteOutcome",
    "busy_intervals",
    "create_event",
    "delete_event",
    "get_event",
    "get_event_or_raise",
    "invite_email",
    "invite_user",
    "update_event",
]

# At most this many occurrences of one series are expanded for busy time; the
# rest of the window is then reported busy (never silently free).
BUSY_OCCURRENCE_LIMIT = 2_000


# Other domains add to an event's creation and deletion (shared folders depend
# on this module, so it cannot call them directly).
CreatedHook = Callable[[AsyncSession, Event, PostEventsBody], Awaitable[None]]
DeletingHook = Callable[[AsyncSession, Event], Awaitable[None]]
created_hooks: Hooks[CreatedHook] = Hooks(
    "inside create_event once the event is flushed; may raise"
)
deleting_hooks: Hooks[DeletingHook] = Hooks(
    "inside delete_event before the rows go; must not raise"
)


def _moment(value: DateTimeTZ | None) -> Moment | None:
    return None if value is None else Moment(value.datetime, value.timezone)


async def get_event(session: AsyncSession, event_id: uuid.UUID) -> Event | None:
    return await session.get(Event, event_id)


async def get_event_or_raise(session: AsyncSession, event_id: uuid.UUID) -> Event:
    event = await get_event(session, event_id)
    if event is None:
        raise EventNotFound()
    return event


def is_creator(event: Event, user_id: uuid.UUID) -> bool:
    return event.created_by_id == user_id


def ensure_creator(event: Event, user_id: uuid.UUID) -> None:
    if not is_creator(event, user_id):
        raise NotEventCreator()


async def ensure_can_read(
    session: AsyncSession, event: Event, user_id: uuid.UUID
) -> None:
    """The creator and invitees may read an event; others get 403 (as for rooms)."""
    if is_creator(event, user_id):
        return
    if await invite_status_of(session, event.id, user_id) is None:
        raise NoEventAccess()


def _apply_listing_keys(
    event: Event, timing: Timing, moved: list[tuple[datetime, datetime]]
) -> None:
    keys = listing_keys(*footprint(timing, moved))
    event.first_start = keys.first_start
    event.last_end = keys.last_end
    event.span_class = keys.span_class


async def _sync_invite_keys(session: AsyncSession, event: Event) -> None:
    """Copy the event's listing keys onto its invites (they are read per invitee)."""
    await session.execute(
        update(EventInvite)
        .where(EventInvite.event_id == event.id)
        .values(
            first_start=event.first_start,
            last_end=event.last_end,
            span_class=event.span_class,
        )
    )


async def create_event(
    session: AsyncSession, *, creator_id: uuid.UUID, data: PostEventsBody
) -> Event:
    """A new event with its own room, owned by the creator. Usable by other domains."""
    await lock_calendar(session, creator_id)
    timing = resolve_timing(
        is_time_independent=data.is_time_independent,
        is_all_day=data.is_all_day,
        starts_at=_moment(data.starts_at),
        ends_at=_moment(data.ends_at),
        pattern=data.recurrence_pattern or [],
    )
    room = await rooms_service.create_room(
        session,
        owner_id=creator_id,
        data=PostRoomsBody(password=data.password, waiting_room=data.waiting_room),
    )
    # A new event has no invitees yet, so there is nobody to mail about targets.
    await streaming_service.create_targets(
        session, room, data.streaming_targets, suppress_email=True
    )
    now = utcnow()
    event = Event(
        title=data.title,
        description=data.description,
        room_id=room.id,
        created_by_id=creator_id,
        created_at=now,
        updated_by_id=creator_id,
        updated_at=now,
        is_adhoc=data.is_adhoc,
        show_meeting_details=data.show_meeting_details,
    )
    _set_timing(event, timing)
    _apply_listing_keys(event, timing, [])
    session.add(event)
    await session.flush()
    for hook in created_hooks:
        await hook(session, event, data)
    return event


def _set_timing(event: Event, timing: Timing) -> None:
    event.is_time_independent = timing.is_time_independent
    event.is_all_day = timing.is_all_day
    event.starts_at = timing.starts_at.at if timing.starts_at else None
    event.starts_at_tz = timing.starts_at.zone if timing.starts_at else None
    event.ends_at = timing.ends_at.at if timing.ends_at else None
    event.ends_at_tz = timing.ends_at.zone if timing.ends_at else None
    event.recurrence_pattern = join_recurrence_pattern(timing.pattern)


def _merged_timing(
    event: Event, changes: dict[str, object], data: PatchEvent
) -> Timing:
    """The event's times after the patch, validated as a whole."""
    current = stored_timing(event)
    flag = changes.get("is_time_independent")
    is_time_independent = event.is_time_independent if flag is None else bool(flag)
    if is_time_independent and not event.is_time_independent:
        # Becoming time-independent drops the times unless the patch repeats them.
        return resolve_timing(
            is_time_independent=True,
            is_all_day=data.is_all_day,
            starts_at=_moment(data.starts_at),
            ends_at=_moment(data.ends_at),
            pattern=data.recurrence_pattern or [],
        )
    pattern = (
        (data.recurrence_pattern or [])
        if "recurrence_pattern" in changes
        else list(current.pattern)
    )
    return resolve_timing(
        is_time_independent=is_time_independent,
        is_all_day=data.is_all_day
        if data.is_all_day is not None
        else (None if current.is_time_independent else current.is_all_day),
        starts_at=_moment(data.starts_at) or current.starts_at,
        ends_at=_moment(data.ends_at) or current.ends_at,
        pattern=pattern,
    )


def _occurrences_move(old: Timing, new: Timing) -> bool:
    """Whether the original starts of occurrences change (exceptions then go)."""
    return (
        old.pattern != new.pattern
        or old.starts_at != new.starts_at
        or old.is_all_day != new.is_all_day
        or new.recurrence is None
    )


async def update_event(
    session: AsyncSession,
    event: Event,
    data: PatchEvent,
    *,
    actor_id: uuid.UUID,
    notify: bool = True,
) -> Event | None:
    """Apply a patch (creator only); None when the body was empty (nothing changes).

    A new pattern, start or all-day flag removes all exceptions.
    """
    ensure_creator(event, actor_id)
    changes = data.model_dump(exclude_unset=True)
    if not changes:
        return None
    await lock_calendar(session, event.created_by_id)
    old = stored_timing(event)
    timing = _merged_timing(event, changes, data)
    for name in ("title", "description", "is_adhoc", "show_meeting_details"):
        if changes.get(name) is not None:
            setattr(event, name, changes[name])
    room_changes = {k: changes[k] for k in ("password", "waiting_room") if k in changes}
    if room_changes:
        room = await session.get_one(Room, event.room_id)
        if "password" in room_changes:
            room.password = room_changes["password"]
        if room_changes.get("waiting_room") is not None:
            room.waiting_room = bool(room_changes["waiting_room"])
    moved: list[tuple[datetime, datetime]] = []
    if _occurrences_move(old, timing):
        await session.execute(
            delete(EventException).where(EventException.event_id == event.id)
        )
    else:
        moved = await _moved_spans(session, event, timing)
    _set_timing(event, timing)
    _apply_listing_keys(event, timing, moved)
    event.updated_by_id = actor_id
    event.updated_at = utcnow()
    await session.flush()
    await _sync_invite_keys(session, event)
    if changes_calendar(changes):
        await bump_sequence(session, event)
    if notify:
        await notify_update(
            session,
            event,
            actor_id=actor_id,
            change=notifications.EventChange(fields=frozenset(changes)),
        )
    return event


async def notify_update(
    session: AsyncSession,
    event: Event,
    *,
    actor_id: uuid.UUID,
    change: notifications.EventChange,
) -> None:
    """Hand a change to the mail hook with everyone invited to the event."""
    await notifications.notify_updated(
        session,
        event,
        actor_id=actor_id,
        recipients=await recipients_of(session, event),
        change=change,
    )


async def _moved_spans(
    session: AsyncSession, event: Event, timing: Timing
) -> list[tuple[datetime, datetime]]:
    exceptions = await session.scalars(
        select(EventException).where(
            EventException.event_id == event.id,
            EventException.status == "ok",
        )
    )
    return [
        apply_exception(timing, exception.original_starts_at, exception).span()
        for exception in exceptions
        if exception.starts_at is not None
        or exception.ends_at is not None
        or exception.is_all_day is not None
    ]


async def refresh_listing_keys(session: AsyncSession, event: Event) -> None:
    """Recompute the footprint after an exception changed (moved occurrences widen it)."""
    timing = stored_timing(event)
    _apply_listing_keys(event, timing, await _moved_spans(session, event, timing))
    await session.flush()
    await _sync_invite_keys(session, event)


async def delete_event(
    session: AsyncSession, event: Event, *, actor_id: uuid.UUID, notify: bool = True
) -> None:
    """Delete the event and its room (creator only); everything else cascades."""
    ensure_creator(event, actor_id)
    await bump_sequence(session, event)  # the CANCEL must outrank every REQUEST
    for hook in deleting_hooks:
        await hook(session, event)
    if notify:
        await notifications.notify_deleted(
            session,
            event,
            actor_id=actor_id,
            recipients=await recipients_of(session, event),
        )
    room = await session.get_one(Room, event.room_id)
    await session.execute(delete(Event).where(Event.id == event.id))
    # Through the rooms service: its hooks remove what hangs off the room outside
    # the database (stored asset files) and tell the room's participants.
    await rooms_service.delete_room(session, room)


# ---- rooms -------------------------------------------------------------------


async def invitee_may_access_room(
    session: AsyncSession, room: Room, user_id: uuid.UUID
) -> bool:
    """Room access check: invitees (any answer) of the room's event may enter."""
    found = await session.scalar(
        select(EventInvite.id)
        .join(Event, Event.id == EventInvite.event_id)
        .where(Event.room_id == room.id, EventInvite.invitee_id == user_id)
    )
    return found is not None


async def streaming_targets_changed(
    session: AsyncSession, room: Room, suppress_email: bool
) -> None:
    """Streaming listener: the targets of an event's room are part of the event."""
    if suppress_email:
        return
    event = await session.scalar(select(Event).where(Event.room_id == room.id))
    if event is not None:
        await notify_update(
            session,
            event,
            actor_id=room.created_by_id,
            change=notifications.EventChange(fields=frozenset({"streaming_targets"})),
        )


# ---- busy time ---------------------------------------------------------------


async def busy_intervals(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    window_start: datetime,
    window_end: datetime,
) -> list[tuple[datetime, datetime]]:
    """When the user is busy inside ``[window_start, window_end)``: sorted, merged.

    Counts events the user created or accepted; recurring events are expanded
    with their exceptions (moved occurrences at their new times, cancelled ones
    left out); all-day events block whole local days in the event's zone;
    time-independent events block nothing. If a series cannot be expanded to
    the end of the window within the engine's work bound, the rest of the
    window counts as busy: a booking must never land on hidden time.
    """
    if window_start.tzinfo is None or window_end.tzinfo is None:
        raise ValueError("busy_intervals needs aware datetimes")
    if window_end <= window_start:
        return []
    candidates = await list_in_window(
        session,
        user_id,
        window=Window(window_start, window_end),
        invite_status=frozenset({"accepted"}),
    )
    if not candidates:
        return []
    ids = [c.key.event_id for c in candidates]
    events = (await session.scalars(select(Event).where(Event.id.in_(ids)))).all()
    exceptions: dict[uuid.UUID, list[EventException]] = {}
    recurring = [event.id for event in events if event.is_recurring]
    if recurring:
        for exception in await session.scalars(
            select(EventException).where(EventException.event_id.in_(recurring))
        ):
            exceptions.setdefault(exception.event_id, []).append(exception)
    spans: list[tuple[datetime, datetime]] = []
    for event in events:
        spans.extend(
            busy_spans(
                event,
                exceptions.get(event.id, []),
                window_start=window_start,
                window_end=window_end,
                limit=BUSY_OCCURRENCE_LIMIT,
            )
        )
    return merge_spans(spans)
