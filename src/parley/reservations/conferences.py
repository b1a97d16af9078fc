"""Conference allocation: what a video backend (Jitsi's Prosody) asks before it starts a
room, and tells when the room is gone.

Allocating room X at `now`:
- a reservation's window contains now: if its conference already runs, that is a
  ConferenceRunning conflict (Prosody recovers with GET /conference/{conflict_id});
  if the caller is not its `mail_owner`, ConferenceForbidden; otherwise the
  reservation's conference starts.
- no window contains now, but a reservation starts before an ad hoc allocation would
  end: ConferenceForbidden ("not yet started"); windows never overlap.
- otherwise an ad hoc allocation of `adhoc_duration` starting now.

All of it runs under the room's lock (reservations/locking.py), so concurrent or
retried requests for one room allocate once. Ending a conference is idempotent: an
ad hoc allocation's window is cut to the moment it ended (the room is free again);
a reservation keeps its window and may start again within it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.db import utcnow
from parley.reservations.errors import (
    ConferenceForbidden,
    ConferenceNotFound,
    ConferenceRunning,
)
from parley.reservations.locking import lock_room
from parley.reservations.models import Reservation
from parley.reservations.names import normalize_room_name
from parley.reservations.repository import window_at

# An ended ad hoc window is cut to the instant it ended (at least this long).
_MIN_WINDOW = timedelta(microseconds=1)


@dataclass(frozen=True)
class Allocation:
    conference: Reservation
    created: bool  # True for a new ad hoc allocation, False for a reservation's start


async def allocate_conference(
    session: AsyncSession,
    *,
    name: str,
    mail_owner: str,
    adhoc_duration: timedelta,
    clock: Callable[[], datetime] = utcnow,
) -> Allocation:
    """Start the conference of room `name` for `mail_owner`, or say why not."""
    room_key = normalize_room_name(name)
    owner = mail_owner.strip().lower()
    await lock_room(session, room_key)
    now = clock()
    current = await window_at(session, room_key, now)
    if current is not None:
        return Allocation(_start(current, name=name, owner=owner, now=now), False)
    upcoming = await session.scalar(
        select(Reservation)
        .where(
            Reservation.room_key == room_key,
            Reservation.starts_at > now,
            Reservation.starts_at < now + adhoc_duration,
        )
        .order_by(Reservation.starts_at)
        .limit(1)
    )
    if upcoming is not None:
        raise ConferenceForbidden(
            f"The reservation of {name} has not started yet: it starts at "
            f"{upcoming.starts_at.isoformat()}"
        )
    adhoc = Reservation(
        room_key=room_key,
        name=name,
        mail_owner=owner,
        starts_at=now,
        ends_at=now + adhoc_duration,
        timezone="UTC",
        is_adhoc=True,
        conference_name=name,
        conference_started_at=now,
    )
    session.add(adhoc)
    await session.flush()
    return Allocation(adhoc, True)


def _start(
    reservation: Reservation, *, name: str, owner: str, now: datetime
) -> Reservation:
    if reservation.is_conference_running:
        raise ConferenceRunning(
            reservation.id, f"A conference of {name} is already running"
        )
    if reservation.mail_owner != owner:
        raise ConferenceForbidden(f"{name} is reserved by someone else")
    reservation.conference_name = name
    reservation.conference_started_at = now
    reservation.conference_ended_at = None
    return reservation


async def get_conference_or_raise(
    session: AsyncSession, conference_id: int
) -> Reservation:
    """A reservation or ad hoc allocation by id, whatever its state."""
    conference = await session.get(Reservation, conference_id)
    if conference is None:
        raise ConferenceNotFound("No conference has this id")
    return conference


async def end_conference(
    session: AsyncSession,
    conference_id: int,
    *,
    clock: Callable[[], datetime] = utcnow,
) -> Reservation:
    """Mark the conference ended; ending an ended conference changes nothing."""
    conference = await get_conference_or_raise(session, conference_id)
    await lock_room(session, conference.room_key)
    await session.refresh(conference)  # as it is now that we hold the room's lock
    now = clock()
    if not conference.is_conference_running:
        return conference
    conference.conference_started_at = None
    conference.conference_ended_at = now
    if conference.is_adhoc and conference.ends_at > now:
        conference.ends_at = max(now, conference.starts_at + _MIN_WINDOW)
    await session.flush()
    return conference
