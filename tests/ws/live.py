"""Real servers and real websocket clients for the signaling tests.

Servers are uvicorn instances on loopback ports, run in the test's event loop
with Parley's HTTP protocol (request deadlines and limits) and websocket
options (1001 on shutdown, ping, frame limit). They commit for real into the
run's database, so tests use unique users and rooms.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import socket
import uuid
from collections.abc import Iterator
from typing import Any, NamedTuple

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from parley.config import Settings
from parley.server import http_protocol_for, websocket_options
from parley.signaling.handshake import PROTOCOL
from tests.oidc_issuer import TestIssuer


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # In the test's loop: leave the process's signal handlers alone.
        yield


class LiveServer:
    """One Parley instance serving on 127.0.0.1."""

    def __init__(self, app: FastAPI, settings: Settings) -> None:
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=0,
            log_config=None,
            lifespan="on",
            timeout_graceful_shutdown=5,
            # As `parley serve` runs it (parley.server.server_options), but in
            # this process and with these settings.
            http=http_protocol_for(settings),
            proxy_headers=False,
            access_log=False,
            **websocket_options(settings),
        )
        self.app = app
        self.server = _Server(config)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> LiveServer:
        self._task = asyncio.create_task(self.server.serve())
        while not self.server.started:
            if self._task.done():
                self._task.result()
                raise RuntimeError("server stopped during start-up")
            await asyncio.sleep(0.01)
        return self

    @property
    def port(self) -> int:
        return int(self.server.servers[0].sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/signaling"

    async def stop(self) -> None:
        if self._task is None:
            return
        self.server.should_exit = True
        await self._task
        self._task = None


class Peer:
    """A participant on a real websocket, reading JSON frames."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self.id: str | None = None

    @classmethod
    async def connect(cls, ws_url: str, ticket: str) -> Peer:
        connection = await connect(
            ws_url, subprotocols=[PROTOCOL, f"ticket#{ticket}"], open_timeout=15
        )
        return cls(connection)

    async def send(self, namespace: str, **payload: Any) -> None:
        await self.connection.send(
            json.dumps({"namespace": namespace, "payload": payload})
        )

    async def receive(self, within: float = 5.0) -> dict[str, Any]:
        frame = await asyncio.wait_for(self.connection.recv(), within)
        data: dict[str, Any] = json.loads(frame)
        return data

    async def expect(
        self, namespace: str, message: str, within: float = 5.0
    ) -> dict[str, Any]:
        """The next frame, which must be this event; returns its payload."""
        frame = await self.receive(within)
        assert (frame["namespace"], frame["payload"].get("message")) == (
            namespace,
            message,
        ), frame
        assert str(frame["timestamp"]).endswith("Z")
        payload: dict[str, Any] = frame["payload"]
        return payload

    async def nothing(self, wait: float = 0.3) -> None:
        """Assert that no frame arrives within ``wait`` seconds."""
        try:
            frame = await asyncio.wait_for(self.connection.recv(), wait)
        except TimeoutError:
            return
        pytest.fail(f"unexpected frame {frame}")

    async def join(self, name: str) -> dict[str, Any]:
        await self.send("control", action="join", display_name=name)
        success = await self.expect("control", "join_success")
        self.id = success["id"]
        return success

    async def closed(self, within: float = 5.0) -> int | None:
        """Wait for the server to close the connection; returns the close code."""
        with contextlib.suppress(ConnectionClosed):
            while True:
                await asyncio.wait_for(self.connection.recv(), within)
        return self.connection.close_code

    async def close(self) -> None:
        await self.connection.close()


