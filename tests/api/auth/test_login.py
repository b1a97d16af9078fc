"""GET/POST /v1/auth/login."""

from __future__ import annotations

import httpx

from tests.oidc_issuer import TestIssuer


async def test_get_login_names_the_provider(
    client: httpx.AsyncClient, oidc_issuer: TestIssuer
) -> None:
    response = await client.get("/v1/auth/login")
    assert response.status_code == 200
    assert response.json() == {"oidc": {"name": "default", "url": oidc_issuer.url}}


async def test_login_creates_then_updates_user(
    client: httpx.AsyncClient, oidc_issuer: TestIssuer
) -> None:
    id_token = oidc_issuer.token(
        "una@example.com", given_name="Una", family_name="Ulm", nickname="U"
    )
    response = await client.post("/v1/auth/login", json={"id_token": id_token})
    assert response.status_code == 200, response.text
    assert response.json() == {"permissions": []}

    later = oidc_issuer.token(
        "una@example.com", given_name="Una", family_name="Ulm-Neu"
    )
    assert (
        await client.post("/v1/auth/login", json={"id_token": later})
    ).status_code == 200
    me = (
        await client.get("/v1/users/me", headers={"Authorization": f"Bearer {later}"})
    ).json()
    assert (me["firstname"], me["lastname"], me["display_name"]) == (
        "Una",
        "Ulm-Neu",
        "U",
    )


async def test_login_with_missing_claims_is_400_invalid_claims(
    client: httpx.AsyncClient, oidc_issuer: TestIssuer
) -> None:
    id_token = oidc_issuer.token("vic@example.com", family_name=None)
    response = await client.post("/v1/auth/login", json={"id_token": id_token})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_claims"
    assert "family_name" in response.json()["message"]


async def test_login_with_bad_token_is_401(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/auth/login", json={"id_token": "garbage"})
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


async def test_login_with_wrong_body_type_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/auth/login", json={"id_token": 42})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "id_token"
