"""The embedded provider's secrets stay out of the logs: passwords (right and
wrong), authorization codes, access, ID and refresh tokens, session cookies."""

from __future__ import annotations

from prometheus_client import REGISTRY

from tests.api.oidc.conftest import PASSWORD, WebApp
from tests.conftest import CapturedLogs


def password_failures() -> float:
    value = REGISTRY.get_sample_value(
        "parley_login_failures_total", {"kind": "password"}
    )
    return value or 0.0


async def test_sign_in_secrets_never_reach_the_logs(
    web_app: WebApp, captured_logs: CapturedLogs
) -> None:
    failures = password_failures()
    wrong = "wrong-horse-battery-staple"
    await web_app.open_sign_in()
    assert (await web_app.submit(password=wrong)).status_code == 400
    code = await web_app.sign_in()
    redeemed = await web_app.redeem(code)
    assert redeemed.status_code == 200, redeemed.text
    tokens = redeemed.json()
    refreshed = await web_app.refresh(tokens["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text
    me = await web_app.http.get(
        "/v1/users/me",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    assert me.status_code == 200

    secrets = [
        PASSWORD,
        wrong,
        code,
        tokens["access_token"],
        tokens["id_token"],
        tokens["refresh_token"],
        refreshed.json()["refresh_token"],
        *(cookie.value for cookie in web_app.http.cookies.jar if cookie.value),
    ]
    logged = captured_logs.text()
    assert len(captured_logs.access()) >= 6
    assert [secret for secret in secrets if secret in logged] == []
    assert password_failures() == failures + 1
