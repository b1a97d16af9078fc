"""Hook points for e-mail notifications about events (implemented by the mail issue).

The events services call these inside the request's transaction, after the
change is flushed, unless the client passed ``suppress_email_notification``.
Each is a no-op here; the mail implementation replaces the bodies (for example
by writing an outbox row in the same transaction) without touching callers.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from parley.events.models import Event


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


async def notify_invited(
    session: AsyncSession,
    event: Event,
    *,
    actor_id: uuid.UUID,
    recipients: Sequence[Recipient],
) -> None:
    """Someone was invited to the event."""


async def notify_uninvited(
    session: AsyncSession,
    event: Event,
    *,
    actor_id: uuid.UUID,
    recipients: Sequence[Recipient],
) -> None:
    """An invite was withdrawn."""


async def notify_updated(
    session: AsyncSession,
    event: Event,
    *,
    actor_id: uuid.UUID,
    recipients: Sequence[Recipient],
    change: EventChange,
) -> None:
    """The event (or one occurrence of it) changed."""


async def notify_deleted(
    session: AsyncSession,
    event: Event,
    *,
    actor_id: uuid.UUID,
    recipients: Sequence[Recipient],
) -> None:
    """The event was deleted; called before the rows are gone."""
