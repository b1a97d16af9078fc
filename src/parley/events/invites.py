"""Event invites: by user id or by e-mail, answers, and the invitee list.

Only the event's creator manages invites. An e-mail invite to an address a
registered user has becomes a user invite at once (role guest → user, notes
4.4); e-mail invites to unknown addresses are converted when a user with that
address signs in (``convert_email_invites``, a users provisioning hook).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from parley.events import notifications
from parley.events.calendar_lock import lock_calendar
from parley.events.errors import EventInviteNotFound, NotEventCreator
from parley.events.models import Event, EventEmailInvite, EventInvite
from parley.events.notifications import Recipient
from parley.events.sequence import bump_sequence
from parley.pagination import PageParams
from parley.users import service as users_service
from parley.users.models import User

# E-mail invite roles map onto user invite roles (notes 4.4, invite_role.rs).
EMAIL_ROLE_TO_USER_ROLE = {"guest": "user", "moderator": "moderator"}


async def insert_once(session: AsyncSession, row: object) -> bool:
    """Insert a row whose key may have just been taken by a concurrent request.

    False when a unique constraint says it already exists (the caller answers as for
    an existing row instead of failing with 500).
    """
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class InviteOutcome:
    """Whether an invite was made (201) or the invitee was already invited (204)."""

    created: bool


def _ensure_creator(event: Event, user_id: uuid.UUID) -> None:
    if event.created_by_id != user_id:
        raise NotEventCreator("Only the event's creator may manage its invites")


async def invite_status_of(
    session: AsyncSession, event_id: uuid.UUID, user_id: uuid.UUID
) -> str | None:
    """The user's answer to their invite, or None when not invited."""
    status: str | None = await session.scalar(
        select(EventInvite.status).where(
            EventInvite.event_id == event_id, EventInvite.invitee_id == user_id
        )
    )
    return status


def _new_invite(
    event: Event, invitee_id: uuid.UUID, role: str, inviter_id: uuid.UUID
) -> EventInvite:
    return EventInvite(
        event_id=event.id,
        invitee_id=invitee_id,
        role=role,
        status="pending",
        created_by_id=inviter_id,
        first_start=event.first_start,
        last_end=event.last_end,
        span_class=event.span_class,
        event_created_at=event.created_at,
    )


async def invite_user(
    session: AsyncSession,
    event: Event,
    *,
    invitee_id: uuid.UUID,
    role: str = "user",
    inviter_id: uuid.UUID,
    notify: bool = True,
) -> InviteOutcome:
    """Invite a registered user; inviting the creator or an invitee again changes nothing."""
    _ensure_creator(event, inviter_id)
    invitee = await users_service.get_user_or_raise(session, invitee_id)
    if invitee.id == event.created_by_id:
        return InviteOutcome(created=False)
    if await invite_status_of(session, event.id, invitee.id) is not None:
        return InviteOutcome(created=False)
    if not await insert_once(session, _new_invite(event, invitee.id, role, inviter_id)):
        return InviteOutcome(created=False)
    if notify:
        await notifications.notify_invited(
            session,
            event,
            actor_id=inviter_id,
            recipients=[Recipient(email=invitee.email, user_id=invitee.id)],
        )
    return InviteOutcome(created=True)


async def _users_with_email(session: AsyncSession, email: str) -> Sequence[User]:
    result = await session.scalars(
        select(User).where(User.email == email.lower()).order_by(User.created_at)
    )
    return result.all()


async def invite_email(
    session: AsyncSession,
    event: Event,
    *,
    email: str,
    role: str = "guest",
    inviter_id: uuid.UUID,
    notify: bool = True,
) -> InviteOutcome:
    """Invite by address: registered users with it get user invites, else an e-mail invite."""
    _ensure_creator(event, inviter_id)
    email = email.strip().lower()
    users = await _users_with_email(session, email)
    if users:
        created = False
        for user in users:
            outcome = await invite_user(
                session,
                event,
                invitee_id=user.id,
                role=EMAIL_ROLE_TO_USER_ROLE[role],
                inviter_id=inviter_id,
                notify=notify,
            )
            created = created or outcome.created
        return InviteOutcome(created=created)
    if await session.get(EventEmailInvite, (event.id, email)) is not None:
        return InviteOutcome(created=False)
    email_invite = EventEmailInvite(
        event_id=event.id, email=email, role=role, created_by_id=inviter_id
    )
    if not await insert_once(session, email_invite):
        return InviteOutcome(created=False)
    if notify:
        await notifications.notify_invited(
            session, event, actor_id=inviter_id, recipients=[Recipient(email=email)]
        )
    return InviteOutcome(created=True)


