"""Models and migrations agree; the history downgrades to base and upgrades again."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from parley import migrate
from parley.models import Base
from tests.conftest import in_thread, project_root


def _schema_diff(database_url: str) -> list[object]:
    import asyncio

    from parley.config import Settings
    from parley.db import create_engine as create_async

    async def diff() -> list[object]:
        engine = create_async(Settings(database_url=database_url), pooled=False)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(
                    lambda sync: compare_metadata(
                        MigrationContext.configure(sync, opts={"compare_type": True}),
                        Base.metadata,
                    )
                )
        finally:
            await engine.dispose()

    return asyncio.run(diff())


def test_models_match_migrations(database_url: str) -> None:
    assert in_thread(lambda: _schema_diff(database_url)) == []


def test_downgrade_to_base_then_upgrade(database_url: str) -> None:
    def cycle() -> list[object]:
        migrate.downgrade(database_url, "base")
        migrate.upgrade(database_url)
        return _schema_diff(database_url)

    assert in_thread(cycle) == []


def test_alembic_check_command_finds_nothing(database_url: str) -> None:
    in_thread(lambda: command.check(migrate.alembic_config(database_url)))


@pytest.mark.postgres
def test_concurrent_upgrades_wait_for_each_other(database_url: str) -> None:
    """Instances starting together: the advisory lock serialises them, neither fails."""
    if not database_url.startswith("postgresql"):
        pytest.skip("advisory locks are a PostgreSQL feature; SQLite has one writer")
    in_thread(lambda: migrate.downgrade(database_url, "base"))
    env = {**os.environ, "PARLEY_DATABASE_URL": database_url}
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "parley.cli", "db", "upgrade"],
            env=env,
            cwd=project_root(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for _ in range(3)
    ]
    outputs = [process.communicate(timeout=120)[0].decode() for process in processes]
    assert [process.returncode for process in processes] == [0, 0, 0], outputs
    assert in_thread(lambda: _schema_diff(database_url)) == []
