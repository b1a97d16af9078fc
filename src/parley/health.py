"""GET /health: for load balancers; 503 when the database is unreachable."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from parley.db import DatabaseDep

logger = logging.getLogger(__name__)
router = APIRouter(tags=["health"])


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
