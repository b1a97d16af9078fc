"""The README's first steps on a real server: parley serve on SQLite with the local
issuer, a token from `parley token`, a first request, a clean shutdown."""

from __future__ import annotations

from pathlib import Path

import httpx

# free_port is re-exported: other end-to-end tests import it from here.
from tests.e2e.conftest import free_port as free_port
from tests.e2e.conftest import mint_token


def test_first_steps_from_the_readme(
    embedded_server: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    base, env = embedded_server
    token = mint_token(env, tmp_path, "alice@example.com", name="Alice Example")
    headers = {"Authorization": f"Bearer {token}"}

    discovery = httpx.get(f"{base}/.well-known/openid-configuration").json()
    assert discovery["issuer"] == base
    assert httpx.get(discovery["jwks_uri"]).json()["keys"][0]["alg"] == "RS256"
    assert httpx.get(f"{base}/v1/auth/login").json() == {
        "oidc": {"name": "default", "url": base}
    }

    me = httpx.get(f"{base}/v1/users/me", headers=headers)
    assert me.status_code == 200, me.text
    assert (me.json()["email"], me.json()["display_name"]) == (
        "alice@example.com",
        "Alice Example",
    )
    room = httpx.post(f"{base}/v1/rooms", json={"password": "pw"}, headers=headers)
    assert room.status_code == 201
    assert (
        httpx.get(f"{base}/v1/rooms/{room.json()['id']}", headers=headers).json()
        == room.json()
    )
    assert (
        httpx.get(f"{base}/v1/rooms", headers={"Authorization": "Bearer x"}).status_code
        == 401
    )
    assert (tmp_path / "data" / "oidc-signing-key.pem").exists()
