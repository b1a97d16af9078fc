"""`parley tariff list|assign` and a bad tariffs file at start-up."""

from __future__ import annotations

import json
import sqlite3
import uuid
from pathlib import Path

import pytest

from parley.tariffs.config import tariff_id
from tests.unit.test_cli import run_parley

TARIFFS = """
[[tariffs]]
name = "Basic"
disabled_features = ["core::call_in"]
quotas = { max_storage = 1000 }

[[tariffs]]
name = "Premium"
"""


@pytest.fixture
def setup(tmp_path: Path) -> dict[str, str]:
    tariffs = tmp_path / "tariffs.toml"
    tariffs.write_text(TARIFFS)
    database = tmp_path / "parley.db"
    env = {
        "PARLEY_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "PARLEY_TARIFFS_FILE": str(tariffs),
        "PARLEY_DEFAULT_TARIFF": "Basic",
    }
    assert run_parley("db", "upgrade", env=env).returncode == 0
    with sqlite3.connect(database) as connection:
        for email in ("ann@example.com", "ben@example.com"):
            connection.execute(
                "INSERT INTO users (id, oidc_sub, email, title, firstname, lastname,"
                " display_name, language, dashboard_theme, conference_theme,"
                " tariff_status, created_at, updated_at) VALUES (?, ?, ?, '', '', '',"
                " '', 'en', 'system', 'system', 'default', '2026-01-01 00:00:00',"
                " '2026-01-01 00:00:00')",
                (uuid.uuid4().hex, email, email),
            )
    return env


def test_list_and_assign(setup: dict[str, str]) -> None:
    listed = run_parley("tariff", "list", "--json", env=setup)
    assert listed.returncode == 0, listed.stderr
    rows = {row["name"]: row for row in json.loads(listed.stdout)["tariffs"]}
    assert rows["Basic"] == {
        "id": str(tariff_id("Basic")),
        "name": "Basic",
        "quotas": {"max_storage": 1000},
        "enabled_modules": ["chat", "core", "echo", "moderation"],
        "disabled_features": ["core::call_in"],
        "modules": {
            "chat": {"features": []},
            "core": {"features": []},
            "echo": {"features": []},
            "moderation": {"features": []},
        },
        "default": True,
        "users": 2,
    }
    assert (rows["Premium"]["default"], rows["Premium"]["users"]) == (False, 0)

    assigned = run_parley("tariff", "assign", "ANN@example.com", "Premium", env=setup)
    assert assigned.returncode == 0, assigned.stderr
    assert assigned.stdout.strip() == "ANN@example.com: Premium"
    text = run_parley("tariff", "list", env=setup)
    assert "Basic (default)" in text.stdout
    assert "users=1" in text.stdout
    assert "quotas: max_storage=1000" in text.stdout

    reset = run_parley("tariff", "assign", "ann@example.com", "--default", env=setup)
    assert reset.returncode == 0
    rows = {
        row["name"]: row
        for row in json.loads(run_parley("tariff", "list", "--json", env=setup).stdout)[
            "tariffs"
        ]
    }
    assert (rows["Basic"]["users"], rows["Premium"]["users"]) == (2, 0)


def test_assign_errors(setup: dict[str, str]) -> None:
    unknown_tariff = run_parley(
        "tariff", "assign", "ann@example.com", "Gold", env=setup
    )
    assert unknown_tariff.returncode == 1
    assert "No tariff named 'Gold'" in unknown_tariff.stderr
    unknown_user = run_parley("tariff", "assign", "zed@example.com", "Basic", env=setup)
    assert unknown_user.returncode == 1
    assert "no user with e-mail zed@example.com" in unknown_user.stderr


@pytest.mark.parametrize(
    ("content", "default", "mentions"),
    [
        ('[[tariffs]]\nname = "A"\nquotas = { max_storag = 1 }\n', "A", "max_storag"),
        ('[[tariffs]]\nname = "A"\n', "B", "PARLEY_DEFAULT_TARIFF"),
        ("not toml [", "A", "does not parse"),
    ],
)
def test_bad_tariffs_file_stops_serve_with_one_line(
    tmp_path: Path, content: str, default: str, mentions: str
) -> None:
    path = tmp_path / "tariffs.toml"
    path.write_text(content)
    result = run_parley(
        "serve",
        env={
            "PARLEY_TARIFFS_FILE": str(path),
            "PARLEY_DEFAULT_TARIFF": default,
            "PARLEY_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'p.db'}",
        },
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("parley: invalid setting")
    assert mentions in lines[0]
