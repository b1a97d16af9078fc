"""A digest of everything stored, to show that a refused request changed nothing."""

from __future__ import annotations

import hashlib

from sqlalchemy import select

import parley.models  # noqa: F401 - registers every table
from parley.db import Base, Database


async def snapshot(database: Database) -> str:
    """A digest of every row of every table, as the requests' sessions see it."""
    digest = hashlib.sha256()
    async with database.sessionmaker() as session:
        for table in Base.metadata.sorted_tables:
            rows = (await session.execute(select(table))).all()
            digest.update(table.name.encode())
            for row in sorted(repr(tuple(row)) for row in rows):
                digest.update(row.encode())
    return digest.hexdigest()
