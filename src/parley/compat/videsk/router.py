"""Videsk's VPaaS rooms API (credential: `Authorization: Bearer <api-token>`, an API
key of kind `videsk`; it acts for the key's owner).

GET    /vpaas/rooms                        the owner's rooms: limit, skip, sort, ended, externalId
POST   /vpaas/rooms                        create a room (+ an accessToken)
GET    /vpaas/rooms/{idOrExternalId}       one room
PATCH  /vpaas/rooms/{idOrExternalId}       name, nbf/exp, ended, generateToken (404 once ended)
DELETE /vpaas/rooms/{idOrExternalId}       always 403: rooms are not deleted through this API
POST   /vpaas/rooms/{idOrExternalId}/join  {accessToken}

An accessToken is a room access token: `POST /v1/rooms/{id}/start` with it as the
bearer token gives a signaling ticket. Errors are Feathers' `{name, message, code,
className}`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, status

from parley.apikeys import service as apikeys_service
from parley.apikeys.signing import TokenSigner
from parley.auth.deps import bearer_token
from parley.auth.errors import AuthenticationFailed
from parley.compat.json_body import parse_model, read_json
from parley.compat.routing import add_catch_all, dialect_route, json_request_body
from parley.compat.videsk import service
from parley.compat.videsk.errors import DeletionForbidden, FeathersError, VideskErrors
from parley.compat.videsk.schemas import (
    AccessToken,
    Authorization,
    JoinBody,
    RoomConfig,
    RoomCreate,
    RoomPage,
    RoomPatch,
    RoomRead,
    RoomWithToken,
    iso,
)
from parley.config import Settings
from parley.db import SessionDep
from parley.errors import Forbidden
from parley.ratelimit import client_address
from parley.rooms import service as rooms_service

ERRORS = VideskErrors()
router = APIRouter(
    prefix="/vpaas",
    tags=["videsk"],
    route_class=dialect_route(ERRORS),
    responses={
        400: {"model": FeathersError, "description": "Bad request"},
        401: {"model": FeathersError, "description": "Invalid or missing API token"},
        403: {"model": FeathersError, "description": "Not an api-token"},
    },
)
_SECURITY: dict[str, Any] = {"security": [{"VideskApiToken": []}]}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": FeathersError, "description": "Room not found"}
}
RoomKey = Annotated[
    str, Path(alias="roomId", max_length=255, description="Room ID or external ID")
]


async def token_owner(request: Request, session: SessionDep) -> uuid.UUID:
    """The owner of the presented api-token (an unrevoked `videsk` API key)."""
    secret = bearer_token(request)
    key = await apikeys_service.authenticate_key(
        session, secret, kind="videsk", now=datetime.now(UTC)
    )
    if key is None:
        if await apikeys_service.active_key_kind(session, secret) is not None:
            # A real key, of another kind: only api-tokens may use VPaaS.
            raise Forbidden("Insufficient permissions: the token is not an api-token")
        raise AuthenticationFailed("Invalid or revoked API token")
    return key.owner_id


Owner = Annotated[uuid.UUID, Depends(token_owner)]


def _windows(request: Request) -> service.Windows:
    settings: Settings = request.app.state.settings
    return service.Windows(
        default=timedelta(seconds=settings.videsk_default_window_seconds),
        maximum=timedelta(seconds=settings.videsk_max_window_seconds),
    )


def _signer(request: Request) -> TokenSigner:
    signer: TokenSigner = request.app.state.room_token_signer
    return signer


def _read(view: service.VpaasRoom) -> dict[str, Any]:
    room = view.room
    return {
        "id": str(room.id),
        "name": view.name,
        "externalId": room.external_id or str(room.id),
        "exp": iso(room.expires_at),
        "nbf": iso(room.not_before),
        "authorizations": [
            Authorization(ip=a.ip, jti=a.jti, createdAt=iso(a.created_at) or "")
            for a in view.authorizations
        ],
        "ended": room.ended_at is not None,
        "config": RoomConfig(
            maxParticipants=room.max_participants,
            recordingEnabled=room.recording_enabled,
        ),
        "createdAt": iso(room.created_at) or "",
    }


async def _with_token(
    session: SessionDep, room: Any, token: str | None
) -> RoomWithToken:
    (view,) = await service.views(session, [room])
    return RoomWithToken(**_read(view), accessToken=token)


@router.get(
    "/rooms",
    response_model=RoomPage,
    response_model_exclude_none=False,
    openapi_extra=_SECURITY,
)
async def list_rooms(
    owner: Owner,
    session: SessionDep,
    limit: Annotated[
        int, Query(ge=0, description="Maximum number of results (at most 100)")
    ] = 10,
    skip: Annotated[int, Query(ge=0, description="Number of results to skip")] = 0,
    sort: Annotated[
        str | None,
        Query(
            max_length=256,
            description='Sort order: {"createdAt":-1} or createdAt:-1 (1 asc, -1 desc)',
        ),
    ] = None,
    ended: Annotated[bool | None, Query(description="Filter by ended status")] = None,
    external_id: Annotated[
        str | None,
        Query(alias="externalId", max_length=255, description="Filter by external ID"),
    ] = None,
) -> RoomPage:
    """The token owner's rooms, a page at a time."""
    limit = min(limit, service.MAX_PAGE)
    rooms, total = await rooms_service.list_owned_rooms(
        session,
        owner,
        ended=ended,
        external_id=external_id,
        order=service.parse_sort(sort),
        offset=skip,
        limit=limit,
    )
    return RoomPage(
        total=total,
        limit=limit,
        skip=skip,
        data=[RoomRead(**_read(view)) for view in await service.views(session, rooms)],
    )


