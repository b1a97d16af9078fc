"""A reference endpoint for bench/room_read.py: the same room row read with raw asyncpg,
no auth, no ORM. Mounted only when PARLEY_BENCH_ENDPOINTS is on; never in production."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.engine import make_url

from parley.config import Settings
from parley.errors import NotFound

router = APIRouter(prefix="/bench", include_in_schema=False)


@asynccontextmanager
async def raw_pool(settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    dsn = (
        make_url(settings.database_url)
        .set(drivername="postgresql")
        .render_as_string(hide_password=False)
    )
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=settings.db_pool_size)
    try:
        yield pool
    finally:
        await pool.close()


@router.get("/raw/rooms/{room_id}")
async def raw_room(room_id: uuid.UUID, request: Request) -> JSONResponse:
    pool: asyncpg.Pool = request.app.state.bench_pool
    row = await pool.fetchrow(
        "SELECT id, created_by_id, created_at, password, waiting_room FROM rooms WHERE id = $1",
        room_id,
    )
    if row is None:
        raise NotFound()
    return JSONResponse(
        {
            "id": str(row["id"]),
            "created_by": str(row["created_by_id"]),
            "created_at": row["created_at"].isoformat().replace("+00:00", "Z"),
            "password": row["password"] or "",
            "waiting_room": row["waiting_room"],
        }
    )


def install(app: FastAPI, settings: Settings) -> None:
    """Mount the reference route; its pool lives as long as the app."""
    app.include_router(router)
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[None]:
        async with raw_pool(settings) as pool, inner(application):
            application.state.bench_pool = pool
            yield

    app.router.lifespan_context = lifespan
