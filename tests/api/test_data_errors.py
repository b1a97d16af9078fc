"""A database error caused by the data is a 4xx, never a generic 500; an outage
stays a 503. Exercised through HTTP with routes that make the database refuse a
value the way a forgotten validation would."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text, update
from sqlalchemy.exc import OperationalError

from parley.compat.jitsi.models import ConferenceMapping
from parley.config import Settings
from parley.db import Database, SessionDep
from parley.main import create_app
from parley.reservations.models import Reservation

AT = datetime(2030, 1, 1, tzinfo=UTC)


def _reservation(**overrides: object) -> Reservation:
    values: dict[str, object] = {
        "room_key": "data-errors",
        "name": "data-errors",
        "mail_owner": "alice@example.com",
        "starts_at": AT,
        "ends_at": AT + timedelta(hours=1),
        "timezone": "UTC",
    }
    values.update(overrides)
    return Reservation(**values)


def with_faulty_routes(app: FastAPI) -> FastAPI:
    """Routes whose writes the database refuses, one per kind of data error."""

    @app.post("/test/huge-number")
    async def huge_number(session: SessionDep) -> None:
        # Beyond BIGINT: asyncpg refuses to encode it, sqlite3 raises OverflowError.
        await session.execute(
            update(Reservation).where(Reservation.id == 2**70).values(pin="1")
        )

    @app.post("/test/check-violation")
    async def check_violation(session: SessionDep) -> None:
        session.add(_reservation(ends_at=AT))  # CHECK ends_at > starts_at
        await session.flush()

    @app.post("/test/unique-violation")
    async def unique_violation(session: SessionDep) -> None:
        for mapping_id in (1_000_000_001, 1_000_000_002):
            session.add(ConferenceMapping(id=mapping_id, conference="same@muc"))
            await session.flush()

    @app.post("/test/too-long")
    async def too_long(session: SessionDep) -> None:
        session.add(_reservation(name="x" * 500))  # VARCHAR(128)
        await session.flush()

    @app.post("/test/outage")
    async def outage() -> None:
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("refused"))

    return app


def own_app(settings: Settings, database: Database) -> FastAPI:
    """An app of this test alone: the shared test apps must not grow routes."""
    return create_app(settings, database=database)


@pytest.fixture
async def faulty(
    settings: Settings, database: Database
) -> AsyncIterator[httpx.AsyncClient]:
    app = with_faulty_routes(own_app(settings, database))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test"
        ) as http:
            yield http


@pytest.mark.parametrize(
    ("route", "status", "code"),
    [
        ("/test/huge-number", 422, "validation_failed"),
        ("/test/check-violation", 422, "validation_failed"),
        ("/test/unique-violation", 409, "conflict"),
        ("/test/outage", 503, "service_unavailable"),
    ],
)
async def test_data_errors_are_4xx_and_outages_503(
    faulty: httpx.AsyncClient, route: str, status: int, code: str
) -> None:
    response = await faulty.post(route)
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert set(response.json()) == {"code", "message"}


@pytest.mark.postgres
async def test_a_string_too_long_for_its_column_is_422(
    faulty: httpx.AsyncClient, settings: Settings
) -> None:
    """PostgreSQL enforces VARCHAR lengths (SQLSTATE 22001); SQLite does not."""
    if not settings.is_postgres:
        pytest.skip("SQLite does not enforce VARCHAR lengths")
    response = await faulty.post("/test/too-long")
    assert (response.status_code, response.json()["code"]) == (422, "validation_failed")


async def test_a_refused_value_leaves_the_session_usable(
    faulty: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    """The failed request's transaction is rolled back; the next request works."""
    assert (await faulty.post("/test/check-violation")).status_code == 422
    assert (await faulty.get("/v1/users/me", headers=alice)).status_code == 200
    assert (await faulty.post("/test/huge-number")).status_code == 422
    assert (await faulty.get("/v1/rooms", headers=alice)).status_code == 200


@pytest.mark.postgres
async def test_sql_casts_of_bad_text_are_422_on_postgres(
    settings: Settings, database: Database
) -> None:
    """SQLSTATE class 22 as the server raises it (22P02 invalid text representation)."""
    if not settings.is_postgres:
        pytest.skip("SQLite casts any text to a number")
    app = own_app(settings, database)

    @app.get("/test/cast")
    async def cast(session: SessionDep) -> None:
        await session.execute(text("SELECT CAST('twelve' AS INTEGER)"))

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test"
        ) as http:
            response = await http.get("/test/cast")
    assert (response.status_code, response.json()["code"]) == (422, "validation_failed")
