"""CORS: preflights answered for every route, allowed and refused origins, the public
dial-in lookups from any origin, the embedded issuer for its registered clients."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.oidc.conftest import WEB_APP, provider_settings

ALLOWED = "https://meet.example.com"
REFUSED = "https://elsewhere.example"


def preflight(origin: str, method: str = "POST") -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "authorization,content-type",
    }


@pytest.fixture
async def api(client_with: Any) -> Any:
    async with client_with(cors_origins=f"{ALLOWED}, http://localhost:3000/") as http:
        yield http


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/rooms"),
        ("PATCH", "/v1/users/me"),
        ("DELETE", "/v1/events/00000000-0000-0000-0000-000000000000"),
        ("GET", "/v1/auth/login"),
    ],
)
async def test_preflight_from_an_allowed_origin(
    api: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await api.options(path, headers=preflight(ALLOWED, method))
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == ALLOWED
    assert method in response.headers["access-control-allow-methods"]
    allowed = response.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed
    assert "content-type" in allowed
    assert "access-control-allow-credentials" not in response.headers


async def test_preflight_from_a_refused_origin(api: httpx.AsyncClient) -> None:
    response = await api.options("/v1/rooms", headers=preflight(REFUSED))
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


async def test_a_trailing_slash_in_the_setting_is_forgiven(
    api: httpx.AsyncClient,
) -> None:
    response = await api.options(
        "/v1/rooms", headers=preflight("http://localhost:3000")
    )
    assert response.headers["access-control-allow-origin"] == "http://localhost:3000"


async def test_simple_requests_expose_what_clients_read(
    api: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    ok = await api.get("/v1/users/me", headers={**alice, "Origin": ALLOWED})
    assert ok.status_code == 200
    assert ok.headers["access-control-allow-origin"] == ALLOWED
    exposed = {
        h.strip().lower()
        for h in ok.headers["access-control-expose-headers"].split(",")
    }
    assert {
        "link",
        "retry-after",
        "www-authenticate",
        "x-rate-limit-limit",
        "x-rate-limit-remaining",
        "x-rate-limit-reset",
    } <= exposed
    denied = await api.get("/v1/users/me", headers={"Origin": ALLOWED})
    assert denied.status_code == 401
    assert denied.headers["access-control-allow-origin"] == ALLOWED
    assert denied.json()["code"]
    refused = await api.get("/v1/users/me", headers={**alice, "Origin": REFUSED})
    assert refused.status_code == 200
    assert "access-control-allow-origin" not in refused.headers


async def test_no_origin_is_allowed_by_default(client: httpx.AsyncClient) -> None:
    response = await client.options("/v1/rooms", headers=preflight(ALLOWED))
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize("path", ["/jitsi/conferenceMapper", "/jitsi/phoneNumberList"])
async def test_dial_in_lookups_answer_any_origin(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(
        path,
        params={"conference": "room@conference.meet.example"},
        headers={"Origin": REFUSED},
    )
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == "*"
    ask = await client.options(path, headers=preflight(REFUSED, "GET"))
    assert ask.status_code == 200
    assert ask.headers["access-control-allow-origin"] == "*"


async def test_dial_in_lookups_follow_the_jitsi_prefix(client_with: Any) -> None:
    async with client_with(jitsi_prefix="/meet/api") as http:
        response = await http.get(
            "/meet/api/phoneNumberList", headers={"Origin": REFUSED}
        )
        assert response.headers["access-control-allow-origin"] == "*"
        other = await http.options("/v1/rooms", headers=preflight(REFUSED))
        assert other.status_code == 400


async def test_the_issuer_answers_its_clients_origins(client_with: Any) -> None:
    async with client_with(**provider_settings()) as http:
        discovery = await http.get(
            "/.well-known/openid-configuration", headers={"Origin": WEB_APP}
        )
        assert discovery.headers["access-control-allow-origin"] == WEB_APP
        for path in ("/oidc/token", "/oidc/jwks", "/oidc/userinfo", "/oidc/revoke"):
            ask = await http.options(path, headers=preflight(WEB_APP))
            assert ask.status_code == 200, path
            assert ask.headers["access-control-allow-origin"] == WEB_APP
        token = await http.post(
            "/oidc/token", data={"grant_type": "x"}, headers={"Origin": WEB_APP}
        )
        assert token.headers["access-control-allow-origin"] == WEB_APP
        # The API itself stays closed to it until PARLEY_CORS_ORIGINS names it.
        api = await http.options("/v1/rooms", headers=preflight(WEB_APP))
        assert api.status_code == 400
        strange = await http.options("/oidc/token", headers=preflight(REFUSED))
        assert strange.status_code == 400
