"""Test fixtures: a real database per run (Postgres or SQLite), a real OIDC issuer,
and an app per test whose sessions run on SAVEPOINTs of one rolled-back transaction.

PARLEY_TEST_DB=postgres|sqlite picks the database (default postgres);
PARLEY_TEST_POSTGRES_URL names the server and maintenance database to create the
per-run database from (default postgresql+asyncpg://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from redis.client import Redis as SyncRedis
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from parley import migrate
from parley.config import Settings
from parley.db import Database, create_engine
from parley.logs import ACCESS_LOGGER, ContextFilter, JsonFormatter, logging_config
from parley.main import create_app
from parley.wiring import wire
from tests.oidc_issuer import TestIssuer
from tests.redis_process import RedisProcess

T = TypeVar("T")
DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
POSTGRES_UNREACHABLE = 3
"""pytest's exit status when PostgreSQL refuses connections (scripts/test knows it)."""
TEST_POOL_SIZE = 4
"""Connections each test process may hold (PostgreSQL allows 100 in all)."""
REDIS_URL = os.environ.get("PARLEY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def test_backend() -> str:
    backend = os.environ.get("PARLEY_TEST_DB", "postgres")
    if backend not in {"postgres", "sqlite"}:
        raise pytest.UsageError(
            f"PARLEY_TEST_DB must be postgres or sqlite, not {backend!r}"
        )
    return backend


def in_thread(function: Callable[[], T]) -> T:
    """Run blocking or asyncio.run-based setup outside pytest's event loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function).result()


def _asyncpg_dsn(url: str) -> str:
    return (
        make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    )


def _create_postgres_database(admin_url: str, name: str) -> str:
    async def create() -> None:
        connection = await asyncpg.connect(_asyncpg_dsn(admin_url), timeout=5)
        try:
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()

    try:
        asyncio.run(create())
    except ConnectionRefusedError as exc:
        # Only a server that is not there may be skipped, and never under CI;
        # scripts/test then says so in its last line.
        message = f"PostgreSQL at {admin_url} is unreachable: {exc}"
        if os.environ.get("CI"):
            pytest.exit(message, returncode=pytest.ExitCode.TESTS_FAILED)
        pytest.exit(
            message + " (set PARLEY_TEST_DB=sqlite to test on SQLite)",
            returncode=POSTGRES_UNREACHABLE,
        )
    except (OSError, asyncpg.PostgresError) as exc:
        # "too many clients", authentication, a missing database: a failure.
        pytest.exit(
            f"PostgreSQL at {admin_url} refused the test run: {exc}",
            returncode=pytest.ExitCode.TESTS_FAILED,
        )
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def _drop_postgres_database(admin_url: str, name: str) -> None:
    async def drop() -> None:
        connection = await asyncpg.connect(_asyncpg_dsn(admin_url), timeout=5)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()

    asyncio.run(drop())


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh, migrated database for this test run."""
    if test_backend() == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'parley.db'}"
        in_thread(lambda: migrate.upgrade(url))
        yield url
        return
    admin_url = os.environ.get("PARLEY_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    name = f"parley_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    url = in_thread(lambda: _create_postgres_database(admin_url, name))
    try:
        in_thread(lambda: migrate.upgrade(url))
        yield url
    finally:
        in_thread(lambda: _drop_postgres_database(admin_url, name))


@pytest.fixture(scope="session")
def oidc_issuer() -> Iterator[TestIssuer]:
    issuer = TestIssuer().start()
    yield issuer
    issuer.stop()


@pytest.fixture(scope="session")
def settings(
    database_url: str, oidc_issuer: TestIssuer, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    return Settings(
        database_url=database_url,
        db_pool_size=TEST_POOL_SIZE,
        db_max_overflow=0,
        oidc_issuer=oidc_issuer.url,  # type: ignore[arg-type]
        data_dir=tmp_path_factory.mktemp("data"),
        auto_migrate=False,
    )


@pytest.fixture(scope="session")
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings)
    yield engine
    await engine.dispose()


@pytest.fixture
async def database(engine: AsyncEngine) -> AsyncIterator[Database]:
    """A Database whose every session runs inside one transaction that is rolled back."""
    async with engine.connect() as connection:
        transaction = await connection.begin()
        sessions = async_sessionmaker(
            bind=connection,
            join_transaction_mode="create_savepoint",
            expire_on_commit=False,
        )
        yield Database(engine=engine, sessionmaker=sessions, read_sessionmaker=sessions)
        if transaction.is_active:
            await transaction.rollback()


class AppCache:
    """Apps built once per run and settings, started afresh by every test.

    Building an app (its routes and their models) costs far more than starting
    it, so tests share apps: each test hands its own database to the app before
    the app's lifespan starts, and the lifespan builds everything else (signaling
    state, limiters, workers) anew. An app is handed out once per test, so a test
    asking for two apps with the same settings gets two.
    """

    def __init__(self) -> None:
        self._apps: dict[str, list[FastAPI]] = {}

    def take(
        self, settings: Settings, database: Database, taken: list[FastAPI]
    ) -> FastAPI:
        key = repr(
            [
                (name, _revealed(getattr(settings, name)))
                for name in Settings.model_fields
            ]
        )
        apps = self._apps.setdefault(key, [])
        app = next((a for a in apps if all(a is not t for t in taken)), None)
        if app is None:
            app = create_app(settings, database=database)
            apps.append(app)
        app.state.provided_database = database
        taken.append(app)
        return app


def _revealed(value: Any) -> Any:
    """A setting as a cache key: secrets by value (their repr hides it)."""
    return value.get_secret_value() if isinstance(value, SecretStr) else value


@pytest.fixture(scope="session")
def app_cache() -> AppCache:
    return AppCache()


@pytest.fixture
def make_app(
    settings: Settings, database: Database, app_cache: AppCache
) -> Callable[..., FastAPI]:
    taken: list[FastAPI] = []

    def factory(**overrides: Any) -> FastAPI:
        return app_cache.take(settings.model_copy(update=overrides), database, taken)

    return factory


@pytest.fixture
async def app(make_app: Callable[..., FastAPI]) -> AsyncIterator[FastAPI]:
    application = make_app()
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


AppClient = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def client_with(make_app: Callable[..., FastAPI]) -> AppClient:
    """``async with client_with(**settings) as http``: a client of an app so configured."""

    @asynccontextmanager
    async def open_client(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        application = make_app(**overrides)
        async with application.router.lifespan_context(application):
            transport = httpx.ASGITransport(app=application)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://test"
            ) as http:
                yield http

    return open_client


@pytest.fixture
def alice(oidc_issuer: TestIssuer) -> dict[str, str]:
    """Headers of a registered user, Alice."""
    return oidc_issuer.headers(
        "alice@example.com", given_name="Alice", family_name="Anders"
    )


@pytest.fixture
def bob(oidc_issuer: TestIssuer) -> dict[str, str]:
    return oidc_issuer.headers("bob@example.com", given_name="Bob", family_name="Berg")


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The (shared) test Redis; tests using it get their own key prefix."""
    client = SyncRedis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except RedisConnectionError as exc:
        pytest.skip(f"no Redis at {REDIS_URL}: {exc}")
    finally:
        client.close()
    return REDIS_URL


def project_root() -> Path:
    return Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session", autouse=True)
def wired() -> None:
    """Services called without an app get the hooks ``create_app`` wires."""
    wire()


class CapturedLogs:
    """Every log record of a test, written by Parley's JSON formatter."""

    def __init__(self) -> None:
        self.stream = io.StringIO()

    def text(self) -> str:
        return self.stream.getvalue()

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text().splitlines() if line]

    def access(self) -> list[dict[str, Any]]:
        """The one line per request (and websocket session)."""
        return [line for line in self.records() if line["logger"] == ACCESS_LOGGER]


@pytest.fixture
def captured_logs() -> Iterator[CapturedLogs]:
    """Log records as `PARLEY_LOG_FORMAT=json PARLEY_LOG_LEVEL=debug` writes them.

    The levels are those of parley.logs.logging_config; the handler is added
    beside pytest's own rather than replacing it.
    """
    captured = CapturedLogs()
    handler = logging.StreamHandler(captured.stream)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter())
    config = logging_config(Settings(log_level="debug", log_format="json"))
    levels = {"": config["root"]["level"]} | {
        name: logger["level"] for name, logger in config["loggers"].items()
    }
    previous = {name: logging.getLogger(name).level for name in levels}
    root = logging.getLogger()
    root.addHandler(handler)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    try:
        yield captured
    finally:
        root.removeHandler(handler)
        for name, level in previous.items():
            logging.getLogger(name).setLevel(level)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisProcess]:
    """A redis-server for this test alone (it may restart it)."""
    server = RedisProcess(tmp_path).start()
    yield server
    server.stop()
