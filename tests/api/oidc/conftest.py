"""An app that is its own OpenID provider, a registered web app, a local account."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from jose import jwt

from parley.auth.provider import accounts
from parley.config import OidcClient
from parley.db import Database

WEB_APP = "http://app.example.test:3000"
REDIRECT_URI = f"{WEB_APP}/auth/callback"
SIGNED_OUT_URI = f"{WEB_APP}/dashboard"
CLIENT_ID = "Frontend"
EMAIL = "ada@example.com"
PASSWORD = "correct horse battery"


def web_app_client() -> OidcClient:
    return OidcClient(
        client_id=CLIENT_ID,
        redirect_uris=[REDIRECT_URI],
        post_logout_redirect_uris=[SIGNED_OUT_URI],
    )


def provider_settings(**overrides: Any) -> dict[str, Any]:
    return {
        "oidc_issuer": None,
        "oidc_clients": [web_app_client()],
        "oidc_refresh_reuse_leeway_seconds": 0,
        **overrides,
    }


def pkce_pair() -> tuple[str, str]:
    """A verifier as the web app makes it (43 characters) and its S256 challenge."""
    verifier = secrets.token_urlsafe(32)[:43]
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def claims(token: str) -> dict[str, Any]:
    return dict(jwt.get_unverified_claims(token))


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def alert_text(page: str) -> str:
    found = re.search(r'role="alert"[^>]*><p>(.*?)</p>', page)
    return found.group(1) if found else ""


@dataclass
class WebApp:
    """Does what the OpenTalk web app does (notes section 8), over one HTTP client."""

    http: httpx.AsyncClient
    verifier: str = ""
    challenge: str = ""

    def __post_init__(self) -> None:
        self.verifier, self.challenge = pkce_pair()

    def authorization_params(self, **extra: str) -> dict[str, str]:
        return {
            "response_type": "code",
            "client_id": CLIENT_ID,
            "redirect_uri": REDIRECT_URI,
            "scope": "openid profile email",
            "code_challenge": self.challenge,
            "code_challenge_method": "S256",
            **extra,
        }

    async def open_sign_in(self, **extra: str) -> httpx.Response:
        return await self.http.get(
            "/oidc/auth", params=self.authorization_params(**extra)
        )

    async def submit(
        self,
        email: str = EMAIL,
        password: str = PASSWORD,
        *,
        csrf: str | None = None,
        **extra: str,
    ) -> httpx.Response:
        form = {
            **self.authorization_params(**extra),
            "email": email,
            "password": password,
            "csrf_token": csrf
            if csrf is not None
            else self.http.cookies.get("parley_oidc_csrf", ""),
        }
        return await self.http.post("/oidc/auth", data=form)

    async def sign_in(self, **extra: str) -> str:
        """Through the sign-in page to the authorization code."""
        page = await self.open_sign_in(**extra)
        assert page.status_code == 200, page.text
        response = await self.submit(**extra)
        assert response.status_code == 302, response.text
        location = response.headers["location"]
        assert location.startswith(REDIRECT_URI + "?")
        return query_of(location)["code"]

    async def redeem(self, code: str, **overrides: str) -> httpx.Response:
        return await self.http.post(
            "/oidc/token",
            data={
                "grant_type": "authorization_code",
                "client_id": CLIENT_ID,
                "redirect_uri": REDIRECT_URI,
                "code": code,
                "code_verifier": self.verifier,
                **overrides,
            },
        )

    async def tokens(self) -> dict[str, Any]:
        response = await self.redeem(await self.sign_in())
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def refresh(self, refresh_token: str) -> httpx.Response:
        return await self.http.post(
            "/oidc/token",
            data={
                "grant_type": "refresh_token",
                "client_id": CLIENT_ID,
                "refresh_token": refresh_token,
            },
        )


ProviderClient = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def provider_client(make_app: Callable[..., FastAPI]) -> ProviderClient:
    """`async with provider_client(**settings) as http`: the embedded issuer's app."""

    @asynccontextmanager
    async def open_client(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        app = make_app(**provider_settings(**overrides))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, client=("192.0.2.7", 5555))
            async with httpx.AsyncClient(
                transport=transport, base_url="http://127.0.0.1:11311"
            ) as http:
                yield http

    return open_client


@pytest.fixture
async def provider(provider_client: ProviderClient) -> AsyncIterator[httpx.AsyncClient]:
    async with provider_client() as http:
        yield http


@pytest.fixture
async def account(database: Database) -> accounts.LocalAccount:
    async with database.sessionmaker() as session, session.begin():
        return await accounts.create_account(
            session, email=EMAIL, name="Ada Lovelace", password=PASSWORD
        )


@pytest.fixture
def web_app(provider: httpx.AsyncClient, account: Any) -> WebApp:
    return WebApp(provider)
