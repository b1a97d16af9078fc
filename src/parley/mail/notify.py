"""Event notifications become mails in the outbox, in the transaction of the change.

Registered with ``parley.events.notifications`` when this module is imported
(``parley.main`` does). Mail is rendered now, not when it is sent: the event
may be changed again or deleted before the worker gets to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.calendar.ics import MEDIA_TYPE as ICS_MEDIA_TYPE
from parley.calendar.ics import Method, build_event_ics
from parley.config import Settings
from parley.events.models import Event, EventException
from parley.events.notifications import Notification, NotificationKind, Recipient
from parley.events.occurrences import apply_exception, stored_timing
from parley.invites import service as invites_service
from parley.mail import outbox
from parley.mail.outbox import Attachment, RenderedMail
from parley.mail.render import MailContext, Occasion, render
from parley.rooms.links import invite_link, room_link
from parley.rooms.models import Room
from parley.shared_folders import service as shared_folders_service
from parley.streaming import service as streaming_service
from parley.streaming.models import RoomStreamingTarget
from parley.users import service as users_service

ICS_FILENAME = "invite.ics"
# PATCH fields neither the mail nor a calendar entry shows (invitees enter the
# room without its password; meeting details are shown inside the room, and
# mails carry the same links whatever the flag, as the controller's do):
# changing only these mails nobody.
_UNSHOWN_FIELDS = frozenset(
    {"password", "waiting_room", "is_adhoc", "show_meeting_details"}
)


@dataclass(frozen=True, slots=True)
class MailConfig:
    enabled: bool
    public_url: str


_config = MailConfig(enabled=False, public_url="")


def configure(settings: Settings) -> None:
    """Switch notification mail on (an SMTP host is set) or off (at app creation)."""
    global _config
    _config = MailConfig(enabled=settings.mail_enabled, public_url=settings.base_url)


def method_of(kind: NotificationKind) -> Method:
    """The iTIP method of the attachment: a withdrawn invite or deleted event cancels."""
    return "CANCEL" if kind in ("uninvited", "deleted") else "REQUEST"


def _merged_kind(queued: str | None, new: NotificationKind) -> NotificationKind:
    # An invitation changed in the same transaction is still an invitation.
    return "invited" if queued == "invited" and new == "updated" else new


async def queue_notification(session: AsyncSession, notification: Notification) -> None:
    """Render the notification for each recipient and add it to the outbox."""
    if not _config.enabled or _unshown(notification):
        return
    event = notification.event
    join_urls: dict[bool, str] = {}
    attachments: dict[bool, Attachment] = {}
    rendered: dict[tuple[NotificationKind, bool], RenderedMail] = {}
    for recipient in _unique(notification.recipients):
        kind = _merged_kind(
            outbox.queued_kind(session, event.id, recipient.email), notification.kind
        )
        # Without an account the room page is closed to them: guests join with an
        # invite code (none is made for mails that take the invitation away).
        as_guest = recipient.user_id is None and kind in ("invited", "updated")
        if as_guest not in join_urls:
            join_urls[as_guest] = await _join_url(session, event, as_guest=as_guest)
            attachments[as_guest] = await _ics_attachment(
                session, notification, join_urls[as_guest]
            )
        if (kind, as_guest) not in rendered:
            context = await _context(session, notification, kind, join_urls[as_guest])
            text = render(context)
            rendered[kind, as_guest] = RenderedMail(
                text.subject, text.text, text.html, attachments[as_guest]
            )
        outbox.enqueue(
            session,
            recipient=recipient.email,
            mail=rendered[kind, as_guest],
            kind=kind,
            event_id=event.id,
        )
    await session.flush()


async def _join_url(session: AsyncSession, event: Event, *, as_guest: bool) -> str:
    if not as_guest:
        return room_link(_config.public_url, event.room_id)
    invite = await invites_service.guest_invite_for(
        session,
        await session.get_one(Room, event.room_id),
        created_by_id=event.created_by_id,
        valid_until=event.last_end,
    )
    return invite_link(_config.public_url, invite.id)


def _unshown(notification: Notification) -> bool:
    change = notification.change
    return (
        change is not None
        and change.instance_start is None
        and change.fields <= _UNSHOWN_FIELDS
    )


def _unique(recipients: tuple[Recipient, ...]) -> list[Recipient]:
    """One mail per address (several users may share one)."""
    seen: set[str] = set()
    unique = []
    for recipient in recipients:
        if recipient.email.lower() not in seen:
            seen.add(recipient.email.lower())
            unique.append(recipient)
    return unique


async def _ics_attachment(
    session: AsyncSession, notification: Notification, join_url: str
) -> Attachment:
    """The iTIP attachment: the event, or its cancellation for the uninvited."""
    method = method_of(notification.kind)
    attendees = None
    if notification.kind == "uninvited":
        attendees = [recipient.email for recipient in notification.recipients]
    data = await build_event_ics(
        session,
        notification.event,
        method=method,
        attendees=attendees,
        join_url=join_url,
    )
    return Attachment(ICS_FILENAME, f"{ICS_MEDIA_TYPE}; method={method}", data)


async def _context(
    session: AsyncSession,
    notification: Notification,
    kind: NotificationKind,
    join_url: str,
) -> MailContext:
    event = notification.event
    actor = await users_service.get_user(session, notification.actor_id)
    actor_name = (actor.display_name or actor.email) if actor else "Someone"
    timing = stored_timing(event)
    when = None
    if timing.starts_at is not None and timing.ends_at is not None:
        when = Occasion(
            timing.starts_at.at,
            timing.ends_at.at,
            timing.starts_at.zone,
            timing.is_all_day,
        )
    context = MailContext(
        kind=kind,
        title=event.title,
        description=event.description,
        actor=actor_name,
        when=when,
        repeats=timing.pattern,
        room_url=join_url,
        streams=tuple(target.public_url for target in await _targets(session, event)),
        shared_folder=await _shared_folder(session, event),
    )
    change = notification.change
    if kind == "updated" and change is not None and change.instance_start:
        return await _with_occurrence(session, event, context, change.instance_start)
    return context


async def _targets(
    session: AsyncSession, event: Event
) -> Sequence[RoomStreamingTarget]:
    targets = await streaming_service.targets_by_room(session, [event.room_id])
    return targets.get(event.room_id, [])


async def _shared_folder(session: AsyncSession, event: Event) -> tuple[str, str] | None:
    """The folder's read-only link, which every invitee may see (as in the API)."""
    folder = await shared_folders_service.get_folder(session, event.id)
    return None if folder is None else (folder.read_url, folder.read_password)


async def _with_occurrence(
    session: AsyncSession, event: Event, context: MailContext, original: datetime
) -> MailContext:
    """The context of a change to one occurrence: where it was, where it is now."""
    timing = stored_timing(event)
    assert timing.starts_at is not None
    exception = await session.scalar(
        select(EventException).where(
            EventException.event_id == event.id,
            EventException.original_starts_at == original,
        )
    )
    occurrence = apply_exception(timing, original, exception)
    before = Occasion(
        occurrence.original_start,
        occurrence.original_start + timing.duration,
        timing.starts_at.zone,
        timing.is_all_day,
    )
    after = Occasion(
        occurrence.starts_at.at,
        occurrence.ends_at.at,
        occurrence.starts_at.zone,
        occurrence.is_all_day,
    )
    moved = (after.starts_at, after.ends_at, after.is_all_day) != (
        before.starts_at,
        before.ends_at,
        before.is_all_day,
    )
    return replace(
        context,
        occurrence=before,
        occurrence_moved_to=after if moved and not occurrence.cancelled else None,
        occurrence_cancelled=occurrence.cancelled,
    )
