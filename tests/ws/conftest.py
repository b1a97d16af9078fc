"""Fixtures: live Parley servers on loopback ports sharing the run's database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from parley.config import Settings
from parley.db import Database
from parley.main import create_app
from parley.signaling.state import SignalingState
from tests.oidc_issuer import TestIssuer
from tests.ws.live import Api, LiveServer

StartServer = Callable[..., Awaitable[LiveServer]]


@pytest.fixture
def live_database(engine: AsyncEngine) -> Database:
    """The run's database with real commits (servers and tests share it)."""
    return Database.from_engine(engine)


@pytest.fixture
async def start_server(
    settings: Settings, live_database: Database
) -> AsyncIterator[StartServer]:
    """Start Parley instances; stopped (gracefully) after the test."""
    servers: list[LiveServer] = []

    async def start(
        *, state: SignalingState | None = None, **overrides: Any
    ) -> LiveServer:
        instance_settings = settings.model_copy(update=overrides)
        app = create_app(
            instance_settings, database=live_database, signaling_state=state
        )
        server = await LiveServer(app, instance_settings).start()
        servers.append(server)
        return server

    yield start
    for server in reversed(servers):
        await server.stop()


@pytest.fixture
async def server(start_server: StartServer) -> LiveServer:
    return await start_server()


@pytest.fixture
async def api(server: LiveServer, oidc_issuer: TestIssuer) -> AsyncIterator[Api]:
    client = Api(server, oidc_issuer)
    yield client
    await client.aclose()
