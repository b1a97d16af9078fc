"""iCalendar (RFC 5545) renderings of events: iTIP mail attachments and feeds.

One VEVENT per series (RRULE/RDATE/EXRULE/EXDATE from the stored pattern, as
parsed by the recurrence engine), plus one VEVENT per changed or moved
occurrence (same UID, RECURRENCE-ID = its original start); cancelled
occurrences become EXDATEs. Time-independent events have no times, so they are
rendered as a VTODO without dates (docs/decisions.md, "Calendar").
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import icalendar
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.config import get_settings
from parley.db import utcnow
from parley.events.models import Event, EventEmailInvite, EventException, EventInvite
from parley.events.occurrences import Occurrence, apply_exception, stored_timing
from parley.events.recurrence import RecurrenceSet, is_occurrence, occurrences
from parley.events.recurrence.content_lines import PropertyName, split_content_line
from parley.events.timing import END_OF_TIME, Timing
from parley.rooms.links import room_link
from parley.users.models import User

Method = Literal["PUBLISH", "REQUEST", "CANCEL"]

PRODID = "-//Parley//Parley conference controller//EN"
MEDIA_TYPE = "text/calendar"

# Parley's invite answers as iCalendar participation statuses (RFC 5545 3.2.12).
_PARTSTAT = {
    "pending": "NEEDS-ACTION",
    "accepted": "ACCEPTED",
    "tentative": "TENTATIVE",
    "declined": "DECLINED",
}
# Some things are spelled out up to a horizon this many years after today (or the
# series start, if later): VTIMEZONE transitions (icalendar writes no RRULE for
# them; clients that know the IANA TZID, all common ones, are not limited by it)
# and the occurrences an EXRULE removes.
_HORIZON_YEARS = 10
# At most this many EXRULE exclusions are spelled out as EXDATEs.
_MAX_EXRULE_EXDATES = 2_000

_base_url: str | None = None


def configure(*, base_url: str) -> None:
    """Set the URL room links and UIDs are built from (called at app creation)."""
    global _base_url
    _base_url = base_url.rstrip("/")


def _current_base_url() -> str:
    return _base_url if _base_url is not None else get_settings().base_url


def event_uid(event_id: uuid.UUID, base_url: str) -> str:
    """The event's iCalendar UID: stable for its lifetime, unique per deployment."""
    host = urlsplit(base_url).hostname or "parley"
    return f"{event_id}@{host}"


@dataclass(frozen=True, slots=True)
class Participant:
    """An invitee as the calendar shows them."""

    email: str
    name: str | None
    status: str  # Parley's invite status (pending, accepted, tentative, declined)
    role: str  # user, moderator, guest


@dataclass(frozen=True, slots=True)
class EventDetails:
    """An event with what its calendar entry shows besides the event row."""

    event: Event
    organizer: User
    participants: tuple[Participant, ...]
    exceptions: tuple[EventException, ...]
    join_url: str | None = None
    """Where the reader joins; None: the room's page (for registered users)."""


def _display_name(user: User) -> str:
    full = f"{user.firstname} {user.lastname}".strip()
    return user.display_name or full or user.email


async def load_details(
    session: AsyncSession, events: Sequence[Event]
) -> list[EventDetails]:
    """Organizers, invitees and exceptions of the events, in a fixed number of queries."""
    if not events:
        return []
    ids = [event.id for event in events]
    organizer_ids = {event.created_by_id for event in events}
    organizers = {
        user.id: user
        for user in await session.scalars(
            select(User).where(User.id.in_(organizer_ids))
        )
    }
    participants: dict[uuid.UUID, list[Participant]] = {i: [] for i in ids}
    invited = await session.execute(
        select(EventInvite.event_id, EventInvite.status, EventInvite.role, User)
        .join(User, User.id == EventInvite.invitee_id)
        .where(EventInvite.event_id.in_(ids))
        .order_by(EventInvite.created_at, EventInvite.id)
    )
    for event_id, status, role, user in invited:
        participants[event_id].append(
            Participant(user.email, _display_name(user), status, role)
        )
    emailed = await session.scalars(
        select(EventEmailInvite)
        .where(EventEmailInvite.event_id.in_(ids))
        .order_by(EventEmailInvite.created_at, EventEmailInvite.email)
    )
    for invite in emailed:
        participants[invite.event_id].append(
            Participant(invite.email, None, "pending", invite.role)
        )
    exceptions: dict[uuid.UUID, list[EventException]] = {i: [] for i in ids}
    recurring = [event.id for event in events if event.is_recurring]
    if recurring:
        for exception in await session.scalars(
            select(EventException)
            .where(EventException.event_id.in_(recurring))
            .order_by(EventException.original_starts_at)
        ):
            exceptions[exception.event_id].append(exception)
    return [
        EventDetails(
            event=event,
            organizer=organizers[event.created_by_id],
            participants=tuple(participants[event.id]),
            exceptions=tuple(exceptions[event.id]),
        )
        for event in events
    ]


