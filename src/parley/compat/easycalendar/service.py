"""EasyCalendar meetings as events: create, update, read, list, delete.

A meeting is an event of the key's owner; everything it has in common with an
event (title, description, times, attendees as e-mail invitees, mail) goes
through the events services. This module keeps only the meeting number and the
fields EasyCalendar adds (``EasyCalendarMeeting``). A meeting of another owner
is 404, like one that does not exist.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from parley.compat.easycalendar.models import EasyCalendarMeeting
from parley.compat.easycalendar.schemas import MeetingCreate, MeetingUpdate
from parley.compat.easycalendar.times import InvalidTime, parse_utc
from parley.errors import BadRequest, NotFound
from parley.events import invites as event_invites
from parley.events import service as events_service
from parley.events.listing import footprint_overlaps
from parley.events.models import Event
from parley.events.notifications import Recipient
from parley.events.schemas import DateTimeTZ, PatchEvent, PostEventsBody

# Meetings made here are in UTC, the only zone EasyCalendar's times have.
MEETING_ZONE = "UTC"
MAX_MEETING_ID = 2**63 - 1


class MeetingNotFound(NotFound):
    code = "meeting_not_found"
    default_message = "Meeting not found"


@dataclass(frozen=True, slots=True)
class Meeting:
    """A meeting: its number and extras, its event, and the event's attendees."""

    number: EasyCalendarMeeting
    event: Event
    attendees: list[str]


async def number_event(
    session: AsyncSession, event_id: uuid.UUID
) -> EasyCalendarMeeting:
    """The event's meeting row, made on first need (idempotent under concurrency)."""
    existing = await _row_of_event(session, event_id)
    if existing is not None:
        return existing
    dialect = session.get_bind().dialect.name
    insert = postgres_insert if dialect == "postgresql" else sqlite_insert
    await session.execute(
        insert(EasyCalendarMeeting)
        .values(event_id=event_id, google_calendar_log=False)
        .on_conflict_do_nothing(index_elements=["event_id"])
    )
    row = await _row_of_event(session, event_id)
    assert row is not None
    return row


async def number_new_event(
    session: AsyncSession, event: Event, data: PostEventsBody
) -> None:
    """events created hook (registered by create_app): every event gets its number."""
    await number_event(session, event.id)


async def _row_of_event(
    session: AsyncSession, event_id: uuid.UUID
) -> EasyCalendarMeeting | None:
    row: EasyCalendarMeeting | None = await session.scalar(
        select(EasyCalendarMeeting).where(EasyCalendarMeeting.event_id == event_id)
    )
    return row


def parse_meeting_id(text: str) -> int:
    """A path's meeting id; anything but a number in range names no meeting (404)."""
    digits = text.strip()
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 19:
        raise MeetingNotFound()
    number = int(digits)
    if not 1 <= number <= MAX_MEETING_ID:
        raise MeetingNotFound()
    return number


def _attendees(recipients: list[Recipient], client: str | None) -> list[str]:
    """Everyone invited to the event but the meeting's invitee ("client")."""
    return [r.email for r in recipients if r.email != client]


async def _load(
    session: AsyncSession, number: EasyCalendarMeeting, event: Event
) -> Meeting:
    recipients = await event_invites.recipients_of(session, event)
    return Meeting(number, event, _attendees(recipients, number.client_email))


async def get_meeting(
    session: AsyncSession, owner_id: uuid.UUID, meeting_id: int
) -> Meeting:
    row = (
        await session.execute(
            select(EasyCalendarMeeting, Event)
            .join(Event, Event.id == EasyCalendarMeeting.event_id)
            .where(
                EasyCalendarMeeting.id == meeting_id, Event.created_by_id == owner_id
            )
        )
    ).first()
    if row is None:
        raise MeetingNotFound()
    return await _load(session, row[0], row[1])


def _moment(moment: datetime) -> DateTimeTZ:
    return DateTimeTZ(datetime=moment, timezone=MEETING_ZONE)


