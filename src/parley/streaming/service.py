"""Streaming target use cases. Only the room's owner changes targets or sees keys.

The events package creates targets for an event's room with `create_targets`
and shows them with `targets_by_room` + `read_targets` (the key only for the
room's owner).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.errors import NotFound
from parley.hooks import Hooks
from parley.pagination import PageParams, fetch_page
from parley.rooms.models import Room
from parley.streaming.models import RoomStreamingTarget
from parley.streaming.schemas import (
    RoomStreamingTargetRead,
    StreamingTargetBody,
    UpdateStreamingTargetBody,
)


class StreamingTargetNotFound(NotFound):
    default_message = "The streaming target could not be found"


# The events package registers a listener: targets of an event's room are part of
# the event, so invitees are told (`suppress_email_notification` passed through).
ChangeListener = Callable[[AsyncSession, Room, bool], Awaitable[None]]
change_listeners: Hooks[ChangeListener] = Hooks("a room's streaming targets changed")


async def _changed(session: AsyncSession, room: Room, suppress_email: bool) -> None:
    for listener in change_listeners:
        await listener(session, room, suppress_email)


def read_target(
    target: RoomStreamingTarget, *, with_key: bool
) -> RoomStreamingTargetRead:
    """The API shape; the key is left out unless the viewer may manage the room."""
    return RoomStreamingTargetRead(
        id=target.id,
        name=target.name,
        kind="custom",
        streaming_endpoint=target.streaming_endpoint,
        streaming_key=target.streaming_key if with_key else None,
        public_url=target.public_url,
    )


def read_targets(
    room: Room, targets: Iterable[RoomStreamingTarget], viewer_id: uuid.UUID
) -> list[RoomStreamingTargetRead]:
    with_key = room.created_by_id == viewer_id
    return [read_target(target, with_key=with_key) for target in targets]


def _targets_of(room: Room) -> Select[RoomStreamingTarget]:
    return (
        select(RoomStreamingTarget)
        .where(RoomStreamingTarget.room_id == room.id)
        .order_by(RoomStreamingTarget.created_at, RoomStreamingTarget.id)
    )


async def list_targets(
    session: AsyncSession, room: Room, page: PageParams
) -> tuple[list[RoomStreamingTarget], int]:
    """A page of the room's targets, oldest first, and their total count."""
    return await fetch_page(session, _targets_of(room), page)


async def targets_by_room(
    session: AsyncSession, room_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[RoomStreamingTarget]]:
    """Every target of these rooms, oldest first, in one query (event resources)."""
    found: dict[uuid.UUID, list[RoomStreamingTarget]] = {}
    wanted = set(room_ids)
    if not wanted:
        return found
    for target in await session.scalars(
        select(RoomStreamingTarget)
        .where(RoomStreamingTarget.room_id.in_(wanted))
        .order_by(RoomStreamingTarget.created_at, RoomStreamingTarget.id)
    ):
        found.setdefault(target.room_id, []).append(target)
    return found


async def get_target_or_raise(
    session: AsyncSession, room: Room, target_id: uuid.UUID
) -> RoomStreamingTarget:
    target = await session.scalar(
        select(RoomStreamingTarget).where(
            RoomStreamingTarget.id == target_id, RoomStreamingTarget.room_id == room.id
        )
    )
    if target is None:
        raise StreamingTargetNotFound()
    return target


async def create_targets(
    session: AsyncSession,
    room: Room,
    items: Iterable[StreamingTargetBody],
    *,
    suppress_email: bool = False,
) -> list[RoomStreamingTarget]:
    """Add targets to a room (the events package calls this for an event's room)."""
    targets = [
        RoomStreamingTarget(
            room_id=room.id,
            name=item.name,
            kind=item.kind,
            streaming_endpoint=str(item.streaming_endpoint),
            streaming_key=item.streaming_key,
            public_url=str(item.public_url),
        )
        for item in items
    ]
    session.add_all(targets)
    await session.flush()
    if targets:
        await _changed(session, room, suppress_email)
    return targets


async def create_target(
    session: AsyncSession,
    room: Room,
    data: StreamingTargetBody,
    *,
    suppress_email: bool = False,
) -> RoomStreamingTarget:
    (target,) = await create_targets(
        session, room, [data], suppress_email=suppress_email
    )
    return target


async def update_target(
    session: AsyncSession,
    room: Room,
    target: RoomStreamingTarget,
    data: UpdateStreamingTargetBody,
    *,
    suppress_email: bool = False,
) -> RoomStreamingTarget:
    for name, value in data.model_dump(exclude_unset=True).items():
        setattr(target, name, str(value))
    await session.flush()
    await _changed(session, room, suppress_email)
    return target


async def delete_target(
    session: AsyncSession,
    room: Room,
    target: RoomStreamingTarget,
    *,
    suppress_email: bool = False,
) -> None:
    await session.delete(target)
    await session.flush()
    await _changed(session, room, suppress_email)
