"""Health checks for load balancers and orchestrators.

* ``GET /health``: 503 when the database is unreachable (kept as it was).
* ``GET /health/live``: the process answers (restart it if not).
* ``GET /health/ready``: it can serve: the database answers, Redis answers
  when configured, and the database's schema is the one this code migrates
  to (a database migrated by a newer release still counts as ready, so
  instances of the old release keep serving during a rolling upgrade).
  503 otherwise, with the failing check named.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Final, Literal

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from parley import migrate
from parley.db import Database, DatabaseDep
from parley.signaling.hub import SignalingHub

logger = logging.getLogger(__name__)
router = APIRouter(tags=["health"])

CHECK_TIMEOUT: Final = 2.0
"""Seconds each readiness check may take: a hung dependency is an unready one."""


RedisState = Literal["ok", "unreachable", "not_configured"]
MigrationState = Literal["current", "pending", "ahead", "unknown"]


class Liveness(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    """Overall status and each check's outcome."""

    status: Literal["ok", "unavailable"]
    database: Literal["ok", "unreachable"]
    redis: RedisState
    migrations: MigrationState


@router.get("/health", openapi_extra={"security": []})
async def health(database: DatabaseDep) -> JSONResponse:
    """Report whether this instance can serve: the database answers a query."""
    try:
        async with database.read_sessionmaker() as session:
            await session.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to reach the database means "not ready"
        logger.warning("health check: database unreachable: %s", exc)
        return JSONResponse(
            {"status": "unavailable", "database": "unreachable"}, status_code=503
        )
    return JSONResponse({"status": "ok", "database": "ok"})


@router.get("/health/live", openapi_extra={"security": []})
async def liveness() -> Liveness:
    """The process is up and its event loop answers."""
    return Liveness(status="ok")


@router.get(
    "/health/ready",
    response_model=Readiness,
    openapi_extra={"security": []},
    responses={503: {"model": Readiness, "description": "A check failed"}},
)
async def readiness(request: Request, database: DatabaseDep) -> JSONResponse:
    """Database reachable, Redis reachable (when configured), migrations current."""
    applied = await _applied_revisions(database)
    report = Readiness(
        status="ok",
        database="unreachable" if applied is None else "ok",
        redis=await _redis_state(request),
        migrations="unknown"
        if applied is None
        else (await _code_revisions(request)).state_of(applied),
    )
    ready = (
        report.database == "ok"
        and report.redis != "unreachable"
        and report.migrations in {"current", "ahead"}
    )
    if not ready:
        report.status = "unavailable"
        logger.warning("not ready: %s", report.model_dump_json())
    return JSONResponse(report.model_dump(), status_code=200 if ready else 503)


async def _applied_revisions(database: Database) -> set[str] | None:
    """The database's migration revisions; None if it does not answer in time."""
    try:
        async with asyncio.timeout(CHECK_TIMEOUT):
            async with database.read_sessionmaker() as session:
                return await session.run_sync(
                    lambda sync: migrate.applied_revisions(sync.connection())
                )
    except Exception as exc:  # unreachable, refused, timed out: all "not ready"
        logger.warning("readiness: database unreachable: %s", exc)
        return None


async def _code_revisions(request: Request) -> migrate.Revisions:
    revisions: migrate.Revisions | None = getattr(
        request.app.state, "code_revisions", None
    )
    if revisions is None:
        revisions = await run_in_threadpool(migrate.code_revisions)
        request.app.state.code_revisions = revisions
    return revisions


async def _redis_state(request: Request) -> RedisState:
    if request.app.state.settings.redis_url is None:
        return "not_configured"
    hub: SignalingHub = request.app.state.signaling
    try:
        async with asyncio.timeout(CHECK_TIMEOUT):
            await hub.state.ping()
    except Exception as exc:  # StateUnavailable, timeouts
        logger.warning("readiness: redis unreachable: %s", exc)
        return "unreachable"
    return "ok"