def _unique(addresses: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for address in addresses:
        seen.setdefault(address.strip().lower(), None)
    return list(seen)


async def _invite(
    session: AsyncSession, event: Event, owner_id: uuid.UUID, addresses: list[str]
) -> None:
    for address in addresses:
        await events_service.invite_email(
            session, event, email=address, role="guest", inviter_id=owner_id
        )


async def create_meeting(
    session: AsyncSession, owner_id: uuid.UUID, data: MeetingCreate
) -> Meeting:
    """A new event with the invitee and attendees as its e-mail invitees."""
    event = await events_service.create_event(
        session,
        creator_id=owner_id,
        data=PostEventsBody(
            title=data.title,
            description=data.description or "",
            is_time_independent=False,
            is_all_day=False,
            starts_at=_moment(parse_utc(data.starttime, "starttime")),
            ends_at=_moment(parse_utc(data.endtime, "endtime")),
        ),
    )
    number = await number_event(session, event.id)
    client = str(data.email).strip().lower()
    number.client_firstname = data.firstname
    number.client_lastname = data.lastname
    number.client_email = client
    number.google_calendar_log = bool(data.google_calendar_log)
    number.google_calendar = (
        data.google_calendar.name if data.google_calendar is not None else None
    )
    await session.flush()
    await _invite(session, event, owner_id, _unique([client, *(data.attendees or [])]))
    return await _load(session, number, event)


def _checked_times(
    event: Event, data: MeetingUpdate
) -> tuple[datetime | None, datetime | None]:
    """The new start and end, checked against each other and the kept one."""
    start, end = data.times(data.starttime, data.endtime)
    new_start = start or event.starts_at
    new_end = end or event.ends_at
    changed = start is not None or end is not None
    if (
        changed
        and new_start is not None
        and new_end is not None
        and new_end <= new_start
    ):
        if end is not None:
            raise InvalidTime("endtime must be after starttime")
        raise InvalidTime("starttime must be before the meeting's endtime")
    return start, end


async def update_meeting(
    session: AsyncSession, owner_id: uuid.UUID, meeting_id: int, data: MeetingUpdate
) -> tuple[Meeting, datetime]:
    """Apply the given fields; attendees, when given, replace the previous ones."""
    meeting = await get_meeting(session, owner_id, meeting_id)
    event, number = meeting.event, meeting.number
    start, end = _checked_times(event, data)
    patch = PatchEvent.model_validate(
        {
            key: value
            for key, value in (
                ("title", data.title),
                ("description", data.description),
                ("starts_at", None if start is None else _moment(start)),
                ("ends_at", None if end is None else _moment(end)),
            )
            if value is not None
        }
    )
    if patch.model_fields_set:
        await events_service.update_event(session, event, patch, actor_id=owner_id)
    for field, column in (
        ("firstname", "client_firstname"),
        ("lastname", "client_lastname"),
        ("google_calendar_log", "google_calendar_log"),
    ):
        if field in data.model_fields_set:
            setattr(number, column, getattr(data, field))
    if data.google_calendar is not None:
        number.google_calendar = data.google_calendar.name
    if number.google_calendar_log and number.google_calendar is None:
        raise BadRequest(
            "google_calendar.name is required when google_calendar_log is true"
        )
    wanted = meeting.attendees if data.attendees is None else _unique(data.attendees)
    if data.email is not None:
        number.client_email = str(data.email).strip().lower()
    await session.flush()
    await _replace_invitees(session, meeting, owner_id, [number.client_email, *wanted])
    return await _load(session, number, event), datetime.now(UTC)


async def _replace_invitees(
    session: AsyncSession,
    meeting: Meeting,
    owner_id: uuid.UUID,
    wanted: list[str | None],
) -> None:
    """Withdraw the invites no longer wanted, then invite the new addresses."""
    event = meeting.event
    current = {r.email for r in await event_invites.recipients_of(session, event)}
    keep = _unique([address for address in wanted if address])
    for address in sorted(current - set(keep)):
        await event_invites.delete_email_invite(
            session, event, email=address, actor_id=owner_id
        )
    await _invite(session, event, owner_id, [a for a in keep if a not in current])


async def delete_meeting(
    session: AsyncSession, owner_id: uuid.UUID, meeting_id: int
) -> None:
    """Delete the event (its room goes with it, invitees are told)."""
    meeting = await get_meeting(session, owner_id, meeting_id)
    await events_service.delete_event(session, meeting.event, actor_id=owner_id)


@dataclass(frozen=True, slots=True)
class ListQuery:
    start: int
    limit: int
    starttime: datetime | None
    endtime: datetime | None


async def list_meetings(
    session: AsyncSession, owner_id: uuid.UUID, query: ListQuery
) -> tuple[list[Meeting], int, int]:
    """(a page from meeting ``start`` on, the total matching, the next page's start or 0)."""
    matching = [
        Event.created_by_id == owner_id,
        footprint_overlaps(query.starttime, query.endtime),
    ]
    total = await session.scalar(
        select(func.count())
        .select_from(EasyCalendarMeeting)
        .join(Event, Event.id == EasyCalendarMeeting.event_id)
        .where(*matching)
    )
    rows = (
        await session.execute(
            select(EasyCalendarMeeting, Event)
            .join(Event, Event.id == EasyCalendarMeeting.event_id)
            .where(*matching, EasyCalendarMeeting.id >= query.start)
            .order_by(EasyCalendarMeeting.id)
            .limit(query.limit + 1)
        )
    ).all()
    next_id = rows[query.limit][0].id if len(rows) > query.limit else 0
    page = [
        await _load(session, number, event) for number, event in rows[: query.limit]
    ]
    return page, int(total or 0), next_id
