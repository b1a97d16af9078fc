"""Room assets: list, download (streamed), delete, the caller's assets, storage quota."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from parley.assets import service as assets_service
from parley.db import Database
from parley.hooks import Hooks
from parley.rooms import service as rooms_service
from tests.api.rooms.test_rooms import create_room


async def _chunks(data: bytes, size: int = 100_000) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def store_asset(
    database: Database,
    room: dict[str, Any],
    data: bytes,
    *,
    filename: str = "recording.webm",
    namespace: str | None = "recording",
    kind: str = "recording-render",
) -> dict[str, Any]:
    """Store an asset the way other packages do (assets.service.save_asset)."""
    async with database.sessionmaker() as session, session.begin():
        loaded = await rooms_service.get_room_or_raise(
            session, uuid.UUID(str(room["id"]))
        )
        asset = await assets_service.save_asset(
            session,
            room=loaded,
            chunks=_chunks(data),
            filename=filename,
            namespace=namespace,
            kind=kind,
        )
    return {
        "id": str(asset.id),
        "filename": filename,
        **({"namespace": namespace} if namespace is not None else {}),
        "kind": kind,
        "size": len(data),
        "created_at": asset.created_at.isoformat().replace("+00:00", "Z"),
    }


def asset_dir(app: FastAPI) -> Path:
    return Path(app.state.settings.asset_path)


def stored_files(app: FastAPI) -> list[Path]:
    root = asset_dir(app)
    return sorted(p for p in root.rglob("*") if p.is_file())


async def test_list_download_delete(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database, app: FastAPI
) -> None:
    room = await create_room(client, alice)
    data = bytes(range(256)) * 4096 + b"tail"
    asset = await store_asset(database, room, data)

    listed = await client.get(f"/v1/rooms/{room['id']}/assets", headers=alice)
    assert listed.status_code == 200
    assert listed.json() == [asset]

    url = f"/v1/rooms/{room['id']}/assets/{asset['id']}"
    download = await client.get(url, headers=alice)
    assert download.status_code == 200
    assert download.headers["content-type"] == "video/webm"
    assert download.headers["content-length"] == str(len(data))
    assert download.headers["content-disposition"] == (
        "attachment; filename=\"recording.webm\"; filename*=UTF-8''recording.webm"
    )
    assert download.headers["x-content-type-options"] == "nosniff"
    assert hashlib.sha256(download.content).digest() == hashlib.sha256(data).digest()

    path = asset_dir(app) / "objects" / asset["id"][:2] / asset["id"]
    assert path.is_file()
    deleted = await client.delete(url, headers=alice)
    assert deleted.status_code == 204
    assert not path.exists()
    assert (await client.get(url, headers=alice)).status_code == 404
    assert (
        await client.get(f"/v1/rooms/{room['id']}/assets", headers=alice)
    ).json() == []


async def test_namespace_is_omitted_when_absent(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    room = await create_room(client, alice)
    asset = await store_asset(
        database, room, b"hello", filename="notes.txt", namespace=None, kind="export"
    )
    listed = (await client.get(f"/v1/rooms/{room['id']}/assets", headers=alice)).json()
    assert listed == [asset]
    assert "namespace" not in listed[0]
    download = await client.get(
        f"/v1/rooms/{room['id']}/assets/{asset['id']}", headers=alice
    )
    assert download.headers["content-type"] == "text/plain; charset=utf-8"
    assert download.content == b"hello"


async def test_active_content_is_served_as_octet_stream(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    room = await create_room(client, alice)
    asset = await store_asset(database, room, b"<script>x</script>", filename="x.html")
    download = await client.get(
        f"/v1/rooms/{room['id']}/assets/{asset['id']}", headers=alice
    )
    assert download.headers["content-type"] == "application/octet-stream"


async def test_room_assets_are_paged(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    room = await create_room(client, alice)
    stored = [
        await store_asset(database, room, b"x" * (i + 1), filename=f"a{i}.webm")
        for i in range(3)
    ]
    first = await client.get(
        f"/v1/rooms/{room['id']}/assets", params={"per_page": 2}, headers=alice
    )
    assert first.status_code == 200
    assert len(first.json()) == 2
    assert 'rel="next"' in first.headers["link"]
    second = await client.get(
        f"/v1/rooms/{room['id']}/assets",
        params={"per_page": 2, "page": 2},
        headers=alice,
    )
    listed = {a["id"] for a in first.json() + second.json()}
    assert listed == {a["id"] for a in stored}


async def test_readers_with_access_may_download_but_not_delete(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    bob: dict[str, str],
    database: Database,
    grant_bob_access: None,
) -> None:
    room = await create_room(client, alice)
    asset = await store_asset(database, room, b"data")
    url = f"/v1/rooms/{room['id']}/assets/{asset['id']}"
    assert (await client.get(f"/v1/rooms/{room['id']}/assets", headers=bob)).json() == [
        asset
    ]
    assert (await client.get(url, headers=bob)).content == b"data"
    denied = await client.delete(url, headers=bob)
    assert denied.status_code == 403
    assert denied.json()["code"] == "forbidden"
    assert (await client.get(url, headers=alice)).status_code == 200
    # Bob's own list holds only assets of rooms he created.
    assert (await client.get("/v1/users/me/assets", headers=bob)).json() == {
        "owned_assets": []
    }


async def test_someone_elses_room_is_403(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    bob: dict[str, str],
    database: Database,
) -> None:
    room = await create_room(client, alice)
    asset = await store_asset(database, room, b"data")
    base = f"/v1/rooms/{room['id']}/assets"
    for method, url in (
        ("GET", base),
        ("GET", f"{base}/{asset['id']}"),
        ("DELETE", f"{base}/{asset['id']}"),
    ):
        response = await client.request(method, url, headers=bob)
        assert response.status_code == 403, (method, url)
        assert response.json()["code"] == "forbidden"


async def test_unknown_ids_are_404_and_malformed_400(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    room = await create_room(client, alice)
    other = await create_room(client, alice)
    asset = await store_asset(database, room, b"data")
    for url in (
        f"/v1/rooms/{uuid.uuid4()}/assets",
        f"/v1/rooms/{room['id']}/assets/{uuid.uuid4()}",
        f"/v1/rooms/{other['id']}/assets/{asset['id']}",
    ):
        for method in ("GET", "DELETE"):
            if url.endswith("/assets") and method == "DELETE":
                continue
            response = await client.request(method, url, headers=alice)
            assert response.status_code == 404, (method, url)
            assert response.json()["code"] == "not_found"
    for url in (f"/v1/rooms/{room['id']}/assets/x", "/v1/rooms/x/assets"):
        response = await client.get(url, headers=alice)
        assert response.status_code == 400
        assert response.json()["code"] == "bad_request"


async def test_unauthenticated_is_401(client: httpx.AsyncClient) -> None:
    for url in (f"/v1/rooms/{uuid.uuid4()}/assets", "/v1/users/me/assets"):
        response = await client.get(url)
        assert response.status_code == 401


async def test_missing_stored_object_is_404(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database, app: FastAPI
) -> None:
    room = await create_room(client, alice)
    asset = await store_asset(database, room, b"data")
    (asset_dir(app) / "objects" / asset["id"][:2] / asset["id"]).unlink()
    response = await client.get(
        f"/v1/rooms/{room['id']}/assets/{asset['id']}", headers=alice
    )
    assert response.status_code == 404
    assert response.json() == {
        "code": "not_found",
        "message": "The asset's data is missing",
    }


async def test_deleting_the_room_removes_asset_files(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database, app: FastAPI
) -> None:
    room = await create_room(client, alice)
    assets = [await store_asset(database, room, b"x" * 10) for _ in range(2)]
    paths = [asset_dir(app) / "objects" / a["id"][:2] / a["id"] for a in assets]
    assert all(path.is_file() for path in paths)
    assert (
        await client.delete(f"/v1/rooms/{room['id']}", headers=alice)
    ).status_code == 204
    assert not any(path.exists() for path in paths)


async def test_a_rolled_back_store_leaves_no_file(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database, app: FastAPI
) -> None:
    room = await create_room(client, alice)
    before = stored_files(app)

    async def store_then_fail() -> None:
        async with database.sessionmaker() as session, session.begin():
            loaded = await rooms_service.get_room_or_raise(
                session, uuid.UUID(str(room["id"]))
            )
            await assets_service.save_asset(
                session,
                room=loaded,
                chunks=_chunks(b"y" * 1000),
                filename="r.webm",
                namespace="recording",
                kind="recording-render",
            )
            raise RuntimeError("abort")

    with pytest.raises(RuntimeError, match="abort"):
        await store_then_fail()
    assert stored_files(app) == before
    assert (
        await client.get(f"/v1/rooms/{room['id']}/assets", headers=alice)
    ).json() == []


async def test_me_assets_sorting_and_paging(
    client: httpx.AsyncClient, oidc_issuer: Any, database: Database
) -> None:
    owner = oidc_issuer.headers("sorter@example.com")
    room_a = await create_room(client, owner)
    room_b = await create_room(client, owner)
    a = await store_asset(database, room_a, b"x" * 30, filename="b.webm", kind="k2")
    b = await store_asset(
        database, room_b, b"x" * 10, filename="c.pdf", namespace="protocol", kind="k1"
    )
    c = await store_asset(
        database, room_a, b"x" * 20, filename="a.mkv", namespace=None, kind="k3"
    )
    rooms = {a["id"]: room_a["id"], b["id"]: room_b["id"], c["id"]: room_a["id"]}

    async def order(**params: str) -> list[str]:
        response = await client.get("/v1/users/me/assets", params=params, headers=owner)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["owned_assets"]]

    assert await order() == [c["id"], b["id"], a["id"]]  # created_at, descending
    assert await order(sort="created_at", order="ascending") == [
        a["id"],
        b["id"],
        c["id"],
    ]
    assert await order(sort="filename", order="ascending") == [
        c["id"],
        a["id"],
        b["id"],
    ]
    assert await order(sort="size", order="descending") == [a["id"], c["id"], b["id"]]
    assert await order(sort="kind", order="ascending") == [b["id"], a["id"], c["id"]]
    # Assets without a namespace sort last either way.
    assert await order(sort="namespace", order="ascending") == [
        b["id"],
        a["id"],
        c["id"],
    ]
    assert (await order(sort="namespace", order="descending"))[-1] == c["id"]

    full = (await client.get("/v1/users/me/assets", headers=owner)).json()
    assert full == {
        "owned_assets": [
            {**asset, "room_id": rooms[asset["id"]]} for asset in (c, b, a)
        ]
    }
    page = await client.get(
        "/v1/users/me/assets",
        params={"per_page": 2, "page": 2, "sort": "size", "order": "ascending"},
        headers=owner,
    )
    assert [i["id"] for i in page.json()["owned_assets"]] == [a["id"]]
    assert 'rel="first"' in page.headers["link"]
    assert "sort=size" in page.headers["link"]


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "name"},
        {"sort": "id"},
        {"order": "up"},
        {"order": "asc"},
        {"per_page": 0},
        {"page": "x"},
    ],
)
async def test_me_assets_rejects_bad_query(
    client: httpx.AsyncClient, alice: dict[str, str], params: dict[str, object]
) -> None:
    response = await client.get("/v1/users/me/assets", params=params, headers=alice)
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"


async def test_event_id_comes_from_the_registered_lookup(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    room = await create_room(client, alice)
    asset = await store_asset(database, room, b"x")
    event_id = uuid.uuid4()

    async def lookup(session: Any, room_ids: Any) -> dict[uuid.UUID, uuid.UUID]:
        return dict.fromkeys(room_ids, event_id)

    monkeypatch.setattr(assets_service, "event_lookups", Hooks("test", [lookup]))
    body = (await client.get("/v1/users/me/assets", headers=alice)).json()
    assert body == {
        "owned_assets": [{**asset, "room_id": room["id"], "event_id": str(event_id)}]
    }


async def test_used_storage_is_the_sum_of_owned_assets(
    client: httpx.AsyncClient, oidc_issuer: Any, database: Database
) -> None:
    owner = oidc_issuer.headers("storage@example.com")
    assert (await client.get("/v1/users/me", headers=owner)).json()["used_storage"] == 0
    room = await create_room(client, owner)
    await store_asset(database, room, b"x" * 1000)
    asset = await store_asset(database, room, b"x" * 234)
    me = await client.get("/v1/users/me", headers=owner)
    assert me.json()["used_storage"] == 1234
    patched = await client.patch("/v1/users/me", json={"title": "Dr"}, headers=owner)
    assert patched.json()["used_storage"] == 1234
    await client.delete(f"/v1/rooms/{room['id']}/assets/{asset['id']}", headers=owner)
    assert (await client.get("/v1/users/me", headers=owner)).json()[
        "used_storage"
    ] == 1000


@pytest.fixture
async def quota_client(
    client_with: Callable[..., Any], tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    tariffs = tmp_path / "tariffs.toml"
    tariffs.write_text('[[tariffs]]\nname = "Tiny"\nquotas = { max_storage = 1000 }\n')
    async with client_with(tariffs_file=tariffs, default_tariff="Tiny") as http:
        yield http


async def test_storing_beyond_the_quota_is_refused(
    quota_client: httpx.AsyncClient, oidc_issuer: Any, database: Database
) -> None:
    owner = oidc_issuer.headers("quota@example.com")
    room = await create_room(quota_client, owner)
    await store_asset(database, room, b"x" * 600)
    with pytest.raises(assets_service.StorageExceeded) as refused:
        await store_asset(database, room, b"x" * 401)
    assert (refused.value.status_code, refused.value.code) == (403, "storage_exceeded")
    await store_asset(database, room, b"x" * 400)  # exactly fills the quota
    with pytest.raises(assets_service.StorageExceeded):
        await store_asset(database, room, b"x")
    listed = (await quota_client.get("/v1/users/me/assets", headers=owner)).json()
    assert sorted(a["size"] for a in listed["owned_assets"]) == [400, 600]
    assert (await quota_client.get("/v1/users/me", headers=owner)).json()[
        "used_storage"
    ] == 1000
