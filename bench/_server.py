"""Shared benchmark helpers: a scratch PostgreSQL database, a Parley server process, wrk."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx

ADMIN_URL = os.environ.get(
    "PARLEY_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def scratch_database(name: str) -> Iterator[str]:
    """A fresh PostgreSQL database; yields its SQLAlchemy URL, drops it afterwards."""

    async def run(sql: str) -> None:
        connection = await asyncpg.connect(ADMIN_URL)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    host = ADMIN_URL.split("://", 1)[1].rsplit("/", 1)[0]
    try:
        yield f"postgresql+asyncpg://{host}/{name}"
    finally:
        asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@dataclass
class Server:
    base_url: str
    env: dict[str, str]
    workdir: Path
    pid: int

    def token(self, email: str, *, roles: tuple[str, ...] = ()) -> str:
        role_args = [arg for role in roles for arg in ("--role", role)]
        result = subprocess.run(
            [sys.executable, "-m", "parley.cli", "token", email, *role_args],
            env=self.env,
            cwd=self.workdir,
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout.strip()


@contextmanager
def parley_server(
    database_url: str, workdir: Path, *, workers: int = 2, **settings: str
) -> Iterator[Server]:
    """`parley serve` in a subprocess, waited for until /health answers."""
    port = free_port()
    env = {
        **os.environ,
        "PARLEY_DATABASE_URL": database_url,
        "PARLEY_PORT": str(port),
        "PARLEY_WORKERS": str(workers),
        "PARLEY_DATA_DIR": str(workdir / "data"),
        "PARLEY_LOG_LEVEL": "warning",
        # This checkout's code, even when the working directory is elsewhere.
        "PYTHONPATH": str(ROOT / "src"),
        **{f"PARLEY_{k.upper()}": v for k, v in settings.items()},
    }
    env.pop("PARLEY_OIDC_ISSUER", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "parley.cli", "serve"], env=env, cwd=workdir
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("parley did not start")
            time.sleep(0.2)
        yield Server(base, env, workdir, process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


@dataclass
class WrkResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    non_2xx: int


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def wrk(
    url: str,
    *,
    headers: dict[str, str] | None = None,
    connections: int = 64,
    seconds: int = 10,
    threads: int = 2,
    script: Path | None = None,
) -> WrkResult:
    """One wrk run (optionally with a Lua script); latency percentiles from --latency."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        url,
    ]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    if script is not None:
        command += ["-s", str(script)]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", output).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", output).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return WrkResult(rate, p50, p99, int(errors.group(1)) if errors else 0)
