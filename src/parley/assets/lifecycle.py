"""Keep stored objects and asset rows in step with the transaction that changes them.

An object published inside a transaction is deleted again if that transaction rolls
back; an object whose row a transaction deletes is removed once it commits
(`parley.transactions`). The rooms package's delete hook uses the same, so objects
of rows deleted by a foreign-key cascade go too, and so do those of units of work
outside a request.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from parley.assets.storage import AssetStorage
from parley.transactions import after_commit, after_rollback


def delete_on_commit(
    session: AsyncSession, storage: AssetStorage, keys: Iterable[str]
) -> None:
    """Remove these objects once the session's transaction commits."""
    doomed = list(keys)
    after_commit(session, lambda: storage.delete_now(doomed))


def delete_on_rollback(
    session: AsyncSession, storage: AssetStorage, keys: Iterable[str]
) -> None:
    """Remove these (just published) objects if the session's transaction rolls back."""
    published = list(keys)
    after_rollback(session, lambda: storage.delete_now(published))
