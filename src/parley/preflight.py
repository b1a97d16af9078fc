"""Before serving: are the database and Redis there? One clear line if not.

``parley serve`` (and ``parley db``) would otherwise fail deep inside
Alembic or the app's start-up with a long traceback; an operator needs the
one fact: which dependency, where, and what it answered. URLs are shown
without their passwords.
"""

from __future__ import annotations

import asyncio
from typing import Final
from urllib.parse import urlsplit, urlunsplit

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from parley.config import Settings
from parley.db import create_engine

CONNECT_TIMEOUT: Final = 10.0


class DependencyUnreachable(Exception):
    """A dependency cannot be reached; the message is one line naming it."""


def _reason(exc: BaseException) -> str:
    """The innermost cause, on one line (drivers wrap the useful message)."""
    while exc.__cause__ is not None:
        exc = exc.__cause__
    if isinstance(exc, TimeoutError):
        return f"no answer within {CONNECT_TIMEOUT:g} seconds"
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:300]


def database_display(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def redis_display(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


async def _check_database(settings: Settings) -> None:
    engine = create_engine(settings, pooled=False)
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except (OSError, TimeoutError, SQLAlchemyError) as exc:
        raise DependencyUnreachable(
            f"cannot reach the database at {database_display(settings.database_url)}: "
            f"{_reason(exc)}"
        ) from None
    finally:
        await engine.dispose()


async def _check_redis(url: str) -> None:
    client = Redis.from_url(
        url, socket_connect_timeout=CONNECT_TIMEOUT, socket_timeout=CONNECT_TIMEOUT
    )
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT):
            await client.ping()
    except (OSError, TimeoutError, RedisError) as exc:
        raise DependencyUnreachable(
            f"cannot reach Redis at {redis_display(url)}: {_reason(exc)}"
        ) from None
    finally:
        await client.aclose()


async def _check(settings: Settings, *, redis: bool) -> None:
    await _check_database(settings)
    if redis and settings.redis_url is not None:
        await _check_redis(settings.redis_url)


def check_dependencies(settings: Settings, *, redis: bool = True) -> None:
    """Raise DependencyUnreachable unless the database (and Redis) answer."""
    asyncio.run(_check(settings, redis=redis))
