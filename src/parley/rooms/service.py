"""Room use cases: create, read, change and delete; only the owner may change a room."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.errors import Forbidden, NotFound
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


RoomAccessCheck = Callable[[AsyncSession, Room, uuid.UUID], Awaitable[bool]]
RoomDeleteHook = Callable[[AsyncSession, Room], Awaitable[None]]

access_checks: Hooks[RoomAccessCheck] = Hooks(
    "extra ways a user may see a room (e.g. an event invite)"
)
delete_hooks: Hooks[RoomDeleteHook] = Hooks(
    "work before a room's rows cascade away (stored files, signaling)"
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
