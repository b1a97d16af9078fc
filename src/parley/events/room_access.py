"""GET /rooms/{room_id}/event callers: users with room access or invite-code guests.

The spec allows either security scheme there: a user's access token, or an
invite code sent as the bearer token (scheme InviteCode).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.auth.deps import bearer_token, current_principal
from parley.db import SessionDep
from parley.errors import Forbidden, Unauthorized
from parley.events.errors import RoomHasNoEvent
from parley.events.models import Event, EventInvite
from parley.invites import service as invites_service
from parley.rooms import service as rooms_service
from parley.rooms.deps import RoomIdPath
from parley.rooms.models import Room
from parley.signaling.messages import EventInfo, Role


async def get_event_of_room(session: AsyncSession, room_id: uuid.UUID) -> Event | None:
    return await session.scalar(select(Event).where(Event.room_id == room_id))


async def get_room_event_or_raise(session: AsyncSession, room: Room) -> Event:
    event = await get_event_of_room(session, room.id)
    if event is None:
        raise RoomHasNoEvent()
    return event


async def event_ids_of_rooms(
    session: AsyncSession, room_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    """Room id → event id for those of the rooms that belong to an event.

    The shape of `assets.service.register_event_lookup` (assets show `event_id`).
    """
    if not room_ids:
        return {}
    rows = await session.execute(
        select(Event.room_id, Event.id).where(Event.room_id.in_(list(room_ids)))
    )
    return dict(rows.all())


def _invite_code(token: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(token)
    except ValueError:
        return None


async def get_room_event_for_caller(
    request: Request, room_id: RoomIdPath, session: SessionDep
) -> Event:
    token = bearer_token(request)
    code = _invite_code(token)
    if code is not None:
        invite = await invites_service.get_usable_invite(session, code)
        if invite is None:
            raise Unauthorized("The invite code is invalid or expired")
        if invite.room_id != room_id:
            raise Forbidden("The invite code is not for this room")
        room = await rooms_service.get_room_or_raise(session, room_id)
    else:
        principal = await current_principal(request)
        room = await rooms_service.get_room_or_raise(session, room_id)
        await rooms_service.ensure_access(session, room, principal.user_id)
    return await get_room_event_or_raise(session, room)


RoomEventReader = Annotated[Event, Depends(get_room_event_for_caller)]


async def invite_role_in_room(
    session: AsyncSession, room: Room, user_id: uuid.UUID
) -> Role | None:
    """The role an event invite gives its invitee in the event's room (notes 2.4)."""
    role = await session.scalar(
        select(EventInvite.role)
        .join(Event, Event.id == EventInvite.event_id)
        .where(Event.room_id == room.id, EventInvite.invitee_id == user_id)
    )
    return None if role is None else Role(role)


async def event_info_of_room(session: AsyncSession, room: Room) -> EventInfo | None:
    """What `join_success` tells participants about the room's event."""
    row = (
        await session.execute(
            select(Event.id, Event.title, Event.is_adhoc).where(
                Event.room_id == room.id
            )
        )
    ).first()
    return (
        None
        if row is None
        else EventInfo(id=row.id, title=row.title, is_adhoc=row.is_adhoc)
    )
