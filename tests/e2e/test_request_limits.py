"""Request limits of a real `parley serve`: slow headers and bodies, sizes, and
forwarded addresses, spoken to over raw sockets as a hostile client would."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import ParleyProcess, running_parley

# Generous: the answer must come, however loaded the machine is.
READ_TIMEOUT = 60.0
WEBSOCKET_HEADERS = (
    b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ParleyProcess]:
    with running_parley(
        tmp_path_factory.mktemp("limits"),
        request_header_timeout_seconds="1",
        request_body_timeout_seconds="1",
        dial_in_max_failures_per_source="2",
        log_format="json",
    ) as process:
        yield process


def exchange(port: int, *parts: bytes) -> bytes:
    """Send the parts, then read until the server closes the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=READ_TIMEOUT) as sock:
        for part in parts:
            sock.sendall(part)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


def parse(response: bytes) -> tuple[int, dict[str, str], Any]:
    head, _, body = response.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, json.loads(body) if body else None


def access_lines(server: ParleyProcess) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in server.output().splitlines() if line]
    return [line for line in lines if line["logger"] == "parley.access"]


def test_a_connection_that_sends_nothing_is_closed(server: ParleyProcess) -> None:
    assert exchange(server.port) == b""


def test_headers_that_stop_arriving_get_408(server: ParleyProcess) -> None:
    status, headers, body = parse(
        exchange(server.port, b"GET /health HTTP/1.1\r\nHost: parley\r\n")
    )
    assert (status, headers["connection"]) == (408, "close")
    assert body == {
        "code": "request_timeout",
        "message": "The request headers did not arrive within 1 seconds",
    }


def test_a_stalled_body_gets_408_and_the_server_serves_on(
    server: ParleyProcess,
) -> None:
    status, _, body = parse(
        exchange(
            server.port,
            b"POST /v1/rooms HTTP/1.1\r\nHost: parley\r\n"
            b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n",
            b'{"password": "',
        )
    )
    assert (status, body["code"]) == (408, "request_timeout")
    assert body["message"] == "The request body did not arrive within 1 seconds"
    assert httpx.get(f"{server.base}/health/live").json() == {"status": "ok"}
    timed_out = [line for line in access_lines(server) if line["status"] == 408]
    assert [(line["method"], line["route"]) for line in timed_out] == [
        ("POST", "/v1/rooms")
    ]


def test_a_body_declared_too_large_is_refused_before_it_is_sent(
    server: ParleyProcess,
) -> None:
    # Only the headers go out: the answer must not wait for 100 MB.
    status, headers, body = parse(
        exchange(
            server.port,
            b"POST /v1/events HTTP/1.1\r\nHost: parley\r\n"
            b"Content-Type: application/json\r\nContent-Length: 100000000\r\n\r\n",
        )
    )
    assert (status, headers["connection"]) == (413, "close")
    assert body == {
        "code": "payload_overflow",
        "message": "The request body is larger than 1048576 bytes",
    }


def test_a_chunked_body_is_cut_off_at_the_limit(server: ParleyProcess) -> None:
    def framed(data: bytes) -> bytes:
        return f"{len(data):x}\r\n".encode() + data + b"\r\n"

    status, _, body = parse(
        exchange(
            server.port,
            b"POST /v1/rooms HTTP/1.1\r\nHost: parley\r\n"
            b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
            # Exactly 1 MiB, then the byte too many; no final chunk is needed.
            framed(b"x" * 65536) * 16 + framed(b"x"),
        )
    )
    assert (status, body["code"]) == (413, "payload_overflow")


@pytest.mark.parametrize("size", [8_100, 9_000, 70_000])
def test_a_websocket_upgrade_with_an_oversized_header_gets_431(
    server: ParleyProcess, size: int
) -> None:
    status, _, body = parse(
        exchange(
            server.port,
            b"GET /signaling HTTP/1.1\r\nHost: parley\r\n"
            + WEBSOCKET_HEADERS
            + b"X-Padding: "
            + b"a" * size
            + b"\r\n\r\n",
        )
    )
    assert (status, body["code"]) == (431, "request_header_fields_too_large")


def test_a_websocket_upgrade_with_a_large_header_within_limits_is_answered(
    server: ParleyProcess,
) -> None:
    # Under the limit the upgrade reaches the app, which refuses the missing ticket.
    status, _, body = parse(
        exchange(
            server.port,
            b"GET /signaling HTTP/1.1\r\nHost: parley\r\n"
            + WEBSOCKET_HEADERS
            + b"X-Padding: "
            + b"a" * 7_900
            + b"\r\n\r\n",
        )
    )
    assert (status, body["code"]) == (400, "missing_protocol")


def test_too_many_headers_get_431(server: ParleyProcess) -> None:
    many = b"".join(b"X-Header-%d: 1\r\n" % number for number in range(150))
    status, _, body = parse(
        exchange(
            server.port, b"GET /health HTTP/1.1\r\nHost: parley\r\n" + many + b"\r\n"
        )
    )
    assert (status, body["code"]) == (431, "request_header_fields_too_large")


def test_a_request_target_over_8000_bytes_gets_414(server: ParleyProcess) -> None:
    status, _, body = parse(
        exchange(
            server.port,
            b"GET /health?" + b"a" * 9_000 + b" HTTP/1.1\r\nHost: parley\r\n\r\n",
        )
    )
    assert (status, body["code"]) == (414, "uri_too_long")


def test_forwarded_addresses_from_loopback_are_not_believed_by_default(
    server: ParleyProcess,
) -> None:
    # uvicorn's own default trusts X-Forwarded-For from 127.0.0.1: a local
    # guesser would get a fresh dial-in budget for every forged address.
    mapper = f"{server.base}/jitsi/conferenceMapper"
    for number, forged in enumerate(("198.51.100.1", "198.51.100.2")):
        miss = httpx.get(
            mapper,
            params={"id": str(7_000_000 + number)},
            headers={"X-Forwarded-For": forged},
        )
        assert miss.json()["conference"] is False
    refused = httpx.get(
        mapper, params={"id": "7000002"}, headers={"X-Forwarded-For": "198.51.100.3"}
    )
    assert refused.status_code == 429
    assert {line["client"] for line in access_lines(server)} == {"127.0.0.1"}


def test_nothing_in_the_log_is_a_traceback(server: ParleyProcess) -> None:
    assert "Traceback" not in server.output()
