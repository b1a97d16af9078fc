"""The embedded provider's code flow with PKCE, as the OpenTalk web app runs it."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import update

from parley.auth.local_issuer import local_subject
from parley.auth.provider.models import AuthorizationCode
from parley.db import Database, utcnow
from tests.api.oidc.conftest import (
    CLIENT_ID,
    EMAIL,
    REDIRECT_URI,
    SIGNED_OUT_URI,
    WebApp,
    claims,
    pkce_pair,
    query_of,
)


async def test_discovery_names_every_endpoint(provider: httpx.AsyncClient) -> None:
    response = await provider.get("/.well-known/openid-configuration")
    assert response.status_code == 200
    document = response.json()
    base = "http://127.0.0.1:11311"
    assert {
        key: document[key] for key in document if key.endswith(("_endpoint", "_uri"))
    } == {
        "authorization_endpoint": f"{base}/oidc/auth",
        "token_endpoint": f"{base}/oidc/token",
        "userinfo_endpoint": f"{base}/oidc/userinfo",
        "revocation_endpoint": f"{base}/oidc/revoke",
        "end_session_endpoint": f"{base}/oidc/logout",
        "jwks_uri": f"{base}/oidc/jwks",
    }
    assert document["issuer"] == base
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert document["grant_types_supported"] == ["authorization_code", "refresh_token"]
    assert document["token_endpoint_auth_methods_supported"] == ["none"]


async def test_sign_in_without_state_or_nonce_gives_three_jwts(
    web_app: WebApp, provider: httpx.AsyncClient
) -> None:
    code = await web_app.sign_in()
    response = await web_app.redeem(code)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "openid profile email"
    access, refresh, id_token = (
        claims(body["access_token"]),
        claims(body["refresh_token"]),
        claims(body["id_token"]),
    )
    assert all(isinstance(c["exp"], int) for c in (access, refresh, id_token))
    assert access["exp"] - access["iat"] == body["expires_in"] == 300
    assert refresh["typ"] == "Refresh"
    assert refresh["exp"] > access["exp"]
    expected_person = {
        "iss": "http://127.0.0.1:11311",
        "sub": local_subject(EMAIL),
        "email": EMAIL,
        "given_name": "Ada",
        "family_name": "Lovelace",
        "name": "Ada Lovelace",
    }
    for token_claims in (access, id_token):
        assert {k: token_claims[k] for k in expected_person} == expected_person
    assert id_token["aud"] == [CLIENT_ID]
    assert "nonce" not in id_token
    keys = (await provider.get("/oidc/jwks")).json()["keys"]
    from jose import jwt

    assert jwt.get_unverified_header(body["access_token"])["kid"] == keys[0]["kid"]

    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    login = await provider.post("/v1/auth/login", json={"id_token": body["id_token"]})
    assert (login.status_code, login.json()) == (200, {"permissions": []})
    me = await provider.get("/v1/users/me", headers=bearer)
    assert me.status_code == 200, me.text
    assert (me.json()["email"], me.json()["firstname"], me.json()["lastname"]) == (
        EMAIL,
        "Ada",
        "Lovelace",
    )
    refused = await provider.get(
        "/v1/users/me", headers={"Authorization": f"Bearer {body['refresh_token']}"}
    )
    assert refused.status_code == 401


async def test_the_account_is_the_user_parley_token_makes(
    web_app: WebApp, provider: httpx.AsyncClient, settings: Any
) -> None:
    from parley.auth.local_issuer import LocalIssuer

    minted = LocalIssuer.from_data_dir(
        issuer="http://127.0.0.1:11311", data_dir=settings.data_dir, audience=None
    ).mint(EMAIL)
    tokens = await web_app.tokens()
    ids = set()
    for token in (minted, tokens["access_token"]):
        me = await provider.get(
            "/v1/users/me", headers={"Authorization": f"Bearer {token}"}
        )
        assert me.status_code == 200, me.text
        ids.add(me.json()["id"])
    assert len(ids) == 1


async def test_state_and_nonce_are_honoured(web_app: WebApp) -> None:
    await web_app.open_sign_in(state="s-123", nonce="n-456")
    response = await web_app.submit(state="s-123", nonce="n-456")
    redirect = query_of(response.headers["location"])
    assert redirect["state"] == "s-123"
    tokens = (await web_app.redeem(redirect["code"])).json()
    assert claims(tokens["id_token"])["nonce"] == "n-456"


async def test_signed_in_browser_gets_a_code_without_the_form(
    web_app: WebApp, provider: httpx.AsyncClient
) -> None:
    await web_app.sign_in()
    again = WebApp(provider)
    response = await again.open_sign_in()
    assert response.status_code == 302
    code = query_of(response.headers["location"])["code"]
    assert (await again.redeem(code)).status_code == 200
    forced = await again.open_sign_in(prompt="login")
    assert forced.status_code == 200
    assert 'name="password"' in forced.text


async def test_prompt_none_without_a_session_answers_login_required(
    web_app: WebApp,
) -> None:
    response = await web_app.open_sign_in(prompt="none", state="x")
    assert response.status_code == 302
    assert query_of(response.headers["location"]) == {
        "error": "login_required",
        "state": "x",
    } | {
        k: v
        for k, v in query_of(response.headers["location"]).items()
        if k == "error_description"
    }


async def test_wrong_verifier_is_refused_and_spends_the_code(web_app: WebApp) -> None:
    code = await web_app.sign_in()
    other_verifier, _ = pkce_pair()
    wrong = await web_app.redeem(code, code_verifier=other_verifier)
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"
    retried = await web_app.redeem(code)
    assert retried.json()["error"] == "invalid_grant"


async def test_missing_verifier_is_refused(web_app: WebApp) -> None:
    code = await web_app.sign_in()
    response = await web_app.redeem(code, code_verifier="")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


async def test_pkce_is_required_and_plain_is_refused(web_app: WebApp) -> None:
    params = web_app.authorization_params()
    del params["code_challenge"], params["code_challenge_method"]
    missing = await web_app.http.get("/oidc/auth", params=params)
    assert missing.status_code == 302
    assert query_of(missing.headers["location"])["error"] == "invalid_request"
    plain = await web_app.open_sign_in(code_challenge_method="plain")
    assert query_of(plain.headers["location"])["error"] == "invalid_request"


async def test_a_code_is_single_use_and_reuse_revokes_its_tokens(
    web_app: WebApp,
) -> None:
    code = await web_app.sign_in()
    first = await web_app.redeem(code)
    assert first.status_code == 200
    second = await web_app.redeem(code)
    assert (second.status_code, second.json()["error"]) == (400, "invalid_grant")
    refreshed = await web_app.refresh(first.json()["refresh_token"])
    assert refreshed.json()["error"] == "invalid_grant"


async def test_an_expired_code_is_refused(web_app: WebApp, database: Database) -> None:
    code = await web_app.sign_in()
    async with database.sessionmaker() as session, session.begin():
        await session.execute(update(AuthorizationCode).values(expires_at=utcnow()))
    response = await web_app.redeem(code)
    assert response.json()["error"] == "invalid_grant"


async def test_redirect_uri_must_be_registered_and_match(web_app: WebApp) -> None:
    foreign = await web_app.open_sign_in(redirect_uri="https://evil.example/cb")
    assert foreign.status_code == 400
    assert "location" not in foreign.headers
    assert "not supported" in foreign.text
    code = await web_app.sign_in()
    mismatch = await web_app.redeem(code, redirect_uri=SIGNED_OUT_URI)
    assert mismatch.json()["error"] == "invalid_grant"


async def test_unknown_client_gets_an_error_page(web_app: WebApp) -> None:
    response = await web_app.open_sign_in(client_id="Intruder")
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "The client does not exist" in response.text


async def test_refresh_rotates_and_answers_all_three_tokens(
    web_app: WebApp, provider: httpx.AsyncClient
) -> None:
    tokens = await web_app.tokens()
    response = await web_app.refresh(tokens["refresh_token"])
    assert response.status_code == 200, response.text
    renewed = response.json()
    assert {"access_token", "refresh_token", "id_token"} <= renewed.keys()
    assert renewed["refresh_token"] != tokens["refresh_token"]
    assert claims(renewed["id_token"])["sub"] == claims(tokens["id_token"])["sub"]
    me = await provider.get(
        "/v1/users/me", headers={"Authorization": f"Bearer {renewed['access_token']}"}
    )
    assert me.status_code == 200
    assert (await web_app.refresh(renewed["refresh_token"])).status_code == 200


async def test_reusing_a_rotated_refresh_token_revokes_the_family(
    web_app: WebApp,
) -> None:
    tokens = await web_app.tokens()
    renewed = (await web_app.refresh(tokens["refresh_token"])).json()
    reused = await web_app.refresh(tokens["refresh_token"])
    assert (reused.status_code, reused.json()["error"]) == (400, "invalid_grant")
    after = await web_app.refresh(renewed["refresh_token"])
    assert after.json()["error"] == "invalid_grant"


async def test_reuse_within_the_leeway_is_two_tabs_not_theft(
    provider_client: Any, account: Any
) -> None:
    async with provider_client(oidc_refresh_reuse_leeway_seconds=60) as http:
        web_app = WebApp(http)
        tokens = await web_app.tokens()
        first = await web_app.refresh(tokens["refresh_token"])
        second = await web_app.refresh(tokens["refresh_token"])
        assert (first.status_code, second.status_code) == (200, 200)
        assert (
            await web_app.refresh(second.json()["refresh_token"])
        ).status_code == 200


async def test_revocation_ends_the_family(web_app: WebApp) -> None:
    tokens = await web_app.tokens()
    revoked = await web_app.http.post(
        "/oidc/revoke",
        data={
            "client_id": CLIENT_ID,
            "token": tokens["refresh_token"],
            "token_type_hint": "refresh_token",
        },
    )
    assert (revoked.status_code, revoked.json()) == (200, {})
    assert (await web_app.refresh(tokens["refresh_token"])).json()["error"] == (
        "invalid_grant"
    )
    unsupported = await web_app.http.post(
        "/oidc/revoke",
        data={
            "client_id": CLIENT_ID,
            "token": tokens["access_token"],
            "token_type_hint": "access_token",
        },
    )
    assert unsupported.json()["error"] == "unsupported_token_type"


async def test_end_session_redirects_only_to_registered_uris(
    web_app: WebApp,
) -> None:
    tokens = await web_app.tokens()
    response = await web_app.http.get(
        "/oidc/logout",
        params={
            "client_id": CLIENT_ID,
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": SIGNED_OUT_URI,
        },
    )
    assert response.status_code == 302
    assert response.headers["location"] == SIGNED_OUT_URI
    assert "parley_oidc_session" not in web_app.http.cookies
    assert (await web_app.refresh(tokens["refresh_token"])).json()["error"] == (
        "invalid_grant"
    )
    form_again = await web_app.open_sign_in()
    assert form_again.status_code == 200

    other = await web_app.tokens()
    elsewhere = await web_app.http.get(
        "/oidc/logout",
        params={
            "client_id": CLIENT_ID,
            "id_token_hint": other["id_token"],
            "post_logout_redirect_uri": "https://evil.example/",
        },
    )
    assert elsewhere.status_code == 200
    assert "location" not in elsewhere.headers
    assert "You are signed out" in elsewhere.text


async def test_end_session_without_hint_asks_first(web_app: WebApp) -> None:
    tokens = await web_app.tokens()
    asked = await web_app.http.get(
        "/oidc/logout",
        params={"client_id": CLIENT_ID, "post_logout_redirect_uri": SIGNED_OUT_URI},
    )
    assert asked.status_code == 200
    assert "Sign out of Parley?" in asked.text
    assert (await web_app.refresh(tokens["refresh_token"])).status_code == 200
    confirmed = await web_app.http.post(
        "/oidc/logout",
        data={
            "client_id": CLIENT_ID,
            "post_logout_redirect_uri": SIGNED_OUT_URI,
            "confirm": "yes",
            "csrf_token": web_app.http.cookies["parley_oidc_csrf"],
        },
    )
    assert (confirmed.status_code, confirmed.headers["location"]) == (
        302,
        SIGNED_OUT_URI,
    )
    assert (await web_app.open_sign_in()).status_code == 200


async def test_userinfo(web_app: WebApp, provider: httpx.AsyncClient) -> None:
    tokens = await web_app.tokens()
    info = await provider.get(
        "/oidc/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert info.status_code == 200, info.text
    assert info.json() == {
        "sub": local_subject(EMAIL),
        "email": EMAIL,
        "email_verified": True,
        "name": "Ada Lovelace",
        "given_name": "Ada",
        "family_name": "Lovelace",
        "preferred_username": EMAIL,
    }
    for token in (tokens["id_token"], tokens["refresh_token"], "garbage"):
        refused = await provider.get(
            "/oidc/userinfo", headers={"Authorization": f"Bearer {token}"}
        )
        assert refused.status_code == 401
        assert "www-authenticate" in refused.headers


async def test_token_endpoint_refuses_bad_requests(provider: httpx.AsyncClient) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"json": {"grant_type": "authorization_code"}}, "invalid_request"),
        (
            {"data": {"grant_type": "password", "client_id": CLIENT_ID}},
            "unsupported_grant_type",
        ),
        (
            {
                "data": {
                    "grant_type": "authorization_code",
                    "client_id": "nobody",
                    "code": "x",
                }
            },
            "invalid_client",
        ),
        (
            {
                "data": {
                    "grant_type": "authorization_code",
                    "client_id": CLIENT_ID,
                    "code": "a\x00b",
                }
            },
            "invalid_request",
        ),
        (
            {
                "data": {
                    "grant_type": "authorization_code",
                    "client_id": CLIENT_ID,
                    "code": "x" * 20_000,
                }
            },
            "invalid_request",
        ),
        (
            {
                "data": {
                    "grant_type": "authorization_code",
                    "client_id": CLIENT_ID,
                    "code": "unknown",
                    "redirect_uri": REDIRECT_URI,
                    "code_verifier": "v" * 43,
                }
            },
            "invalid_grant",
        ),
        (
            {
                "data": {
                    "grant_type": "refresh_token",
                    "client_id": CLIENT_ID,
                    "refresh_token": "not-a-jwt",
                }
            },
            "invalid_grant",
        ),
    ]
    for request, error in cases:
        response = await provider.post("/oidc/token", **request)
        assert response.status_code in (400, 401), (request, response.text)
        assert response.json()["error"] == error, (request, response.text)


async def test_end_session_with_a_forged_hint_does_not_redirect(
    web_app: WebApp,
) -> None:
    tokens = await web_app.tokens()
    header, payload, _ = tokens["id_token"].split(".")
    response = await web_app.http.get(
        "/oidc/logout",
        params={
            "client_id": CLIENT_ID,
            "id_token_hint": f"{header}.{payload}.AAAA",
            "post_logout_redirect_uri": SIGNED_OUT_URI,
        },
    )
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "The sign-out link is not valid" in response.text
    assert (await web_app.refresh(tokens["refresh_token"])).status_code == 200


async def test_plain_http_outside_loopback_is_refused(
    provider_client: Any, account: Any
) -> None:
    async with provider_client(public_url="http://parley.lan") as http:
        token = await http.post(
            "/oidc/token", data={"grant_type": "refresh_token", "client_id": CLIENT_ID}
        )
        assert token.json()["error"] == "insecure_transport"
        page = await WebApp(http).open_sign_in()
        assert page.status_code == 400
        assert "https" in page.text
