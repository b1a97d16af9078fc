"""Running Alembic migrations from the CLI and from tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def alembic_config(database_url: str) -> Config:
    """The project's Alembic config, pointed at the given database."""
    ini = PROJECT_ROOT / "alembic.ini"
    if not ini.exists():
        raise FileNotFoundError(
            f"{ini} not found: run Parley from its source tree (pip install -e .)"
        )
    config = Config(str(ini))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Apply migrations up to `revision` (Postgres: under an advisory lock)."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


def current(database_url: str) -> None:
    command.current(alembic_config(database_url), verbose=False)


@dataclass(frozen=True)
class Revisions:
    """The revisions this code's migrations know, and those they end at."""

    heads: frozenset[str]
    known: frozenset[str]

    def state_of(self, applied: set[str]) -> Literal["current", "pending", "ahead"]:
        """``current``, ``pending`` (upgrade needed) or ``ahead`` (a newer release
        migrated the database; this code does not know its revision)."""
        if applied == self.heads:
            return "current"
        if applied - self.known:
            return "ahead"
        return "pending"


def code_revisions() -> Revisions:
    """Read the migration scripts (tens of milliseconds: call once)."""
    scripts = ScriptDirectory.from_config(alembic_config(""))
    return Revisions(
        heads=frozenset(scripts.get_heads()),
        known=frozenset(revision.revision for revision in scripts.walk_revisions()),
    )


def applied_revisions(connection: Connection) -> set[str]:
    """The revisions recorded in the database (empty before the first migration)."""
    return set(MigrationContext.configure(connection).get_current_heads())
