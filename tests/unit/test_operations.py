"""Operations pieces without a server: the websocket handshake fallback, the
metrics files of dead workers, and the settings of this area."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from uvicorn.config import Config
from uvicorn.server import ServerState

from parley import metrics
from parley.config import Settings
from parley.server import ParleyWebSocketProtocol


class FakeTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.written = b""
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += bytes(data)

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 5000) if name in {"peername", "sockname"} else default


async def app(scope: Any, receive: Any, send: Any) -> None:  # never reached
    raise AssertionError("the handshake should have been refused")


def handshake(data: bytes) -> tuple[int, dict[str, Any], bool]:
    loop = asyncio.new_event_loop()
    try:
        protocol = ParleyWebSocketProtocol(
            config=Config(app, ws="websockets-sansio"),
            server_state=ServerState(),
            app_state={},
            _loop=loop,
        )
        transport = FakeTransport()
        protocol.connection_made(transport)
        protocol.data_received(data)
    finally:
        loop.close()
    head, _, body = transport.written.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body), transport.closed


UPGRADE = (
    b"Host: parley\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
)


@pytest.mark.parametrize(
    ("request_bytes", "status", "code"),
    [
        (
            b"GET /signaling HTTP/1.1\r\n"
            + UPGRADE
            + b"X-Big: "
            + b"a" * 9000
            + b"\r\n\r\n",
            431,
            "request_header_fields_too_large",
        ),
        (
            b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n" + UPGRADE + b"\r\n",
            414,
            "uri_too_long",
        ),
        (
            b"GET /signaling HTTP/1.1\r\n"
            + b"".join(b"X-%d: 1\r\n" % n for n in range(200))
            + b"\r\n",
            431,
            "request_header_fields_too_large",
        ),
        (b"NONSENSE\r\n\r\n", 400, "bad_request"),
    ],
)
def test_a_handshake_the_parser_refuses_is_answered(
    request_bytes: bytes, status: int, code: str
) -> None:
    # uvicorn left these without any answer; the HTTP protocol's smaller limits
    # answer first in practice, this is what is left when they do not.
    answered, body, closed = handshake(request_bytes)
    assert (answered, body["code"], closed) == (status, code, True)


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_live_gauges_of_dead_workers_are_forgotten(tmp_path: Path) -> None:
    dead, alive = dead_pid(), os.getpid()
    for name in (
        f"gauge_livesum_{dead}.db",
        f"gauge_livesum_{alive}.db",
        f"counter_{dead}.db",
        f"gauge_mostrecent_{dead}.db",
    ):
        (tmp_path / name).write_bytes(b"")
    metrics.forget_dead_processes(str(tmp_path))
    assert {path.name for path in tmp_path.iterdir()} == {
        f"gauge_livesum_{alive}.db",
        f"counter_{dead}.db",  # counters keep counting what dead workers did
        f"gauge_mostrecent_{dead}.db",
    }


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("metrics_address", "9464"),
        ("metrics_address", "127.0.0.1:99999"),
        ("metrics_address", "localhost:"),
        ("metrics_token", "short"),
        ("log_format", "yaml"),
        ("max_body_bytes", "10"),
        ("shutdown_grace_seconds", "0"),
        ("request_header_timeout_seconds", "0"),
    ],
)
def test_bad_operations_settings_are_refused(setting: str, value: str) -> None:
    with pytest.raises(ValidationError, match=setting):
        Settings(**{setting: value})  # type: ignore[arg-type]


def test_metrics_address_forms() -> None:
    assert Settings(metrics_address="127.0.0.1:9464").metrics_listener == (
        "127.0.0.1",
        9464,
    )
    assert Settings(metrics_address="[::1]:9464").metrics_listener == ("::1", 9464)
    assert Settings(metrics_address="").metrics_listener is None
