"""Starting a signaling session: checks, then a ticket and a resumption token.

Four callers (notes §1.1): a registered user, a guest with an invite code or
with a room access token (``parley.rooms.access_tokens``), and a call-in gateway
with a room's numeric id and PIN. A room that has ended, or whose window does not
contain now, admits none of them (403). Each gets a single-use
ticket for the websocket and a fresh resumption token; presenting the last
resumption token again gives back the same participant id (notes §1.4).
"""

from __future__ import annotations

import hmac
import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from parley.apikeys.signing import TokenSigner
from parley.assets import service as assets_service
from parley.invites import service as invites_service
from parley.ratelimit import (
    DialInLimits,
    FailureLimiter,
    TooManyAttempts,
    dial_in_source_key,
    ensure_allowed,
)
from parley.rooms import access_tokens
from parley.rooms import service as rooms_service
from parley.signaling.errors import (
    BannedFromRoom,
    InvalidCredentials,
    NoBreakoutRooms,
    RoomIdMismatch,
    SessionRunning,
    WrongRoomPassword,
)
from parley.signaling.schemas import (
    CallInStartBody,
    InvitedRoomStartBody,
    RoomStartBody,
    RoomStartResponse,
)
from parley.signaling.state import Participation, SignalingState, TicketData
from parley.signaling.tokens import (
    generate_resumption_token,
    generate_ticket,
    is_well_formed_token,
)
from parley.sip import service as sip_service
from parley.tariffs import service as tariffs_service

logger = logging.getLogger(__name__)

# Compared against when the call-in id is unknown, so both failures cost the same.
_UNKNOWN_ID_PIN: Final = "\x00" * sip_service.NUMERIC_ID_LENGTH


async def start_session(
    state: SignalingState,
    *,
    room_id: uuid.UUID,
    participation: Participation,
    resumption: str | None,
) -> RoomStartResponse:
    """Issue a ticket, reusing the participant id of a valid resumption token.

    A token that is unknown, expired, or from another room or caller is
    ignored (a new participant id is drawn); one whose session is still
    connected is refused with ``session_running`` and stays valid for it.
    """
    participant_id = await _resumed_participant(
        state, room_id=room_id, participation=participation, token=resumption
    )
    ticket = generate_ticket()
    new_resumption = generate_resumption_token()
    await state.put_ticket(
        ticket,
        TicketData(
            participant_id=participant_id or uuid.uuid4(),
            resuming=participant_id is not None,
            participation=participation,
            room_id=room_id,
            resumption=new_resumption,
        ),
    )
    return RoomStartResponse(ticket=ticket, resumption=new_resumption)


async def _resumed_participant(
    state: SignalingState,
    *,
    room_id: uuid.UUID,
    participation: Participation,
    token: str | None,
) -> uuid.UUID | None:
    if token is None or not is_well_formed_token(token):
        return None
    data = await state.get_resumption(token)
    if data is None or data.room_id != room_id or data.participation != participation:
        return None
    if await state.is_participant_connected(data.participant_id):
        raise SessionRunning()
    # Consumed only now: a refused start must not end the running session.
    consumed = await state.consume_resumption(token)
    if consumed is None or consumed.participant_id != data.participant_id:
        return None  # a concurrent start took it first
    return consumed.participant_id


def _reject_breakout_room(breakout_room: object | None) -> None:
    # Parley has no breakout rooms, so any requested one is refused.
    if breakout_room is not None:
        raise NoBreakoutRooms()


async def start_as_user(
    session: AsyncSession,
    state: SignalingState,
    *,
    room_id: uuid.UUID,
    user_id: uuid.UUID,
    body: RoomStartBody,
) -> RoomStartResponse:
    """POST /rooms/{id}/start: the owner or anyone granted access, unless banned."""
    room = await rooms_service.get_room_or_raise(session, room_id)
    await rooms_service.ensure_access(session, room, user_id)
    rooms_service.ensure_open(room, datetime.now(UTC))
    if await state.is_user_banned(room.id, user_id):
        raise BannedFromRoom()
    _reject_breakout_room(body.breakout_room)
    return await start_session(
        state,
        room_id=room.id,
        participation=Participation.user(user_id),
        resumption=body.resumption,
    )


