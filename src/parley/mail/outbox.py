"""Writing mail to the outbox, and the queries workers use to deliver it.

Mail is added to the session of the change, so it is committed (or rolled
back) with it. A commit that added mail wakes this process's workers at once;
workers elsewhere find it when they next poll.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from parley.mail.models import OutboxMail
from parley.transactions import after_commit, after_rollback

ACTIVE_STATUSES = ("pending", "sending")
_QUEUED_KEY = "parley.mail.queued"  # session.info: (event id, address) → row


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class RenderedMail:
    """A mail ready to send, except for the envelope (From is the worker's)."""

    subject: str
    text: str
    html: str
    attachment: Attachment | None = None


def queued_kind(session: AsyncSession, event_id: uuid.UUID, address: str) -> str | None:
    """The kind of mail already queued in this transaction for the address, if any."""
    queued = session.sync_session.info.get(_QUEUED_KEY, {})
    row = queued.get((event_id, address.lower()))
    return None if row is None else row.kind


def enqueue(
    session: AsyncSession,
    *,
    recipient: str,
    mail: RenderedMail,
    kind: str,
    event_id: uuid.UUID,
) -> OutboxMail:
    """Queue a mail in the session's transaction.

    One transaction sends one mail per event and address: a later mail for the
    same pair replaces the earlier one (a PATCH that also replaces streaming
    targets reports the event's final state once).
    """
    queued = _queued(session)
    key = (event_id, recipient.lower())
    row = queued.get(key)
    if row is None:
        row = OutboxMail(recipient=recipient, event_id=event_id)
        session.add(row)
        queued[key] = row
    row.kind = kind
    row.subject = mail.subject
    row.text_body = mail.text
    row.html_body = mail.html
    attachment = mail.attachment
    row.attachment = attachment.data if attachment else None
    row.attachment_filename = attachment.filename if attachment else None
    row.attachment_content_type = attachment.content_type if attachment else None
    return row


def _queued(session: AsyncSession) -> dict[tuple[uuid.UUID, str], OutboxMail]:
    """This transaction's queued mail; its end forgets it, its commit wakes workers."""
    info = session.sync_session.info
    queued: dict[tuple[uuid.UUID, str], OutboxMail] | None = info.get(_QUEUED_KEY)
    if queued is None:
        queued = info[_QUEUED_KEY] = {}

        def forget() -> None:
            info.pop(_QUEUED_KEY, None)

        def forget_and_wake() -> None:
            forget()
            _wake_workers()

        after_commit(session, forget_and_wake)
        after_rollback(session, forget)
    return queued


# ---- waking workers after a commit ------------------------------------------


@dataclass(eq=False)
class Wakeup:
    """A worker's alarm: set, from any thread, when new mail was committed."""

    loop: asyncio.AbstractEventLoop
    flag: asyncio.Event

    def ring(self) -> None:
        # A commit must never fail because a worker's loop is gone.
        if not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.flag.set)


_wakeups: set[Wakeup] = set()


def add_wakeup() -> Wakeup:
    wakeup = Wakeup(asyncio.get_running_loop(), asyncio.Event())
    _wakeups.add(wakeup)
    return wakeup


def remove_wakeup(wakeup: Wakeup) -> None:
    _wakeups.discard(wakeup)


def _wake_workers() -> None:
    for wakeup in list(_wakeups):
        wakeup.ring()


# ---- the worker's side -------------------------------------------------------


async def claim_due(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    now: datetime,
    limit: int,
    lease: timedelta,
) -> list[OutboxMail]:
    """Take up to ``limit`` due mails for delivery, counting the attempt.

    Claimed rows are `sending` until ``now + lease``: if the worker dies, they
    become due again then. On PostgreSQL, SKIP LOCKED lets concurrent workers
    claim disjoint rows without waiting; SQLite has one writer at a time
    (BEGIN IMMEDIATE), which serialises claims just as well.
    """
    async with sessionmaker() as session, session.begin():
        rows = (
            await session.scalars(
                select(OutboxMail)
                .where(
                    OutboxMail.status.in_(ACTIVE_STATUSES),
                    OutboxMail.next_attempt_at <= now,
                )
                .order_by(OutboxMail.next_attempt_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).all()
        for row in rows:
            row.status = "sending"
            row.attempts += 1
            row.next_attempt_at = now + lease
    return list(rows)


@dataclass(frozen=True, slots=True)
class QueueSummary:
    """Mail not yet delivered or given up, and when the next of it falls due."""

    undelivered: int
    next_due_at: datetime | None


async def queue_summary(
    read_sessionmaker: async_sessionmaker[AsyncSession],
) -> QueueSummary:
    """How many mails are pending or being sent, and the earliest due time."""
    async with read_sessionmaker() as session:
        row = (
            await session.execute(
                select(func.count(), func.min(OutboxMail.next_attempt_at)).where(
                    OutboxMail.status.in_(ACTIVE_STATUSES)
                )
            )
        ).one()
    return QueueSummary(undelivered=int(row[0]), next_due_at=row[1])


@dataclass(frozen=True, slots=True)
class Result:
    """What became of one claimed mail (``attempt`` identifies the claim)."""

    mail_id: uuid.UUID
    attempt: int
    status: str  # sent, pending (retry at next_attempt_at) or failed
    error: str | None = None
    next_attempt_at: datetime | None = None


async def record(
    sessionmaker: async_sessionmaker[AsyncSession],
    results: Sequence[Result],
    *,
    now: datetime,
) -> None:
    """Store the results of a delivery round in one transaction.

    A row whose lease ran out and that another worker claimed since is left to
    that worker (its attempt count moved on).
    """
    if not results:
        return
    async with sessionmaker() as session, session.begin():
        rows = await session.scalars(
            select(OutboxMail).where(
                OutboxMail.id.in_([result.mail_id for result in results]),
                OutboxMail.status == "sending",
            )
        )
        claimed = {(row.id, row.attempts): row for row in rows}
        for result in results:
            row = claimed.get((result.mail_id, result.attempt))
            if row is None:
                continue
            row.status = result.status
            if result.status == "sent":
                row.sent_at = now
            else:
                row.last_error = result.error
            if result.next_attempt_at is not None:
                row.next_attempt_at = result.next_attempt_at


FINISHED_STATUSES = ("sent", "failed")
PRUNE_BATCH = 1_000


async def prune_finished(
    sessionmaker: async_sessionmaker[AsyncSession], *, created_before: datetime
) -> int:
    """Delete sent and failed mail queued before then, in batches; how many went."""
    pruned = 0
    while True:
        async with sessionmaker() as session, session.begin():
            batch = (
                select(OutboxMail.id)
                .where(
                    OutboxMail.status.in_(FINISHED_STATUSES),
                    OutboxMail.created_at < created_before,
                )
                .limit(PRUNE_BATCH)
            )
            result = await session.execute(
                delete(OutboxMail).where(OutboxMail.id.in_(batch))
            )
        count: int = result.rowcount  # type: ignore[attr-defined]
        pruned += count
        if count < PRUNE_BATCH:
            return pruned
