"""Room invite codes and POST /v1/invite/verify."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.api.rooms.test_rooms import create_room


async def test_invite_lifecycle(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    me = (await client.get("/v1/users/me", headers=alice)).json()
    room = await create_room(client, alice, password="pw")
    base = f"/v1/rooms/{room['id']}/invites"
    created = await client.post(base, json={}, headers=alice)
    assert created.status_code == 200, created.text
    invite = created.json()
    assert invite["room_id"] == invite["room"] == room["id"]
    assert invite["active"] is True
    assert invite["expiration"] is None
    assert invite["created_by"]["id"] == invite["updated_by"]["id"] == me["id"]
    assert set(invite["created_by"]) == {
        "id",
        "email",
        "title",
        "firstname",
        "lastname",
        "display_name",
        "avatar_url",
    }
    code = invite["invite_code"]

    assert (await client.get(f"{base}/{code}", headers=alice)).json() == invite
    assert [
        i["invite_code"] for i in (await client.get(base, headers=alice)).json()
    ] == [code]

    verify = await client.post("/v1/invite/verify", json={"invite_code": code})
    assert verify.status_code == 201
    assert verify.json() == {"room_id": room["id"], "password_required": True}

    expiration = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)
    updated = await client.put(
        f"{base}/{code}", json={"expiration": expiration.isoformat()}, headers=alice
    )
    assert updated.status_code == 200
    assert datetime.fromisoformat(updated.json()["expiration"]) == expiration

    assert (await client.delete(f"{base}/{code}", headers=alice)).status_code == 204
    assert (await client.get(f"{base}/{code}", headers=alice)).json()["active"] is False
    assert (
        await client.post("/v1/invite/verify", json={"invite_code": code})
    ).status_code == 404


async def test_expired_invite_does_not_verify(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    room = await create_room(client, alice)
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    invite = (
        await client.post(
            f"/v1/rooms/{room['id']}/invites", json={"expiration": past}, headers=alice
        )
    ).json()
    response = await client.post(
        "/v1/invite/verify", json={"invite_code": invite["invite_code"]}
    )
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


async def test_verify_room_without_password(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    room = await create_room(client, alice)
    invite = (
        await client.post(f"/v1/rooms/{room['id']}/invites", headers=alice)
    ).json()
    response = await client.post(
        "/v1/invite/verify", json={"invite_code": invite["invite_code"]}
    )
    assert response.json() == {"room_id": room["id"], "password_required": False}


@pytest.mark.parametrize(
    ("code", "status"), [("not-a-uuid", 422), (str(uuid.uuid4()), 404)]
)
async def test_verify_bad_or_unknown_code(
    client: httpx.AsyncClient, code: str, status: int
) -> None:
    response = await client.post("/v1/invite/verify", json={"invite_code": code})
    assert response.status_code == status
    if status == 422:
        assert response.json()["errors"][0]["field"] == "invite_code"


async def test_naive_expiration_is_rejected(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    room = await create_room(client, alice)
    response = await client.post(
        f"/v1/rooms/{room['id']}/invites",
        json={"expiration": "2030-01-01T00:00:00"},
        headers=alice,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "expiration"


async def test_put_without_fields_is_422_missing_values(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    room = await create_room(client, alice)
    invite = (
        await client.post(f"/v1/rooms/{room['id']}/invites", headers=alice)
    ).json()
    response = await client.put(
        f"/v1/rooms/{room['id']}/invites/{invite['invite_code']}",
        json={},
        headers=alice,
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"code": "missing_values", "message": "At least one field must be set"}
    ]


async def test_only_owner_manages_invites(
    client: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    room = await create_room(client, alice)
    base = f"/v1/rooms/{room['id']}/invites"
    code = (await client.post(base, headers=alice)).json()["invite_code"]
    for response in (
        await client.get(base, headers=bob),
        await client.post(base, headers=bob),
        await client.get(f"{base}/{code}", headers=bob),
        await client.put(f"{base}/{code}", json={"expiration": None}, headers=bob),
        await client.delete(f"{base}/{code}", headers=bob),
    ):
        assert response.status_code == 403, response.text
    assert (await client.get(f"{base}/{code}", headers=alice)).json()["active"] is True


async def test_invite_of_another_room_is_404(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    first, second = await create_room(client, alice), await create_room(client, alice)
    code = (
        await client.post(f"/v1/rooms/{first['id']}/invites", headers=alice)
    ).json()["invite_code"]
    response = await client.get(
        f"/v1/rooms/{second['id']}/invites/{code}", headers=alice
    )
    assert response.status_code == 404


async def test_malformed_invite_code_in_path_is_400(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    room = await create_room(client, alice)
    response = await client.get(f"/v1/rooms/{room['id']}/invites/xyz", headers=alice)
    assert response.status_code == 400
