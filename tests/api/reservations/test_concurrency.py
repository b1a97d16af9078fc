"""No double booking under real concurrency: simultaneous requests on their own
connections, committing for real into the run's database (no savepoint fixture),
cleaned up afterwards."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlencode

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import delete, func, select

from parley.config import Settings
from parley.db import Database
from parley.reservations.models import Reservation
from parley.users.models import User
from tests.api.reservations.helpers import SCHEDULER, committing_client
from tests.oidc_issuer import TestIssuer

PARALLEL = 20
TOKEN = "concurrency-test-prosody-token"


@asynccontextmanager
async def racing_client(
    settings: Settings, email: str, room_key: str
) -> AsyncIterator[tuple[httpx.AsyncClient, Database]]:
    """A committing client with a pool for the race; deletes what it made afterwards."""
    settings = settings.model_copy(
        update={"db_pool_size": PARALLEL + 5, "jitsi_auth_token": SecretStr(TOKEN)}
    )
    async with committing_client(settings) as (client, database):
        try:
            yield client, database
        finally:
            async with database.sessionmaker() as session:
                await session.execute(
                    delete(Reservation).where(Reservation.room_key == room_key)
                )
                await session.execute(delete(User).where(User.email == email))
                await session.commit()


async def rows_for(database: Database, room_key: str) -> int:
    async with database.sessionmaker() as session:
        return (
            await session.scalar(
                select(func.count())
                .select_from(Reservation)
                .where(Reservation.room_key == room_key)
            )
            or 0
        )


async def overlapping_creates(settings: Settings, oidc_issuer: TestIssuer) -> None:
    email = f"racer-{uuid.uuid4().hex[:8]}@example.com"
    room = f"race-{uuid.uuid4().hex[:8]}"
    headers = oidc_issuer.headers(email)
    async with racing_client(settings, email, room) as (client, database):
        # Provision the user first, so the race is about the room only.
        assert (await client.get("/v1/users/me", headers=headers)).status_code == 200
        # Windows 10:00-11:00, 10:01-11:01, ... 10:19-11:19: every pair overlaps.
        bodies = [
            {
                "mail_owner": email,
                "name": room.upper() if n % 2 else room,
                "duration": 60,
                "start_time": f"2041-01-15T10:{n:02d}",
                "timezone": "Europe/Berlin",
            }
            for n in range(PARALLEL)
        ]
        responses = await asyncio.gather(
            *(
                client.post(f"{SCHEDULER}/reservation", json=body, headers=headers)
                for body in bodies
            )
        )
        statuses = sorted(response.status_code for response in responses)
        assert statuses == [201] + [409] * (PARALLEL - 1), [
            response.text for response in responses
        ]
        winner = next(r.json() for r in responses if r.status_code == 201)
        assert {r.json()["conflict_id"] for r in responses if r.status_code == 409} == {
            winner["id"]
        }
        assert await rows_for(database, room) == 1


async def concurrent_prosody_allocations(
    settings: Settings, oidc_issuer: TestIssuer
) -> None:
    email = f"unused-{uuid.uuid4().hex[:8]}@example.com"
    room = f"jitsi-race-{uuid.uuid4().hex[:8]}"
    async with racing_client(settings, email, room) as (client, database):
        form = urlencode({"name": room, "mail_owner": "focus@auth.meet.example.com"})
        responses = await asyncio.gather(
            *(
                client.post(
                    "/jitsi/conference",
                    content=form.encode(),
                    headers={
                        "Authorization": f"Bearer {TOKEN}",
                        "Content-Type": "application/x-www-form-urlencoded",
                    },
                )
                for _ in range(10)
            )
        )
        statuses = sorted(response.status_code for response in responses)
        assert statuses == [201] + [409] * 9, [r.text for r in responses]
        created = next(r.json() for r in responses if r.status_code == 201)
        assert {r.json()["conflict_id"] for r in responses if r.status_code == 409} == {
            created["id"]
        }
        assert await rows_for(database, room) == 1


def _require(settings: Settings, backend: str) -> None:
    if settings.is_postgres != (backend == "postgres"):
        pytest.skip(f"runs in the {backend} pass")


@pytest.mark.postgres
async def test_parallel_overlapping_creates_on_postgres(
    settings: Settings, oidc_issuer: TestIssuer
) -> None:
    """20 simultaneous overlapping reservations: exactly one 201 (advisory lock)."""
    _require(settings, "postgres")
    await overlapping_creates(settings, oidc_issuer)


@pytest.mark.postgres
async def test_parallel_prosody_allocations_on_postgres(
    settings: Settings, oidc_issuer: TestIssuer
) -> None:
    _require(settings, "postgres")
    await concurrent_prosody_allocations(settings, oidc_issuer)


async def test_parallel_overlapping_creates_on_sqlite(
    settings: Settings, oidc_issuer: TestIssuer
) -> None:
    """The same race on SQLite: BEGIN IMMEDIATE makes each transaction the only writer."""
    _require(settings, "sqlite")
    await overlapping_creates(settings, oidc_issuer)


async def test_parallel_prosody_allocations_on_sqlite(
    settings: Settings, oidc_issuer: TestIssuer
) -> None:
    _require(settings, "sqlite")
    await concurrent_prosody_allocations(settings, oidc_issuer)
