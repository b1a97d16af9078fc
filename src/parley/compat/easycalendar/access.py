"""Who calls an EasyCalendar endpoint, and what it costs them.

Credentials: an API key of kind ``easycalendar`` as ``Authorization:
api_key:api_secret`` (the raw header the document shows) or HTTP Basic with the
same pair (``curl -u api_key:api_secret``); ``api_key`` is the key's id. The key
acts for its owner.

Rate limits: each endpoint has its own budget per credential
(``PARLEY_EASYCALENDAR_RATE_LIMITS`` in a window of
``PARLEY_EASYCALENDAR_RATE_LIMIT_WINDOW_SECONDS``), spent through the app's
:class:`~parley.request_budgets.BudgetLimiter` (Redis when configured, so every
instance spends from one budget). Requests without valid credentials spend the
budget of their client address instead, so their responses carry the headers
too and guessing is limited. Every response then carries ``X-Rate-Limit-Limit``,
``-Remaining`` and ``-Reset`` (UTC epoch seconds); over the limit: 429 with
``Retry-After``.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Final

from fastapi import Request

from parley.apikeys import service as apikeys_service
from parley.config import Settings
from parley.db import SessionDep
from parley.errors import AppError, Unauthorized
from parley.ratelimit import client_address
from parley.request_budgets import Budget, BudgetLimiter, BudgetState

KEY_KIND: Final = "easycalendar"
_CHALLENGE: Final = {"WWW-Authenticate": 'Basic realm="EasyCalendar"'}
_STATE_ATTRIBUTE: Final = "easycalendar_rate_limit"


class InvalidCredentials(Unauthorized):
    default_message = "Invalid or missing credentials"
    login_failure = "api_key"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, headers=dict(_CHALLENGE))


class RateLimitExceeded(AppError):
    status_code = 429
    code = "rate_limit_exceeded"
    default_message = "API request has exceeded the API hit rate limit"


def endpoint_budget(settings: Settings, endpoint: str) -> Budget:
    return Budget(
        name=f"easycalendar:{endpoint}",
        limit=settings.easycalendar_limits[endpoint],
        window_seconds=settings.easycalendar_rate_limit_window_seconds,
    )


def parse_credentials(header: str | None) -> tuple[uuid.UUID, str]:
    """(key id, secret) of ``api_key:api_secret`` or ``Basic base64(api_key:api_secret)``."""
    if not header or not header.strip():
        raise InvalidCredentials(
            "Missing credentials: send Authorization: api_key:api_secret"
        )
    text = header.strip()
    scheme, _, rest = text.partition(" ")
    if scheme.lower() == "basic" and rest.strip():
        try:
            text = base64.b64decode(rest.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise InvalidCredentials("The Basic credentials are not base64") from None
    api_key, colon, secret = text.partition(":")
    if not colon or not secret:
        raise InvalidCredentials("The Authorization header must be api_key:api_secret")
    try:
        return uuid.UUID(api_key.strip()), secret.strip()
    except ValueError:
        raise InvalidCredentials() from None


async def spend(request: Request, endpoint: str, key: str) -> BudgetState:
    """Spend one request of ``key``'s budget for the endpoint (429 when spent)."""
    settings: Settings = request.app.state.settings
    limiter: BudgetLimiter = request.app.state.budget_limiter
    budget = endpoint_budget(settings, endpoint)
    state = await limiter.hit(budget, key)
    setattr(request.state, _STATE_ATTRIBUTE, state)
    if not state.allowed:
        raise RateLimitExceeded(
            f"Rate limit exceeded: {budget.limit} requests per "
            f"{budget.window_seconds} seconds for {endpoint}; "
            f"try again after {state.reset_at}",
            headers={"Retry-After": str(state.retry_after())},
        )
    return state


def rate_limit_headers(request: Request) -> dict[str, str]:
    """The headers of the budget this request spent from (none if it spent none)."""
    state: BudgetState | None = getattr(request.state, _STATE_ATTRIBUTE, None)
    return {} if state is None else state.headers()


def key_budget_id(key_id: uuid.UUID) -> str:
    return f"key:{key_id}"


def caller(endpoint: str) -> Callable[[Request, SessionDep], Awaitable[uuid.UUID]]:
    """A dependency: the calling key's owner, after spending the endpoint's budget."""

    async def dependency(request: Request, session: SessionDep) -> uuid.UUID:
        settings: Settings = request.app.state.settings
        try:
            key_id, secret = parse_credentials(request.headers.get("authorization"))
            key = await apikeys_service.authenticate_key(
                session, secret, kind=KEY_KIND, key_id=key_id, now=datetime.now(UTC)
            )
            if key is None:
                raise InvalidCredentials()
        except InvalidCredentials:
            if settings.easycalendar_rate_limiting:
                await spend(request, endpoint, f"address:{client_address(request)}")
            raise
        if settings.easycalendar_rate_limiting:
            await spend(request, endpoint, key_budget_id(key.id))
        request.state.easycalendar_key_id = key.id
        return key.owner_id

    return dependency
