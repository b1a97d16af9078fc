"""Real Parley servers for end-to-end tests: `parley serve` on a fresh SQLite file
with the local issuer, on a free loopback port, stopped with SIGTERM (exit 0)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
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


@dataclass
class ParleyProcess:
    """A `parley serve` process; its output (stdout and stderr) goes to a file."""

    process: subprocess.Popen[bytes]
    port: int
    env: dict[str, str]
    workdir: Path
    log_path: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_until_serving(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if httpx.get(f"{self.base}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.process.kill()
        self.process.wait(timeout=30)
        pytest.fail(f"server did not start:\n{self.output()}")

    def wait_for_output(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output():
            if time.monotonic() > deadline or self.process.poll() is not None:
                pytest.fail(f"{text!r} never appeared in:\n{self.output()}")
            time.sleep(0.05)

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM, then the exit status (killed if it does not stop in time)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)
            pytest.fail(f"server did not stop within {timeout}s:\n{self.output()}")


def start_parley(
    workdir: Path,
    *,
    args: tuple[str, ...] = (),
    wait: bool = True,
    environment: dict[str, str] | None = None,
    **settings: str,
) -> ParleyProcess:
    """`parley serve` on a fresh SQLite file with the local issuer, on a free port.

    ``settings`` are PARLEY_ variables without the prefix (``log_format="json"``);
    ``environment`` other variables.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {
        **os.environ,
        "PARLEY_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'parley.db'}",
        "PARLEY_DATA_DIR": str(workdir / "data"),
        "PARLEY_PORT": str(port),
        # Absolute, so the server (started in workdir) runs this checkout's code.
        "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src"),
    }
    env.pop("PARLEY_OIDC_ISSUER", None)
    env.update({f"PARLEY_{name.upper()}": value for name, value in settings.items()})
    env.update(environment or {})
    log_path = workdir / "server.log"
    with log_path.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "parley.cli", "serve", *args],
            cwd=workdir,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    server = ParleyProcess(process, port, env, workdir, log_path)
    if wait:
        server.wait_until_serving()
    return server


@contextmanager
def running_parley(workdir: Path, **settings: str) -> Iterator[ParleyProcess]:
    """A serving `parley serve` that must stop cleanly (exit 0) afterwards."""
    server = start_parley(workdir, **settings)
    try:
        yield server
    finally:
        status = server.stop()
    assert status == 0, server.output()
    assert "Application shutdown complete" in server.output()


@pytest.fixture
def embedded_server(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    with running_parley(tmp_path) as server:
        yield server.base, server.env
