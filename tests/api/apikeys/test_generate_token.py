"""POST /api/v1/misc/generate-token and the tokens it mints as bearer tokens."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from jose import jwt

from parley.apikeys import service as apikeys_service
from parley.db import Database
from tests.api.reservations.helpers import (
    SCHEDULER,
    app_client,
    make_api_key,
    reserve,
    revoke_api_keys,
    user_id,
)

GENERATE = "/api/v1/misc/generate-token"


async def generate(
    client: httpx.AsyncClient, api_key: str, **body: Any
) -> httpx.Response:
    return await client.post(GENERATE, json={"apiKey": api_key, **body})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_token_acts_for_the_key_owner(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    alice_id = await user_id(client, alice)
    secret = await make_api_key(database, alice_id, "integration")
    assert secret.startswith("prly_")
    response = await generate(client, secret, exp="24 hours")
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"token"}
    token = response.json()["token"]
    header = jwt.get_unverified_header(token)
    claims = jwt.get_unverified_claims(token)
    assert header["alg"] == "ES256"
    assert header["kid"]
    assert claims["iss"] == "http://127.0.0.1:11311/api/v1/misc/generate-token"
    assert claims["sub"] == str(alice_id)
    assert claims["exp"] - claims["iat"] == 86_400
    assert claims["scope"] == ""
    assert "nbf" not in claims
    assert "context" not in claims
    uuid.UUID(claims["api_key_id"])

    me = await client.get("/v1/users/me", headers=bearer(token))
    assert me.status_code == 200, me.text
    assert (me.json()["id"], me.json()["email"]) == (str(alice_id), "alice@example.com")
    # Alongside OIDC: what the API-key token creates, Alice's OIDC token sees.
    created = await reserve(client, bearer(token))
    mine = await client.get(f"{SCHEDULER}/reservation/{created['id']}", headers=alice)
    assert mine.json() == created


async def test_user_claims_and_scope(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    secret = await make_api_key(database, await user_id(client, alice))
    participant = {
        "id": "ytyVgh",
        "name": "Nick",
        "email": "nick@example.com",
        "avatar": "https://example.com/nick.png",
        "moderator": True,
    }
    response = await generate(
        client, secret, user=participant, scope="media", exp="30 minutes", nbf=""
    )
    assert response.status_code == 200, response.text
    claims = jwt.get_unverified_claims(response.json()["token"])
    assert claims["context"] == {"user": participant}
    assert claims["scope"] == "media"
    assert claims["exp"] - claims["iat"] == 1_800
    partial = await generate(client, secret, user={"name": "Guest"})
    assert jwt.get_unverified_claims(partial.json()["token"])["context"] == {
        "user": {"name": "Guest"}
    }


async def test_default_expiry_is_a_day(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    secret = await make_api_key(database, await user_id(client, alice))
    claims = jwt.get_unverified_claims((await generate(client, secret)).json()["token"])
    assert claims["exp"] - claims["iat"] == 86_400


async def test_unknown_key_is_401(client: httpx.AsyncClient) -> None:
    response = await generate(client, "prly_not-a-key")
    assert response.status_code == 401
    assert response.json() == {
        "code": "invalid_api_key",
        "message": "The API key is unknown or revoked",
    }


async def test_revoked_key_and_its_tokens_stop_working(
    make_app: Callable[..., FastAPI], alice: dict[str, str], database: Database
) -> None:
    async with app_client(make_app, api_key_recheck_seconds=0) as client:
        alice_id = await user_id(client, alice)
        secret = await make_api_key(database, alice_id)
        token = (await generate(client, secret)).json()["token"]
        assert (
            await client.get("/v1/users/me", headers=bearer(token))
        ).status_code == 200
        await revoke_api_keys(database, alice_id)
        again = await generate(client, secret)
        assert again.status_code == 401
        assert again.json()["code"] == "invalid_api_key"
        refused = await client.get("/v1/users/me", headers=bearer(token))
        assert refused.status_code == 401
        assert refused.json() == {
            "code": "unauthorized",
            "message": "The API key of this token was revoked",
        }
        assert 'error="invalid_token"' in refused.headers["www-authenticate"]
    async with database.sessionmaker() as session:
        active = await apikeys_service.list_api_keys(session)
        every = await apikeys_service.list_api_keys(session, include_revoked=True)
    assert next(key for key, _ in every if key.owner_id == alice_id).revoked_at
    assert all(key.owner_id != alice_id for key, _ in active)


async def test_revocation_is_seen_at_the_next_recheck(
    make_app: Callable[..., FastAPI], alice: dict[str, str], database: Database
) -> None:
    """The per-token cache keeps a principal at most api_key_recheck_seconds."""
    async with app_client(make_app, api_key_recheck_seconds=2) as client:
        alice_id = await user_id(client, alice)
        token = (await generate(client, await make_api_key(database, alice_id))).json()[
            "token"
        ]
        assert (
            await client.get("/v1/users/me", headers=bearer(token))
        ).status_code == 200
        await revoke_api_keys(database, alice_id)
        # Still cached: no query per request.
        assert (
            await client.get("/v1/users/me", headers=bearer(token))
        ).status_code == 200
        await asyncio.sleep(2.1)
        assert (
            await client.get("/v1/users/me", headers=bearer(token))
        ).status_code == 401


async def test_not_before_and_expiry_are_enforced(
    make_app: Callable[..., FastAPI], alice: dict[str, str], database: Database
) -> None:
    async with app_client(make_app, oidc_leeway_seconds=0) as client:
        secret = await make_api_key(database, await user_id(client, alice))
        later = (await generate(client, secret, nbf="1 hour")).json()["token"]
        early = await client.get("/v1/users/me", headers=bearer(later))
        assert early.status_code == 401
        short = (await generate(client, secret, exp="1 s")).json()
        await asyncio.sleep(2.1)
        expired = await client.get("/v1/users/me", headers=bearer(short["token"]))
        assert expired.status_code == 401
        assert expired.json()["message"] == "session expired"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"exp": "tomorrow"}, "invalid_exp"),
        ({"exp": 3600}, "invalid_exp"),
        ({"exp": "31 days"}, "invalid_exp"),
        ({"exp": "-1 hour"}, "invalid_exp"),
        ({"exp": "2030-01-01T00:00:00"}, "invalid_exp"),
        ({"exp": "1 hour", "nbf": "2 hours"}, "invalid_nbf"),
        ({"nbf": "someday"}, "invalid_nbf"),
    ],
)
async def test_bad_times_are_400(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    database: Database,
    body: dict[str, Any],
    code: str,
) -> None:
    secret = await make_api_key(database, await user_id(client, alice))
    response = await generate(client, secret, **body)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == code


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "apiKey"),
        ({"apiKey": 5}, "apiKey"),
        ({"apiKey": "k", "scope": "admin"}, "scope"),
        ({"apiKey": "k", "user": {"moderator": "yes"}}, "user.moderator"),
        ({"apiKey": "k", "exp": True}, "exp"),
    ],
)
async def test_malformed_bodies_are_422(
    client: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    response = await client.post(GENERATE, json=body)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_failed"
    fields = [error.get("field") or "" for error in response.json()["errors"]]
    assert any(name.startswith(field) for name in fields), fields


async def test_a_token_signed_by_another_parley_is_refused(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database, tmp_path: Any
) -> None:
    from parley.apikeys.signing import TokenSigner

    other = TokenSigner.from_file(
        tmp_path / "other.pem", base_url="http://127.0.0.1:11311"
    )
    forged = other.sign(
        {
            "sub": str(await user_id(client, alice)),
            "exp": int(time.time()) + 60,
            "api_key_id": str(uuid.uuid4()),
        }
    )
    response = await client.get("/v1/users/me", headers=bearer(forged))
    assert response.status_code == 401
