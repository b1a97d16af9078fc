"""GET /rooms/{room_id}/event callers: users with room access or invite-code guests
(the spec allows either security scheme there, see parley.invites.deps), and what
the room's participants learn about its event.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.db import SessionDep
from parley.errors import Forbidden
from parley.events.errors import RoomHasNoEvent
from parley.events.models import Event, EventInvite
from parley.events.schemas import EventInfo, MeetingDetails, StreamingLink
from parley.invites import service as invites_service
from parley.invites.deps import UserOrGuestDep
from parley.rooms import service as rooms_service
from parley.rooms.deps import RoomIdPath
from parley.rooms.models import Room
from parley.signaling.messages import EventInfo as SignalingEventInfo
from parley.signaling.messages import Role
from parley.streaming import service as streaming_service


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


async def event_titles_of_rooms(
    session: AsyncSession, room_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """Room id → its event's title, for those of the rooms that belong to an event."""
    if not room_ids:
        return {}
    rows = await session.execute(
        select(Event.room_id, Event.title).where(Event.room_id.in_(list(room_ids)))
    )
    return dict(rows.all())


async def get_room_event_for_caller(
    caller: UserOrGuestDep, room_id: RoomIdPath, session: SessionDep
) -> Event:
    if caller.invite is not None:
        if caller.invite.room_id != room_id:
            raise Forbidden("The invite code is not for this room")
        room = await rooms_service.get_room_or_raise(session, room_id)
    else:
        assert caller.principal is not None
        room = await rooms_service.get_room_or_raise(session, room_id)
        await rooms_service.ensure_access(session, room, caller.principal.user_id)
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


async def room_event_info(session: AsyncSession, event: Event) -> EventInfo:
    """What the room's participants learn about its event (GET /rooms/{id}/event,
    `join_success.event_info`): with `meeting_details` when the event shows them.

    The details are what the controller's `build_event_info` gives: the room's
    oldest usable invite code (the guest link), call-in data (none: Parley has no
    call-in phone number setting) and the public URLs of its live streams.
    """
    details = None
    if event.show_meeting_details:
        invite = await invites_service.first_usable_invite(
            session, event.room_id, datetime.now(UTC)
        )
        targets = await streaming_service.targets_by_room(session, [event.room_id])
        details = MeetingDetails(
            invite_code_id=invite.id if invite else None,
            streaming_links=[
                StreamingLink(name=target.name, url=target.public_url)
                for target in targets.get(event.room_id, [])
            ],
        )
    return EventInfo(
        id=event.id,
        room_id=event.room_id,
        title=event.title,
        is_adhoc=event.is_adhoc,
        meeting_details=details,
    )


async def event_info_of_room(
    session: AsyncSession, room: Room
) -> SignalingEventInfo | None:
    """`join_success.event_info`: the same shape as GET /rooms/{id}/event."""
    event = await get_event_of_room(session, room.id)
    if event is None:
        return None
    info = await room_event_info(session, event)
    return SignalingEventInfo.model_validate(info.model_dump(exclude_none=True))
