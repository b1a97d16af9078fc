"""The test command never passes without its PostgreSQL pass unless no server is there."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from tests.conftest import DEFAULT_POSTGRES_URL, POSTGRES_UNREACHABLE, project_root

_INNER_TEST = """
def test_needs_the_database(database_url):
    assert database_url
"""


def _run_inner(
    tmp_path: Path, postgres_url: str, *, ci: bool
) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_inner.py").write_text(_INNER_TEST)
    env = {
        **os.environ,
        "PARLEY_TEST_DB": "postgres",
        "PARLEY_TEST_POSTGRES_URL": postgres_url,
        "PYTHONPATH": str(project_root()),
    }
    env.pop("CI", None)
    if ci:
        env["CI"] = "true"
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "tests.conftest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(tmp_path),
            str(tmp_path),
        ],
        cwd=project_root(),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _closed_port_url() -> str:
    import socket

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

    asyncio.run(run(f'CREATE ROLE "{role}" LOGIN CREATEDB CONNECTION LIMIT 0'))
    try:
        yield admin.replace("//postgres@", f"//{role}@")
    finally:
        asyncio.run(run(f'DROP ROLE "{role}"'))


def test_a_refused_connection_skips_only_outside_ci(tmp_path: Path) -> None:
    url = _closed_port_url()
    outside = _run_inner(tmp_path, url, ci=False)
    assert outside.returncode == POSTGRES_UNREACHABLE, outside.stdout
    assert "is unreachable" in outside.stdout
    under_ci = _run_inner(tmp_path, url, ci=True)
    assert under_ci.returncode == pytest.ExitCode.TESTS_FAILED, under_ci.stdout


@pytest.mark.postgres
def test_too_many_clients_fails_the_run(
    tmp_path: Path, role_without_connections: str
) -> None:
    result = _run_inner(tmp_path, role_without_connections, ci=False)
    assert result.returncode == pytest.ExitCode.TESTS_FAILED, result.stdout
    assert "refused the test run" in result.stdout
    assert "too many connections" in result.stdout
