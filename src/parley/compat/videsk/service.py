"""VPaaS rooms as rooms: create, read, list, change, end, and access tokens.

A VPaaS room is a room of the token's owner (it shows in ``/v1/rooms``; the
owner's ``/v1`` rooms show here, their id standing in for the external id).
Its window, end, seats and recording flag are the room's own fields, enforced
where people are admitted (signaling); access tokens are room access tokens
(``parley.rooms.access_tokens``), each recorded as one of its authorizations.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession

from parley.apikeys.signing import TokenSigner
from parley.compat.videsk.schemas import RoomCreate, RoomPatch, parse_moment
from parley.errors import BadRequest, Forbidden, NotFound
from parley.events.room_access import event_titles_of_rooms
from parley.rooms import access_tokens
from parley.rooms import service as rooms_service
from parley.rooms.models import Room, RoomAuthorization
from parley.rooms.schemas import PostRoomsBody

MAX_PAGE: Final = 100
# Videsk's sort keys and the room fields they order by.
SORT_FIELDS: Final = {
    "createdAt": "created_at",
    "name": "name",
    "externalId": "external_id",
    "nbf": "not_before",
    "exp": "expires_at",
    "id": "id",
}
_SORT_PAIR = re.compile(r"\s*([A-Za-z]+)\s*:\s*(-?1)\s*")


class RoomNotFound(NotFound):
    default_message = "Room not found"


class RoomEnded(Forbidden):
    code = "room_ended"
    default_message = "The room has ended"


class InvalidWindow(BadRequest):
    code = "invalid_window"


@dataclass(frozen=True, slots=True)
class Windows:
    """How long rooms last by default and at most (settings)."""

    default: timedelta
    maximum: timedelta


@dataclass(frozen=True, slots=True)
class VpaasRoom:
    room: Room
    name: str
    authorizations: list[RoomAuthorization]


async def find_room(session: AsyncSession, owner_id: uuid.UUID, key: str) -> Room:
    """The owner's room with this id or external id; 404 otherwise."""
    try:
        room = await rooms_service.get_room(session, uuid.UUID(key))
    except ValueError:
        room = None
    if room is None or room.created_by_id != owner_id:
        room = await rooms_service.get_room_by_external_id(session, owner_id, key)
    if room is None:
        raise RoomNotFound(f"No record found for id '{key}'")
    return room


async def views(session: AsyncSession, rooms: list[Room]) -> list[VpaasRoom]:
    """Rooms with their names (an event's room: the event's title) and tokens."""
    ids = [room.id for room in rooms]
    titles = await event_titles_of_rooms(session, ids)
    issued = await access_tokens.list_authorizations(session, ids)
    return [
        VpaasRoom(room, room.name or titles.get(room.id, ""), issued[room.id])
        for room in rooms
    ]


def _window(
    nbf: str | None,
    exp: str | None,
    *,
    now: datetime,
    windows: Windows,
    current: tuple[datetime | None, datetime | None] = (None, None),
) -> tuple[datetime, datetime]:
    """(nbf, exp): given, else kept, else nbf = now and exp = nbf + the default."""
    try:
        not_before = parse_moment(nbf, "nbf") if nbf else current[0] or now
        given_exp = parse_moment(exp, "exp") if exp else None
    except ValueError as exc:
        raise InvalidWindow(str(exc)) from None
    if given_exp is not None:
        expires_at = given_exp
    elif current[1] is not None and nbf is None:
        expires_at = current[1]
    else:
        expires_at = not_before + windows.default
    if expires_at <= not_before:
        raise InvalidWindow("exp must be after nbf")
    if expires_at - not_before > windows.maximum:
        seconds = int(windows.maximum.total_seconds())
        raise InvalidWindow(
            f"The room may be open at most {seconds} seconds "
            f"({seconds / 86_400:g} days) from nbf to exp"
        )
    return not_before, expires_at


async def create_room(
    session: AsyncSession,
    owner_id: uuid.UUID,
    data: RoomCreate,
    *,
    now: datetime,
    windows: Windows,
) -> Room:
    """A new room of the owner; externalId and name are generated when absent."""
    not_before, expires_at = _window(data.nbf, data.exp, now=now, windows=windows)
    external_id = data.externalId or str(uuid.uuid4())
    if await rooms_service.get_room_by_external_id(session, owner_id, external_id):
        raise rooms_service.ExternalIdTaken("externalId already exists")
    room = await rooms_service.create_room(
        session, owner_id=owner_id, data=PostRoomsBody()
    )
    config = data.config
    try:
        await rooms_service.set_integration_fields(
            session,
            room,
            {
                "external_id": external_id,
                "name": data.name or f"Room {external_id[:32]}",
                "not_before": not_before,
                "expires_at": expires_at,
                "max_participants": config.maxParticipants if config else None,
                "recording_enabled": config.recordingEnabled if config else True,
            },
        )
    except rooms_service.ExternalIdTaken:
        raise rooms_service.ExternalIdTaken("externalId already exists") from None
    return room


async def update_room(
    session: AsyncSession,
    room: Room,
    data: RoomPatch,
    *,
    now: datetime,
    windows: Windows,
) -> Room:
    """Rename, move the window, or end the room (404 once it has ended)."""
    if room.ended_at is not None:
        raise RoomNotFound("Room not found or already ended")
    fields: dict[str, object] = {}
    if data.name is not None:
        fields["name"] = data.name
    if data.nbf is not None or data.exp is not None:
        fields["not_before"], fields["expires_at"] = _window(
            data.nbf,
            data.exp,
            now=now,
            windows=windows,
            current=(room.not_before, room.expires_at),
        )
    if fields:
        await rooms_service.set_integration_fields(session, room, fields)
    if data.ended:
        await rooms_service.end_room(session, room, now=now)
    return room


async def issue_token(
    session: AsyncSession,
    signer: TokenSigner,
    room: Room,
    *,
    ip: str,
    now: datetime,
    windows: Windows,
) -> str:
    """A room access token for the room, recorded with the caller's address."""
    token, _ = await access_tokens.issue_access_token(
        session, signer, room, ip=ip, now=now, default_lifetime=windows.default
    )
    return token


def parse_sort(text: str | None) -> list[tuple[str, bool]]:
    """`{"createdAt":-1}` or `createdAt:-1` (comma-separated) → [(field, descending)]."""
    if text is None or not text.strip():
        return [("created_at", False)]
    pairs: list[tuple[str, Any]]
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            parsed = json.loads(stripped)
        except ValueError:
            raise BadRequest(f"sort is not valid JSON: {stripped[:100]}") from None
        if not isinstance(parsed, dict):
            raise BadRequest('sort must look like {"createdAt":-1} or createdAt:-1')
        pairs = list(parsed.items())
    else:
        pairs = []
        for part in stripped.split(","):
            match = _SORT_PAIR.fullmatch(part)
            if match is None:
                raise BadRequest('sort must look like {"createdAt":-1} or createdAt:-1')
            pairs.append((match.group(1), int(match.group(2))))
    order = []
    for name, direction in pairs:
        if name not in SORT_FIELDS:
            raise BadRequest(
                f"Cannot sort by {name!r}; sortable: " + ", ".join(SORT_FIELDS)
            )
        if direction not in (1, -1) or isinstance(direction, bool):
            raise BadRequest(f"The sort direction of {name} must be 1 or -1")
        order.append((SORT_FIELDS[name], direction == -1))
    return order or [("created_at", False)]
