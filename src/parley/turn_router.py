"""TURN/STUN endpoint.

GET /v1/turn    credentials for the configured TURN servers plus the STUN URIs;
                204 when neither is configured
"""

from __future__ import annotations

import time
import uuid

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from parley.config import Settings
from parley.errors import ErrorBody
from parley.invites.deps import INVITE_CODE_SECURITY, UserOrGuest, UserOrGuestDep
from parley.turn import turn_credentials

router = APIRouter(tags=["turn", "stun"])


class TurnServer(BaseModel):
    """Spec TurnCredentials: TURN REST API credentials (coturn ``use-auth-secret``)."""

    username: str
    password: str
    ttl: str
    uris: list[str]


class StunServer(BaseModel):
    """Spec StunCredentials."""

    uris: list[str]


def _participant(caller: UserOrGuest) -> str:
    """The TURN username's participant: the user's id, for a guest a random id.

    An invite code is a credential and must not end up in TURN server logs.
    """
    if caller.principal is not None:
        return str(caller.principal.user_id)
    return str(uuid.uuid4())


@router.get(
    "/turn",
    response_model=list[TurnServer | StunServer],
    responses={
        204: {"description": "No TURN or STUN server is configured"},
        401: {"model": ErrorBody},
    },
    openapi_extra=INVITE_CODE_SECURITY,
)
async def get_turn(request: Request, caller: UserOrGuestDep) -> Response:
    """Get time-limited TURN credentials and the STUN servers to use."""
    settings: Settings = request.app.state.settings
    servers: list[dict[str, object]] = []
    if settings.turn_uri_list and settings.turn_secret is not None:
        credentials = turn_credentials(
            uris=settings.turn_uri_list,
            secret=settings.turn_secret.get_secret_value(),
            ttl_seconds=settings.turn_ttl_seconds,
            participant=_participant(caller),
            now=int(time.time()),
        )
        servers.append(dict(credentials))
    if settings.stun_uri_list:
        servers.append({"uris": settings.stun_uri_list})
    if not servers:
        return Response(status_code=204)
    return JSONResponse(servers)
