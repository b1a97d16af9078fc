"""`Authorization: InviteCode <code>` (and `Bearer <code>`) wherever the spec's security
lists the InviteCode scheme, as the OpenTalk web app sends it in the guest lobby."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi import FastAPI
from pydantic import SecretStr

from tests.conftest import AppClient, project_root

SPEC = project_root().parent / "shared" / "reference" / "opentalk-frontend-api.yaml"
METHODS = ("get", "put", "post", "delete", "patch")


def spec_invite_code_operations(path: Path) -> list[tuple[str, str]]:
    """(METHOD, /v1 path) of every spec operation whose security lists InviteCode."""
    document: dict[str, Any] = yaml.safe_load(path.read_text())
    return sorted(
        (method.upper(), f"/v1{route}")
        for route, operations in document["paths"].items()
        for method, operation in operations.items()
        if method in METHODS
        and any("InviteCode" in entry for entry in operation.get("security", []))
    )


@pytest.fixture
async def http(client_with: AppClient) -> AsyncIterator[httpx.AsyncClient]:
    async with client_with(
        turn_uris="turn:turn.example.org:3478", turn_secret=SecretStr("coturn-secret")
    ) as client:
        yield client


async def invite_code(
    http: httpx.AsyncClient, headers: dict[str, str]
) -> dict[str, str]:
    """An event's room and a usable invite code for it."""
    event = await http.post(
        "/v1/events",
        json={"title": "Lobby", "description": "", "is_time_independent": True},
        headers=headers,
    )
    assert event.status_code == 201, event.text
    room_id = event.json()["room"]["id"]
    code = await http.post(f"/v1/rooms/{room_id}/invites", json={}, headers=headers)
    return {"room_id": room_id, "code": code.json()["invite_code"]}


def test_the_operations_the_spec_opens_to_invite_codes_declare_it(app: FastAPI) -> None:
    expected = spec_invite_code_operations(SPEC)
    assert expected == [("GET", "/v1/rooms/{room_id}/event"), ("GET", "/v1/turn")]
    document = app.openapi()
    for method, route in expected:
        security = document["paths"][route][method.lower()]["security"]
        assert security == [{"BearerAuth": []}, {"InviteCode": []}], route


@pytest.mark.parametrize("scheme", ["InviteCode", "Bearer", "invitecode", "BEARER"])
async def test_both_routes_admit_the_guest_with_either_scheme(
    http: httpx.AsyncClient, alice: dict[str, str], scheme: str
) -> None:
    made = await invite_code(http, alice)
    guest = {"Authorization": f"{scheme} {made['code']}"}
    event = await http.get(f"/v1/rooms/{made['room_id']}/event", headers=guest)
    assert event.status_code == 200, event.text
    assert event.json()["room_id"] == made["room_id"]
    turn = await http.get("/v1/turn", headers=guest)
    assert turn.status_code == 200, turn.text
    assert turn.json()[0]["uris"] == ["turn:turn.example.org:3478"]


async def test_users_keep_using_their_bearer_token(
    http: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    made = await invite_code(http, alice)
    event = await http.get(f"/v1/rooms/{made['room_id']}/event", headers=alice)
    assert event.status_code == 200
    assert (await http.get("/v1/turn", headers=alice)).status_code == 200


async def test_bad_codes_are_401_on_both_routes(
    http: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    made = await invite_code(http, alice)
    revoked = await invite_code(http, alice)
    await http.delete(
        f"/v1/rooms/{revoked['room_id']}/invites/{revoked['code']}", headers=alice
    )
    token = alice["Authorization"].split(" ", 1)[1]
    for header in (
        f"InviteCode {uuid.uuid4()}",  # unknown
        f"InviteCode {revoked['code']}",  # deactivated
        "InviteCode not-a-code",
        f"InviteCode {token}",  # an access token is not an invite code
        "InviteCode ",
        "Basic YWxpY2U6cHc=",
        None,
    ):
        headers = {} if header is None else {"Authorization": header}
        for url in (f"/v1/rooms/{made['room_id']}/event", "/v1/turn"):
            response = await http.get(url, headers=headers)
            assert response.status_code == 401, (header, url, response.text)
            assert response.json()["code"] == "unauthorized"
            assert "www-authenticate" in response.headers


async def test_a_code_opens_only_its_own_room(
    http: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    made = await invite_code(http, alice)
    other = await invite_code(http, alice)
    response = await http.get(
        f"/v1/rooms/{other['room_id']}/event",
        headers={"Authorization": f"InviteCode {made['code']}"},
    )
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")
