"""Engine, sessions and the request-owned unit of work.

Each HTTP request gets one AsyncSession. Requests that may write (POST, PUT, PATCH,
DELETE) run in one transaction committed after the handler returns and before the
response is sent; safe requests (GET, HEAD, OPTIONS) use autocommit connections so a
read costs its queries and no BEGIN/ROLLBACK round trips.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar

from fastapi import Depends, Request
from sqlalchemy import DateTime, MetaData, TypeDecorator, Uuid, event
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.pool import AsyncAdaptedQueuePool, ConnectionPoolEntry, NullPool

from parley import metrics
from parley.config import Settings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC instant on both databases (SQLite returns naive values otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC instant is stored")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        uuid.UUID: Uuid(),
    }


class IdMixin:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


def _enable_sqlite_transactions(engine: AsyncEngine, *, foreign_keys: bool) -> None:
    """Let SQLAlchemy, not pysqlite, emit BEGIN so SAVEPOINTs and locks behave.

    pysqlite defers BEGIN until the first write; BEGIN IMMEDIATE takes the write lock
    up front, so read-modify-write transactions serialise instead of failing with
    'database is locked' at commit (SQLAlchemy docs, "Serializable isolation /
    Savepoints / Transactional DDL" for pysqlite).
    """
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
            connection.exec_driver_sql("BEGIN IMMEDIATE")


class ObservedPool(AsyncAdaptedQueuePool):
    """The async queue pool, counting callers waiting for a connection (metrics).

    SQLAlchemy has an event for a connection handed out, none for a caller
    starting to wait for one: ``_do_get`` is where the waiting happens.
    """

    def _do_get(self) -> ConnectionPoolEntry:
        metrics.DB_CONNECTIONS_WAITING.inc()
        try:
            return super()._do_get()
        finally:
            metrics.DB_CONNECTIONS_WAITING.dec()


def _count_connections_in_use(engine: AsyncEngine) -> None:
    pool = engine.sync_engine.pool

    @event.listens_for(pool, "checkout")
    def _checked_out(*_: Any) -> None:
        metrics.DB_CONNECTIONS_IN_USE.inc()

    @event.listens_for(pool, "checkin")
    def _checked_in(*_: Any) -> None:
        metrics.DB_CONNECTIONS_IN_USE.dec()


def create_engine(
    settings: Settings, *, pooled: bool = True, foreign_keys: bool = True
) -> AsyncEngine:
    """The engine for the configured database; SQLite gets its transaction hooks.

    Migrations pass foreign_keys=False: SQLite's batch mode recreates tables, and with
    enforcement on, dropping the old table would cascade-delete rows that refer to it.
    """
    url = settings.database_url
    # Statement parameters (passwords, PINs, codes) never appear in error messages.
    if url.startswith("sqlite"):
        engine = create_async_engine(
            url,
            poolclass=ObservedPool,
            hide_parameters=True,
            connect_args={"timeout": 30},
        )
        _enable_sqlite_transactions(engine, foreign_keys=foreign_keys)
    elif not pooled:
        return create_async_engine(url, poolclass=NullPool, hide_parameters=True)
    else:
        engine = create_async_engine(
            url,
            poolclass=ObservedPool,
            hide_parameters=True,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_timeout=10,
            connect_args={"timeout": 10, "command_timeout": 60},
        )
    _count_connections_in_use(engine)
    return engine


@dataclass(frozen=True)
class Database:
    """What the app keeps per process: the engine and its two kinds of session."""

    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    read_sessionmaker: async_sessionmaker[AsyncSession]

    @classmethod
    def from_engine(cls, engine: AsyncEngine) -> Database:
        autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
        return cls(
            engine=engine,
            sessionmaker=async_sessionmaker(engine, expire_on_commit=False),
            read_sessionmaker=async_sessionmaker(autocommit, expire_on_commit=False),
        )

    async def dispose(self) -> None:
        await self.engine.dispose()


async def get_database(request: Request) -> Database:
    """The app's Database (tests override this with one bound to a test transaction)."""
    database: Database = request.app.state.database
    return database


DatabaseDep = Annotated[Database, Depends(get_database)]

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request; writes commit before the response leaves."""
    # App state is read directly, not through DatabaseDep: each dependency level costs
    # measurable time on the hot path (bench/room_read.py).
    database: Database = request.app.state.database
    if request.method in _SAFE_METHODS:
        async with database.read_sessionmaker() as session:
            yield session
        return
    async with database.sessionmaker() as session:
        yield session
        await session.commit()


async def get_write_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A transaction committed before the response leaves, whatever the method.

    For the few GETs that must write (an OpenID sign-in redirect issues a code).
    """
    database: Database = request.app.state.database
    async with database.sessionmaker() as session:
        yield session
        await session.commit()


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
WriteSessionDep = Annotated[AsyncSession, Depends(get_write_session, scope="function")]