class Api:
    """Plain HTTP against a live server, with helpers for the start endpoints."""

    def __init__(self, server: LiveServer, issuer: TestIssuer) -> None:
        self.server = server
        self.issuer = issuer
        self.http = httpx.AsyncClient(base_url=server.url, timeout=15)

    async def aclose(self) -> None:
        await self.http.aclose()

    def user(self, label: str = "user", **claims: Any) -> dict[str, str]:
        """Headers of a fresh registered user (unique per call)."""
        address = f"{label}-{uuid.uuid4().hex[:12]}@ws.example.org"
        return self.issuer.headers(
            address, given_name=label.capitalize(), family_name="Socket", **claims
        )

    async def room(self, headers: dict[str, str], **body: Any) -> str:
        response = await self.http.post("/v1/rooms", json=body, headers=headers)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    async def invite(self, headers: dict[str, str], room_id: str) -> str:
        response = await self.http.post(
            f"/v1/rooms/{room_id}/invites", json={}, headers=headers
        )
        assert response.status_code == 200, response.text
        return str(response.json()["invite_code"])

    async def start(
        self, headers: dict[str, str], room_id: str, **body: Any
    ) -> dict[str, str]:
        response = await self.http.post(
            f"/v1/rooms/{room_id}/start", json=body, headers=headers
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def start_guest(self, room_id: str, code: str, **body: Any) -> dict[str, str]:
        response = await self.http.post(
            f"/v1/rooms/{room_id}/start_invited",
            json={"invite_code": code, **body},
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def connect(self, ticket: str, server: LiveServer | None = None) -> Peer:
        return await Peer.connect((server or self.server).ws_url, ticket)

    async def joined_user(
        self, headers: dict[str, str], room_id: str, name: str
    ) -> Peer:
        """Start, connect and join as a registered user."""
        peer = await self.connect((await self.start(headers, room_id))["ticket"])
        await peer.join(name)
        return peer


async def guest_peer(api: Api, owner: dict[str, str], room_id: str) -> Peer:
    """A connected (not yet joined) guest, admitted by a fresh invite code."""
    code = await api.invite(owner, room_id)
    return await api.connect((await api.start_guest(room_id, code))["ticket"])


def control_keys(peer_view: dict[str, Any]) -> set[str]:
    return set(peer_view["control"])


class RawSocket:
    """A hand-made websocket client that never answers pings (keep-alive tests)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader = reader
        self.writer = writer

    @classmethod
    async def connect(
        cls, port: int, ticket: str, *, receive_buffer: int | None = None
    ) -> RawSocket:
        sock = socket.socket()
        if receive_buffer is not None:
            # Before connecting: the window the server may fill is this small.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
        reader, writer = await asyncio.open_connection(sock=sock)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            (
                "GET /signaling HTTP/1.1\r\n"
                f"Host: 127.0.0.1:{port}\r\n"
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                f"Sec-WebSocket-Protocol: {PROTOCOL}, ticket#{ticket}\r\n\r\n"
            ).encode()
        )
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head
        return cls(reader, writer)

    async def send_text(self, text: str) -> None:
        data = text.encode()
        mask = os.urandom(4)
        assert len(data) < 126
        header = bytes([0x81, 0x80 | len(data)]) + mask
        self.writer.write(header + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))
        await self.writer.drain()

    async def read_frame(self) -> tuple[int, bytes]:
        """The next frame's opcode and payload (server frames are unmasked)."""
        first, second = await self.reader.readexactly(2)
        length = second & 0x7F
        if length == 126:
            length = int.from_bytes(await self.reader.readexactly(2))
        elif length == 127:
            length = int.from_bytes(await self.reader.readexactly(8))
        return first & 0x0F, await self.reader.readexactly(length)

    async def read_until_close(self) -> int:
        """Read every frame; the close frame's code."""
        while True:
            opcode, payload = await self.read_frame()
            if opcode == 0x8:
                return int.from_bytes(payload[:2])

    def close(self) -> None:
        self.writer.close()


class Meeting(NamedTuple):
    room: str
    owner: dict[str, str]
    host: Peer
    guest: Peer


async def host_and_guest(api: Api, guest_name: str = "Guest", **room: Any) -> Meeting:
    """A fresh room whose owner ("Host") and one guest have joined and met."""
    owner = api.user()
    room_id = await api.room(owner, **room)
    host = await api.joined_user(owner, room_id, "Host")
    guest = await guest_peer(api, owner, room_id)
    await guest.join(guest_name)
    await host.expect("control", "joined")
    return Meeting(room_id, owner, host, guest)
