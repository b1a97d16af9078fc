"""Notifications about events, for whoever registers a handler (the mail package).

The events services call the ``notify_*`` functions inside the request's
transaction, after the change is flushed, unless the client passed
``suppress_email_notification``. Each hands one ``Notification`` to every
registered handler, which may write to the same transaction (the mail outbox
does). The events package knows nothing about how people are told.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from parley.events.models import Event
from parley.hooks import Hooks


@dataclass(frozen=True, slots=True)
class Recipient:
    """Who a mail goes to: a registered user or a bare address."""

    email: str
    user_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class EventChange:
    """What changed, for an update mail (field names as in the API)."""

    fields: frozenset[str]
    instance_start: datetime | None = None  # set when one occurrence changed
    cancelled: bool = False


NotificationKind = Literal["invited", "uninvited", "updated", "deleted"]


@dataclass(frozen=True, slots=True)
class Notification:
    """One thing to tell the recipients about the event (``change`` for updates)."""

    kind: NotificationKind
    event: Event
    actor_id: uuid.UUID
    recipients: tuple[Recipient, ...]
    change: EventChange | None = None


NotificationHandler = Callable[[AsyncSession, Notification], Awaitable[None]]
handlers: Hooks[NotificationHandler] = Hooks("called for every notification (mail)")


async def _dispatch(session: AsyncSession, notification: Notification) -> None:
    if not notification.recipients:
        return
    for handler in handlers:
        await handler(session, notification)


async def notify_invited(
    session: AsyncSession,
    event: Event,
    *,
    actor_id: uuid.UUID,
    recipients: Sequence[Recipient],
) -> None:
    """Someone was invited to the event."""
    await _dispatch(
        session, Notification("invited", event, actor_id, tuple(recipients))
    )


async def notify_uninvited(
    session: AsyncSession,
    event: Event,
    *,
    actor_id: uuid.UUID,
    recipients: Sequence[Recipient],
) -> None:
    """An invite was withdrawn."""
    await _dispatch(
        session, Notification("uninvited", event, actor_id, tuple(recipients))
    )


async def notify_updated(
    session: AsyncSession,
    event: Event,
    *,
    actor_id: uuid.UUID,
    recipients: Sequence[Recipient],
    change: EventChange,
) -> None:
    """The event (or one occurrence of it) changed."""
    await _dispatch(
        session, Notification("updated", event, actor_id, tuple(recipients), change)
    )


async def notify_deleted(
    session: AsyncSession,
    event: Event,
    *,
    actor_id: uuid.UUID,
    recipients: Sequence[Recipient],
) -> None:
    """The event was deleted; called before the rows are gone."""
    await _dispatch(
        session, Notification("deleted", event, actor_id, tuple(recipients))
    )
