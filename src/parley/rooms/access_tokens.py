"""Room access tokens: Parley-signed JWTs that admit their holder to one room as a guest.

Issued to an integration for its end users (the Videsk VPaaS dialect); presented
as the bearer credential of ``POST /v1/rooms/{room_id}/start``, which answers with
a signaling ticket like any other start. A token carries ``sub`` = the room id,
``aud`` = ``parley:room``, a ``jti``, and ``nbf``/``exp`` inside the room's window
(``exp`` = the room's expiry, or issue time + the default lifetime for a room
without one). It admits only while all of these hold: the signature and issuer
are Parley's, it names this room, its ``jti`` is recorded for this room
(``room_authorizations``), ``nbf <= now < exp`` (``nbf`` forgives the OIDC
leeway for clocks a little behind; ``exp`` is exact), and the room is open
(``rooms.service.ensure_open``).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.apikeys.signing import TokenSigner
from parley.auth.errors import AuthenticationFailed
from parley.errors import Forbidden
from parley.rooms import service as rooms_service
from parley.rooms.models import Room, RoomAuthorization

ISSUER_PATH: Final = "/v1/rooms"
AUDIENCE: Final = "parley:room"


class AccessTokenExpired(AuthenticationFailed):
    code = "access_token_expired"
    default_message = "The room access token has expired"


class AccessTokenNotYetValid(Forbidden):
    code = "access_token_not_yet_valid"
    default_message = "The room access token is not valid yet"


class AccessTokenForOtherRoom(Forbidden):
    code = "access_token_wrong_room"
    default_message = "The room access token is for another room"


class UnknownAccessToken(AuthenticationFailed):
    default_message = "The room access token was not issued for this room"


def token_signer(
    signing_key_pem: bytes, *, base_url: str, leeway_seconds: int
) -> TokenSigner:
    """The signer of room tokens: the API-token key, under the rooms issuer."""
    return TokenSigner(
        signing_key_pem,
        base_url=base_url,
        leeway_seconds=leeway_seconds,
        issuer_path=ISSUER_PATH,
        audience=AUDIENCE,
    )


def token_window(
    room: Room, *, now: datetime, default_lifetime: timedelta
) -> tuple[datetime, datetime]:
    """(nbf, exp) of a token issued now: the room's window, else now + the default."""
    not_before = room.not_before or now
    expires_at = room.expires_at or max(now, not_before) + default_lifetime
    return not_before, expires_at


def _seconds(moment: datetime) -> int:
    return int(moment.timestamp())


async def issue_access_token(
    session: AsyncSession,
    signer: TokenSigner,
    room: Room,
    *,
    ip: str,
    now: datetime,
    default_lifetime: timedelta,
) -> tuple[str, RoomAuthorization]:
    """Sign a token for the room and record it (its ``jti``, the caller's address)."""
    not_before, expires_at = token_window(
        room, now=now, default_lifetime=default_lifetime
    )
    authorization = RoomAuthorization(
        room_id=room.id,
        jti=str(uuid.uuid4()),
        ip=ip[:64],
        created_at=now,
        # JWTs count whole seconds; the record says what the token says.
        not_before=datetime.fromtimestamp(_seconds(not_before), UTC),
        expires_at=datetime.fromtimestamp(_seconds(expires_at), UTC),
    )
    session.add(authorization)
    await session.flush()
    token = signer.sign(
        {
            "sub": str(room.id),
            "jti": authorization.jti,
            "iat": _seconds(now),
            "nbf": _seconds(authorization.not_before),
            "exp": _seconds(authorization.expires_at),
        }
    )
    return token, authorization


async def list_authorizations(
    session: AsyncSession, room_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[RoomAuthorization]]:
    """The tokens issued for each room, oldest first."""
    found: dict[uuid.UUID, list[RoomAuthorization]] = {room: [] for room in room_ids}
    if not room_ids:
        return found
    rows = await session.scalars(
        select(RoomAuthorization)
        .where(RoomAuthorization.room_id.in_(room_ids))
        .order_by(RoomAuthorization.created_at, RoomAuthorization.id)
    )
    for row in rows:
        found[row.room_id].append(row)
    return found


async def admitted_room(
    session: AsyncSession,
    signer: TokenSigner,
    token: str,
    *,
    room_id: uuid.UUID,
    now: datetime,
    leeway: timedelta,
) -> Room:
    """The room the token admits its holder to now; a clear 401/403/404 otherwise."""
    # Times are checked below, after the token is known to be Parley's, with
    # messages that say which bound was crossed.
    claims = signer.verify(token, check_times=False)
    if claims.get("sub") != str(room_id):
        raise AccessTokenForOtherRoom()
    expires = claims.get("exp")
    not_before = claims.get("nbf")
    if not isinstance(expires, int) or not isinstance(not_before, int):
        raise AuthenticationFailed("The room access token lacks nbf or exp")
    jti = claims.get("jti")
    recorded = await session.scalar(
        select(RoomAuthorization.id).where(
            RoomAuthorization.jti == str(jti), RoomAuthorization.room_id == room_id
        )
    )
    if recorded is None:
        raise UnknownAccessToken()
    if now.timestamp() >= expires:
        raise AccessTokenExpired(
            "The room access token expired at "
            + datetime.fromtimestamp(expires, UTC).isoformat().replace("+00:00", "Z")
        )
    if now.timestamp() + leeway.total_seconds() < not_before:
        raise AccessTokenNotYetValid(
            "The room access token is valid from "
            + datetime.fromtimestamp(not_before, UTC).isoformat().replace("+00:00", "Z")
        )
    room = await rooms_service.get_room_or_raise(session, room_id)
    rooms_service.ensure_open(room, now, leeway=leeway)
    return room
