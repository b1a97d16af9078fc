"""Signaling endpoints.

POST /v1/rooms/{room_id}/start          ticket + resumption for a registered user, or
                                        for a guest holding a room access token
POST /v1/rooms/{room_id}/start_invited  (no bearer) ticket + resumption for an invite-code guest
POST /v1/services/call_in/start         (service role opentalk-call-in) ticket for a phone caller
GET  /signaling, /v1/signaling          the websocket; the ticket rides in Sec-WebSocket-Protocol
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Header, Request, WebSocket
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from parley.apikeys.signing import TokenSigner
from parley.auth.deps import (
    Principal,
    bearer_token,
    current_principal,
    require_service_role,
)
from parley.config import Settings
from parley.db import Database, SessionDep
from parley.errors import (
    AppError,
    BadRequest,
    ErrorBody,
    ServiceUnavailable,
    count_login_failure,
)
from parley.logs import note_user
from parley.ratelimit import DialInLimitsDep, FailureLimiterDep, client_address
from parley.rooms.deps import RoomIdPath
from parley.signaling import start
from parley.signaling.admission import (
    Admission,
    ParticipantGone,
    admit,
    resumption_of,
)
from parley.signaling.errors import SessionRunning
from parley.signaling.handshake import InvalidTicket, read_protocol_header
from parley.signaling.hub import SignalingHub
from parley.signaling.runner import Runner
from parley.signaling.schemas import (
    CallInStartBody,
    InvitedRoomStartBody,
    RoomStartBody,
    RoomStartResponse,
)
from parley.signaling.state import StateUnavailable

logger = logging.getLogger(__name__)

CALL_IN_ROLE: Final = "opentalk-call-in"
LOCK_WAIT: Final = 10.0
"""Seconds a connection waits for the previous runner of its participant id to end."""

router = APIRouter(tags=["signaling"])
websocket_router = APIRouter(tags=["signaling"])


async def get_hub(request: Request) -> SignalingHub:
    hub: SignalingHub = request.app.state.signaling
    return hub


HubDep = Annotated[SignalingHub, Depends(get_hub)]


@dataclass(frozen=True, slots=True)
class RoomAccessToken:
    """A start request's bearer token that is a room access token (not yet verified)."""

    token: str
    signer: TokenSigner


async def start_caller(request: Request) -> Principal | RoomAccessToken:
    """Who starts: a user (verified here, 401 before the body is looked at) or a
    room access token, verified with the room by the start itself."""
    token = bearer_token(request)
    signer: TokenSigner = request.app.state.room_token_signer
    if signer.recognises(token):
        return RoomAccessToken(token, signer)
    return await current_principal(request)


StartCaller = Annotated[Principal | RoomAccessToken, Depends(start_caller)]
CallInService = Annotated[dict[str, Any], Depends(require_service_role(CALL_IN_ROLE))]


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": ErrorBody} for status in (*statuses, 503)}


@router.post(
    "/rooms/{room_id}/start",
    response_model=RoomStartResponse,
    tags=["rooms"],
    responses=_errors(400, 401, 403, 404, 422),
    openapi_extra={"security": [{"BearerAuth": []}, {"RoomAccessToken": []}]},
)
async def signaling_start(
    request: Request,
    caller: StartCaller,
    room_id: RoomIdPath,
    body: RoomStartBody,
    session: SessionDep,
    hub: HubDep,
) -> RoomStartResponse:
    """Start a signaling session: a ticket for /signaling.

    The bearer token is a user's access token, or a room access token (a guest).
    """
    if isinstance(caller, RoomAccessToken):
        settings: Settings = request.app.state.settings
        return await start.start_with_access_token(
            session,
            hub.state,
            caller.signer,
            room_id=room_id,
            token=caller.token,
            body=body,
            leeway=timedelta(seconds=settings.oidc_leeway_seconds),
        )
    return await start.start_as_user(
        session, hub.state, room_id=room_id, user_id=caller.user_id, body=body
    )


@router.post(
    "/rooms/{room_id}/start_invited",
    response_model=RoomStartResponse,
    tags=["rooms", "invite_codes"],
    responses=_errors(400, 401, 404, 422),
    openapi_extra={"security": []},
)
async def signaling_start_invited(
    room_id: RoomIdPath,
    body: InvitedRoomStartBody,
    session: SessionDep,
    hub: HubDep,
) -> RoomStartResponse:
    """Start a signaling session as a guest with an invite code (and room password)."""
    return await start.start_as_guest(session, hub.state, room_id=room_id, body=body)


