"""Keep stored objects and asset rows in step with the transaction that changes them.

An object published inside a transaction is deleted again if that transaction rolls
back; an object whose row a transaction deletes is removed once it commits. Both ride
on SQLAlchemy session events, so they also cover rows deleted by a foreign-key cascade
(a room deleted through the rooms package) and units of work outside a request.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from parley.assets.storage import AssetStorage

_ON_COMMIT = "parley.assets.delete_on_commit"
_ON_ROLLBACK = "parley.assets.delete_on_rollback"


def delete_on_commit(
    session: AsyncSession, storage: AssetStorage, keys: Iterable[str]
) -> None:
    """Remove these objects once the session's transaction commits."""
    session.sync_session.info.setdefault(_ON_COMMIT, []).append((storage, list(keys)))


def delete_on_rollback(
    session: AsyncSession, storage: AssetStorage, keys: Iterable[str]
) -> None:
    """Remove these (just published) objects if the session's transaction rolls back."""
    session.sync_session.info.setdefault(_ON_ROLLBACK, []).append((storage, list(keys)))


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    session.info.pop(_ON_ROLLBACK, None)
    for storage, keys in session.info.pop(_ON_COMMIT, []):
        storage.delete_now(keys)


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:
        return
    # Still pending here means the outermost transaction did not commit.
    session.info.pop(_ON_COMMIT, None)
    pending: list[tuple[Any, list[str]]] = session.info.pop(_ON_ROLLBACK, [])
    for storage, keys in pending:
        storage.delete_now(keys)