async def recipients_of(session: AsyncSession, event: Event) -> list[Recipient]:
    """Everyone invited to the event (registered users and bare addresses)."""
    users = await session.execute(
        select(User.email, User.id)
        .join(EventInvite, EventInvite.invitee_id == User.id)
        .where(EventInvite.event_id == event.id)
        .order_by(EventInvite.created_at, EventInvite.id)
    )
    emails = await session.scalars(
        select(EventEmailInvite.email)
        .where(EventEmailInvite.event_id == event.id)
        .order_by(EventEmailInvite.created_at, EventEmailInvite.email)
    )
    return [Recipient(email=e, user_id=i) for e, i in users] + [
        Recipient(email=e) for e in emails
    ]


async def recipients_of_events(
    session: AsyncSession, event_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Recipient]]:
    """``recipients_of`` for several events in two queries (listings)."""
    found: dict[uuid.UUID, list[Recipient]] = {event_id: [] for event_id in event_ids}
    if not event_ids:
        return found
    users = await session.execute(
        select(EventInvite.event_id, User.email, User.id)
        .join(User, User.id == EventInvite.invitee_id)
        .where(EventInvite.event_id.in_(list(event_ids)))
        .order_by(EventInvite.created_at, EventInvite.id)
    )
    for event_id, email, user_id in users:
        found[event_id].append(Recipient(email=email, user_id=user_id))
    emails = await session.execute(
        select(EventEmailInvite.event_id, EventEmailInvite.email)
        .where(EventEmailInvite.event_id.in_(list(event_ids)))
        .order_by(EventEmailInvite.created_at, EventEmailInvite.email)
    )
    for event_id, email in emails:
        found[event_id].append(Recipient(email=email))
    return found


@dataclass(frozen=True, slots=True)
class Invitee:
    """One row of the invitee list: a user invite or an e-mail invite."""

    status: str
    user: User | None = None
    role: str | None = None
    email: str | None = None


async def list_invitees(
    session: AsyncSession,
    event: Event,
    *,
    status: str | None,
    page: PageParams | None,
    limit: int | None = None,
) -> tuple[list[Invitee], int]:
    """Invitees, user invites first then e-mail invites, each oldest first; and the total.

    E-mail invites are always `pending`. Either a page or a plain limit applies.
    """
    user_filter = [EventInvite.event_id == event.id]
    if status is not None:
        user_filter.append(EventInvite.status == status)
    include_email = status in (None, "pending")
    user_total = await session.scalar(select(func.count()).where(*user_filter)) or 0
    email_total = (
        await session.scalar(
            select(func.count()).where(EventEmailInvite.event_id == event.id)
        )
        or 0
        if include_email
        else 0
    )
    offset = page.offset if page is not None else 0
    count = page.per_page if page is not None else (limit or 0)
    rows: list[Invitee] = []
    if count and offset < user_total:
        invites = await session.scalars(
            select(EventInvite)
            .where(*user_filter)
            .options(joinedload(EventInvite.invitee))
            .order_by(EventInvite.created_at, EventInvite.id)
            .offset(offset)
            .limit(count)
        )
        rows += [Invitee(status=i.status, user=i.invitee, role=i.role) for i in invites]
    remaining = count - len(rows)
    if remaining > 0 and include_email:
        email_offset = max(0, offset - user_total)
        emails = await session.scalars(
            select(EventEmailInvite)
            .where(EventEmailInvite.event_id == event.id)
            .order_by(EventEmailInvite.created_at, EventEmailInvite.email)
            .offset(email_offset)
            .limit(remaining)
        )
        rows += [Invitee(status="pending", email=e.email) for e in emails]
    return rows, user_total + email_total


async def _user_invite_or_raise(
    session: AsyncSession, event: Event, user_id: uuid.UUID
) -> EventInvite:
    invite = await session.scalar(
        select(EventInvite).where(
            EventInvite.event_id == event.id, EventInvite.invitee_id == user_id
        )
    )
    if invite is None:
        raise EventInviteNotFound()
    return invite


