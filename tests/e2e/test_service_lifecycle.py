"""`parley serve` starting and stopping like a service: one clear line when a
dependency is missing, and SIGTERM that finishes what is in flight, exits 0."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest
from aiosmtpd.smtp import SMTP as SmtpProtocol
from aiosmtpd.smtp import Envelope, Session
from sqlalchemy import select
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from parley.config import Settings
from parley.db import Database, create_engine
from parley.mail.models import OutboxMail
from parley.signaling.handshake import PROTOCOL
from tests.e2e.conftest import ParleyProcess, free_port, mint_token, start_parley
from tests.e2e.test_request_limits import parse
from tests.mail.conftest import MailCatcher, SmtpServer

EXIT_UNAVAILABLE = 69


def run_parley(
    workdir: Path, *args: str, **settings: str
) -> subprocess.CompletedProcess[str]:
    workdir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "PARLEY_DATA_DIR": str(workdir / "data"),
        "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src"),
        **{f"PARLEY_{name.upper()}": value for name, value in settings.items()},
    }
    return subprocess.run(
        [sys.executable, "-m", "parley.cli", *args],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


# Start-up without its dependencies


@pytest.mark.parametrize("command", [("serve",), ("db", "upgrade")])
def test_an_unreachable_database_stops_start_up_with_one_line(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    port = free_port()  # nothing listens there
    result = run_parley(
        tmp_path,
        *command,
        database_url=f"postgresql+asyncpg://parley:hunter2@127.0.0.1:{port}/parley",
    )
    assert result.returncode == EXIT_UNAVAILABLE
    assert result.stderr.startswith(
        "parley: cannot reach the database at "
        f"postgresql+asyncpg://parley:***@127.0.0.1:{port}/parley: "
    ), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "hunter2" not in result.stderr + result.stdout


def test_an_unreachable_redis_stops_start_up_with_one_line(tmp_path: Path) -> None:
    port = free_port()
    result = run_parley(
        tmp_path,
        "serve",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'parley.db'}",
        redis_url=f"redis://:hunter2@127.0.0.1:{port}/0",
    )
    assert result.returncode == EXIT_UNAVAILABLE
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(
        f"parley: cannot reach Redis at redis://:***@127.0.0.1:{port}/0: "
    )
    assert "hunter2" not in result.stderr


def test_a_metrics_address_in_use_stops_start_up_with_one_line(
    tmp_path: Path,
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_parley(
            tmp_path,
            "serve",
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'parley.db'}",
            metrics_address=f"127.0.0.1:{port}",
        )
    assert result.returncode == 3
    lines = result.stderr.strip().splitlines()
    assert lines[-1] == (
        f"parley: cannot serve metrics on 127.0.0.1:{port}: Address already in use"
    ), result.stderr
    assert "Traceback" not in result.stderr


# SIGTERM


CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


def send_headers_and_wait_until_read(
    sock: socket.socket, token: str, content_length: int
) -> None:
    """Open a room request whose body the app is then waiting for.

    With ``Expect: 100-continue`` the server says "100 Continue" when the
    app starts reading the body: from then on the request is in flight.
    """
    sock.sendall(
        b"POST /v1/rooms HTTP/1.1\r\nHost: parley\r\n"
        b"Authorization: Bearer " + token.encode() + b"\r\n"
        b"Content-Type: application/json\r\nExpect: 100-continue\r\n"
        b"Content-Length: " + str(content_length).encode() + b"\r\n\r\n"
    )
    interim = b""
    while len(interim) < len(CONTINUE):
        chunk = sock.recv(len(CONTINUE) - len(interim))
        assert chunk, "closed before 100 Continue"
        interim += chunk
    assert interim == CONTINUE


def refuses_connections(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            return False
    except ConnectionRefusedError:
        return True


@pytest.mark.slow
def test_sigterm_finishes_the_request_in_flight_then_exits_0(tmp_path: Path) -> None:
    server = start_parley(tmp_path, log_format="json")
    token = mint_token(server.env, tmp_path, "alice@example.com")
    body = json.dumps({"password": "in-flight", "waiting_room": False}).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=60) as sock:
        send_headers_and_wait_until_read(sock, token, len(body))
        sock.sendall(body[:10])
        server.process.send_signal(signal.SIGTERM)
        server.wait_for_output("Shutting down")
        assert refuses_connections(server.port)
        sock.sendall(body[10:])
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    status, headers, room = parse(received)
    assert (status, room["password"]) == (201, "in-flight")
    assert headers["connection"] == "close"
    assert server.process.wait(timeout=60) == 0, server.output()
    assert "Application shutdown complete" in server.output()


@pytest.mark.slow
def test_a_request_outlasting_the_grace_period_is_cut_and_the_exit_is_clean(
    tmp_path: Path,
) -> None:
    server = start_parley(
        tmp_path, shutdown_grace_seconds="1", request_body_timeout_seconds="600"
    )
    token = mint_token(server.env, tmp_path, "carol@example.com")
    with socket.create_connection(("127.0.0.1", server.port), timeout=60) as sock:
        send_headers_and_wait_until_read(sock, token, 100)
        sock.sendall(b"{")  # and no more
        status = server.stop()
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    # Cut off: told to try again (elsewhere), not "internal server error".
    code, headers, body = parse(received.removeprefix(CONTINUE))
    assert (code, headers["connection"]) == (503, "close")
    assert body == {
        "code": "service_unavailable",
        "message": "The server is shutting down; try again",
    }
    assert status == 0, server.output()
    assert "timeout graceful shutdown exceeded" in server.output()


async def start_session(server: ParleyProcess, token: str) -> str:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=server.base, headers=headers) as http:
        room = (await http.post("/v1/rooms", json={"waiting_room": False})).json()
        started = await http.post(f"/v1/rooms/{room['id']}/start", json={})
    assert started.status_code == 200, started.text
    return str(started.json()["ticket"])


@pytest.mark.slow
async def test_sigterm_tells_websocket_clients_1001(tmp_path: Path) -> None:
    server = start_parley(tmp_path)
    token = await asyncio.to_thread(mint_token, server.env, tmp_path, "bob@example.com")
    ticket = await start_session(server, token)
    async with connect(
        f"ws://127.0.0.1:{server.port}/signaling",
        subprotocols=[PROTOCOL, f"ticket#{ticket}"],
        open_timeout=30,
    ) as websocket:
        await websocket.send(
            json.dumps(
                {
                    "namespace": "control",
                    "payload": {"action": "join", "display_name": "Bob"},
                }
            )
        )
        joined = json.loads(await asyncio.wait_for(websocket.recv(), 30))
        assert joined["payload"]["message"] == "join_success"
        server.process.send_signal(signal.SIGTERM)
        with pytest.raises(ConnectionClosed):
            await receive_until_closed(websocket)
        assert websocket.close_code == 1001
    assert await asyncio.to_thread(server.process.wait, 60) == 0, server.output()


async def receive_until_closed(websocket: ClientConnection) -> None:
    while True:
        await asyncio.wait_for(websocket.recv(), 30)


class SlowCatcher(MailCatcher):
    """Takes a second over each mail; says when the first one is being sent."""

    def __init__(self) -> None:
        super().__init__()
        self.sending = threading.Event()

    async def handle_DATA(
        self, server: SmtpProtocol, session: Session, envelope: Envelope
    ) -> str:
        self.sending.set()
        await asyncio.sleep(1)
        return await super().handle_DATA(server, session, envelope)


@pytest.mark.slow
async def test_sigterm_lets_the_mail_worker_finish_its_batch(tmp_path: Path) -> None:
    smtp = SmtpServer(free_port())
    smtp.catcher = catcher = SlowCatcher()
    smtp.start()
    try:
        server = start_parley(
            tmp_path,
            smtp_host="127.0.0.1",
            smtp_port=str(smtp.port),
            smtp_tls="none",
            smtp_from="parley@mail.example.com",
            mail_poll_seconds="0.2",
        )
        database = Database.from_engine(
            create_engine(Settings(database_url=server.env["PARLEY_DATABASE_URL"]))
        )
        async with database.sessionmaker() as session, session.begin():
            session.add_all(queued_mail(number) for number in range(3))
        assert await asyncio.to_thread(catcher.sending.wait, 60)
        server.process.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(server.process.wait, 60) == 0, server.output()
        async with database.read_sessionmaker() as session:
            statuses = (await session.scalars(select(OutboxMail.status))).all()
        await database.dispose()
    finally:
        smtp.stop()
    assert statuses == ["sent"] * 3
    assert len(catcher.received) == 3


def queued_mail(number: int) -> OutboxMail:
    return OutboxMail(
        recipient=f"invitee{number}@mail.example.com",
        subject=f"Mail {number}",
        text_body="Hello",
        html_body="<p>Hello</p>",
        kind="invite",
    )
