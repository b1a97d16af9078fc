"""Users: me, patch me, list, find, get by id."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.oidc_issuer import TestIssuer


async def test_patch_me_changes_settings(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    body = {
        "title": "Dr.",
        "display_name": "Al",
        "language": "de",
        "dashboard_theme": "dark",
        "conference_theme": "light",
    }
    response = await client.patch("/v1/users/me", json=body, headers=alice)
    assert response.status_code == 200
    assert {k: response.json()[k] for k in body} == body
    assert {
        k: (await client.get("/v1/users/me", headers=alice)).json()[k] for k in body
    } == body


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "missing_values"),
        ({"language": "x" * 36}, "invalid_length"),
        ({"title": 3}, "invalid_value"),
        ({"display_name": ""}, "invalid_length"),
        ({"is_admin": True}, "missing_values"),  # unknown fields alone: empty
    ],
)
async def test_patch_me_rejects_bad_bodies(
    client: httpx.AsyncClient, alice: dict[str, str], body: dict[str, object], code: str
) -> None:
    before = (await client.get("/v1/users/me", headers=alice)).json()
    response = await client.patch("/v1/users/me", json=body, headers=alice)
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == code
    assert (await client.get("/v1/users/me", headers=alice)).json() == before


async def test_get_user_by_id_returns_public_profile(
    client: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    bob_me = (await client.get("/v1/users/me", headers=bob)).json()
    response = await client.get(f"/v1/users/{bob_me['id']}", headers=alice)
    assert response.status_code == 200
    assert response.json() == {
        k: bob_me[k]
        for k in (
            "id",
            "email",
            "title",
            "firstname",
            "lastname",
            "display_name",
            "avatar_url",
        )
    }
    assert (
        await client.get(f"/v1/users/{uuid.uuid4()}", headers=alice)
    ).status_code == 404
    assert (await client.get("/v1/users/12", headers=alice)).status_code == 400


async def test_find_users_by_name_and_email(
    client: httpx.AsyncClient, oidc_issuer: TestIssuer
) -> None:
    searcher = oidc_issuer.headers("seeker@example.com")
    await client.get(
        "/v1/users/me",
        headers=oidc_issuer.headers(
            "zoe.zimmer@example.com", given_name="Zoe", family_name="Zimmer"
        ),
    )
    await client.get(
        "/v1/users/me",
        headers=oidc_issuer.headers(
            "yan@example.com", given_name="Yan", family_name="Ziegler_100%"
        ),
    )
    by_name = await client.get("/v1/users/find", params={"q": "ZIMM"}, headers=searcher)
    assert by_name.status_code == 200
    assert [(u["kind"], u["email"]) for u in by_name.json()] == [
        ("registered", "zoe.zimmer@example.com")
    ]
    # LIKE wildcards in the query are literal characters.
    assert [
        u["email"]
        for u in (
            await client.get("/v1/users/find", params={"q": "_100%"}, headers=searcher)
        ).json()
    ] == ["yan@example.com"]
    assert (
        await client.get("/v1/users/find", params={"q": "%%%"}, headers=searcher)
    ).json() == []


async def test_find_with_short_query_is_400(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    response = await client.get("/v1/users/find", params={"q": "ab"}, headers=alice)
    assert response.status_code == 400
    assert response.json()["code"] == "query_too_short"


async def test_list_users_pages(
    client: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    await client.get("/v1/users/me", headers=bob)
    response = await client.get("/v1/users", params={"per_page": 1}, headers=alice)
    assert response.status_code == 200
    assert len(response.json()) == 1
    assert 'rel="next"' in response.headers["link"]
