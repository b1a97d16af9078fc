"""The recorder's upload websocket against a real `parley serve` on loopback.

The server runs in a subprocess with its own database (SQLite file, or a fresh
PostgreSQL database on the PostgreSQL pass), trusts the test OIDC issuer, and gives
every user a tariff with a 3 MB storage quota.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests import conftest
from tests.e2e.test_embedded_default import free_port
from tests.oidc_issuer import TestIssuer

QUOTA = 3_000_000
RECORDER = {"realm_access": {"roles": ["opentalk-recorder"]}}


@dataclass
class Server:
    http: str
    ws: str
    asset_dir: Path
    issuer: TestIssuer

    def recorder(self) -> dict[str, str]:
        return self.issuer.headers("recorder@example.com", **RECORDER)

    def objects(self) -> list[Path]:
        root = self.asset_dir / "objects"
        return (
            sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []
        )

    def partial_uploads(self) -> list[Path]:
        tmp = self.asset_dir / "tmp"
        return sorted(tmp.iterdir()) if tmp.exists() else []


@pytest.fixture(scope="module")
def server(
    oidc_issuer: TestIssuer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("recording-server")
    drop: str | None = None
    admin_url = os.environ.get(
        "PARLEY_TEST_POSTGRES_URL", conftest.DEFAULT_POSTGRES_URL
    )
    if conftest.test_backend() == "postgres":
        drop = f"parley_test_upload_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        name = drop
        database_url = conftest.in_thread(
            lambda: conftest._create_postgres_database(admin_url, name)
        )
    else:
        database_url = f"sqlite+aiosqlite:///{workdir / 'parley.db'}"
    tariffs = workdir / "tariffs.toml"
    tariffs.write_text(
        f'[[tariffs]]\nname = "Small"\nquotas = {{ max_storage = {QUOTA} }}\n'
    )
    port = free_port()
    env = {
        **os.environ,
        "PARLEY_DATABASE_URL": database_url,
        "PARLEY_OIDC_ISSUER": oidc_issuer.url,
        "PARLEY_DATA_DIR": str(workdir / "data"),
        "PARLEY_ASSET_DIR": str(workdir / "assets"),
        "PARLEY_TARIFFS_FILE": str(tariffs),
        "PARLEY_DEFAULT_TARIFF": "Small",
        "PARLEY_PORT": str(port),
        "PARLEY_LOG_LEVEL": "warning",
        # This checkout's code, whatever the working directory and installed copy.
        "PYTHONPATH": str(conftest.project_root() / "src"),
    }
    log = workdir / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "parley.cli", "serve"],
            cwd=workdir,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
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
                process.kill()
                pytest.fail(
                    f"server did not start: {process.communicate()[0].decode()}"
                )
            time.sleep(0.2)
        yield Server(base, f"ws://127.0.0.1:{port}", workdir / "assets", oidc_issuer)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        if drop is not None:
            conftest.in_thread(
                lambda: conftest._drop_postgres_database(admin_url, drop)
            )


async def new_room(server: Server, email: str) -> tuple[dict[str, Any], dict[str, str]]:
    headers = server.issuer.headers(email)
    async with httpx.AsyncClient(base_url=server.http) as http:
        response = await http.post("/v1/rooms", json={}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json(), headers


def upload_url(server: Server, room_id: object, filename: str = "talk.webm") -> str:
    return f"{server.ws}/v1/services/recording/upload?room_id={room_id}&filename={filename}"


def open_upload(url: str, headers: dict[str, str]) -> Any:
    return connect(url, additional_headers=headers, proxy=None, compression=None)


async def room_assets(
    server: Server, room: dict[str, Any], headers: dict[str, str]
) -> list[Any]:
    async with httpx.AsyncClient(base_url=server.http) as http:
        response = await http.get(f"/v1/rooms/{room['id']}/assets", headers=headers)
    assert response.status_code == 200
    return list(response.json())


async def wait_for_assets(
    server: Server, room: dict[str, Any], headers: dict[str, str], count: int
) -> list[Any]:
    """The commit happens after the close handshake: poll until it is visible."""
    for _ in range(100):
        assets = await room_assets(server, room, headers)
        if len(assets) >= count:
            return assets
        await asyncio.sleep(0.05)
    raise AssertionError(f"expected {count} assets, have {assets}")


async def wait_until_no_partial_uploads(server: Server) -> None:
    for _ in range(100):
        if not server.partial_uploads():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"partial uploads left: {server.partial_uploads()}")


async def closed(ws: ClientConnection, frames: list[bytes]) -> None:
    """Send until the server closes the connection, then wait for the close."""

    async def send_all() -> None:
        for frame in frames:
            await ws.send(frame)
        await ws.recv()

    with pytest.raises(ConnectionClosed):
        await send_all()
    await ws.wait_closed()


async def test_upload_becomes_a_recording_asset(server: Server) -> None:
    room, owner = await new_room(server, "uploader@example.com")
    frames = [os.urandom(400_000) for _ in range(3)]
    async with open_upload(upload_url(server, room["id"]), server.recorder()) as ws:
        for frame in frames:
            await ws.send(frame)
        await ws.send("trailing text frame")
    data = b"".join(frames) + b"trailing text frame"

    (asset,) = await wait_for_assets(server, room, owner, 1)
    assert set(asset) == {"id", "filename", "namespace", "kind", "size", "created_at"}
    assert (asset["filename"], asset["namespace"], asset["kind"], asset["size"]) == (
        "talk.webm",
        "recording",
        "recording-render",
        len(data),
    )
    async with httpx.AsyncClient(base_url=server.http) as http:
        download = await http.get(
            f"/v1/rooms/{room['id']}/assets/{asset['id']}", headers=owner
        )
        me = (await http.get("/v1/users/me", headers=owner)).json()
    assert download.status_code == 200
    assert download.headers["content-type"] == "video/webm"
    assert download.headers["content-length"] == str(len(data))
    assert hashlib.sha256(download.content).digest() == hashlib.sha256(data).digest()
    assert me["used_storage"] == len(data)
    await wait_until_no_partial_uploads(server)


async def test_dropped_connection_leaves_nothing(server: Server) -> None:
    room, owner = await new_room(server, "dropper@example.com")
    before = server.objects()
    ws = await open_upload(upload_url(server, room["id"]), server.recorder())
    for _ in range(3):
        await ws.send(os.urandom(300_000))
    await asyncio.sleep(0.2)
    assert len(server.partial_uploads()) == 1  # the upload exists, invisibly
    ws.transport.abort()  # no close frame: the TCP connection just drops
    await wait_until_no_partial_uploads(server)
    await asyncio.sleep(0.2)
    assert await room_assets(server, room, owner) == []
    assert server.objects() == before


async def test_close_with_another_code_discards_the_upload(server: Server) -> None:
    room, owner = await new_room(server, "goingaway@example.com")
    async with open_upload(upload_url(server, room["id"]), server.recorder()) as ws:
        await ws.send(b"x" * 1000)
        await ws.close(code=1001, reason="going away")
    await wait_until_no_partial_uploads(server)
    await asyncio.sleep(0.2)
    assert await room_assets(server, room, owner) == []


async def test_oversize_frame_closes_with_1009(server: Server) -> None:
    room, owner = await new_room(server, "oversize@example.com")
    before = server.objects()
    ws = await open_upload(upload_url(server, room["id"]), server.recorder())
    await closed(ws, [b"a" * 1000, b"b" * 1_000_001, b"c"])
    assert ws.close_code == 1009
    assert "1000000 bytes" in (ws.close_reason or "")
    await wait_until_no_partial_uploads(server)
    assert await room_assets(server, room, owner) == []
    assert server.objects() == before


async def test_storage_quota_is_enforced(server: Server) -> None:
    room, owner = await new_room(server, "quota@example.com")
    url = upload_url(server, room["id"])
    ws = await open_upload(url, server.recorder())
    await closed(ws, [b"x" * 900_000] * 4)  # 3.6 MB > 3 MB
    assert (ws.close_code, ws.close_reason) == (1008, "storage_exceeded")
    await wait_until_no_partial_uploads(server)
    assert await room_assets(server, room, owner) == []

    async with open_upload(url, server.recorder()) as ws:  # exactly the quota
        for _ in range(3):
            await ws.send(b"y" * 1_000_000)
    await wait_for_assets(server, room, owner, 1)

    with pytest.raises(InvalidStatus) as refused:
        await open_upload(url, server.recorder())
    assert refused.value.response.status_code == 403
    assert b'"code":"storage_exceeded"' in refused.value.response.body


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer not-a-token"}, 401),
        ("user", 401),
        ("call-in", 401),
    ],
)
async def test_auth_failures_are_http_errors_before_the_upgrade(
    server: Server, headers: dict[str, str] | str, status: int
) -> None:
    room, _ = await new_room(server, "authz@example.com")
    if headers == "user":
        headers = server.issuer.headers("authz@example.com")
    elif headers == "call-in":
        headers = server.issuer.headers(
            "gw@example.com", realm_access={"roles": ["opentalk-call-in"]}
        )
    assert isinstance(headers, dict)
    with pytest.raises(InvalidStatus) as refused:
        await open_upload(upload_url(server, room["id"]), headers)
    response = refused.value.response
    assert response.status_code == status
    assert b'"code":"unauthorized"' in response.body
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("filename=a.webm", 400, "room_id is required"),
        ("room_id=nope&filename=a.webm", 400, "room_id must be a UUID"),
        ("room_id={room}", 400, "filename is required"),
        ("room_id={room}&filename=", 400, "filename must not be empty"),
        ("room_id={room}&filename=a/b.webm", 400, "must not contain path separators"),
        ("room_id={room}&filename=" + "a" * 256, 400, "at most 255 characters"),
        # The app-wide NUL guard covers websocket routes too (before the upgrade).
        ("room_id={room}&filename=a%00.webm", 400, "filename: must not contain NUL"),
        (f"room_id={uuid.uuid4()}&filename=a.webm", 404, "room could not be found"),
    ],
)
async def test_bad_queries_are_http_errors_before_the_upgrade(
    server: Server, query: str, status: int, message: str
) -> None:
    room, _ = await new_room(server, "queries@example.com")
    url = f"{server.ws}/v1/services/recording/upload?{query.format(room=room['id'])}"
    with pytest.raises(InvalidStatus) as refused:
        await open_upload(url, server.recorder())
    assert refused.value.response.status_code == status
    assert message.encode() in refused.value.response.body


async def test_concurrent_uploads_cannot_overshoot_the_quota(server: Server) -> None:
    """Each fits the quota alone, not both: the check at commit refuses the second."""
    room, owner = await new_room(server, "concurrent@example.com")
    url = upload_url(server, room["id"])
    first = await open_upload(url, server.recorder())
    second = await open_upload(url, server.recorder())
    for ws in (first, second):
        for _ in range(2):
            await ws.send(b"z" * 1_000_000)  # 2 MB each, 3 MB quota
    await asyncio.gather(first.close(), second.close())
    await wait_until_no_partial_uploads(server)
    assets = await wait_for_assets(server, room, owner, 1)
    await asyncio.sleep(0.3)
    assert [a["size"] for a in await room_assets(server, room, owner)] == [2_000_000]
    assert len(assets) == 1
