"""Room use cases: create, read, change and delete; only the owner may change a room."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from parley.errors import Conflict, Forbidden, NotFound
from parley.hooks import Hooks
from parley.pagination import PageParams, fetch_page
from parley.rooms.models import Room
from parley.rooms.schemas import PatchRoomsBody, PostRoomsBody
from parley.sip import service as sip_service
from parley.tariffs import service as tariffs_service


class RoomNotFound(NotFound):
    default_message = "The room could not be found"


class NotRoomOwner(Forbidden):
    default_message = "Only the room's owner may do this"


class RoomEnded(Forbidden):
    code = "room_ended"
    default_message = "The room has ended; nobody can join it any more"


class RecordingDisabled(Forbidden):
    code = "recording_disabled"
    default_message = "Recording is disabled for this room"


class RoomNotOpen(Forbidden):
    code = "room_not_open"
    default_message = "The room is not open at this time"


RoomAccessCheck = Callable[[AsyncSession, Room, uuid.UUID], Awaitable[bool]]
RoomDeleteHook = Callable[[AsyncSession, Room], Awaitable[None]]

access_checks: Hooks[RoomAccessCheck] = Hooks(
    "extra ways a user may see a room (e.g. an event invite)"
)
delete_hooks: Hooks[RoomDeleteHook] = Hooks(
    "work before a room's rows cascade away (stored files, signaling)"
)
RoomEndHook = Callable[[AsyncSession, Room], Awaitable[None]]
end_hooks: Hooks[RoomEndHook] = Hooks(
    "work once a room has ended (signaling sends everyone in it away)"
)


async def get_room(session: AsyncSession, room_id: uuid.UUID) -> Room | None:
    return await session.get(Room, room_id)


async def get_room_or_raise(session: AsyncSession, room_id: uuid.UUID) -> Room:
    room = await get_room(session, room_id)
    if room is None:
        raise RoomNotFound()
    return room


def ensure_owner(room: Room, user_id: uuid.UUID) -> None:
    if room.created_by_id != user_id:
        raise NotRoomOwner()


async def can_access(session: AsyncSession, room: Room, user_id: uuid.UUID) -> bool:
    """The owner, or anyone another domain grants access (event invitees)."""
    if room.created_by_id == user_id:
        return True
    for check in access_checks:
        if await check(session, room, user_id):
            return True
    return False


async def ensure_access(session: AsyncSession, room: Room, user_id: uuid.UUID) -> None:
    if not await can_access(session, room, user_id):
        raise Forbidden("You have no access to this room")


def ensure_open(room: Room, now: datetime, *, leeway: timedelta = timedelta(0)) -> None:
    """Refuse (403) once the room has ended or outside its window.

    ``leeway`` forgives a clock a little behind at the window's start only: a
    room never admits anyone after it expires.
    """
    if room.ended_at is not None:
        raise RoomEnded()
    if room.not_before is not None and now + leeway < room.not_before:
        raise RoomNotOpen(
            f"The room opens at {room.not_before.isoformat().replace('+00:00', 'Z')}"
        )
    if room.expires_at is not None and now >= room.expires_at:
        raise RoomNotOpen(
            f"The room closed at {room.expires_at.isoformat().replace('+00:00', 'Z')}"
        )


def ensure_recording_allowed(room: Room) -> None:
    """403 recording_disabled for a room made with recording off."""
    if not room.recording_enabled:
        raise RecordingDisabled()


async def end_room(session: AsyncSession, room: Room, *, now: datetime) -> None:
    """Mark the room ended; the end hooks send away whoever is in it (once committed)."""
    if room.ended_at is not None:
        return
    room.ended_at = now
    await session.flush()
    for hook in end_hooks:
        await hook(session, room)


async def create_room(
    session: AsyncSession, *, owner_id: uuid.UUID, data: PostRoomsBody
) -> Room:
    """A new room owned by the caller, with a SIP config when asked for.

    Asking for SIP needs call-in in the caller's tariff (403
    feature_disabled_by_tariff, notes section 6).
    """
    if data.enable_sip:
        await tariffs_service.require_user_feature(session, owner_id, "call_in")
    room = Room(
        created_by_id=owner_id,
        password=data.password or None,
        waiting_room=data.waiting_room,
    )
    session.add(room)
    await session.flush()
    if data.enable_sip:
        await sip_service.create_sip_config(session, room)
    return room


async def update_room(session: AsyncSession, room: Room, data: PatchRoomsBody) -> Room:
    changes = data.model_dump(exclude_unset=True)
    if "password" in changes:
        room.password = changes["password"] or None
    if changes.get("waiting_room") is not None:
        room.waiting_room = changes["waiting_room"]
    await session.flush()
    return room


async def delete_room(session: AsyncSession, room: Room) -> None:
    """Delete the room; foreign keys cascade to everything that hangs off it."""
    for hook in delete_hooks:
        await hook(session, room)
    await session.execute(delete(Room).where(Room.id == room.id))


# Room fields an integration sets (the Videsk dialect): see Room's docstring.
INTEGRATION_FIELDS = frozenset(
    {
        "name",
        "external_id",
        "not_before",
        "expires_at",
        "max_participants",
        "recording_enabled",
    }
)
# What owned rooms may be ordered by (an integration's sort keys).
SORTABLE = {
    "created_at": Room.created_at,
    "name": Room.name,
    "external_id": Room.external_id,
    "not_before": Room.not_before,
    "expires_at": Room.expires_at,
    "id": Room.id,
}


class ExternalIdTaken(Conflict):
    code = "external_id_taken"
    default_message = "The owner already has a room with this external id"


async def set_integration_fields(
    session: AsyncSession, room: Room, fields: dict[str, object]
) -> Room:
    """Set a room's name, external id, window, seats or recording flag.

    An external id the owner already uses is ExternalIdTaken (409), also when a
    concurrent request took it first.
    """
    unknown = set(fields) - INTEGRATION_FIELDS
    if unknown:
        raise ValueError(f"not integration fields: {sorted(unknown)}")
    external_id = fields.get("external_id")
    if external_id is not None and external_id != room.external_id:
        taken = await get_room_by_external_id(
            session, room.created_by_id, str(external_id)
        )
        if taken is not None:
            raise ExternalIdTaken()
    try:
        async with session.begin_nested():
            for name, value in fields.items():
                setattr(room, name, value)
    except IntegrityError:
        raise ExternalIdTaken() from None
    return room


async def get_room_by_external_id(
    session: AsyncSession, owner_id: uuid.UUID, external_id: str
) -> Room | None:
    room: Room | None = await session.scalar(
        select(Room).where(
            Room.created_by_id == owner_id, Room.external_id == external_id
        )
    )
    return room


async def list_owned_rooms(
    session: AsyncSession,
    owner_id: uuid.UUID,
    *,
    ended: bool | None = None,
    external_id: str | None = None,
    order: Sequence[tuple[str, bool]] = (("created_at", False),),
    offset: int = 0,
    limit: int = 10,
) -> tuple[list[Room], int]:
    """The owner's rooms, filtered and ordered (``(field, descending)``), and their count.

    A room without an external id matches ``external_id`` by its id.
    """
    conditions: list[ColumnElement[bool]] = [Room.created_by_id == owner_id]
    if ended is not None:
        conditions.append(
            Room.ended_at.is_not(None) if ended else Room.ended_at.is_(None)
        )
    if external_id is not None:
        matches = [Room.external_id == external_id]
        with contextlib.suppress(ValueError):
            # A room without an external id stands in with its id.
            matches.append(
                and_(Room.external_id.is_(None), Room.id == uuid.UUID(external_id))
            )
        conditions.append(or_(*matches))
    total = await session.scalar(
        select(func.count()).select_from(Room).where(*conditions)
    )
    ordering = [
        (SORTABLE[name].desc() if descending else SORTABLE[name].asc()).nulls_last()
        for name, descending in order
    ]
    rooms = await session.scalars(
        select(Room)
        .where(*conditions)
        .order_by(*ordering, Room.id)
        .offset(offset)
        .limit(limit)
    )
    return list(rooms), int(total or 0)


async def list_accessible_rooms(
    session: AsyncSession, user_id: uuid.UUID, page: PageParams
) -> tuple[list[Room], int]:
    """A page of the rooms the user owns, newest first, and their total count."""
    statement = (
        select(Room)
        .where(Room.created_by_id == user_id)
        .order_by(Room.created_at.desc(), Room.id)
    )
    return await fetch_page(session, statement, page)
