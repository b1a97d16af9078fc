"""Fixtures: a real Janus (started here from deploy/janus) for the media tests.

Without Janus installed these tests are skipped locally; under CI (``CI`` set)
they fail, so a missing Janus can never pass unnoticed.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from tests.janus_server import JanusServer, janus_binary
from tests.oidc_issuer import TestIssuer
from tests.ws.conftest import StartServer
from tests.ws.live import Api, LiveServer


def require_janus() -> None:
    if janus_binary() is not None:
        return
    message = "Janus is not installed (apt-get install janus)"
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def janus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JanusServer]:
    """One Janus for the run; tests check its listings, not absolute counts."""
    require_janus()
    server = JanusServer(tmp_path_factory.mktemp("janus")).start()
    yield server
    server.stop()


StartJanus = Callable[..., JanusServer]


@pytest.fixture
def start_janus(tmp_path: Path) -> Iterator[StartJanus]:
    """Extra Janus processes of one test (to restart, freeze or compare)."""
    require_janus()
    servers: list[JanusServer] = []

    def start(**options: int | bool) -> JanusServer:
        server = JanusServer(tmp_path / f"janus-{len(servers)}", **options)  # type: ignore[arg-type]
        servers.append(server.start())
        return server

    yield start
    for server in servers:
        if server.process is not None:
            server.resume()
        server.stop()


# The live-server fixtures of the websocket tests, for servers with media on.
from tests.ws.conftest import live_database, start_server  # noqa: E402, F401


async def wait_for_janus(server: LiveServer) -> None:
    """Until the instance has its Janus sessions (it connects in the background)."""
    media = server.app.state.signaling.services.media
    assert media is not None, "server started without PARLEY_JANUS_URLS"
    async with asyncio.timeout(15):
        await media.pool.wait_connected()


async def janus_handles_of(server: LiveServer, janus: JanusServer) -> list[int]:
    """The handles Janus holds for this instance's session."""
    media = server.app.state.signaling.services.media
    connection = media.pool.connection(janus.url)
    assert connection is not None
    assert connection.session_id is not None
    reply = await janus.admin("list_handles", session_id=connection.session_id)
    return list(reply["handles"])


async def until(condition: Callable[[], Awaitable[bool]], within: float = 15.0) -> None:
    """Poll ``condition`` until it holds (clean-up in Janus is asynchronous)."""
    async with asyncio.timeout(within):
        while True:
            if await condition():
                return
            await asyncio.sleep(0.05)


@pytest.fixture
async def media_server(
    start_server: StartServer,  # noqa: F811 (the fixture imported above)
    janus: JanusServer,
) -> LiveServer:
    server = await start_server(janus_urls=[janus.url])
    await wait_for_janus(server)
    return server


@pytest.fixture
async def api(media_server: LiveServer, oidc_issuer: TestIssuer) -> AsyncIterator[Api]:
    client = Api(media_server, oidc_issuer)
    yield client
    await client.aclose()
