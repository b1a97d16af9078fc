"""A real Parley server for end-to-end tests: `parley serve` on a fresh SQLite file
with the local issuer, on a free loopback port, stopped cleanly afterwards."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest


def mint_token(
    env: dict[str, str], cwd: Path, email: str, *, name: str | None = None
) -> str:
    """An access token from `parley token`, as the README shows."""
    return subprocess.run(
        [sys.executable, "-m", "parley.cli", "token", email]
        + (["--name", name] if name else []),
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(
    tmp_path: Path, extra_env: dict[str, str] | None = None
) -> Iterator[tuple[str, dict[str, str]]]:
    """`parley serve` with the embedded issuer; yields its URL and environment."""
    port = free_port()
    env = {
        **os.environ,
        "PARLEY_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'parley.db'}",
        "PARLEY_DATA_DIR": str(tmp_path / "data"),
        "PARLEY_PORT": str(port),
        # Absolute, so the server (started in tmp_path) runs this checkout's code.
        "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src"),
        **(extra_env or {}),
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


@pytest.fixture
def embedded_server(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    with running_server(tmp_path) as server:
        yield server
