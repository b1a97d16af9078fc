"""Fixtures shared by the API tests of several domains."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from parley.hooks import Hooks
from parley.rooms import service as rooms_service
from parley.users.models import User


@pytest.fixture
def grant_bob_access(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bob may see every room, as an event invitee would (the events package's hook)."""

    async def invitee(session: Any, room: Any, user_id: uuid.UUID) -> bool:
        user = await session.get(User, user_id)
        return user is not None and user.email == "bob@example.com"

    monkeypatch.setattr(rooms_service, "access_checks", Hooks("test", [invitee]))


@pytest.fixture
def client_with(
    make_app: Callable[..., FastAPI],
) -> Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]:
    """A client of an app built with other settings: `async with client_with(**s)`."""

    @asynccontextmanager
    async def open_client(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        app = make_app(**overrides)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://test"
            ) as http:
                yield http

    return open_client
