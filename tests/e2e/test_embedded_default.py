"""The README's first steps on a real server: parley serve on SQLite with the local
issuer, a token from `parley token`, a first request, a clean shutdown."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def embedded_server(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    port = free_port()
    env = {
        **os.environ,
        "PARLEY_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'parley.db'}",
        "PARLEY_DATA_DIR": str(tmp_path / "data"),
        "PARLEY_PORT": str(port),
        # Absolute, so the server (started in tmp_path) runs this checkout's code.
        "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src"),
    }
    env.pop("PARLEY_OIDC_ISSUER", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "parley.cli", "serve"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail(f"server did not start: {process.communicate()[0].decode()}")
    try:
        yield base, env
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=30)[0].decode()
        # uvicorn re-raises the signal after a graceful shutdown, so -SIGTERM is clean.
        assert process.returncode in (0, -signal.SIGTERM), output
        assert "Application shutdown complete" in output


def test_first_steps_from_the_readme(
    embedded_server: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    base, env = embedded_server
    token = subprocess.run(
        [
            sys.executable,
            "-m",
            "parley.cli",
            "token",
            "alice@example.com",
            "--name",
            "Alice Example",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()
    headers = {"Authorization": f"Bearer {token}"}

    discovery = httpx.get(f"{base}/.well-known/openid-configuration").json()
    assert discovery["issuer"] == base
    assert httpx.get(discovery["jwks_uri"]).json()["keys"][0]["alg"] == "RS256"
    assert httpx.get(f"{base}/v1/auth/login").json() == {
        "oidc": {"name": "default", "url": base}
    }

    me = httpx.get(f"{base}/v1/users/me", headers=headers)
    assert me.status_code == 200, me.text
    assert (me.json()["email"], me.json()["display_name"]) == (
        "alice@example.com",
        "Alice Example",
    )
    room = httpx.post(f"{base}/v1/rooms", json={"password": "pw"}, headers=headers)
    assert room.status_code == 201
    assert (
        httpx.get(f"{base}/v1/rooms/{room.json()['id']}", headers=headers).json()
        == room.json()
    )
    assert (
        httpx.get(f"{base}/v1/rooms", headers={"Authorization": "Bearer x"}).status_code
        == 401
    )
    assert (tmp_path / "data" / "oidc-signing-key.pem").exists()
