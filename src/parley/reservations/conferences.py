"""Conference allocation: what a video backend (Jitsi's Prosody) asks before it starts a
room, and tells when the room is gone.

Allocating room X at `now` for the opener Prosody names (`mail_owner`, a JID):
- a reservation's window contains now: if the opener may not open it (rule
  `owner` of PARLEY_JITSI_OPENER and not its owner, see reservations/owners.py),
  ConferenceForbidden, also while its conference runs, so the 409 below cannot
  hand the conference to someone the rule refuses; if its conference already
  runs, a ConferenceRunning conflict (Prosody recovers with GET
  /conference/{conflict_id}); otherwise the reservation's conference starts and
  records its opener. Ad hoc windows have no owner to check.
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
from parley.reservations.owners import OpenerRule, may_open
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
    opener_rule: OpenerRule,
    clock: Callable[[], datetime] = utcnow,
) -> Allocation:
    """Start the conference of room `name` for the opener `mail_owner`, or say why not."""
    room_key = normalize_room_name(name)
    opener = mail_owner.strip()
    await lock_room(session, room_key)
    now = clock()
    current = await window_at(session, room_key, now)
    if current is not None:
        started = _start(current, name=name, opener=opener, rule=opener_rule, now=now)
        return Allocation(started, False)
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
        mail_owner=opener.lower(),
        starts_at=now,
        ends_at=now + adhoc_duration,
        timezone="UTC",
        is_adhoc=True,
        conference_name=name,
        conference_started_at=now,
        conference_opened_by=opener,
    )
    session.add(adhoc)
    await session.flush()
    return Allocation(adhoc, True)


def _start(
    reservation: Reservation,
    *,
    name: str,
    opener: str,
    rule: OpenerRule,
    now: datetime,
) -> Reservation:
    # The rule first: a 409 would let Prosody fetch and join the running conference.
    if not reservation.is_adhoc and not may_open(rule, opener, reservation.mail_owner):
        raise ConferenceForbidden(f"{name} is reserved by someone else")
    if reservation.is_conference_running:
        raise ConferenceRunning(
            reservation.id, f"A conference of {name} is already running"
        )
    reservation.conference_name = name
    reservation.conference_started_at = now
    reservation.conference_ended_at = None
    reservation.conference_opened_by = opener
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
    conference.conference_opened_by = None
    if conference.is_adhoc and conference.ends_at > now:
        conference.ends_at = max(now, conference.starts_at + _MIN_WINDOW)
    await session.flush()
    return conference