async def start_as_guest(
    session: AsyncSession,
    state: SignalingState,
    *,
    room_id: uuid.UUID,
    body: InvitedRoomStartBody,
) -> RoomStartResponse:
    """POST /rooms/{id}/start_invited: a usable invite for this room, and its password."""
    code = invites_service.parse_invite_code(body.invite_code)
    invite = await invites_service.get_usable_invite(session, code)
    if invite is None:
        raise invites_service.UnusableInviteCode()
    if invite.room_id != room_id:
        raise RoomIdMismatch()
    room = await rooms_service.get_room_or_raise(session, room_id)
    if room.password and not _same_secret(room.password, body.password or ""):
        raise WrongRoomPassword()
    rooms_service.ensure_open(room, datetime.now(UTC))
    _reject_breakout_room(body.breakout_room)
    return await start_session(
        state,
        room_id=room.id,
        participation=Participation.guest(),
        resumption=body.resumption,
    )


async def start_with_access_token(
    session: AsyncSession,
    state: SignalingState,
    signer: TokenSigner,
    *,
    room_id: uuid.UUID,
    token: str,
    body: RoomStartBody,
    leeway: timedelta,
) -> RoomStartResponse:
    """POST /rooms/{id}/start with a room access token: a guest of that room.

    The token is the credential, as an invite code is for start_invited; the
    room password is not asked (the token's issuer, the room's owner, admits).
    """
    room = await access_tokens.admitted_room(
        session,
        signer,
        token,
        room_id=room_id,
        now=datetime.now(UTC),
        leeway=leeway,
    )
    _reject_breakout_room(body.breakout_room)
    return await start_session(
        state,
        room_id=room.id,
        participation=Participation.guest(),
        resumption=body.resumption,
    )


async def start_call_in(
    session: AsyncSession,
    state: SignalingState,
    limiter: FailureLimiter,
    *,
    body: CallInStartBody,
    address: str,
    limits: DialInLimits,
) -> RoomStartResponse:
    """POST /services/call_in/start: a SIP participant for the room with this id + PIN.

    Unknown ids and wrong PINs are the same failure, compared in constant
    time and counted per id and in the calling address's dial-in budget
    (shared with the Jitsi conference mapper); a key over its limit is refused
    before the PIN is looked at. A room whose owner's tariff lacks call-in
    answers 403 ``feature_disabled_by_tariff``, but only to a caller with the
    right PIN.
    """
    id_key, source_key = f"call_in:id:{body.id}", dial_in_source_key(address)
    try:
        await ensure_allowed(
            limiter,
            {
                id_key: limits.max_failures_per_id,
                source_key: limits.max_failures_per_source,
            },
        )
    except TooManyAttempts as refused:
        logger.warning(
            "call-in refused, too many failures: id=%s source=%s retry_after=%ss",
            body.id,
            address,
            refused.retry_after,
        )
        raise
    config = await sip_service.get_sip_config_by_sip_id(session, body.id)
    expected = config.password if config is not None else _UNKNOWN_ID_PIN
    if not _same_secret(expected, body.pin) or config is None:
        failures = await limiter.record_failure(id_key, limits.window_seconds)
        await limiter.record_failure(source_key, limits.window_seconds)
        logger.warning(
            "call-in failed: id=%s source=%s failures_for_id=%d",
            body.id,
            address,
            failures,
        )
        raise InvalidCredentials()
    await limiter.clear(id_key)
    # Only now, with id and PIN proven: telling a guesser that the tariff
    # disables call-in would tell it that the id exists.
    room = await rooms_service.get_room_or_raise(session, config.room_id)
    await tariffs_service.require_feature(session, room, "call_in")
    rooms_service.ensure_open(room, datetime.now(UTC))
    return await start_session(
        state,
        room_id=room.id,
        participation=Participation.sip(),
        resumption=None,
    )


RECORDER_MODULES: Final = ("recording", "media")


async def start_recorder(
    session: AsyncSession, state: SignalingState, *, room_id: uuid.UUID
) -> RoomStartResponse:
    """POST /services/recording/start: the recorder joins the room (invisibly).

    As the controller: the room must exist and its owner must have storage
    left (403 ``storage_exceeded``). The owner's tariff must leave both
    ``recording`` and ``media`` on (403 ``feature_disabled_by_tariff``).
    """
    room = await rooms_service.get_room_or_raise(session, room_id)
    for module in RECORDER_MODULES:
        await tariffs_service.require_module(session, room, module)
    await assets_service.ensure_storage_left(session, room)
    return await start_session(
        state,
        room_id=room.id,
        participation=Participation.recorder(),
        resumption=None,
    )


def _same_secret(expected: str, given: str) -> bool:
    """Constant-time comparison (timing must not reveal how much matched)."""
    return hmac.compare_digest(expected.encode(), given.encode())
