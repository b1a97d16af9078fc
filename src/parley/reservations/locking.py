"""One writer per room name at a time, until the transaction ends.

PostgreSQL: a transaction-scoped advisory lock on a 64-bit hash of the room key, taken
before the overlap query, so two requests for the same room serialise and the second
one's query sees the first one's committed row (READ COMMITTED takes a new snapshot
per statement). Other rooms are not blocked.

SQLite: the engine opens every write transaction with BEGIN IMMEDIATE (parley.db),
so once this transaction has begun it is the only writer of the whole database;
lock_room makes sure it has begun.

Decisions that depend on the time ("is a window running now?") must read the clock
after the lock is held, so that time order and lock order agree.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

_NAMESPACE = b"parley:reservations:room:"


def room_lock_id(room_key: str) -> int:
    """A stable signed 64-bit advisory lock id for the room key."""
    digest = hashlib.sha256(_NAMESPACE + room_key.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


async def lock_room(session: AsyncSession, room_key: str) -> None:
    """Serialise writers of this room until the current transaction commits or rolls back."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(
            text("SELECT pg_advisory_xact_lock(:id)"), {"id": room_lock_id(room_key)}
        )
    else:
        await session.connection()  # begins the transaction: BEGIN IMMEDIATE
