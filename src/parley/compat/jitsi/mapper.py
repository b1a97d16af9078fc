"""The dial-in conference mapper: conference JID <-> stable numeric id.

Ids are 10 random digits (never sequential: they are what a caller types, and a
guessable id would let anyone dial into the next conference). A mapping is created
on first request by conference and never changes. Runs on an autocommit session
(GET requests have one), so concurrent first requests for one conference meet at
the unique constraint: INSERT ... ON CONFLICT DO NOTHING, then read back.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from parley.compat.jitsi.models import ConferenceMapping
from parley.errors import BadRequest
from parley.reservations.names import normalize_room_name

_ID_LOW, _ID_HIGH = 1_000_000_000, 9_999_999_999
_MAX_ATTEMPTS = 8


class InvalidConference(BadRequest):
    code = "invalid_conference"
    default_message = "conference must be a JID like room@conference.example.com"


def normalize_conference(jid: str) -> str:
    """`room@domain` with the room normalised like every room name, the domain lower."""
    room, at, domain = jid.strip().rpartition("@")
    domain = domain.lower()
    if not at or not room or not domain or len(domain) > 190 or "@" in room:
        raise InvalidConference()
    if not all(label and label.isascii() for label in domain.split(".")):
        raise InvalidConference()
    if any(char.isspace() or char == "/" for char in domain):
        raise InvalidConference()
    return f"{normalize_room_name(room)}@{domain}"


def random_mapping_id() -> int:
    return _ID_LOW + secrets.randbelow(_ID_HIGH - _ID_LOW + 1)


def is_mapping_id(value: int) -> bool:
    return _ID_LOW <= value <= _ID_HIGH


async def mapping_for_conference(
    session: AsyncSession, conference: str
) -> ConferenceMapping:
    """The conference's mapping, created with a fresh random id when it has none."""
    jid = normalize_conference(conference)
    insert = (
        postgres_insert
        if session.get_bind().dialect.name == "postgresql"
        else sqlite_insert
    )
    for _ in range(_MAX_ATTEMPTS):
        existing = await session.scalar(
            select(ConferenceMapping).where(ConferenceMapping.conference == jid)
        )
        if existing is not None:
            return existing
        # Conflicts on either the conference (a concurrent first request won) or
        # the id (a 1 in 9*10^9 draw collided) leave nothing inserted: look again.
        await session.execute(
            insert(ConferenceMapping)
            .values(id=random_mapping_id(), conference=jid)
            .on_conflict_do_nothing()
        )
    raise RuntimeError("could not draw a unique conference mapping id")


async def mapping_for_id(
    session: AsyncSession, mapping_id: int
) -> ConferenceMapping | None:
    if not is_mapping_id(mapping_id):
        return None
    return await session.get(ConferenceMapping, mapping_id)
