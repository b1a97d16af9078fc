"""The per-user calendar lock: writers of one user's busy time take turns.

Booking re-checks a slot and creates the event while holding the owner's lock;
creating or changing an event, and accepting an invite, take the same lock, so
a booking can never miss an event that is being written at the same instant.
On PostgreSQL it is a transaction-scoped advisory lock; on SQLite every write
transaction starts with BEGIN IMMEDIATE (``parley.db``), which already admits
one writer at a time.
"""

from __future__ import annotations

import hashlib
import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# pg_advisory_xact_lock(int, int): the first key names the lock's purpose so it
# cannot collide with other advisory locks (the 64-bit key space is separate).
_CALENDAR_LOCK_CLASS = 0x0B00C


async def lock_calendar(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Serialise writers of the user's calendar until the transaction ends."""
    if session.get_bind().dialect.name != "postgresql":
        return  # SQLite: the transaction began with BEGIN IMMEDIATE (one writer)
    digest = hashlib.blake2b(user_id.bytes, digest_size=4).digest()
    await session.execute(
        text("SELECT pg_advisory_xact_lock(:kind, :owner)"),
        {"kind": _CALENDAR_LOCK_CLASS, "owner": int.from_bytes(digest, signed=True)},
    )
