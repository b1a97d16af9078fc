"""The parley command: settings errors, OpenAPI drift."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import project_root


def run_parley(
    *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "parley.cli", *args],
        cwd=project_root(),
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("name", "value", "mentions"),
    [
        ("PARLEY_PORT", "eighty", "PARLEY_PORT"),
        ("PARLEY_PORT", "70000", "PARLEY_PORT"),
        ("PARLEY_DATABASE_URL", "mysql://x", "PARLEY_DATABASE_URL"),
        ("PARLEY_OIDC_ISSUER", "not a url", "PARLEY_OIDC_ISSUER"),
        ("PARLEY_AUTO_MIGRATE", "maybe", "PARLEY_AUTO_MIGRATE"),
        ("PARLEY_REDIS_URL", "http://x", "PARLEY_REDIS_URL"),
    ],
)
def test_bad_setting_stops_with_one_line(name: str, value: str, mentions: str) -> None:
    result = run_parley("serve", env={name: value})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("parley: invalid setting")
    assert mentions in lines[0]


def test_committed_openapi_document_matches_the_code() -> None:
    result = run_parley("openapi", "--check")
    assert result.returncode == 0, result.stderr


def test_token_refuses_when_external_issuer_is_configured() -> None:
    result = run_parley(
        "token", "a@example.com", env={"PARLEY_OIDC_ISSUER": "https://id.example.com"}
    )
    assert result.returncode == 2
    assert "PARLEY_OIDC_ISSUER" in result.stderr
