"""Room endpoints.

GET    /v1/rooms              rooms the caller can access (paged)
POST   /v1/rooms              create a room
GET    /v1/rooms/{room_id}    one room (owner or invitee)
PATCH  /v1/rooms/{room_id}    change password / waiting room (owner)
DELETE /v1/rooms/{room_id}    delete the room and all that hangs off it (owner)
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from parley.auth.deps import CurrentPrincipal
from parley.db import SessionDep
from parley.errors import ErrorBody
from parley.pagination import PageDep, set_page_links
from parley.rooms import service
from parley.rooms.deps import AccessibleRoom, OwnedRoom
from parley.rooms.models import Room
from parley.rooms.schemas import PatchRoomsBody, PostRoomsBody, RoomRead

router = APIRouter(prefix="/rooms", tags=["rooms"])

_ROOM_ERRORS: dict[int | str, dict[str, object]] = {
    403: {"model": ErrorBody},
    404: {"model": ErrorBody},
}


@router.get("", response_model=list[RoomRead])
async def get_rooms(
    request: Request,
    response: Response,
    page: PageDep,
    principal: CurrentPrincipal,
    session: SessionDep,
) -> list[Room]:
    """Get a list of the rooms the caller can access."""
    rooms, total = await service.list_accessible_rooms(session, principal.user_id, page)
    set_page_links(request, response, page, total)
    return rooms


@router.post(
    "",
    response_model=RoomRead,
    status_code=status.HTTP_201_CREATED,
    responses={
        403: {
            "model": ErrorBody,
            "description": "`enable_sip` while the caller's tariff lacks call-in",
        },
        422: {"model": ErrorBody},
    },
)
async def post_rooms(
    body: PostRoomsBody, principal: CurrentPrincipal, session: SessionDep
) -> Room:
    """Create a new room owned by the caller."""
    return await service.create_room(session, owner_id=principal.user_id, data=body)


@router.get("/{room_id}", response_model=RoomRead, responses=_ROOM_ERRORS)
async def get_room(room: AccessibleRoom) -> Room:
    """Get a room by id."""
    return room


@router.patch("/{room_id}", response_model=RoomRead, responses=_ROOM_ERRORS)
async def patch_room(
    body: PatchRoomsBody, room: OwnedRoom, session: SessionDep
) -> Room:
    """Change a room's password or waiting room flag."""
    return await service.update_room(session, room, body)


@router.delete(
    "/{room_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_ROOM_ERRORS
)
async def delete_room(room: OwnedRoom, session: SessionDep) -> None:
    """Delete a room and everything that hangs off it."""
    await service.delete_room(session, room)
