"""GET /health/live and /health/ready: what an orchestrator asks before sending traffic."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from parley import migrate
from parley.config import Settings
from parley.db import Database, create_engine
from parley.main import create_app
from tests.conftest import in_thread


async def test_live_answers_while_the_process_runs(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_ready_checks_database_and_migrations(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/ready")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "redis": "not_configured",
        "migrations": "current",
    }


async def test_ready_checks_redis_when_configured(
    make_app: Callable[..., FastAPI], redis_url: str
) -> None:
    app = make_app(redis_url=redis_url, redis_key_prefix=f"t{uuid.uuid4().hex[:8]}:")
    async with own_client(app) as http:
        response = await http.get("/health/ready")
    assert (response.status_code, response.json()["redis"]) == (200, "ok")


async def test_unreachable_redis_is_not_ready(
    make_app: Callable[..., FastAPI],
) -> None:
    app = make_app(redis_url="redis://127.0.0.1:1/0")
    async with own_client(app) as http:
        ready = await http.get("/health/ready")
        live = await http.get("/health/live")
    assert ready.status_code == 503
    assert ready.json() == {
        "status": "unavailable",
        "database": "ok",
        "redis": "unreachable",
        "migrations": "current",
    }
    assert live.status_code == 200


async def test_unreachable_database_is_not_ready(settings: Settings) -> None:
    dead = settings.model_copy(
        update={"database_url": "postgresql+asyncpg://postgres@127.0.0.1:1/none"}
    )
    async with standalone_client(dead) as http:
        ready = await http.get("/health/ready")
    assert ready.status_code == 503
    assert ready.json() == {
        "status": "unavailable",
        "database": "unreachable",
        "redis": "not_configured",
        "migrations": "unknown",
    }


async def test_a_database_behind_the_code_is_not_ready(
    settings: Settings, tmp_path: Path
) -> None:
    behind = sqlite_settings(settings, tmp_path)
    in_thread(lambda: migrate.upgrade(behind.database_url, "0001"))
    async with standalone_client(behind) as http:
        ready = await http.get("/health/ready")
    assert ready.status_code == 503
    assert ready.json()["migrations"] == "pending"


async def test_a_database_migrated_by_a_newer_release_stays_ready(
    settings: Settings, tmp_path: Path
) -> None:
    # During a rolling upgrade the new release migrates first; the old one serves on.
    ahead = sqlite_settings(settings, tmp_path)
    in_thread(lambda: migrate.upgrade(ahead.database_url))
    engine = create_engine(ahead)
    async with engine.begin() as connection:
        await connection.execute(
            text("UPDATE alembic_version SET version_num = 'zz99'")
        )
    await engine.dispose()
    async with standalone_client(ahead) as http:
        ready = await http.get("/health/ready")
    assert (ready.status_code, ready.json()["migrations"]) == (200, "ahead")


def sqlite_settings(settings: Settings, directory: Path) -> Settings:
    return settings.model_copy(
        update={"database_url": f"sqlite+aiosqlite:///{directory / 'health.db'}"}
    )


@asynccontextmanager
async def own_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test"
        ) as http:
            yield http


@asynccontextmanager
async def standalone_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An app on its own database (not the test's rolled-back transaction)."""
    database = Database.from_engine(create_engine(settings))
    try:
        async with own_client(create_app(settings, database=database)) as http:
            yield http
    finally:
        await database.dispose()
