"""Bearer token verification: every rejection is a 401 ErrorBody with WWW-Authenticate."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from jose import jwt

from tests.oidc_issuer import TestIssuer

ME = "/v1/users/me"


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def assert_unauthorized(
    response: httpx.Response, *, error: str | None = "invalid_token"
) -> None:
    assert response.status_code == 401, response.text
    body = response.json()
    assert set(body) == {"code", "message"}
    assert body["code"] in {"unauthorized", "invalid_claims"}
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith("Bearer")
    if error is not None:
        assert f'error="{error}"' in challenge


async def test_valid_token_provisions_user_from_claims(
    client: httpx.AsyncClient, oidc_issuer: TestIssuer
) -> None:
    headers = oidc_issuer.headers(
        "Carol@Example.com", given_name="Carol", family_name="Clark", name="Carol C."
    )
    response = await client.get(ME, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["email"] == "carol@example.com"
    assert (body["firstname"], body["lastname"], body["display_name"]) == (
        "Carol",
        "Clark",
        "Carol C.",
    )
    assert body["avatar_url"].startswith("https://seccdn.libravatar.org/avatar/")
    assert body["tariff_status"] == "default"
    assert body["used_storage"] == 0


async def test_later_token_updates_user_claims(
    client: httpx.AsyncClient, oidc_issuer: TestIssuer
) -> None:
    first = await client.get(
        ME, headers=oidc_issuer.headers("dan@example.com", family_name="Old")
    )
    second = await client.get(
        ME,
        headers=oidc_issuer.headers(
            "dan@example.com", family_name="New", iat=int(time.time()) + 1
        ),
    )
    assert first.json()["id"] == second.json()["id"]
    assert second.json()["lastname"] == "New"


async def test_es256_token_is_accepted(
    client: httpx.AsyncClient, oidc_issuer: TestIssuer
) -> None:
    token = oidc_issuer.token("erin@example.com", kid="ec-1")
    response = await client.get(ME, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text


async def test_missing_token_is_rejected(client: httpx.AsyncClient) -> None:
    response = await client.get(ME)
    assert_unauthorized(response, error=None)
    assert response.headers["www-authenticate"] == 'Bearer realm="parley"'


@pytest.mark.parametrize(
    "header",
    [
        "Basic dXNlcjpwdw==",
        "Bearer",
        "Bearer ",
        "Bearer not-a-jwt",
        "Bearer a.b.c",
        "Token abc",
    ],
)
async def test_malformed_authorization_is_rejected(
    client: httpx.AsyncClient, header: str
) -> None:
    assert_unauthorized(await client.get(ME, headers={"Authorization": header}))


async def test_expired_token_says_session_expired(
    client: httpx.AsyncClient, oidc_issuer: TestIssuer
) -> None:
    now = int(time.time())
    headers = oidc_issuer.headers(
        "frank@example.com", iat=now - 600, nbf=now - 600, exp=now - 120
    )
    response = await client.get(ME, headers=headers)
    assert_unauthorized(response)
    assert 'error_description="session expired"' in response.headers["www-authenticate"]


async def test_expiry_within_leeway_is_accepted(
    client: httpx.AsyncClient, oidc_issuer: TestIssuer
) -> None:
    now = int(time.time())
    response = await client.get(
        ME, headers=oidc_issuer.headers("gina@example.com", exp=now - 5)
    )
    assert response.status_code == 200


async def test_token_not_yet_valid_is_rejected(
    client: httpx.AsyncClient, oidc_issuer: TestIssuer
) -> None:
    now = int(time.time())
    assert_unauthorized(
        await client.get(
            ME, headers=oidc_issuer.headers("hal@example.com", nbf=now + 600)
        )
    )


async def test_wrong_issuer_is_rejected(
    client: httpx.AsyncClient, oidc_issuer: TestIssuer
) -> None:
    assert_unauthorized(
        await client.get(
            ME,
            headers=oidc_issuer.headers("ivy@example.com", iss="https://evil.example"),
        )
    )


async def test_tampered_signature_is_rejected(
    client: httpx.AsyncClient, oidc_issuer: TestIssuer
) -> None:
    header, _payload, signature = oidc_issuer.token("jo@example.com").split(".")
    forged_payload = oidc_issuer.token("mallory@example.com").split(".")[1]
    response = await client.get(
        ME, headers={"Authorization": f"Bearer {header}.{forged_payload}.{signature}"}
    )
    assert_unauthorized(response)


async def test_token_signed_by_unpublished_key_is_rejected(
    client: httpx.AsyncClient, oidc_issuer: TestIssuer
) -> None:
    oidc_issuer.add_key("rogue", publish=False)
    assert_unauthorized(
        await client.get(
            ME,
            headers={
                "Authorization": f"Bearer {oidc_issuer.token('kim@example.com', kid='rogue')}"
            },
        )
    )


async def test_hs256_token_using_public_key_as_secret_is_rejected(
    client: httpx.AsyncClient, oidc_issuer: TestIssuer
) -> None:
    # Algorithm confusion: an attacker signs with HMAC keyed by the public key.
    header = _b64({"alg": "HS256", "kid": "rsa-1", "typ": "JWT"})
    payload = _b64(oidc_issuer.claims_for("lee@example.com"))
    secret = oidc_issuer.keys["rsa-1"].public_pem.encode()
    mac = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    token = f"{header}.{payload}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    assert_unauthorized(
        await client.get(ME, headers={"Authorization": f"Bearer {token}"})
    )


async def test_alg_none_token_is_rejected(
    client: httpx.AsyncClient, oidc_issuer: TestIssuer
) -> None:
    token = f"{_b64({'alg': 'none', 'kid': 'rsa-1'})}.{_b64(oidc_issuer.claims_for('max@example.com'))}."
    assert_unauthorized(
        await client.get(ME, headers={"Authorization": f"Bearer {token}"})
    )


async def test_rsa_token_claiming_ec_key_is_rejected(
    client: httpx.AsyncClient, oidc_issuer: TestIssuer
) -> None:
    # Signed with the RSA key but pointing at the EC key: the key decides the algorithm.
    claims = oidc_issuer.claims_for("ned@example.com")
    token = jwt.encode(
        claims,
        oidc_issuer.keys["rsa-1"].private_pem,
        algorithm="RS256",
        headers={"kid": "ec-1"},
    )
    assert_unauthorized(
        await client.get(ME, headers={"Authorization": f"Bearer {token}"})
    )


async def test_token_without_subject_is_rejected(
    client: httpx.AsyncClient, oidc_issuer: TestIssuer
) -> None:
    assert_unauthorized(
        await client.get(ME, headers=oidc_issuer.headers("ola@example.com", sub=None))
    )


async def test_new_user_token_without_email_is_rejected(
    client: httpx.AsyncClient, oidc_issuer: TestIssuer
) -> None:
    claims = oidc_issuer.claims_for("pat@example.com", email=None)
    response = await client.get(
        ME, headers={"Authorization": f"Bearer {oidc_issuer.sign(claims)}"}
    )
    assert_unauthorized(response)
    assert response.json()["code"] == "invalid_claims"


async def test_rotated_key_is_fetched_once_on_unknown_kid(
    client: httpx.AsyncClient, oidc_issuer: TestIssuer
) -> None:
    assert (
        await client.get(ME, headers=oidc_issuer.headers("quin@example.com"))
    ).status_code == 200
    before = oidc_issuer.jwks_requests
    oidc_issuer.add_key("rsa-rotated")
    token = oidc_issuer.token("quin@example.com", kid="rsa-rotated")
    response = await client.get(ME, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    assert oidc_issuer.jwks_requests == before + 1


async def test_verified_token_is_cached(
    client: httpx.AsyncClient, oidc_issuer: TestIssuer, app: FastAPI
) -> None:
    headers = oidc_issuer.headers("rae@example.com")
    await client.get(ME, headers=headers)
    token = headers["Authorization"].removeprefix("Bearer ")
    assert app.state.authenticator.principals.get(token) is not None


@pytest.mark.parametrize(
    ("audience", "expected"), [("parley", 200), ("someone-else", 401)]
)
async def test_audience_is_checked_when_configured(
    make_app: Callable[..., FastAPI],
    oidc_issuer: TestIssuer,
    audience: str,
    expected: int,
) -> None:
    app = make_app(oidc_audience="parley")
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test"
        ) as http:
            response = await http.get(
                ME, headers=oidc_issuer.headers("sam@example.com", aud=audience)
            )
    assert response.status_code == expected, response.text


async def test_unreachable_issuer_is_503(
    make_app: Callable[..., FastAPI], oidc_issuer: TestIssuer
) -> None:
    app = make_app(oidc_issuer="http://127.0.0.1:1")
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test"
        ) as http:
            token = oidc_issuer.token("tom@example.com", iss="http://127.0.0.1:1")
            response = await http.get(ME, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 503
    assert response.json()["code"] == "service_unavailable"


async def test_unknown_kids_cannot_hammer_the_issuer(
    client: httpx.AsyncClient, oidc_issuer: TestIssuer
) -> None:
    from parley.auth.keys import RemoteJwks

    before = oidc_issuer.jwks_requests
    for attempt in range(RemoteJwks.MAX_REFETCHES + 5):
        oidc_issuer.add_key(f"bogus-{attempt}", publish=False)
        token = oidc_issuer.token("uma@example.com", kid=f"bogus-{attempt}")
        assert_unauthorized(
            await client.get(ME, headers={"Authorization": f"Bearer {token}"})
        )
    assert oidc_issuer.jwks_requests - before == RemoteJwks.MAX_REFETCHES
