"""Signing in to Parley from a browser app on another origin, in headless Chromium.

A stand-in for the OpenTalk web app (tests/e2e/webapp/index.html: its sign-in,
refresh and sign-out steps, nothing more) is served from http://localhost:PORT;
`parley serve` runs at http://127.0.0.1:PORT with the app registered as a client.
The browser signs in through Parley's page (a wrong password first), the app calls
/v1/users/me, refreshes, and signs out through the end-session endpoint.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from jose import jwt

from tests.e2e.conftest import running_server
from tests.e2e.test_booking_page import CHROMIUM, CHROMIUM_ARGS, _browser_or_skip

PAGE = (Path(__file__).parent / "webapp" / "index.html").read_text()
EMAIL = "ada@example.com"
PASSWORD = "analytical engine"


class _WebApp(ThreadingHTTPServer):
    page: bytes


class _Handler(BaseHTTPRequestHandler):
    server: _WebApp

    def do_GET(self) -> None:  # every path is the single-page app
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(self.server.page)))
        self.end_headers()
        self.wfile.write(self.server.page)

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def web_app_server() -> Iterator[_WebApp]:
    server = _WebApp(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def add_user(env: dict[str, str], cwd: Path) -> None:
    """`parley user add` as the README shows it, password on standard input."""
    added = subprocess.run(
        [
            sys.executable,
            "-m",
            "parley.cli",
            "user",
            "add",
            EMAIL,
            "--name",
            "Ada Lovelace",
            "--password-stdin",
        ],
        input=PASSWORD + "\n",
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert added.returncode == 0, added.stderr


def _stored(tokens: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: jwt.get_unverified_claims(value) for name, value in tokens.items()}


async def test_web_app_signs_in_refreshes_and_signs_out(
    web_app_server: _WebApp, tmp_path: Path
) -> None:
    async_playwright = _browser_or_skip()
    app_origin = f"http://localhost:{web_app_server.server_address[1]}"
    client = {
        "client_id": "Frontend",
        "redirect_uris": [f"{app_origin}/auth/callback"],
        "post_logout_redirect_uris": [f"{app_origin}/dashboard"],
    }
    extra_env = {
        "PARLEY_OIDC_CLIENTS": json.dumps([client]),
        "PARLEY_CORS_ORIGINS": app_origin,
    }
    with running_server(tmp_path, extra_env) as (base, env):
        add_user(env, tmp_path)
        config = {
            "authority": base,
            "clientId": "Frontend",
            "controller": base,
            "baseUrl": app_origin,
        }
        web_app_server.page = PAGE.replace("__CONFIG__", json.dumps(config)).encode()
        await _drive_browser(async_playwright, base, app_origin)


async def _drive_browser(async_playwright: Any, base: str, app_origin: str) -> None:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[*CHROMIUM_ARGS, "--host-resolver-rules=MAP localhost 127.0.0.1"],
        )
        try:
            page = await (await browser.new_context()).new_page()
            await page.goto(f"{app_origin}/")
            await page.get_by_text("ready").wait_for()
            await page.get_by_role("button", name="Sign in").click()
            await page.wait_for_url(f"{base}/oidc/auth?*")
            assert "state=" not in page.url
            assert "nonce=" not in page.url

            # Keyboard only: type into the labelled fields, submit with Enter.
            await page.get_by_label("E-mail address").fill(EMAIL)
            await page.get_by_label("Password").fill("not the password")
            await page.get_by_label("Password").press("Enter")
            alert = page.get_by_role("alert")
            await alert.wait_for()
            assert "password is not correct" in await alert.inner_text()
            assert (
                await page.get_by_label("Password").get_attribute("aria-invalid")
                == "true"
            )
            await page.get_by_label("Password").fill(PASSWORD)
            await page.get_by_label("Password").press("Enter")

            await page.wait_for_url(f"{app_origin}/")
            await page.locator("#status").get_by_text("signed in").wait_for()
            assert await page.locator("#me").inner_text() == EMAIL
            first = await _tokens(page)
            claims = _stored(first)
            assert all(isinstance(c["exp"], int) for c in claims.values())
            assert claims["refresh_token"]["exp"] > claims["access_token"]["exp"]

            await page.get_by_role("button", name="Refresh").click()
            await page.locator("#status").get_by_text("refreshed").wait_for()
            second = await _tokens(page)
            assert all(second[name] != first[name] for name in first)
            assert await page.locator("#me").inner_text() == EMAIL

            await page.get_by_role("button", name="Sign out").click()
            await page.wait_for_url(f"{app_origin}/dashboard")
            await page.locator("#status").get_by_text("signed out").wait_for()
            async with httpx.AsyncClient() as http:
                refused = await http.post(
                    f"{base}/oidc/token",
                    data={
                        "grant_type": "refresh_token",
                        "client_id": "Frontend",
                        "refresh_token": second["refresh_token"],
                    },
                )
            assert refused.json()["error"] == "invalid_grant"

            # The provider session ended too: signing in asks for the password again.
            await page.goto(f"{app_origin}/")
            await page.get_by_role("button", name="Sign in").click()
            await page.wait_for_url(f"{base}/oidc/auth?*")
            await page.get_by_label("Password").wait_for()
        finally:
            await browser.close()


async def _tokens(page: Any) -> dict[str, str]:
    stored = await page.evaluate(
        "() => ({id_token: localStorage.getItem('id_token'),"
        " access_token: localStorage.getItem('access_token'),"
        " refresh_token: localStorage.getItem('refresh_token')})"
    )
    assert all(stored.values()), stored
    return dict(stored)
