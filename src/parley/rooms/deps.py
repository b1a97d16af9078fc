"""Room dependencies: load-or-404, then who may see or manage it."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Path

from parley.auth.deps import CurrentPrincipal
from parley.db import SessionDep
from parley.rooms import service
from parley.rooms.models import Room

RoomIdPath = Annotated[uuid.UUID, Path(description="The id of the room")]


async def get_room(room_id: RoomIdPath, session: SessionDep) -> Room:
    return await service.get_room_or_raise(session, room_id)


RoomDep = Annotated[Room, Depends(get_room)]


# The principal comes first in these: authentication precedes the lookup (401 before 404).


async def get_accessible_room(
    principal: CurrentPrincipal, room_id: RoomIdPath, session: SessionDep
) -> Room:
    room = await service.get_room_or_raise(session, room_id)
    await service.ensure_access(session, room, principal.user_id)
    return room


async def get_owned_room(
    principal: CurrentPrincipal, room_id: RoomIdPath, session: SessionDep
) -> Room:
    room = await service.get_room_or_raise(session, room_id)
    service.ensure_owner(room, principal.user_id)
    return room


AccessibleRoom = Annotated[Room, Depends(get_accessible_room)]
OwnedRoom = Annotated[Room, Depends(get_owned_room)]
