"""Work that must wait for a transaction's outcome: after it commits, or if it does not.

Things outside the database follow the database, never lead it: a stored file is
removed once the row that named it is gone for good, participants hear of a
deleted room once the deletion is committed, a folder made on a remote server for
a row that was never committed is removed again. Callbacks are kept on the
session and run when its outermost transaction ends (savepoints do not count), in
the order they were added. A callback may be a plain function, run at once, or a
coroutine function, started as a task on the running event loop; either way its
errors are logged and never reach the committing code. Callbacks must not touch
ORM objects: after a rollback they are expired; capture plain values instead.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Final

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

logger = logging.getLogger(__name__)

Callback = Callable[[], Awaitable[None] | None]

_ON_COMMIT: Final = "parley.transactions.on_commit"
_ON_ROLLBACK: Final = "parley.transactions.on_rollback"
_running: set[asyncio.Task[None]] = set()


def after_commit(session: AsyncSession, callback: Callback) -> None:
    """Run ``callback`` once the session's transaction has committed."""
    session.sync_session.info.setdefault(_ON_COMMIT, []).append(callback)


def after_rollback(session: AsyncSession, callback: Callback) -> None:
    """Run ``callback`` if the session's transaction ends without committing."""
    session.sync_session.info.setdefault(_ON_ROLLBACK, []).append(callback)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    session.info.pop(_ON_ROLLBACK, None)
    _run(session.info.pop(_ON_COMMIT, []))


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:
        return
    # Still here means the outermost transaction did not commit.
    session.info.pop(_ON_COMMIT, None)
    _run(session.info.pop(_ON_ROLLBACK, []))


def _run(callbacks: list[Callback]) -> None:
    for callback in callbacks:
        try:
            outcome = callback()
        except Exception:
            logger.exception("after-transaction callback %r failed", callback)
            continue
        if outcome is not None:
            _start(outcome)


def _start(work: Awaitable[None]) -> None:
    async def logged() -> None:
        try:
            await work
        except Exception:
            logger.exception("after-transaction task failed")

    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # a synchronous session outside any event loop
        logger.error("after-transaction work dropped: no running event loop")
        if asyncio.iscoroutine(work):
            work.close()
        return
    task = loop.create_task(logged())
    _running.add(task)
    task.add_done_callback(_running.discard)
