"""Rooms: create, read, list with Link headers, patch, delete; owner-only changes."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.oidc_issuer import TestIssuer


async def create_room(
    client: httpx.AsyncClient, headers: dict[str, str], **body: object
) -> dict[str, object]:
    response = await client.post("/v1/rooms", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_create_room_returns_spec_shape(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    me = (await client.get("/v1/users/me", headers=alice)).json()
    room = await create_room(
        client, alice, password="secret", enable_sip=False, waiting_room=True
    )
    assert set(room) == {"id", "created_by", "created_at", "password", "waiting_room"}
    assert room["created_by"] == me["id"]
    assert (room["password"], room["waiting_room"]) == ("secret", True)
    assert str(room["created_at"]).endswith("Z")
    fetched = await client.get(f"/v1/rooms/{room['id']}", headers=alice)
    assert fetched.status_code == 200
    assert fetched.json() == room


async def test_room_without_password_has_empty_password(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    room = await create_room(client, alice)
    assert (room["password"], room["waiting_room"]) == ("", False)


async def test_enable_sip_creates_a_sip_config(
    client: httpx.AsyncClient, alice: dict[str, str], database: object
) -> None:
    from sqlalchemy import select

    from parley.sip.models import SipConfig

    room = await create_room(client, alice, password="", enable_sip=True)
    async with database.sessionmaker() as session:  # type: ignore[attr-defined]
        config = await session.scalar(
            select(SipConfig).where(SipConfig.room_id == uuid.UUID(str(room["id"])))
        )
    assert config is not None
    assert config.sip_id.isdigit()
    assert len(config.sip_id) == 10
    assert config.password.isdigit()
    assert len(config.password) == 10
    assert config.lobby is False


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"password": "x" * 256}, "password", "invalid_length"),
        ({"password": 5}, "password", "invalid_value"),
        ({"enable_sip": "yes"}, "enable_sip", "invalid_value"),
        ({"waiting_room": 1}, "waiting_room", "invalid_value"),
    ],
)
async def test_create_room_rejects_bad_bodies(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    body: dict[str, object],
    field: str,
    code: str,
) -> None:
    before = len((await client.get("/v1/rooms", headers=alice)).json())
    response = await client.post("/v1/rooms", json=body, headers=alice)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_failed"
    assert {"field": field, "code": code} in [
        {"field": e.get("field"), "code": e["code"]} for e in response.json()["errors"]
    ]
    assert len((await client.get("/v1/rooms", headers=alice)).json()) == before


async def test_malformed_json_is_400_invalid_json(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    response = await client.post(
        "/v1/rooms",
        content=b'{"password": ',
        headers={**alice, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_json"


async def test_non_object_body_is_422(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    response = await client.post("/v1/rooms", json=[1, 2], headers=alice)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"


async def test_list_rooms_pages_with_link_header(
    client: httpx.AsyncClient, oidc_issuer: TestIssuer
) -> None:
    owner = oidc_issuer.headers("pager@example.com")
    created = [await create_room(client, owner) for _ in range(5)]
    first = await client.get("/v1/rooms", params={"per_page": 2}, headers=owner)
    assert first.status_code == 200
    assert len(first.json()) == 2
    link = first.headers["link"]
    assert 'page=2&per_page=2>; rel="next"' in link
    assert 'page=3&per_page=2>; rel="last"' in link
    assert 'rel="prev"' not in link
    last = await client.get(
        "/v1/rooms", params={"per_page": 2, "page": 3}, headers=owner
    )
    assert len(last.json()) == 1
    assert 'rel="first"' in last.headers["link"]
    assert 'rel="next"' not in last.headers["link"]
    listed = {
        room["id"]
        for page in (1, 2, 3)
        for room in (
            await client.get(
                "/v1/rooms", params={"per_page": 2, "page": page}, headers=owner
            )
        ).json()
    }
    assert listed == {room["id"] for room in created}


@pytest.mark.parametrize(
    "params", [{"per_page": 0}, {"per_page": 101}, {"page": 0}, {"page": "x"}]
)
async def test_bad_paging_is_400(
    client: httpx.AsyncClient, alice: dict[str, str], params: dict[str, object]
) -> None:
    response = await client.get("/v1/rooms", params=params, headers=alice)
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"


async def test_rooms_list_only_the_callers_rooms(
    client: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    mine = await create_room(client, alice)
    await create_room(client, bob)
    assert [
        room["id"] for room in (await client.get("/v1/rooms", headers=alice)).json()
    ] == [mine["id"]]


async def test_patch_room_changes_and_clears_password(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    room = await create_room(client, alice, password="old")
    patched = await client.patch(
        f"/v1/rooms/{room['id']}",
        json={"password": "new", "waiting_room": True},
        headers=alice,
    )
    assert patched.status_code == 200
    assert (patched.json()["password"], patched.json()["waiting_room"]) == ("new", True)
    cleared = await client.patch(
        f"/v1/rooms/{room['id']}", json={"password": None}, headers=alice
    )
    assert (cleared.json()["password"], cleared.json()["waiting_room"]) == ("", True)


async def test_stranger_cannot_read_change_or_delete_room(
    client: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    room = await create_room(client, alice, password="pw")
    url = f"/v1/rooms/{room['id']}"
    for response in (
        await client.get(url, headers=bob),
        await client.patch(url, json={"password": "hijack"}, headers=bob),
        await client.delete(url, headers=bob),
    ):
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"
    assert (await client.get(url, headers=alice)).json()["password"] == "pw"


async def test_delete_room_removes_invites_and_sip(
    client: httpx.AsyncClient, alice: dict[str, str], database: object
) -> None:
    from sqlalchemy import func, select

    from parley.invites.models import Invite
    from parley.sip.models import SipConfig

    room = await create_room(client, alice, enable_sip=True)
    invite = (
        await client.post(f"/v1/rooms/{room['id']}/invites", json={}, headers=alice)
    ).json()
    assert (
        await client.delete(f"/v1/rooms/{room['id']}", headers=alice)
    ).status_code == 204
    assert (
        await client.get(f"/v1/rooms/{room['id']}", headers=alice)
    ).status_code == 404
    verify = await client.post(
        "/v1/invite/verify", json={"invite_code": invite["invite_code"]}
    )
    assert verify.status_code == 404
    room_id = uuid.UUID(str(room["id"]))
    async with database.sessionmaker() as session:  # type: ignore[attr-defined]
        assert (
            await session.scalar(
                select(func.count())
                .select_from(Invite)
                .where(Invite.room_id == room_id)
            )
            == 0
        )
        assert (
            await session.scalar(
                select(func.count())
                .select_from(SipConfig)
                .where(SipConfig.room_id == room_id)
            )
            == 0
        )


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
async def test_unknown_room_is_404(
    client: httpx.AsyncClient, alice: dict[str, str], method: str
) -> None:
    response = await client.request(
        method,
        f"/v1/rooms/{uuid.uuid4()}",
        headers=alice,
        json={} if method == "PATCH" else None,
    )
    assert response.status_code == 404
    assert response.json() == {
        "code": "not_found",
        "message": "The room could not be found",
    }


async def test_malformed_room_id_is_400(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    response = await client.get("/v1/rooms/not-a-uuid", headers=alice)
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"
    assert "room_id" in response.json()["message"]


async def test_unauthenticated_room_read_is_401_before_404(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.get(f"/v1/rooms/{uuid.uuid4()}")).status_code == 401
