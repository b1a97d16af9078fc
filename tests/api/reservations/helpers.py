"""Shared helpers for the reservation, API-key and Jitsi API tests."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from parley.apikeys import service as apikeys_service
from parley.config import Settings
from parley.db import Database, create_engine
from parley.main import create_app
from parley.users import service as users_service

SCHEDULER = "/api/v1/scheduler"


def utc_wall(minutes: int = 0) -> str:
    """A UTC wall time `minutes` from now, to the minute (for timezone "UTC")."""
    return (datetime.now(UTC) + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M")


def unique_room(prefix: str = "room") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def reserve(
    client: httpx.AsyncClient, headers: dict[str, str], **body: Any
) -> dict[str, Any]:
    """POST a reservation (defaults: now-ish in UTC, 60 minutes) and expect 201."""
    payload = {
        "mail_owner": "alice@example.com",
        "name": unique_room(),
        "duration": 60,
        "start_time": utc_wall(),
        "timezone": "UTC",
        **body,
    }
    response = await client.post(
        f"{SCHEDULER}/reservation", json=payload, headers=headers
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def user_id(client: httpx.AsyncClient, headers: dict[str, str]) -> uuid.UUID:
    response = await client.get("/v1/users/me", headers=headers)
    assert response.status_code == 200, response.text
    return uuid.UUID(response.json()["id"])


async def make_api_key(database: Database, owner_id: uuid.UUID, name: str = "") -> str:
    """A new API key of the user, committed (to the test's savepoint); its secret."""
    async with database.sessionmaker() as session:
        owner = await users_service.get_user_or_raise(session, owner_id)
        _, secret = await apikeys_service.create_api_key(
            session, owner=owner, name=name
        )
        await session.commit()
    return secret


async def revoke_api_keys(database: Database, owner_id: uuid.UUID) -> None:
    async with database.sessionmaker() as session:
        for key, _ in await apikeys_service.list_api_keys(session):
            if key.owner_id == owner_id:
                await apikeys_service.revoke_api_key(
                    session, key.id, now=datetime.now(UTC)
                )
        await session.commit()


@asynccontextmanager
async def app_client(
    make_app: Callable[..., FastAPI], **settings: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app built with overridden settings (lifespan included)."""
    app = make_app(**settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test"
        ) as http:
            yield http


@asynccontextmanager
async def committing_client(
    settings: Settings,
) -> AsyncIterator[tuple[httpx.AsyncClient, Database]]:
    """A client of an app on its own engine: requests commit for real (no savepoints)."""
    database = Database.from_engine(create_engine(settings))
    app = create_app(settings, database=database)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://test"
            ) as http:
                yield http, database
    finally:
        await database.dispose()
