"""How long `parley serve` takes to stop on SIGTERM (issue 14), and what clients see.

Scenarios, each on a fresh process on a scratch PostgreSQL database:

* idle: nothing open;
* in flight: a request whose body the client finishes 1 s after the signal
  (the server waits for it, answers, then exits);
* websockets: N joined signaling sessions (each must see close code 1001);
* past the grace period: a request that never finishes, with
  PARLEY_SHUTDOWN_GRACE_SECONDS=2 (the client gets 503, the exit is clean).

Times are from the signal to the process's exit (and, for websockets, to the
last client seeing its close).

    .venv/bin/python bench/shutdown.py --runs 3 --sessions 50
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from _server import ROOT, free_port, scratch_database
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


class Process:
    def __init__(self, database_url: str, workdir: Path, **settings: str) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.env = {
            **os.environ,
            "PARLEY_DATABASE_URL": database_url,
            "PARLEY_PORT": str(self.port),
            "PARLEY_DATA_DIR": str(workdir / "data"),
            "PARLEY_LOG_LEVEL": "warning",
            "PARLEY_DB_POOL_SIZE": "5",
            "PYTHONPATH": str(ROOT / "src"),
            **{f"PARLEY_{k.upper()}": v for k, v in settings.items()},
        }
        self.env.pop("PARLEY_OIDC_ISSUER", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "parley.cli", "serve"], env=self.env, cwd=workdir
        )
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{self.base}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError("parley did not start")
            time.sleep(0.2)

    def token(self, email: str) -> str:
        return subprocess.run(
            [sys.executable, "-m", "parley.cli", "token", email],
            env=self.env,
            cwd=self.workdir,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()

    def terminate(self) -> float:
        """SIGTERM; seconds until the process exited (which must be with 0)."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        status = self.process.wait(timeout=120)
        elapsed = time.monotonic() - started
        if status != 0:
            raise RuntimeError(f"exit status {status}")
        return elapsed


def open_room_request(port: int, token: str, length: int) -> socket.socket:
    """A room request whose body the app is waiting for (after 100 Continue)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=120)
    sock.sendall(
        b"POST /v1/rooms HTTP/1.1\r\nHost: parley\r\n"
        b"Authorization: Bearer " + token.encode() + b"\r\n"
        b"Content-Type: application/json\r\nExpect: 100-continue\r\n"
        b"Content-Length: " + str(length).encode() + b"\r\n\r\n"
    )
    received = b""
    while len(received) < len(CONTINUE):
        received += sock.recv(len(CONTINUE) - len(received))
    return sock


def status_of(sock: socket.socket) -> int:
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return int(received.split()[1])


def idle(database_url: str, workdir: Path) -> float:
    return Process(database_url, workdir).terminate()


def in_flight(database_url: str, workdir: Path) -> float:
    server = Process(database_url, workdir)
    body = json.dumps({"waiting_room": False}).encode()
    sock = open_room_request(server.port, server.token("bench@example.com"), len(body))
    sock.sendall(body[:5])
    started = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    time.sleep(1.0)
    sock.sendall(body[5:])
    if status_of(sock) != 201:
        raise RuntimeError("the request in flight was not answered 201")
    server.process.wait(timeout=120)
    return time.monotonic() - started


def past_grace(database_url: str, workdir: Path) -> float:
    server = Process(database_url, workdir, shutdown_grace_seconds="2")
    sock = open_room_request(server.port, server.token("bench@example.com"), 100)
    elapsed = server.terminate()
    if status_of(sock) != 503:
        raise RuntimeError("the cut request was not answered 503")
    return elapsed


async def joined(process: Process, token: str) -> ClientConnection:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=process.base, headers=headers) as http:
        room = (await http.post("/v1/rooms", json={"waiting_room": False})).json()
        ticket = (await http.post(f"/v1/rooms/{room['id']}/start", json={})).json()
    websocket = await connect(
        f"ws://127.0.0.1:{process.port}/signaling",
        subprotocols=["opentalk-signaling-json-v1.0", f"ticket#{ticket['ticket']}"],  # type: ignore[list-item]
        open_timeout=60,
    )
    join = {"namespace": "control", "payload": {"action": "join", "display_name": "B"}}
    await websocket.send(json.dumps(join))
    await websocket.recv()
    return websocket


async def closed_with(websocket: ClientConnection) -> int | None:
    try:
        while True:
            await websocket.recv()
    except ConnectionClosed:
        return websocket.close_code


def websockets(database_url: str, workdir: Path, sessions: int) -> float:
    server = Process(database_url, workdir)
    token = server.token("bench@example.com")

    async def run() -> tuple[float, float]:
        clients = [await joined(server, token) for _ in range(sessions)]
        started = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        codes = await asyncio.gather(*(closed_with(client) for client in clients))
        if set(codes) != {1001}:
            raise RuntimeError(f"close codes {set(codes)}")
        return started, time.monotonic() - started

    started, until_closed = asyncio.run(run())
    if server.process.wait(timeout=120) != 0:
        raise RuntimeError("non-zero exit")
    exited = time.monotonic() - started
    print(f"    the last of {sessions} clients saw 1001 after {until_closed:.2f} s")
    return exited


def measure(name: str, runs: int, scenario: Callable[[str, Path], float]) -> None:
    times = []
    for run in range(runs):
        with (
            scratch_database(f"parley_bench_shutdown_{run}") as url,
            tempfile.TemporaryDirectory() as workdir,
        ):
            times.append(scenario(url, Path(workdir)))
    print(
        f"  {name:48s} median {statistics.median(times):5.2f} s  "
        f"(min {min(times):.2f}, max {max(times):.2f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sessions", type=int, default=50)
    args = parser.parse_args()
    print(f"SIGTERM to exit, {args.runs} runs each")
    measure("idle", args.runs, idle)
    measure("request in flight, finished 1 s after SIGTERM", args.runs, in_flight)
    measure(
        f"{args.sessions} joined websocket sessions",
        args.runs,
        lambda url, path: websockets(url, path, args.sessions),
    )
    measure("request past a 2 s grace period", args.runs, past_grace)


if __name__ == "__main__":
    main()
