"""Room invite code endpoints.

GET    /v1/rooms/{room_id}/invites                 invites of a room (owner, paged)
POST   /v1/rooms/{room_id}/invites                 create an invite (owner)
GET    /v1/rooms/{room_id}/invites/{invite_code}   one invite (owner)
PUT    /v1/rooms/{room_id}/invites/{invite_code}   change its expiration (owner)
DELETE /v1/rooms/{room_id}/invites/{invite_code}   deactivate it (owner)
POST   /v1/invite/verify                           (no auth) room of an active, unexpired code
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response, status

from parley.auth.deps import CurrentPrincipal
from parley.db import SessionDep
from parley.errors import ErrorBody, ValidationFailed
from parley.invites import service
from parley.invites.models import Invite
from parley.invites.schemas import (
    InviteCodeRead,
    InviteCodeVerified,
    InviteVerifyBody,
    NewInviteCode,
    UpdateInviteCode,
)
from parley.pagination import PageDep, set_page_links
from parley.rooms.deps import OwnedRoom

router = APIRouter(tags=["invite_codes"])

_ERRORS: dict[int | str, dict[str, object]] = {
    403: {"model": ErrorBody},
    404: {"model": ErrorBody},
}


async def get_owned_invite(
    room: OwnedRoom,
    invite_code: Annotated[uuid.UUID, Path(description="The invite code")],
    session: SessionDep,
) -> Invite:
    return await service.get_room_invite_or_raise(session, room.id, invite_code)


OwnedInvite = Annotated[Invite, Depends(get_owned_invite)]


@router.get(
    "/rooms/{room_id}/invites",
    response_model=list[InviteCodeRead],
    tags=["rooms"],
    responses=_ERRORS,
)
async def get_all_invites(
    request: Request,
    response: Response,
    room: OwnedRoom,
    page: PageDep,
    session: SessionDep,
) -> list[Invite]:
    """Get all invites of a room."""
    invites, total = await service.list_room_invites(session, room, page)
    set_page_links(request, response, page, total)
    return invites


@router.post(
    "/rooms/{room_id}/invites",
    response_model=InviteCodeRead,
    tags=["rooms"],
    responses=_ERRORS,
)
async def create_invite(
    room: OwnedRoom,
    principal: CurrentPrincipal,
    session: SessionDep,
    body: NewInviteCode | None = None,
) -> Invite:
    """Create a new invite code for a room."""
    return await service.create_invite(
        session,
        room=room,
        created_by_id=principal.user_id,
        data=body or NewInviteCode(),
    )


@router.get(
    "/rooms/{room_id}/invites/{invite_code}",
    response_model=InviteCodeRead,
    tags=["rooms"],
    responses=_ERRORS,
)
async def get_invite(invite: OwnedInvite) -> Invite:
    """Get one invite of a room."""
    return invite


@router.put(
    "/rooms/{room_id}/invites/{invite_code}",
    response_model=InviteCodeRead,
    tags=["rooms"],
    responses={**_ERRORS, 422: {"model": ErrorBody}},
)
async def put_invite(
    body: UpdateInviteCode,
    invite: OwnedInvite,
    principal: CurrentPrincipal,
    session: SessionDep,
) -> Invite:
    """Change an invite's expiration (null removes it)."""
    if not body.model_fields_set:
        raise ValidationFailed.missing_values()
    return await service.update_invite(
        session, invite, updated_by_id=principal.user_id, data=body
    )


@router.delete(
    "/rooms/{room_id}/invites/{invite_code}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["rooms"],
    responses=_ERRORS,
)
async def delete_invite(
    invite: OwnedInvite, principal: CurrentPrincipal, session: SessionDep
) -> None:
    """Deactivate an invite code."""
    await service.deactivate_invite(session, invite, updated_by_id=principal.user_id)


@router.post(
    "/invite/verify",
    response_model=InviteCodeVerified,
    status_code=status.HTTP_201_CREATED,
    responses={404: {"model": ErrorBody}, 422: {"model": ErrorBody}},
    openapi_extra={"security": []},
)
async def verify_invite(
    body: InviteVerifyBody, session: SessionDep
) -> InviteCodeVerified:
    """Verify an invite code and return its room."""
    _, room = await service.verify_invite(session, body.invite_code)
    return InviteCodeVerified(room_id=room.id, password_required=bool(room.password))
