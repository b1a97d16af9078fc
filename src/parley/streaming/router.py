"""Streaming target endpoints (room level).

GET    /v1/rooms/{room_id}/streaming_targets                         the room's targets (paged)
POST   /v1/rooms/{room_id}/streaming_targets                         add a target (owner)
GET    /v1/rooms/{room_id}/streaming_targets/{streaming_target_id}   one target
PATCH  /v1/rooms/{room_id}/streaming_targets/{streaming_target_id}   change it (owner)
DELETE /v1/rooms/{room_id}/streaming_targets/{streaming_target_id}   remove it (owner)

Everyone with access to the room reads targets; only the owner sees `streaming_key`.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response, status

from parley.auth.deps import CurrentPrincipal
from parley.db import SessionDep
from parley.errors import ErrorBody, ValidationFailed
from parley.pagination import PageDep, set_page_links
from parley.rooms.deps import AccessibleRoom, OwnedRoom
from parley.streaming import service
from parley.streaming.schemas import (
    RoomStreamingTargetRead,
    StreamingTargetBody,
    UpdateStreamingTargetBody,
)

router = APIRouter(
    prefix="/rooms/{room_id}/streaming_targets", tags=["rooms", "streaming_targets"]
)

TargetId = Annotated[uuid.UUID, Path(description="The id of the streaming target")]
SuppressEmail = Annotated[
    bool,
    Query(
        description="Suppress notification e-mails about the change "
        "(external calendars may get out of sync)"
    ),
]
_ERRORS: dict[int | str, dict[str, object]] = {
    403: {"model": ErrorBody},
    404: {"model": ErrorBody},
}


@router.get(
    "",
    response_model=list[RoomStreamingTargetRead],
    response_model_exclude_none=True,
    responses=_ERRORS,
)
async def get_streaming_targets(
    request: Request,
    response: Response,
    page: PageDep,
    room: AccessibleRoom,
    principal: CurrentPrincipal,
    session: SessionDep,
) -> list[RoomStreamingTargetRead]:
    """List the streaming targets of a room."""
    targets, total = await service.list_targets(session, room, page)
    set_page_links(request, response, page, total)
    return service.read_targets(room, targets, principal.user_id)


@router.post(
    "",
    response_model=RoomStreamingTargetRead,
    status_code=status.HTTP_201_CREATED,
    responses={**_ERRORS, 422: {"model": ErrorBody}},
)
async def post_streaming_target(
    body: StreamingTargetBody,
    room: OwnedRoom,
    session: SessionDep,
    suppress_email_notification: SuppressEmail = False,
) -> RoomStreamingTargetRead:
    """Create a streaming target for a room."""
    target = await service.create_target(
        session, room, body, suppress_email=suppress_email_notification
    )
    return service.read_target(target, with_key=True)


@router.get(
    "/{streaming_target_id}",
    response_model=RoomStreamingTargetRead,
    response_model_exclude_none=True,
    responses=_ERRORS,
)
async def get_streaming_target(
    streaming_target_id: TargetId,
    room: AccessibleRoom,
    principal: CurrentPrincipal,
    session: SessionDep,
) -> RoomStreamingTargetRead:
    """Get one streaming target of a room."""
    target = await service.get_target_or_raise(session, room, streaming_target_id)
    (read,) = service.read_targets(room, [target], principal.user_id)
    return read


@router.patch(
    "/{streaming_target_id}",
    response_model=RoomStreamingTargetRead,
    responses={**_ERRORS, 422: {"model": ErrorBody}},
)
async def patch_streaming_target(
    streaming_target_id: TargetId,
    body: UpdateStreamingTargetBody,
    room: OwnedRoom,
    session: SessionDep,
    suppress_email_notification: SuppressEmail = False,
) -> RoomStreamingTargetRead:
    """Change a streaming target of a room."""
    if not body.model_fields_set:
        raise ValidationFailed.missing_values()
    target = await service.get_target_or_raise(session, room, streaming_target_id)
    target = await service.update_target(
        session, room, target, body, suppress_email=suppress_email_notification
    )
    return service.read_target(target, with_key=True)


@router.delete(
    "/{streaming_target_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=_ERRORS,
)
async def delete_streaming_target(
    streaming_target_id: TargetId,
    room: OwnedRoom,
    session: SessionDep,
    suppress_email_notification: SuppressEmail = False,
) -> None:
    """Delete a streaming target of a room."""
    target = await service.get_target_or_raise(session, room, streaming_target_id)
    await service.delete_target(
        session, room, target, suppress_email=suppress_email_notification
    )