@router.post(
    "/rooms",
    response_model=RoomWithToken,
    status_code=status.HTTP_201_CREATED,
    responses={409: {"model": FeathersError, "description": "externalId exists"}},
    openapi_extra={**json_request_body(RoomCreate, required=False), **_SECURITY},
)
async def create_room(
    request: Request, owner: Owner, session: SessionDep
) -> RoomWithToken:
    """Create a room (externalId and name generated when absent) and a token for it."""
    data = parse_model(RoomCreate, await read_json(request) or {})
    now = datetime.now(UTC)
    windows = _windows(request)
    room = await service.create_room(session, owner, data, now=now, windows=windows)
    token = await service.issue_token(
        session,
        _signer(request),
        room,
        ip=client_address(request),
        now=now,
        windows=windows,
    )
    return await _with_token(session, room, token)


@router.get(
    "/rooms/{roomId}",
    response_model=RoomRead,
    responses=_NOT_FOUND,
    openapi_extra=_SECURITY,
)
async def get_room(room_key: RoomKey, owner: Owner, session: SessionDep) -> RoomRead:
    """One room, by id or externalId."""
    room = await service.find_room(session, owner, room_key)
    (view,) = await service.views(session, [room])
    return RoomRead(**_read(view))


@router.patch(
    "/rooms/{roomId}",
    response_model=RoomWithToken,
    response_model_exclude_none=True,
    responses=_NOT_FOUND,
    openapi_extra={**json_request_body(RoomPatch), **_SECURITY},
)
async def patch_room(
    request: Request, room_key: RoomKey, owner: Owner, session: SessionDep
) -> RoomWithToken:
    """Change name, window or end; `generateToken: true` adds a new accessToken."""
    data = parse_model(RoomPatch, await read_json(request) or {})
    room = await service.find_room(session, owner, room_key)
    now = datetime.now(UTC)
    windows = _windows(request)
    await service.update_room(session, room, data, now=now, windows=windows)
    token = None
    if data.generateToken:
        token = await service.issue_token(
            session,
            _signer(request),
            room,
            ip=client_address(request),
            now=now,
            windows=windows,
        )
    return await _with_token(session, room, token)


@router.delete(
    "/rooms/{roomId}",
    status_code=status.HTTP_403_FORBIDDEN,
    responses={403: {"model": FeathersError, "description": "Always: not allowed"}},
    openapi_extra=_SECURITY,
)
async def delete_room(room_key: RoomKey) -> None:
    """Rooms are not deleted through this API (always 403); PATCH `ended` ends one."""
    raise DeletionForbidden()


@router.post(
    "/rooms/{roomId}/join",
    response_model=AccessToken,
    responses={
        **_NOT_FOUND,
        403: {"model": FeathersError, "description": "The room has ended"},
    },
    openapi_extra={**json_request_body(JoinBody, required=False), **_SECURITY},
)
async def join_room(
    request: Request, room_key: RoomKey, owner: Owner, session: SessionDep
) -> AccessToken:
    """An access token to join the room (its window decides when it admits)."""
    parse_model(JoinBody, await read_json(request) or {})
    room = await service.find_room(session, owner, room_key)
    if room.ended_at is not None:
        raise service.RoomEnded()
    now = datetime.now(UTC)
    token = await service.issue_token(
        session,
        _signer(request),
        room,
        ip=client_address(request),
        now=now,
        windows=_windows(request),
    )
    return AccessToken(accessToken=token)


add_catch_all(router, "", ERRORS)