async def build_event_ics(
    session: AsyncSession,
    event: Event,
    *,
    method: Method,
    attendees: Sequence[str] | None = None,
    join_url: str | None = None,
) -> bytes:
    """The event as a complete VCALENDAR (CRLF lines, UTF-8).

    ``method`` is the iTIP method (RFC 5546): PUBLISH for downloads, REQUEST
    for invitations and updates, CANCEL when the event is deleted or people are
    uninvited. ``attendees`` limits the ATTENDEE lines to these addresses (for
    example a CANCEL to the uninvited, who are no longer invitees); addresses
    that are not invited get PARTSTAT=NEEDS-ACTION. A cancelled occurrence is
    an update (REQUEST with one more EXDATE), not a CANCEL. ``join_url``
    replaces the room's page as the link to join (a guest's invite link).
    """
    details = [
        replace(item, join_url=join_url)
        for item in await load_details(session, [event])
    ]
    return render_calendar(
        details, method=method, attendees=attendees, base_url=_current_base_url()
    )


def render_calendar(
    details: Iterable[EventDetails],
    *,
    method: Method | None,
    base_url: str,
    attendees: Sequence[str] | None = None,
    name: str | None = None,
    refresh_interval: timedelta | None = None,
    now: datetime | None = None,
) -> bytes:
    """A VCALENDAR of the events; without ``method`` it is a published feed."""
    now = now or utcnow()
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    if method is not None:
        calendar.add("method", method)
    if name is not None:
        calendar.add("name", name)  # RFC 7986
        calendar.add("x-wr-calname", name)  # what Apple and Google read
    if refresh_interval is not None:
        every = icalendar.vDuration(refresh_interval)
        calendar.add("refresh-interval", every, parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", every)  # the older name Outlook reads
    first_day: date | None = None
    last_day: date | None = None
    for item in details:
        for component in _components(item, method, base_url, attendees, now):
            calendar.add_component(component)
        span = _timezone_span(item, now)
        if span is not None:
            first_day = min(first_day or span[0], span[0])
            last_day = max(last_day or span[1], span[1])
    if first_day is not None and last_day is not None:
        calendar.add_missing_timezones(first_date=first_day, last_date=last_day)
    ical: bytes = calendar.to_ical()
    return ical


def _components(
    item: EventDetails,
    method: Method | None,
    base_url: str,
    attendees: Sequence[str] | None,
    now: datetime,
) -> list[icalendar.Component]:
    event = item.event
    timing = stored_timing(event)
    if timing.starts_at is None:
        todo = icalendar.Todo()
        _common(todo, item, method, base_url, attendees, now)
        return [todo]
    master = icalendar.Event()
    _common(master, item, method, base_url, attendees, now)
    _set_times(master, timing, apply_exception(timing, timing.starts_at.at, None))
    overrides: list[icalendar.Component] = []
    if timing.recurrence is not None:
        cancelled = _add_recurrence(master, timing, item.exceptions, now)
        if method != "CANCEL":  # cancelling the series cancels its changed instances
            for exception in item.exceptions:
                if exception.original_starts_at in cancelled:
                    continue
                if not is_occurrence(timing.recurrence, exception.original_starts_at):
                    continue  # outlived by a pattern change; never listed
                overrides.append(
                    _override(item, timing, exception, method, base_url, attendees, now)
                )
    return [master, *overrides]


def _common(
    component: icalendar.Component,
    item: EventDetails,
    method: Method | None,
    base_url: str,
    attendees: Sequence[str] | None,
    now: datetime,
    *,
    title: str | None = None,
    description: str | None = None,
) -> None:
    event = item.event
    link = item.join_url or room_link(base_url, event.room_id)
    component.add("uid", event_uid(event.id, base_url))
    component.add("dtstamp", now)
    component.add("sequence", event.sequence)
    component.add("created", event.created_at)
    component.add("last-modified", event.updated_at)
    component.add("summary", title or event.title)
    component.add("description", _with_link(description or event.description, link))
    component.add("url", link)
    component.add("location", link)
    organizer = icalendar.vCalAddress(f"mailto:{item.organizer.email}")
    organizer.params["CN"] = _display_name(item.organizer)
    component.add("organizer", organizer)
    for participant in _selected(item.participants, attendees):
        component.add("attendee", _attendee(participant), encode=False)
    if method == "CANCEL":
        component.add("status", "CANCELLED")
    elif isinstance(component, icalendar.Event):
        component.add("status", "CONFIRMED")


def _with_link(description: str, link: str) -> str:
    # Outlook shows neither URL nor a link-shaped LOCATION as a link; the text does.
    if link in description:
        return description
    joined = f"Join the meeting: {link}"
    return f"{description}\n\n{joined}" if description else joined


def _selected(
    participants: Sequence[Participant], attendees: Sequence[str] | None
) -> list[Participant]:
    if attendees is None:
        return list(participants)
    known = {p.email.lower(): p for p in participants}
    chosen: list[Participant] = []
    for address in dict.fromkeys(a.strip().lower() for a in attendees):
        chosen.append(known.get(address) or Participant(address, None, "pending", ""))
    return chosen


def _attendee(participant: Participant) -> icalendar.vCalAddress:
    address = icalendar.vCalAddress(f"mailto:{participant.email}")
    if participant.name:
        address.params["CN"] = participant.name
    address.params["CUTYPE"] = "INDIVIDUAL"
    address.params["ROLE"] = (
        "CHAIR" if participant.role == "moderator" else "REQ-PARTICIPANT"
    )
    address.params["PARTSTAT"] = _PARTSTAT.get(participant.status, "NEEDS-ACTION")
    return address


def _set_times(
    component: icalendar.Component, timing: Timing, occurrence: Occurrence
) -> None:
    if occurrence.is_all_day:
        first = occurrence.starts_at.at.date()
        days = (occurrence.ends_at.at - occurrence.starts_at.at).days
        component.add("dtstart", first)
        # DTEND is exclusive; an all-day event lasts at least its day.
        component.add("dtend", first + timedelta(days=max(days, 1)))
        return
    component.add("dtstart", _local(occurrence.starts_at.at, occurrence.starts_at.zone))
    component.add("dtend", _local(occurrence.ends_at.at, occurrence.ends_at.zone))


def _local(at: datetime, zone: str) -> datetime:
    return at.astimezone(ZoneInfo(zone))


def _series_value(timing: Timing, instant: datetime) -> date | datetime:
    """An instant of the series in DTSTART's value type (EXDATE, RDATE, RECURRENCE-ID)."""
    assert timing.starts_at is not None
    if timing.is_all_day:
        return instant.date()
    return _local(instant, timing.starts_at.zone)


def _add_recurrence(
    master: icalendar.Component,
    timing: Timing,
    exceptions: Sequence[EventException],
    now: datetime,
) -> set[datetime]:
    """RRULE/EXRULE as stored, RDATE/EXDATE as parsed; returns cancelled originals.

    RFC 5545 dropped EXRULE and Google, Outlook and dateutil ignore it, so the
    occurrences it removes are listed as EXDATEs too (up to the horizon).
    """
    assert timing.recurrence is not None
    for number, text in enumerate(timing.pattern, start=1):
        line = split_content_line(text, number)
        if line.name in (PropertyName.RRULE, PropertyName.EXRULE):
            # Stored rules were validated; names and values are case-insensitive.
            master.add(
                line.name.lower(), icalendar.vRecur.from_ical(line.value.upper())
            )
    rset = timing.recurrence
    if rset.extra_starts:
        master.add("rdate", [_series_value(timing, s) for s in rset.extra_starts])
    cancelled = {e.original_starts_at for e in exceptions if e.status == "cancelled"}
    excluded = sorted(rset.excluded_starts | cancelled | _removed_by_exrules(rset, now))
    if excluded:
        master.add("exdate", [_series_value(timing, s) for s in excluded])
    return cancelled


def _horizon(start: datetime, now: datetime) -> datetime:
    try:
        return max(start, now) + timedelta(days=365 * _HORIZON_YEARS)
    except OverflowError:  # events near year 9999
        return END_OF_TIME


def _removed_by_exrules(rset: RecurrenceSet, now: datetime) -> set[datetime]:
    """Occurrences the EXRULEs remove, from the start up to the horizon."""
    if not rset.exclusion_rules:
        return set()
    horizon = _horizon(rset.start, now)
    unexcluded = occurrences(
        replace(rset, exclusion_rules=()),
        window_start=rset.start,
        window_end=horizon,
        limit=_MAX_EXRULE_EXDATES,
    ).starts
    if not unexcluded:
        return set()
    kept = occurrences(
        rset,
        window_start=rset.start,
        window_end=min(unexcluded[-1] + timedelta(seconds=1), horizon),
        limit=_MAX_EXRULE_EXDATES,
    ).starts
    return set(unexcluded) - set(kept)


def _override(
    item: EventDetails,
    timing: Timing,
    exception: EventException,
    method: Method | None,
    base_url: str,
    attendees: Sequence[str] | None,
    now: datetime,
) -> icalendar.Component:
    override = icalendar.Event()
    _common(
        override,
        item,
        method,
        base_url,
        attendees,
        now,
        title=exception.title,
        description=exception.description,
    )
    override.add("recurrence-id", _series_value(timing, exception.original_starts_at))
    _set_times(
        override,
        timing,
        apply_exception(timing, exception.original_starts_at, exception),
    )
    return override


def _timezone_span(item: EventDetails, now: datetime) -> tuple[date, date] | None:
    """The days the event's VTIMEZONEs must cover."""
    event = item.event
    if event.first_start is None:
        return None
    first = event.first_start.astimezone(UTC).date() - timedelta(days=1)
    horizon = _horizon(event.first_start, now).date()
    last = horizon
    if event.last_end is not None:
        last = min(event.last_end.astimezone(UTC).date() + timedelta(days=1), horizon)
    return first, max(last, first + timedelta(days=1))
