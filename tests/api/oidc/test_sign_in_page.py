"""The server-rendered sign-in page: accessible errors, throttling, no enumeration."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from parley.auth.provider import accounts, passwords
from parley.db import Database, utcnow
from tests.api.oidc.conftest import EMAIL, PASSWORD, WebApp, alert_text

WRONG = "The e-mail address or the password is not correct. Check both and try again."


async def test_the_form_has_labels_and_keeps_the_request(web_app: WebApp) -> None:
    page = await web_app.open_sign_in(state="abc")
    assert page.status_code == 200
    html = page.text
    assert '<html lang="en">' in html
    assert '<label for="email">E-mail address</label>' in html
    assert '<label for="password">Password</label>' in html
    assert 'autocomplete="current-password"' in html
    assert '<input type="hidden" name="state" value="abc">' in html
    assert "to continue to Frontend" in html
    csp = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    assert "form-action 'self' http://app.example.test:3000" in csp
    assert page.headers["x-frame-options"] == "DENY"


async def test_empty_fields_are_named(web_app: WebApp) -> None:
    await web_app.open_sign_in()
    response = await web_app.submit(email="", password="")
    assert response.status_code == 400
    assert "Enter your e-mail address." in response.text
    assert "Enter your password." in response.text
    assert (
        'aria-describedby="email-error" aria-invalid="true" autofocus' in response.text
    )


async def test_unknown_account_and_wrong_password_look_the_same(
    web_app: WebApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    verified: list[str | None] = []
    real_verify = passwords.verify_password

    async def spy(stored_hash: str | None, password: str) -> bool:
        verified.append(stored_hash)
        return await real_verify(stored_hash, password)

    monkeypatch.setattr(passwords, "verify_password", spy)
    await web_app.open_sign_in()
    wrong_password = await web_app.submit(email=EMAIL, password="not the password")
    unknown = await web_app.submit(email="eve@example.com", password="not the password")
    assert wrong_password.status_code == unknown.status_code == 400
    assert alert_text(wrong_password.text) == alert_text(unknown.text) == WRONG
    assert wrong_password.text.replace(EMAIL, "X") == unknown.text.replace(
        "eve@example.com", "X"
    )
    # Both paths run one Argon2 verification: the unknown account against a stand-in.
    assert len(verified) == 2
    assert verified[0] is not None
    assert verified[1] is None


async def test_expired_form_is_explained(web_app: WebApp) -> None:
    await web_app.open_sign_in()
    response = await web_app.submit(csrf="forged-token-value-1234567")
    assert response.status_code == 400
    assert "The sign-in form expired" in alert_text(response.text)


async def test_wrong_passwords_are_throttled_per_account(
    provider_client: Any, account: Any
) -> None:
    async with provider_client(sign_in_max_failures_per_account=3) as http:
        web_app = WebApp(http)
        await web_app.open_sign_in()
        for _ in range(3):
            assert (await web_app.submit(password="wrong password")).status_code == 400
        blocked = await web_app.submit()
        assert blocked.status_code == 429
        assert int(blocked.headers["retry-after"]) > 0
        assert "Too many failed sign-in attempts" in alert_text(blocked.text)
        # Another account from the same address is not blocked by Ada's budget.
        other = await web_app.submit(email="bob@example.com", password="x" * 10)
        assert other.status_code == 400


async def test_wrong_passwords_are_throttled_per_address(
    provider_client: Any, account: Any
) -> None:
    async with provider_client(sign_in_max_failures_per_source=2) as http:
        web_app = WebApp(http)
        await web_app.open_sign_in()
        for guess in ("one@example.com", "two@example.com"):
            assert (await web_app.submit(email=guess)).status_code == 400
        assert (await web_app.submit()).status_code == 429


async def test_a_disabled_account_is_refused(
    web_app: WebApp, database: Database
) -> None:
    async with database.sessionmaker() as session, session.begin():
        await accounts.set_disabled(session, EMAIL, disabled=True, now=utcnow())
    await web_app.open_sign_in()
    right = await web_app.submit()
    assert right.status_code == 403
    assert "This account is disabled" in alert_text(right.text)
    wrong = await web_app.submit(password="not the password")
    assert alert_text(wrong.text) == WRONG


async def test_disabling_ends_sessions_and_refresh(
    web_app: WebApp, database: Database
) -> None:
    tokens = await web_app.tokens()
    async with database.sessionmaker() as session, session.begin():
        await accounts.set_disabled(session, EMAIL, disabled=True, now=utcnow())
    assert (await web_app.refresh(tokens["refresh_token"])).json()["error"] == (
        "invalid_grant"
    )
    async with database.sessionmaker() as session, session.begin():
        await accounts.set_disabled(session, EMAIL, disabled=False, now=utcnow())
    assert (await web_app.open_sign_in()).status_code == 200  # signed out


async def test_password_reset_ends_sessions(
    web_app: WebApp, database: Database
) -> None:
    tokens = await web_app.tokens()
    async with database.sessionmaker() as session, session.begin():
        await accounts.reset_password(
            session, EMAIL, password="a new password", now=utcnow()
        )
    assert (await web_app.refresh(tokens["refresh_token"])).status_code == 400
    await web_app.open_sign_in()
    assert (await web_app.submit(password=PASSWORD)).status_code == 400
    assert (await web_app.submit(password="a new password")).status_code == 302


async def test_sign_in_page_on_its_own(
    provider: httpx.AsyncClient, account: Any
) -> None:
    page = await provider.get("/oidc/auth")
    assert page.status_code == 200
    response = await provider.post(
        "/oidc/auth",
        data={
            "email": EMAIL.upper(),
            "password": PASSWORD,
            "csrf_token": provider.cookies["parley_oidc_csrf"],
        },
    )
    assert response.status_code == 200
    assert f"signed in to Parley as <strong>{EMAIL}</strong>" in response.text
    assert "<h1>You are signed in</h1>" in (await provider.get("/oidc/auth")).text


async def test_garbage_forms_change_nothing(web_app: WebApp) -> None:
    await web_app.open_sign_in()
    for content, headers in (
        (
            b"email=a%00b&password=x",
            {"content-type": "application/x-www-form-urlencoded"},
        ),
        (b'{"email": "x"}', {"content-type": "application/json"}),
        (b"x=" + b"y" * 20_000, {"content-type": "application/x-www-form-urlencoded"}),
        (b"\xff\xfe", {"content-type": "application/x-www-form-urlencoded"}),
    ):
        response = await web_app.http.post(
            "/oidc/auth", content=content, headers=headers
        )
        assert response.status_code == 400
        assert response.headers["content-type"].startswith("text/html")


async def test_embedded_issuer_is_off_with_an_external_issuer(
    client: httpx.AsyncClient,
) -> None:
    for path in ("/oidc/auth", "/.well-known/openid-configuration", "/oidc/jwks"):
        assert (await client.get(path)).status_code == 404
    assert (await client.post("/oidc/token", data={"a": "b"})).status_code == 404
