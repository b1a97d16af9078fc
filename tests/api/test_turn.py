"""GET /turn: TURN REST credentials (verified by recomputing the HMAC) and STUN URIs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr, ValidationError

from parley.config import Settings
from tests.api.rooms.test_rooms import create_room
from tests.conftest import AppClient

TURN_URIS = ["turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:5349"]
STUN_URIS = ["stun:stun.example.org:3478"]
SECRET = "coturn-static-auth-secret"


@pytest.fixture
async def turn_client(client_with: AppClient) -> AsyncIterator[httpx.AsyncClient]:
    async with client_with(
        turn_uris=",".join(TURN_URIS),
        # model_copy skips validation: pass the secret as it would be parsed.
        turn_secret=SecretStr(SECRET),
        turn_ttl_seconds=3600,
        stun_uris=" , ".join(STUN_URIS),
    ) as http:
        yield http


def expected_password(username: str) -> str:
    digest = hmac.new(SECRET.encode(), username.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def check_turn_entry(entry: dict[str, Any], participant: str | None) -> str:
    """Assert the coturn REST credential form; returns the participant part."""
    assert set(entry) == {"username", "password", "ttl", "uris"}
    expiry, _, name = entry["username"].partition(":")
    assert abs(int(expiry) - (int(time.time()) + 3600)) <= 5
    if participant is not None:
        assert name == participant
    assert entry["password"] == expected_password(entry["username"])
    assert (entry["ttl"], entry["uris"]) == ("3600", TURN_URIS)
    return name


async def test_user_gets_turn_credentials_and_stun_servers(
    turn_client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    me = (await turn_client.get("/v1/users/me", headers=alice)).json()

    response = await turn_client.get("/v1/turn", headers=alice)

    assert response.status_code == 200
    turn, stun = response.json()
    check_turn_entry(turn, participant=me["id"])
    assert stun == {"uris": STUN_URIS}


@pytest.mark.parametrize("scheme", ["Bearer", "InviteCode"])
async def test_invite_code_gets_credentials_without_revealing_itself(
    turn_client: httpx.AsyncClient, alice: dict[str, str], scheme: str
) -> None:
    room = await create_room(turn_client, alice)
    code = (
        await turn_client.post(f"/v1/rooms/{room['id']}/invites", headers=alice)
    ).json()["invite_code"]

    response = await turn_client.get(
        "/v1/turn", headers={"Authorization": f"{scheme} {code}"}
    )

    assert response.status_code == 200
    name = check_turn_entry(response.json()[0], participant=None)
    assert uuid.UUID(name) != uuid.UUID(code)


async def test_unknown_invite_or_bad_token_is_401(
    turn_client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    room = await create_room(turn_client, alice)
    base = f"/v1/rooms/{room['id']}/invites"
    code = (await turn_client.post(base, headers=alice)).json()["invite_code"]
    await turn_client.delete(f"{base}/{code}", headers=alice)

    for header in (
        f"Bearer {uuid.uuid4()}",
        f"Bearer {code}",
        "Bearer not-a-token",
        "Basic abc",
        None,
    ):
        headers = {} if header is None else {"Authorization": header}
        response = await turn_client.get("/v1/turn", headers=headers)
        assert response.status_code == 401, header
        assert response.json()["code"] == "unauthorized"
        assert "www-authenticate" in response.headers


async def test_nothing_configured_is_204(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    response = await client.get("/v1/turn", headers=alice)

    assert (response.status_code, response.content) == (204, b"")
    assert (await client.get("/v1/turn")).status_code == 401


async def test_stun_only(client_with: AppClient, alice: dict[str, str]) -> None:
    async with client_with(stun_uris=STUN_URIS[0]) as http:
        response = await http.get("/v1/turn", headers=alice)
    assert response.json() == [{"uris": STUN_URIS}]


@pytest.mark.parametrize(
    "values",
    [
        {"turn_uris": "turn://turn.example.org", "turn_secret": "s"},
        {"turn_uris": "http://turn.example.org", "turn_secret": "s"},
        {"turn_uris": "turn:turn.example.org:99999", "turn_secret": "s"},
        {"turn_uris": "turn:turn.example.org"},
        {"stun_uris": "turn:stun.example.org"},
    ],
)
def test_bad_turn_and_stun_settings_stop_start_up(values: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        Settings(**values)  # type: ignore[arg-type]
