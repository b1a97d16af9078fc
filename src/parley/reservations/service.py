"""Reservation use cases for the Sariska scheduler: reserve, read, list, delete.

Who sees a reservation: its creator, and the user whose e-mail is its `mail_owner`.
Anyone else gets 404 (ids are sequential; a 403 would confirm they exist).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, and_, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.pagination import PageParams, fetch_page
from parley.reservations.errors import (
    ConferenceNotFound,
    ReservationConflict,
    ReservationInPast,
    ReservationNotFound,
    RoomChoiceConflict,
)
from parley.reservations.locking import lock_room
from parley.reservations.models import Reservation
from parley.reservations.names import display_room_name, normalize_room_name
from parley.reservations.repository import find_overlap, window_at
from parley.reservations.schemas import ReservationCreate
from parley.reservations.timing import (
    MAX_WINDOW,
    parse_duration_minutes,
    parse_local_start,
    parse_pin,
    resolve_timezone,
)
from parley.rooms import service as rooms_service
from parley.rooms.schemas import PostRoomsBody
from parley.sip import service as sip_service
from parley.users.models import User


def visible_to(user: User) -> ColumnElement[bool]:
    """Reservations the user created or owns (by e-mail)."""
    return or_(
        Reservation.created_by_id == user.id,
        Reservation.mail_owner == user.email.lower(),
    )


def _not_over(now: datetime) -> ColumnElement[bool]:
    # No window is longer than MAX_WINDOW, so the start bound lets the
    # (room_key, starts_at) index skip a room's history.
    return and_(Reservation.ends_at > now, Reservation.starts_at > now - MAX_WINDOW)


def _running_at(now: datetime) -> ColumnElement[bool]:
    return and_(_not_over(now), Reservation.starts_at <= now)


async def create_reservation(
    session: AsyncSession,
    *,
    creator_id: uuid.UUID,
    data: ReservationCreate,
    now: datetime,
) -> Reservation:
    """Reserve the room for the window, or ReservationConflict naming the overlap."""
    room_key = normalize_room_name(data.name)
    zone = resolve_timezone(data.timezone)
    starts_at = parse_local_start(data.start_time, zone)
    ends_at = starts_at + timedelta(minutes=parse_duration_minutes(data.duration))
    pin = parse_pin(data.pin)
    if ends_at <= now:
        raise ReservationInPast()
    if data.room_id is not None and data.create_room:
        raise RoomChoiceConflict()
    await lock_room(session, room_key)
    overlap = await find_overlap(session, room_key, starts_at, ends_at)
    if overlap is not None:
        raise ReservationConflict(
            overlap.id,
            f"The room is already reserved from {overlap.starts_at.isoformat()} "
            f"to {overlap.ends_at.isoformat()} (reservation {overlap.id})",
        )
    reservation = Reservation(
        room_key=room_key,
        name=display_room_name(data.name),
        mail_owner=str(data.mail_owner).lower(),
        starts_at=starts_at,
        ends_at=ends_at,
        timezone=zone.key,
        pin=pin,
        max_occupants=data.max_occupants,
        lobby=data.lobby,
        created_by_id=creator_id,
        room_id=await _attach_room(session, creator_id, data, pin),
    )
    session.add(reservation)
    await session.flush()
    return reservation


async def _attach_room(
    session: AsyncSession,
    creator_id: uuid.UUID,
    data: ReservationCreate,
    pin: str | None,
) -> uuid.UUID | None:
    """The Parley room to carry (or a new one); the PIN becomes its SIP PIN."""
    if data.create_room:
        room = await rooms_service.create_room(
            session,
            owner_id=creator_id,
            data=PostRoomsBody(waiting_room=bool(data.lobby)),
        )
        if pin is not None:
            await sip_service.create_sip_config(
                session, room, password=pin, lobby=bool(data.lobby)
            )
        return room.id
    if data.room_id is None:
        return None
    room = await rooms_service.get_room_or_raise(session, data.room_id)
    rooms_service.ensure_owner(room, creator_id)
    config = await sip_service.get_sip_config(session, room)
    if config is not None and pin is not None:
        # The room's call-in PIN follows its latest reservation (docs/decisions.md).
        config.password = pin
    return room.id


def _visible(viewer: User) -> Select[Reservation]:
    return select(Reservation).where(visible_to(viewer))


def _page_of(condition: ColumnElement[bool]) -> Select[Reservation]:
    """The matching windows, earliest first (for fetch_page)."""
    return (
        select(Reservation)
        .where(condition)
        .order_by(Reservation.starts_at, Reservation.id)
    )


async def list_reservations(
    session: AsyncSession, viewer: User, *, now: datetime, page: PageParams
) -> tuple[list[Reservation], int]:
    """The viewer's reservations that are not over yet, earliest first, and their count."""
    condition = and_(
        visible_to(viewer), _not_over(now), Reservation.is_adhoc.is_(False)
    )
    return await fetch_page(session, _page_of(condition), page)


async def get_reservation_or_raise(
    session: AsyncSession, reservation_id: int, viewer: User
) -> Reservation:
    reservation = await session.scalar(
        _visible(viewer).where(
            Reservation.id == reservation_id, Reservation.is_adhoc.is_(False)
        )
    )
    if reservation is None:
        raise ReservationNotFound()
    return reservation


async def reservation_for_room(
    session: AsyncSession, name: str, viewer: User, *, now: datetime
) -> Reservation:
    """The viewer's current reservation of the room, else the next one."""
    reservation = await session.scalar(
        _visible(viewer)
        .where(
            Reservation.room_key == normalize_room_name(name),
            _not_over(now),
            Reservation.is_adhoc.is_(False),
        )
        .order_by(Reservation.starts_at)
        .limit(1)
    )
    if reservation is None:
        raise ReservationNotFound("The room has no current or upcoming reservation")
    return reservation


async def delete_reservation(session: AsyncSession, reservation: Reservation) -> None:
    """Remove the reservation; its window is free again. An attached room stays."""
    await session.execute(delete(Reservation).where(Reservation.id == reservation.id))


async def list_running_conferences(
    session: AsyncSession, viewer: User, *, now: datetime, page: PageParams
) -> tuple[list[Reservation], int]:
    """The viewer's conferences whose window contains now, and their count."""
    condition = and_(visible_to(viewer), _running_at(now))
    return await fetch_page(session, _page_of(condition), page)


async def get_running_conference_or_raise(
    session: AsyncSession, conference_id: int, viewer: User, *, now: datetime
) -> Reservation:
    conference = await session.scalar(
        _visible(viewer).where(Reservation.id == conference_id, _running_at(now))
    )
    if conference is None:
        raise ConferenceNotFound()
    return conference


async def running_conference_for_room(
    session: AsyncSession, name: str, viewer: User, *, now: datetime
) -> Reservation:
    conference = await window_at(session, normalize_room_name(name), now)
    if conference is None or not _sees(viewer, conference):
        raise ConferenceNotFound("The room has no running conference")
    return conference


def _sees(viewer: User, reservation: Reservation) -> bool:
    return (
        reservation.created_by_id == viewer.id
        or reservation.mail_owner == viewer.email.lower()
    )