async def update_invite_role(
    session: AsyncSession,
    event: Event,
    *,
    user_id: uuid.UUID,
    role: str | None,
    actor_id: uuid.UUID,
) -> None:
    """Change a user invite's role (creator only)."""
    _ensure_creator(event, actor_id)
    invite = await _user_invite_or_raise(session, event, user_id)
    if role is not None:
        invite.role = role
        await session.flush()


async def update_email_invite_role(
    session: AsyncSession,
    event: Event,
    *,
    email: str,
    role: str | None,
    actor_id: uuid.UUID,
) -> None:
    """Change an e-mail invite's role (creator only)."""
    _ensure_creator(event, actor_id)
    invite = await session.get(EventEmailInvite, (event.id, email.strip().lower()))
    if invite is None:
        raise EventInviteNotFound()
    if role is not None:
        invite.role = role
        await session.flush()


async def delete_invite(
    session: AsyncSession,
    event: Event,
    *,
    user_id: uuid.UUID,
    actor_id: uuid.UUID,
    notify: bool = True,
) -> None:
    """Withdraw a user invite (creator only)."""
    _ensure_creator(event, actor_id)
    invite = await _user_invite_or_raise(session, event, user_id)
    user = await users_service.get_user_or_raise(session, user_id)
    await session.delete(invite)
    await session.flush()
    await bump_sequence(session, event)
    if notify:
        await notifications.notify_uninvited(
            session,
            event,
            actor_id=actor_id,
            recipients=[Recipient(email=user.email, user_id=user.id)],
        )


async def delete_email_invite(
    session: AsyncSession,
    event: Event,
    *,
    email: str,
    actor_id: uuid.UUID,
    notify: bool = True,
) -> None:
    """Withdraw the invite of an address, and of registered users with that address."""
    _ensure_creator(event, actor_id)
    email = email.strip().lower()
    user_ids = [user.id for user in await _users_with_email(session, email)]
    removed_email = await session.execute(
        delete(EventEmailInvite).where(
            EventEmailInvite.event_id == event.id, EventEmailInvite.email == email
        )
    )
    removed_users = await session.execute(
        delete(EventInvite)
        .where(EventInvite.event_id == event.id, EventInvite.invitee_id.in_(user_ids))
        .returning(EventInvite.invitee_id)
    )
    removed_user_ids = list(removed_users.scalars())
    if not removed_email.rowcount and not removed_user_ids:  # type: ignore[attr-defined]
        raise EventInviteNotFound()
    await bump_sequence(session, event)
    if notify:
        recipients = [Recipient(email=email, user_id=i) for i in removed_user_ids]
        if removed_email.rowcount:  # type: ignore[attr-defined]
            recipients.append(Recipient(email=email))
        await notifications.notify_uninvited(
            session, event, actor_id=actor_id, recipients=recipients
        )


async def answer_invite(
    session: AsyncSession, event: Event, *, user_id: uuid.UUID, status: str
) -> None:
    """Accept or decline the caller's own invite; 404 when they have none."""
    invite = await _user_invite_or_raise(session, event, user_id)
    if status == "accepted":
        await lock_calendar(session, user_id)  # the event becomes busy time
    invite.status = status
    await session.flush()


async def count_pending(session: AsyncSession, user_id: uuid.UUID) -> int:
    """How many invites the user has not answered."""
    total = await session.scalar(
        select(func.count()).where(
            EventInvite.invitee_id == user_id, EventInvite.status == "pending"
        )
    )
    return int(total or 0)


async def convert_email_invites(session: AsyncSession, user: User) -> None:
    """Turn e-mail invites to the user's address into user invites (provisioning hook)."""
    invites = (
        await session.scalars(
            select(EventEmailInvite)
            .where(EventEmailInvite.email == user.email.lower())
            .options(joinedload(EventEmailInvite.event))
        )
    ).all()
    for email_invite in invites:
        event = email_invite.event
        existing = await invite_status_of(session, event.id, user.id)
        if existing is None and event.created_by_id != user.id:
            invite = _new_invite(
                event,
                user.id,
                EMAIL_ROLE_TO_USER_ROLE[email_invite.role],
                email_invite.created_by_id,
            )
            invite.created_at = email_invite.created_at
            session.add(invite)
        await session.delete(email_invite)
    if invites:
        await session.flush()
