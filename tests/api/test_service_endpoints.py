"""Health, routing errors, request ids, and the database-down path."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.engine import make_url

from parley.config import Settings
from parley.db import Database, create_engine
from parley.main import create_app


async def test_health_reports_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


async def test_unknown_path_and_method_use_error_body(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    missing = await client.get("/v1/nope")
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"
    wrong = await client.put("/v1/rooms", headers=alice)
    assert wrong.status_code == 405
    assert wrong.json()["code"] == "method_not_allowed"


async def test_request_id_is_echoed_or_generated(client: httpx.AsyncClient) -> None:
    assert (await client.get("/health", headers={"x-request-id": "abc"})).headers[
        "x-request-id"
    ] == "abc"
    assert len((await client.get("/health")).headers["x-request-id"]) == 32


async def test_database_down_is_503(
    settings: Settings, oidc_issuer: object, alice: dict[str, str]
) -> None:
    dead = settings.model_copy(
        update={"database_url": "postgresql+asyncpg://postgres@127.0.0.1:1/none"}
    )
    app = create_app(dead, database=Database.from_engine(create_engine(dead)))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test"
        ) as http:
            health = await http.get("/health")
            rooms = await http.get("/v1/rooms", headers=alice)
    assert health.status_code == 503
    assert rooms.status_code == 503
    assert rooms.json()["code"] == "service_unavailable"


async def test_swagger_ui_is_served(make_app: Callable[..., FastAPI]) -> None:
    app = make_app()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        docs = await http.get("/docs")
        schema = await http.get("/openapi.json")
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()
    assert (
        schema.json()["components"]["securitySchemes"]["BearerAuth"]["scheme"]
        == "bearer"
    )


@pytest.mark.postgres
async def test_too_many_connections_is_503(
    settings: Settings, alice: dict[str, str]
) -> None:
    """SQLSTATE 53300 (the role may open no connection) is an outage, not a 500."""
    if not settings.is_postgres:
        pytest.skip("connection limits are a PostgreSQL feature")
    admin = create_engine(settings, pooled=False)
    async with admin.connect() as connection:
        await connection.execute(text("DROP ROLE IF EXISTS parley_no_connections"))
        await connection.execute(
            text("CREATE ROLE parley_no_connections LOGIN CONNECTION LIMIT 0")
        )
        await connection.commit()
    try:
        url = make_url(settings.database_url).set(username="parley_no_connections")
        limited = settings.model_copy(
            update={"database_url": url.render_as_string(hide_password=False)}
        )
        app = create_app(limited, database=Database.from_engine(create_engine(limited)))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://test"
            ) as http:
                response = await http.get("/v1/rooms", headers=alice)
        assert response.status_code == 503
        assert response.json()["code"] == "service_unavailable"
    finally:
        async with admin.connect() as connection:
            await connection.execute(text("DROP ROLE IF EXISTS parley_no_connections"))
            await connection.commit()
        await admin.dispose()