@router.post(
    "/services/call_in/start",
    response_model=RoomStartResponse,
    tags=["services", "call_in"],
    responses={
        **_errors(400, 401, 422),
        403: {
            "model": ErrorBody,
            "description": "The room owner's tariff does not include call-in",
        },
        429: {"model": ErrorBody, "description": "Too many failed attempts"},
    },
)
async def start_sip(
    _service: CallInService,  # the gateway's service role is the credential
    request: Request,
    body: CallInStartBody,
    session: SessionDep,
    hub: HubDep,
    limiter: FailureLimiterDep,
    limits: DialInLimitsDep,
) -> RoomStartResponse:
    """Start a signaling session for a phone caller from the room's call-in id and PIN."""
    return await start.start_call_in(
        session,
        hub.state,
        limiter,
        body=body,
        address=client_address(request),
        limits=limits,
    )


class WebsocketRequired(BadRequest):
    default_message = "/signaling only accepts websocket upgrade requests"


class ShuttingDown(ServiceUnavailable):
    default_message = "This instance is shutting down; connect again"


ProtocolHeader = Annotated[
    str | None,
    Header(
        alias="Sec-WebSocket-Protocol",
        description="`opentalk-signaling-json-v1.0, ticket#<ticket>`",
        examples=["opentalk-signaling-json-v1.0, ticket#<64 characters>"],
    ),
]


@websocket_router.get(
    "/signaling", responses=_errors(400, 401), openapi_extra={"security": []}
)
@websocket_router.get(
    "/v1/signaling", responses=_errors(400, 401), openapi_extra={"security": []}
)
async def signaling_websocket(
    request: Request, protocol: ProtocolHeader = None
) -> None:
    """The signaling websocket; a plain HTTP request gets the handshake's errors."""
    read_protocol_header(request.headers.getlist("sec-websocket-protocol"))
    raise WebsocketRequired()


@websocket_router.websocket("/signaling")
@websocket_router.websocket("/v1/signaling")
async def signaling_session(websocket: WebSocket) -> None:
    """Check the handshake, then run the participant's session."""
    hub: SignalingHub = websocket.app.state.signaling
    try:
        admission, lock_token = await _admit(websocket, hub)
    except AppError as exc:
        count_login_failure(exc)
        logger.info("signaling handshake refused: %s %s", exc.code, exc.message)
        await _deny(websocket, exc.status_code, exc.body(), exc.headers)
        return
    except (StateUnavailable, DBAPIError, PoolTimeoutError, OSError) as exc:
        logger.error("signaling handshake failed, dependency down: %s", exc)
        await _deny(websocket, 503, ServiceUnavailable().body())
        return
    except Exception:
        logger.exception("signaling handshake failed")
        body = {"code": "internal_server_error", "message": "An error occurred"}
        await _deny(websocket, 500, body)
        return
    if admission.user_id is not None:
        note_user(admission.user_id)  # in the session's log lines
    await Runner(websocket, hub, admission, lock_token).run()


async def _admit(websocket: WebSocket, hub: SignalingHub) -> tuple[Admission, str]:
    """Everything before the upgrade: ticket, database facts, participant lock."""
    handshake = read_protocol_header(
        websocket.headers.getlist("sec-websocket-protocol")
    )
    if hub.closing:
        raise ShuttingDown()
    ticket = await hub.state.take_ticket(handshake.ticket)
    if ticket is None:
        raise InvalidTicket()
    database: Database = websocket.app.state.database
    async with database.read_sessionmaker() as session:
        try:
            admission = await admit(session, ticket)
        except ParticipantGone:
            raise InvalidTicket() from None
    lock_token = await hub.state.acquire_participant_lock(
        ticket.participant_id, wait=LOCK_WAIT
    )
    if lock_token is None:
        raise SessionRunning()
    try:
        await hub.state.put_resumption(ticket.resumption, resumption_of(ticket))
    except BaseException:
        await hub.state.release_participant_lock(ticket.participant_id, lock_token)
        raise
    return admission, lock_token


async def _deny(
    websocket: WebSocket,
    status: int,
    body: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> None:
    """Answer the upgrade request with a plain HTTP error (ASGI denial response)."""
    response = JSONResponse(body, status_code=status, headers=headers)
    try:
        await websocket.send_denial_response(response)
    except RuntimeError:
        # The server cannot send HTTP responses for websockets: close instead.
        await websocket.close(code=1008, reason=str(body.get("code", "")))
