"""Response shapes for events, exceptions and instances, built in batches.

``load_context`` fetches what the shapes need for a set of events in a fixed
number of queries (users, rooms, the caller's invites and favorites, a capped
number of invitees per event), so a listing page costs the same few queries
whatever its size.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.events.invites import Invitee
from parley.events.models import (
    Event,
    EventEmailInvite,
    EventException,
    EventFavorite,
    EventInvite,
)
from parley.events.occurrences import Occurrence
from parley.events.recurrence import instance_id, split_recurrence_pattern
from parley.events.schemas import (
    DateTimeTZRead,
    EventExceptionRead,
    EventInstanceRead,
    EventInvitee,
    EventInviteeProfile,
    EventRead,
    EventRoomInfo,
)
from parley.events.timing import Moment
from parley.rooms.models import Room
from parley.shared_folders.models import EventSharedFolder
from parley.shared_folders.schemas import SharedFolder
from parley.streaming import service as streaming_service
from parley.streaming.models import RoomStreamingTarget
from parley.streaming.schemas import RoomStreamingTargetRead
from parley.users.models import AVATAR_BASE_URL, User
from parley.users.schemas import PublicUserProfile


@dataclass
class Context:
    """Everything the shapes of some events need, for one caller."""

    user_id: uuid.UUID
    invitees_max: int
    users: dict[uuid.UUID, User] = field(default_factory=dict)
    rooms: dict[uuid.UUID, Room] = field(default_factory=dict)
    my_status: dict[uuid.UUID, str] = field(default_factory=dict)
    favorites: set[uuid.UUID] = field(default_factory=set)
    shared_folders: dict[uuid.UUID, EventSharedFolder] = field(default_factory=dict)
    invitees: dict[uuid.UUID, list[Invitee]] = field(default_factory=dict)
    profiles: dict[uuid.UUID, PublicUserProfile] = field(default_factory=dict)
    streaming_targets: dict[uuid.UUID, list[RoomStreamingTarget]] = field(
        default_factory=dict
    )

    def profile(self, user_id: uuid.UUID) -> PublicUserProfile:
        """The public profile of a loaded user, built once per request."""
        shown = self.profiles.get(user_id)
        if shown is None:
            shown = self.profiles[user_id] = profile(self.users[user_id])
        return shown


async def load_events(
    session: AsyncSession,
    ids: Sequence[uuid.UUID],
    *,
    user_id: uuid.UUID,
    invitees_max: int,
) -> tuple[list[Event], Context]:
    """The events (in the order of ``ids``) with their rooms, shared folders, the
    caller's invite status and favorite flag, and their users; invitees too if asked.
    """
    context = Context(user_id=user_id, invitees_max=invitees_max)
    if not ids:
        return [], context
    rows = await session.execute(
        select(
            Event, Room, EventInvite.status, EventFavorite.event_id, EventSharedFolder
        )
        .join(Room, Room.id == Event.room_id)
        .outerjoin(
            EventInvite,
            and_(EventInvite.event_id == Event.id, EventInvite.invitee_id == user_id),
        )
        .outerjoin(
            EventFavorite,
            and_(EventFavorite.event_id == Event.id, EventFavorite.user_id == user_id),
        )
        .outerjoin(EventSharedFolder, EventSharedFolder.event_id == Event.id)
        .where(Event.id.in_(ids))
    )
    found: dict[uuid.UUID, Event] = {}
    for event, room, status, favorite, folder in rows:
        found[event.id] = event
        context.rooms[room.id] = room
        if folder is not None:
            context.shared_folders[event.id] = folder
        if status is not None:
            context.my_status[event.id] = status
        if favorite is not None:
            context.favorites.add(event.id)
    events = [found[event_id] for event_id in ids if event_id in found]
    # A page has few distinct creators: one small query beats two joins per row.
    await _add_users(
        session,
        context,
        {u for e in events for u in (e.created_by_id, e.updated_by_id)},
    )
    context.streaming_targets = await streaming_service.targets_by_room(
        session, context.rooms
    )
    if invitees_max > 0:
        await _load_invitees(session, context, list(found), invitees_max)
    return events, context


async def add_users(
    session: AsyncSession, context: Context, exceptions: Iterable[EventException]
) -> None:
    """Load the users who created or changed exceptions, if not known yet."""
    await _add_users(
        session,
        context,
        {u for x in exceptions for u in (x.created_by_id, x.updated_by_id)},
    )


async def _add_users(
    session: AsyncSession, context: Context, user_ids: set[uuid.UUID]
) -> None:
    wanted = user_ids - set(context.users)
    if wanted:
        for user in await session.scalars(select(User).where(User.id.in_(wanted))):
            context.users[user.id] = user


async def _load_invitees(
    session: AsyncSession, context: Context, ids: list[uuid.UUID], cap: int
) -> None:
    """Up to ``cap`` + 1 invitees per event (user invites first), by window function."""
    rank = (
        func.row_number()
        .over(
            partition_by=EventInvite.event_id,
            order_by=(EventInvite.created_at, EventInvite.id),
        )
        .label("rank")
    )
    ranked = (
        select(EventInvite.id, rank).where(EventInvite.event_id.in_(ids)).subquery()
    )
    rows = await session.execute(
        select(EventInvite, User)
        .join(ranked, ranked.c.id == EventInvite.id)
        .join(User, User.id == EventInvite.invitee_id)
        .where(ranked.c.rank <= cap + 1)
        .order_by(EventInvite.created_at, EventInvite.id)
    )
    for invite, user in rows:
        context.invitees.setdefault(invite.event_id, []).append(
            Invitee(status=invite.status, user=user, role=invite.role)
        )
    email_rank = (
        func.row_number()
        .over(
            partition_by=EventEmailInvite.event_id,
            order_by=(EventEmailInvite.created_at, EventEmailInvite.email),
        )
        .label("rank")
    )
    email_ranked = (
        select(EventEmailInvite.event_id, EventEmailInvite.email, email_rank)
        .where(EventEmailInvite.event_id.in_(ids))
        .subquery()
    )
    emails = await session.execute(
        select(email_ranked.c.event_id, email_ranked.c.email)
        .where(email_ranked.c.rank <= cap + 1)
        .order_by(email_ranked.c.rank)
    )
    for event_id, email in emails:
        context.invitees.setdefault(event_id, []).append(
            Invitee(status="pending", email=email)
        )


def profile(user: User) -> PublicUserProfile:
    return PublicUserProfile.model_validate(user)


def invitee_read(invitee: Invitee) -> EventInvitee:
    if invitee.user is not None:
        user = invitee.user
        shown = EventInviteeProfile(
            kind="registered",
            id=user.id,
            email=user.email,
            title=user.title,
            firstname=user.firstname,
            lastname=user.lastname,
            display_name=user.display_name,
            avatar_url=user.avatar_url,
            role=invitee.role,  # type: ignore[arg-type]
        )
    else:
        email = invitee.email or ""
        shown = EventInviteeProfile(
            kind="email", email=email, avatar_url=_avatar(email)
        )
    return EventInvitee(profile=shown, status=invitee.status)  # type: ignore[arg-type]


def _avatar(email: str) -> str:
    """The libravatar URL a registered user with this address gets (users.models)."""
    digest = hashlib.md5(email.strip().lower().encode(), usedforsecurity=False)
    return AVATAR_BASE_URL + digest.hexdigest()


def _moment(at: datetime | None, zone: str | None) -> DateTimeTZRead | None:
    if at is None:
        return None
    return DateTimeTZRead(datetime=at, timezone=zone or "UTC")


def moment_read(moment: Moment) -> DateTimeTZRead:
    return DateTimeTZRead(datetime=moment.at, timezone=moment.zone)


def room_read(room: Room) -> EventRoomInfo:
    return EventRoomInfo(
        id=room.id, password=room.password or None, waiting_room=room.waiting_room
    )


def _invitees(event: Event, context: Context) -> tuple[list[EventInvitee], bool]:
    cap = context.invitees_max
    if cap <= 0:
        return [], True
    found = context.invitees.get(event.id, [])
    return [invitee_read(i) for i in found[:cap]], len(found) > cap


def _status(event: Event, context: Context) -> str:
    # Callers without an invite row (the creator) count as accepted (notes 4.2).
    return context.my_status.get(event.id, "accepted")


def _streaming_targets(event: Event, context: Context) -> list[RoomStreamingTargetRead]:
    return streaming_service.read_targets(
        context.rooms[event.room_id],
        context.streaming_targets.get(event.room_id, []),
        context.user_id,
    )


def event_read(event: Event, context: Context) -> EventRead:
    invitees, truncated = _invitees(event, context)
    timed = not event.is_time_independent
    pattern = split_recurrence_pattern(event.recurrence_pattern)
    return EventRead(
        id=event.id,
        created_by=context.profile(event.created_by_id),
        created_at=event.created_at,
        updated_by=context.profile(event.updated_by_id),
        updated_at=event.updated_at,
        title=event.title,
        description=event.description,
        room=room_read(context.rooms[event.room_id]),
        invitees_truncated=truncated,
        invitees=invitees,
        is_time_independent=event.is_time_independent,
        is_all_day=event.is_all_day if timed else None,
        streaming_targets=_streaming_targets(event, context),
        starts_at=_moment(event.starts_at, event.starts_at_tz),
        ends_at=_moment(event.ends_at, event.ends_at_tz),
        recurrence_pattern=pattern or None,
        is_adhoc=event.is_adhoc,
        type="recurring" if pattern else "single",
        status="ok",
        invite_status=_status(event, context),  # type: ignore[arg-type]
        is_favorite=event.id in context.favorites,
        can_edit=event.created_by_id == context.user_id,
        shared_folder=_shared_folder(event, context),
        show_meeting_details=event.show_meeting_details,
    )


def _shared_folder(event: Event, context: Context) -> SharedFolder | None:
    folder = context.shared_folders.get(event.id)
    if folder is None:
        return None
    return SharedFolder.of(folder, may_write=event.created_by_id == context.user_id)


def composite_id(event_id: uuid.UUID, original_start: datetime) -> str:
    return f"{event_id}_{instance_id(original_start)}"


def exception_read(
    event: Event, exception: EventException, context: Context
) -> EventExceptionRead:
    return EventExceptionRead(
        id=composite_id(event.id, exception.original_starts_at),
        recurring_event_id=event.id,
        instance_id=instance_id(exception.original_starts_at),
        created_by=context.profile(exception.created_by_id),
        created_at=exception.created_at,
        updated_by=context.profile(exception.updated_by_id),
        updated_at=exception.updated_at,
        title=exception.title,
        description=exception.description,
        is_all_day=exception.is_all_day,
        starts_at=_moment(exception.starts_at, exception.starts_at_tz),
        ends_at=_moment(exception.ends_at, exception.ends_at_tz),
        original_starts_at=DateTimeTZRead(
            datetime=exception.original_starts_at,
            timezone=event.starts_at_tz or "UTC",
        ),
        type="exception",
        status=exception.status,  # type: ignore[arg-type]
        can_edit=event.created_by_id == context.user_id,
    )


def instance_read(
    event: Event, occurrence: Occurrence, context: Context
) -> EventInstanceRead:
    invitees, truncated = _invitees(event, context)
    exception = occurrence.exception
    changed_by = exception if exception is not None else event
    return EventInstanceRead(
        id=composite_id(event.id, occurrence.original_start),
        recurring_event_id=event.id,
        instance_id=instance_id(occurrence.original_start),
        created_by=context.profile(event.created_by_id),
        created_at=event.created_at,
        updated_by=context.profile(changed_by.updated_by_id),
        updated_at=max(event.updated_at, changed_by.updated_at),
        title=(
            exception.title
            if exception and exception.title is not None
            else event.title
        ),
        description=(
            exception.description
            if exception and exception.description is not None
            else event.description
        ),
        room=room_read(context.rooms[event.room_id]),
        invitees_truncated=truncated,
        invitees=invitees,
        is_all_day=occurrence.is_all_day,
        starts_at=moment_read(occurrence.starts_at),
        ends_at=moment_read(occurrence.ends_at),
        type="instance",
        status="cancelled" if occurrence.cancelled else "ok",
        invite_status=_status(event, context),  # type: ignore[arg-type]
        is_favorite=event.id in context.favorites,
        can_edit=event.created_by_id == context.user_id,
    )
