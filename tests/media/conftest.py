"""Fixtures: a real Janus (started here from deploy/janus) for the media tests.

Without Janus installed these tests are skipped locally; under CI (``CI`` set)
they fail, so a missing Janus can never pass unnoticed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.janus_server import JanusServer, janus_binary


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
