"""Simultaneous PUTs make one folder: on real, committing connections.

Not in the per-test rolled-back transaction: each request gets its own pooled
connection and commits, as in production. The user (and with it every row the
test made) is deleted afterwards.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import delete

from parley.config import Settings
from parley.db import Database, create_engine
from parley.main import create_app
from parley.users.models import User
from tests.api.events.helpers import create_event, me
from tests.api.shared_folders.conftest import provider_settings
from tests.nextcloud_standin import NextcloudStandIn
from tests.oidc_issuer import TestIssuer


@pytest.fixture
async def committing_client(
    settings: Settings, oidc_issuer: TestIssuer, nextcloud: NextcloudStandIn
) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    database = Database.from_engine(create_engine(settings))
    app = create_app(
        settings.model_copy(update=provider_settings(nextcloud)), database=database
    )
    headers = oidc_issuer.headers(f"owner-{uuid.uuid4().hex[:8]}@example.com")
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://test"
            ) as client:
                yield client, headers
                user_id = (await me(client, headers))["id"]
        async with database.sessionmaker() as session, session.begin():
            await session.execute(delete(User).where(User.id == uuid.UUID(user_id)))
    finally:
        await database.dispose()


async def test_simultaneous_puts_make_one_folder_with_two_links(
    committing_client: tuple[httpx.AsyncClient, dict[str, str]],
    nextcloud: NextcloudStandIn,
) -> None:
    client, headers = committing_client
    event = await create_event(client, headers)
    start = asyncio.Event()

    async def put() -> httpx.Response:
        await start.wait()
        return await client.put(
            f"/v1/events/{event['id']}/shared_folder", headers=headers
        )

    tasks = [asyncio.create_task(put()) for _ in range(3)]
    start.set()
    responses = await asyncio.gather(*tasks)

    assert sorted(r.status_code for r in responses) == [200, 200, 201]
    assert len({r.text for r in responses}) == 1  # everyone got the same links
    # Links made by the losers of the race were removed again. (On PostgreSQL all
    # three make links and two lose at the insert; SQLite's single writer makes
    # the others wait and find the folder.)
    assert len(nextcloud.shares) == 2
    methods = [method for method, _ in nextcloud.share_requests]
    assert methods.count("DELETE") == methods.count("POST") - 2
