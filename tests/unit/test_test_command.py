"""The test command never passes without its PostgreSQL pass unless no server is there.

``_create_postgres_database`` is what the ``database_url`` fixture runs first; it
ends the pytest run with an exit status ``scripts/test`` acts on.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import Iterator

import asyncpg
import pytest

from tests.conftest import (
    DEFAULT_POSTGRES_URL,
    POSTGRES_UNREACHABLE,
    _create_postgres_database,
    in_thread,
)


def _exit_status(admin_url: str) -> tuple[int | None, str]:
    name = f"parley_never_{uuid.uuid4().hex[:8]}"
    try:
        in_thread(lambda: _create_postgres_database(admin_url, name))
    except pytest.exit.Exception as exc:
        return exc.returncode, str(exc)
    raise AssertionError("the database was created")


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"postgresql+asyncpg://postgres@127.0.0.1:{port}/test"


@pytest.fixture
def role_without_connections() -> Iterator[str]:
    """A PostgreSQL role allowed no connection: PostgreSQL answers "too many"."""
    admin = os.environ.get("PARLEY_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    dsn = admin.replace("postgresql+asyncpg://", "postgresql://")
    role = f"parley_full_{uuid.uuid4().hex[:8]}"

    async def run(sql: str) -> None:
        connection = await asyncpg.connect(dsn)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    in_thread(
        lambda: asyncio.run(run(f'CREATE ROLE "{role}" LOGIN CONNECTION LIMIT 0'))
    )
    try:
        yield admin.replace("//postgres@", f"//{role}@")
    finally:
        in_thread(lambda: asyncio.run(run(f'DROP ROLE "{role}"')))


def test_a_refused_connection_skips_only_outside_ci(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = _closed_port_url()
    monkeypatch.delenv("CI", raising=False)
    status, message = _exit_status(url)
    assert status == POSTGRES_UNREACHABLE
    assert "is unreachable" in message
    monkeypatch.setenv("CI", "true")
    status, message = _exit_status(url)
    assert status == pytest.ExitCode.TESTS_FAILED


@pytest.mark.postgres
def test_too_many_clients_fails_the_run(
    role_without_connections: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    status, message = _exit_status(role_without_connections)
    assert status == pytest.ExitCode.TESTS_FAILED
    assert "refused the test run" in message
    assert "too many connections" in message
