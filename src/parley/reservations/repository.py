"""Window queries that use the fact that one room's windows never overlap.

Sorted by start, a room's windows also end in order. So the only windows that can
overlap [start, end) are the last one starting before `start` and the first one
starting in [start, end): two probes of the (room_key, starts_at) index, however
long the room's history. A plain `starts_at < end AND ends_at > start` filter
would scan every earlier window of the room.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.reservations.models import Reservation


async def find_overlap(
    session: AsyncSession, room_key: str, start: datetime, end: datetime
) -> Reservation | None:
    """The earliest window of the room overlapping [start, end), if any."""
    in_room = Reservation.room_key == room_key
    last_before = (
        select(Reservation.id)
        .where(in_room, Reservation.starts_at < start)
        .order_by(Reservation.starts_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    first_inside = (
        select(Reservation.id)
        .where(in_room, Reservation.starts_at >= start, Reservation.starts_at < end)
        .order_by(Reservation.starts_at)
        .limit(1)
        .scalar_subquery()
    )
    return await session.scalar(
        select(Reservation)
        .where(
            Reservation.id.in_([last_before, first_inside]),
            Reservation.starts_at < end,
            Reservation.ends_at > start,
        )
        .order_by(Reservation.starts_at)
        .limit(1)
    )


async def window_at(
    session: AsyncSession, room_key: str, instant: datetime
) -> Reservation | None:
    """The room's window containing the instant, if any."""
    last_started = (
        select(Reservation.id)
        .where(Reservation.room_key == room_key, Reservation.starts_at <= instant)
        .order_by(Reservation.starts_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    return await session.scalar(
        select(Reservation).where(
            Reservation.id == last_started, Reservation.ends_at > instant
        )
    )
