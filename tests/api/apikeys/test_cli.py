"""`parley apikey create|list|revoke` against a scratch database, end to end with
generate-token on an app using the same database."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from parley import migrate
from parley.config import Settings
from tests.api.reservations.helpers import committing_client
from tests.conftest import in_thread, project_root


def parley(
    *args: str, env: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "parley.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def scratch(tmp_path: Path) -> tuple[str, dict[str, str]]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    in_thread(lambda: migrate.upgrade(url))
    env = {
        **os.environ,
        "PARLEY_DATABASE_URL": url,
        "PARLEY_DATA_DIR": str(tmp_path / "data"),
        "PYTHONPATH": str(project_root() / "src"),
    }
    env.pop("PARLEY_OIDC_ISSUER", None)
    return url, env


async def test_create_list_revoke(
    scratch: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    url, env = scratch
    created = parley(
        "apikey",
        "create",
        "--owner",
        "Alice@Example.com",
        "--name",
        "ci",
        env=env,
        cwd=tmp_path,
    )
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip()
    assert secret.startswith("prly_")
    assert len(secret.splitlines()) == 1
    assert "for alice@example.com" in created.stderr
    assert "shown only once" in created.stderr
    key_id = created.stderr.split("created API key ")[1].split()[0]

    listed = parley("apikey", "list", env=env, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    header, row = listed.stdout.strip().splitlines()
    assert header.split("\t")[:4] == ["id", "prefix", "owner", "name"]
    assert row.split("\t")[:4] == [key_id, secret[:11], "alice@example.com", "ci"]
    assert secret not in listed.stdout

    settings = Settings(
        database_url=url, data_dir=tmp_path / "data", api_key_recheck_seconds=0
    )
    async with committing_client(settings) as (client, _):
        generated = await client.post(
            "/api/v1/misc/generate-token", json={"apiKey": secret}
        )
        assert generated.status_code == 200, generated.text
        bearer = {"Authorization": f"Bearer {generated.json()['token']}"}
        me = await client.get("/v1/users/me", headers=bearer)
        assert me.json()["email"] == "alice@example.com"

        revoked = parley("apikey", "revoke", key_id, env=env, cwd=tmp_path)
        assert revoked.returncode == 0, revoked.stderr
        assert f"revoked API key {key_id}" in revoked.stderr
        refused = await client.post(
            "/api/v1/misc/generate-token", json={"apiKey": secret}
        )
        assert refused.status_code == 401
        assert (await client.get("/v1/users/me", headers=bearer)).status_code == 401

    everything = parley("apikey", "list", "--all", env=env, cwd=tmp_path)
    assert everything.stdout.strip().splitlines()[1].split("\t")[-1] != "-"


def test_errors_are_one_line_and_exit_1(
    scratch: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    _, env = scratch
    external = {**env, "PARLEY_OIDC_ISSUER": "https://id.example.com"}
    unknown_owner = parley(
        "apikey", "create", "--owner", "nobody@example.com", env=external, cwd=tmp_path
    )
    assert unknown_owner.returncode == 1
    assert unknown_owner.stderr.strip() == (
        "parley apikey: no user has the e-mail nobody@example.com; they must sign in "
        "once (or pass a user id)"
    )
    assert unknown_owner.stdout == ""
    for args, message in [
        (("revoke", "not-a-uuid"), "'not-a-uuid' is not an API key id"),
        (("revoke", str(uuid.uuid4())), "The API key could not be found"),
    ]:
        result = parley("apikey", *args, env=env, cwd=tmp_path)
        assert result.returncode == 1
        assert result.stderr.strip() == f"parley apikey: {message}"
    empty = {**env, "PARLEY_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'new.db'}"}
    unmigrated = parley("apikey", "list", env=empty, cwd=tmp_path)
    assert unmigrated.returncode == 1
    assert "parley db upgrade" in unmigrated.stderr
    assert len(unmigrated.stderr.strip().splitlines()) == 1
