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

from parley.auth.deps import bearer_token
from parley.auth.errors import AuthenticationFailed, MissingToken
from parley.config import Settings
from parley.db import Database
from parley.errors import ErrorBody
from parley.invites import service as invites_service
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


class InvalidInviteCode(AuthenticationFailed):
    login_failure = "invite_code"
    default_message = (
        "The token is neither a valid access token nor a usable invite code"
    )


async def _caller(request: Request) -> str:
    """Who asks: the user's id, or for an invite-code guest a random id.

    Like the reference, ``Authorization: Bearer <x>`` takes an access token
    or, failing that, an invite code (``InviteCode <x>`` is accepted too). A
    guest's name in the TURN username is random: the invite code is a
    credential and must not end up in TURN server logs.
    """
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "invitecode" and value.strip():
        token = value.strip()
    else:
        token = bearer_token(request)
    state = request.app.state
    try:
        invite_code = uuid.UUID(token)
    except ValueError:
        principal = await state.authenticator.principal_for(token, state.database)
        return str(principal.user_id)
    database: Database = state.database
    async with database.read_sessionmaker() as session:
        invite = await invites_service.get_usable_invite(session, invite_code)
    if invite is None:
        raise InvalidInviteCode()
    return str(uuid.uuid4())


@router.get(
    "/turn",
    response_model=list[TurnServer | StunServer],
    responses={
        204: {"description": "No TURN or STUN server is configured"},
        401: {"model": ErrorBody},
    },
    openapi_extra={"security": [{"BearerAuth": []}, {"InviteCode": []}]},
)
async def get_turn(request: Request) -> Response:
    """Get time-limited TURN credentials and the STUN servers to use."""
    if not request.headers.get("authorization"):
        raise MissingToken()
    caller = await _caller(request)
    settings: Settings = request.app.state.settings
    servers: list[dict[str, object]] = []
    if settings.turn_uri_list and settings.turn_secret is not None:
        credentials = turn_credentials(
            uris=settings.turn_uri_list,
            secret=settings.turn_secret.get_secret_value(),
            ttl_seconds=settings.turn_ttl_seconds,
            participant=caller,
            now=int(time.time()),
        )
        servers.append(dict(credentials))
    if settings.stun_uri_list:
        servers.append({"uris": settings.stun_uri_list})
    if not servers:
        return Response(status_code=204)
    return JSONResponse(servers)
