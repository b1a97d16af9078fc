"""Videsk's VPaaS rooms API: every sample request of the document, verbatim, the
error rows in Feathers' shape, and VPaaS rooms as rooms in /v1/rooms."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from jose import jwt

from parley.compat.videsk import service as videsk_service
from parley.db import Database
from parley.recording import upload
from parley.rooms.service import RecordingDisabled
from tests.api.easycalendar.helpers import make_key
from tests.api.reservations.helpers import revoke_api_keys, user_id
from tests.oidc_issuer import TestIssuer

ROOMS = "/vpaas/rooms"
ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")
# The document's sample bodies as it shows them; its Content-Length (65, 55)
# is that of the compact form, which is also sent.
CREATE_SAMPLE = """{
"name": "Team standup meeting",
"externalId": "standup-2024-08-14"
}"""
PATCH_SAMPLE = """{
"exp": "2024-08-14T20:00:00.000Z",
"generateToken": true
}"""


def compact(body: str) -> bytes:
    return json.dumps(json.loads(body), separators=(",", ":")).encode()


JOIN_SAMPLE = "{}"
FORBIDDEN = {
    "name": "Forbidden",
    "message": "Not allowed",
    "code": 403,
    "className": "forbidden",
}


async def videsk_headers(
    client: httpx.AsyncClient, database: Database, user: dict[str, str]
) -> dict[str, str]:
    _, secret = await make_key(database, await user_id(client, user), "videsk")
    return {"Authorization": f"Bearer {secret}", "Accept": "*/*"}


def feathers(response: httpx.Response, status: int, name: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"name", "message", "code", "className"}, body
    assert (body["name"], body["code"]) == (name, status)
    assert body["className"] == re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()
    return str(body["message"])


async def post(
    client: httpx.AsyncClient, headers: dict[str, str], body: str, path: str = ROOMS
) -> httpx.Response:
    return await client.post(
        path,
        content=body.encode(),
        headers={**headers, "Content-Type": "application/json"},
    )


async def create(
    client: httpx.AsyncClient, headers: dict[str, str], **body: Any
) -> dict[str, Any]:
    response = await post(client, headers, json.dumps(body))
    assert response.status_code == 201, response.text
    return dict(response.json())


def parse(moment: str) -> datetime:
    return datetime.fromisoformat(moment)


async def test_create_sample_request(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    headers = await videsk_headers(client, database, alice)
    assert len(compact(CREATE_SAMPLE)) == 65
    as_sent = await client.post(
        ROOMS,
        content=compact(CREATE_SAMPLE).replace(b"standup-", b"compact-"),
        headers={**headers, "Content-Type": "application/json"},
    )
    assert as_sent.status_code == 201, as_sent.text

    response = await post(client, headers, CREATE_SAMPLE)

    assert response.status_code == 201, response.text
    room = response.json()
    assert list(room)[:6] == [
        "id",
        "name",
        "externalId",
        "exp",
        "nbf",
        "authorizations",
    ]
    assert (room["name"], room["externalId"]) == (
        "Team standup meeting",
        "standup-2024-08-14",
    )
    assert ISO.fullmatch(room["exp"])
    assert ISO.fullmatch(room["nbf"])
    assert parse(room["exp"]) - parse(room["nbf"]) == timedelta(hours=3)
    assert abs(parse(room["nbf"]) - datetime.now(UTC)) < timedelta(minutes=1)
    (authorization,) = room["authorizations"]
    assert set(authorization) == {"ip", "jti", "createdAt"}
    assert authorization["ip"] == "127.0.0.1"
    uuid.UUID(authorization["jti"])
    assert ISO.fullmatch(authorization["createdAt"])
    claims = jwt.get_unverified_claims(room["accessToken"])
    assert jwt.get_unverified_header(room["accessToken"])["alg"] == "ES256"
    assert claims["sub"] == room["id"]
    assert claims["jti"] == authorization["jti"]
    assert claims["aud"] == "parley:room"
    assert claims["nbf"] == int(parse(room["nbf"]).timestamp())
    assert claims["exp"] == int(parse(room["exp"]).timestamp())
    assert (room["ended"], room["config"]) == (
        False,
        {"maxParticipants": None, "recordingEnabled": True},
    )
    # A VPaaS room is a room of the token's owner.
    mine = await client.get(f"/v1/rooms/{room['id']}", headers=alice)
    assert mine.status_code == 200, mine.text


async def test_list_sample_request_with_every_parameter(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    headers = await videsk_headers(client, database, alice)
    standup = await create(client, headers, externalId="standup-2024-08-14")
    await create(client, headers, externalId="other")

    response = await client.get(
        ROOMS,
        params={
            "limit": "10",
            "skip": "0",
            "sort": '{"createdAt":-1}',
            "ended": "false",
            "externalId": "standup-2024-08-14",
        },
        headers=headers,
    )

    assert response.status_code == 200, response.text
    page = response.json()
    assert set(page) == {"total", "limit", "skip", "data"}
    assert (page["total"], page["limit"], page["skip"]) == (1, 10, 0)
    (room,) = page["data"]
    assert room["id"] == standup["id"]
    assert "accessToken" not in room
    assert len(room["authorizations"]) == 1


async def test_sort_skip_limit_and_ended(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    headers = await videsk_headers(client, database, alice)
    ids = [(await create(client, headers, name=f"r{i}"))["id"] for i in range(4)]
    ended = await client.patch(
        f"{ROOMS}/{ids[0]}", json={"ended": True}, headers=headers
    )
    assert ended.status_code == 200, ended.text

    async def listed(**params: str) -> list[str]:
        response = await client.get(ROOMS, params=params, headers=headers)
        assert response.status_code == 200, response.text
        return [room["id"] for room in response.json()["data"]]

    assert await listed() == ids
    assert await listed(sort='{"createdAt":-1}') == ids[::-1]
    assert await listed(sort="createdAt:-1") == ids[::-1]
    assert await listed(sort="name:-1", limit="2", skip="1") == [ids[2], ids[1]]
    assert await listed(ended="true") == [ids[0]]
    assert await listed(ended="false") == ids[1:]
    big = await client.get(ROOMS, params={"limit": "1000"}, headers=headers)
    assert big.json()["limit"] == 100


async def test_get_by_id_or_external_id(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    headers = await videsk_headers(client, database, alice)
    room = await create(client, headers, externalId="standup-2024-08-14")

    by_id = await client.get(f"{ROOMS}/{room['id']}", headers=headers)
    by_external = await client.get(f"{ROOMS}/standup-2024-08-14", headers=headers)

    assert by_id.status_code == by_external.status_code == 200
    assert by_id.json() == by_external.json()
    expected = {k: v for k, v in room.items() if k != "accessToken"}
    assert by_id.json() == expected


async def test_patch_sample_request_on_a_room_of_2024(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    headers = await videsk_headers(client, database, alice)
    room = await create(
        client,
        headers,
        name="Team standup meeting",
        externalId="standup-2024-08-14",
        exp="2024-08-14T18:00:00.000Z",
        nbf="2024-08-14T15:00:00.000Z",
    )
    assert len(compact(PATCH_SAMPLE)) == 55

    response = await client.patch(
        f"{ROOMS}/{room['id']}",
        content=PATCH_SAMPLE.encode(),
        headers={**headers, "Content-Type": "application/json"},
    )

    assert response.status_code == 200, response.text
    patched = response.json()
    assert (patched["nbf"], patched["exp"]) == (
        "2024-08-14T15:00:00.000Z",
        "2024-08-14T20:00:00.000Z",
    )
    assert len(patched["authorizations"]) == 2
    claims = jwt.get_unverified_claims(patched["accessToken"])
    assert claims["exp"] == int(parse("2024-08-14T20:00:00.000Z").timestamp())
    assert claims["jti"] == patched["authorizations"][1]["jti"]
    renamed = await client.patch(
        f"{ROOMS}/standup-2024-08-14",
        json={"name": "Updated meeting name"},
        headers=headers,
    )
    assert renamed.json()["name"] == "Updated meeting name"
    assert "accessToken" not in renamed.json()


async def test_join_sample_request(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    headers = await videsk_headers(client, database, alice)
    room = await create(client, headers, externalId="standup-2024-08-14")

    response = await post(
        client, headers, JOIN_SAMPLE, path=f"{ROOMS}/standup-2024-08-14/join"
    )

    assert response.status_code == 200, response.text
    assert set(response.json()) == {"accessToken"}
    token = response.json()["accessToken"]
    assert jwt.get_unverified_claims(token)["sub"] == room["id"]
    shown = (await client.get(f"{ROOMS}/{room['id']}", headers=headers)).json()
    assert [a["jti"] for a in shown["authorizations"]][1] == (
        jwt.get_unverified_claims(token)["jti"]
    )
    empty = await client.post(f"{ROOMS}/{room['id']}/join", headers=headers)
    assert empty.status_code == 200


async def test_delete_is_always_forbidden_with_the_documented_body(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    headers = await videsk_headers(client, database, alice)
    room = await create(client, headers)
    for path, used in (
        (f"{ROOMS}/{room['id']}", headers),
        (f"{ROOMS}/unknown", headers),
        (f"{ROOMS}/{room['id']}", {}),
    ):
        response = await client.delete(path, headers=used)
        assert response.status_code == 403
        assert response.json() == FORBIDDEN
    assert (
        await client.get(f"{ROOMS}/{room['id']}", headers=headers)
    ).status_code == 200


async def test_defaults_generated_names_and_config(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    headers = await videsk_headers(client, database, alice)
    blank = await create(client, headers)
    later = await create(
        client,
        headers,
        nbf="2030-01-01T10:00:00+01:00",
        config={"maxParticipants": 10, "recordingEnabled": False},
    )

    assert blank["externalId"]
    assert blank["name"]
    assert (later["nbf"], later["exp"]) == (
        "2030-01-01T09:00:00.000Z",
        "2030-01-01T12:00:00.000Z",
    )
    assert later["config"] == {"maxParticipants": 10, "recordingEnabled": False}


async def test_rooms_of_v1_show_up_with_their_id_as_external_id(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    headers = await videsk_headers(client, database, alice)
    plain = (await client.post("/v1/rooms", json={}, headers=alice)).json()
    event = await client.post(
        "/v1/events",
        json={"title": "Weekly", "description": "", "is_time_independent": True},
        headers=alice,
    )

    listed = (await client.get(ROOMS, headers=headers)).json()
    one = (await client.get(f"{ROOMS}/{plain['id']}", headers=headers)).json()
    by_filter = await client.get(
        ROOMS, params={"externalId": plain["id"]}, headers=headers
    )

    assert listed["total"] == 2
    assert (one["externalId"], one["name"], one["exp"], one["nbf"]) == (
        plain["id"],
        "",
        None,
        None,
    )
    names = {room["id"]: room["name"] for room in listed["data"]}
    assert names[event.json()["room"]["id"]] == "Weekly"
    assert [room["id"] for room in by_filter.json()["data"]] == [plain["id"]]


async def test_only_the_owners_rooms(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    bob: dict[str, str],
    database: Database,
) -> None:
    alice_key = await videsk_headers(client, database, alice)
    bob_key = await videsk_headers(client, database, bob)
    room = await create(client, alice_key, externalId="shared-name")
    bobs = await create(client, bob_key, externalId="shared-name")  # per owner

    assert room["externalId"] == bobs["externalId"]
    assert feathers(
        await client.get(f"{ROOMS}/{room['id']}", headers=bob_key), 404, "NotFound"
    )
    feathers(
        await client.post(f"{ROOMS}/{room['id']}/join", json={}, headers=bob_key),
        404,
        "NotFound",
    )
    assert (await client.get(ROOMS, headers=bob_key)).json()["total"] == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"exp": "2030-01-01T10:00:00Z", "nbf": "2030-01-01T10:00:00Z"},
            "exp must be after nbf",
        ),
        (
            {"exp": "2030-01-01T09:00:00Z", "nbf": "2030-01-01T10:00:00Z"},
            "exp must be after nbf",
        ),
        (
            {"nbf": "2030-01-01T00:00:00Z", "exp": "2030-01-09T00:00:00Z"},
            "at most 604800 seconds (7 days)",
        ),
        ({"exp": "2024-08-14T18:00:00.000Z"}, "exp must be after nbf"),
        ({"nbf": "2030-01-01T10:00:00"}, "nbf needs a time zone"),
        ({"nbf": "tomorrow"}, "nbf must be an ISO 8601 date-time"),
        ({"nbf": "0001-01-01T00:00:00Z"}, "between the years 1970 and 9998"),
        ({"exp": 1723658400}, "exp: Input should be a valid string"),
        ({"externalId": ""}, "externalId"),
        ({"externalId": "x" * 256}, "externalId"),
        ({"name": 5}, "name"),
        ({"config": {"maxParticipants": 0}}, "config.maxParticipants"),
        ({"config": {"recordingEnabled": "no"}}, "config.recordingEnabled"),
        ({"name": "a\x00b"}, "NUL"),
    ],
)
async def test_create_with_bad_input_is_a_bad_request(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    database: Database,
    body: dict[str, Any],
    message: str,
) -> None:
    headers = await videsk_headers(client, database, alice)

    response = await client.post(ROOMS, json=body, headers=headers)

    assert message in feathers(response, 400, "BadRequest")
    assert (await client.get(ROOMS, headers=headers)).json()["total"] == 0


async def test_malformed_bodies_and_parameters_are_bad_requests(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    headers = await videsk_headers(client, database, alice)
    for body in (b'{"name": ', b"[1]", b'"text"', b"\xff\xfe"):
        response = await client.post(
            ROOMS, content=body, headers={**headers, "Content-Type": "application/json"}
        )
        feathers(response, 400, "BadRequest")
    for params in (
        {"limit": "-1"},
        {"limit": "x"},
        {"skip": "-5"},
        {"ended": "maybe"},
        {"sort": '{"createdAt":2}'},
        {"sort": '{"password":1}'},
        {"sort": "createdAt"},
        {"sort": "{nope"},
    ):
        response = await client.get(ROOMS, params=params, headers=headers)
        feathers(response, 400, "BadRequest")
    huge = await client.post(
        ROOMS, content=b'{"name": "' + b"x" * 70_000 + b'"}', headers=headers
    )
    feathers(huge, 400, "BadRequest")


async def test_duplicate_external_id_is_a_conflict(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    headers = await videsk_headers(client, database, alice)
    await create(client, headers, externalId="standup-2024-08-14")

    again = await client.post(
        ROOMS, json={"externalId": "standup-2024-08-14"}, headers=headers
    )

    assert feathers(again, 409, "Conflict") == "externalId already exists"
    assert (await client.get(ROOMS, headers=headers)).json()["total"] == 1


async def test_patch_errors_and_an_ended_room(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    headers = await videsk_headers(client, database, alice)
    room = await create(client, headers)
    path = f"{ROOMS}/{room['id']}"

    feathers(
        await client.patch(path, json={"exp": room["nbf"]}, headers=headers),
        400,
        "BadRequest",
    )
    # Not a field PATCH takes: ignored, as unknown fields are in every body.
    kept = await client.patch(path, json={"externalId": "x"}, headers=headers)
    assert kept.status_code == 200, kept.text
    assert kept.json()["externalId"] == room["externalId"]
    feathers(
        await client.patch(f"{ROOMS}/nope", json={}, headers=headers), 404, "NotFound"
    )
    ended = await client.patch(path, json={"ended": True}, headers=headers)
    assert ended.status_code == 200, ended.text
    assert ended.json()["ended"] is True
    again = await client.patch(path, json={"name": "late"}, headers=headers)
    assert feathers(again, 404, "NotFound") == "Room not found or already ended"
    assert "ended" in feathers(
        await client.post(f"{path}/join", json={}, headers=headers), 403, "Forbidden"
    )
    shown = (await client.get(path, headers=headers)).json()
    assert (shown["ended"], shown["name"]) == (True, room["name"])


async def test_missing_wrong_or_revoked_tokens_are_not_authenticated(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    alice_id = await user_id(client, alice)
    _, secret = await make_key(database, alice_id, "videsk")
    _, sariska = await make_key(database, alice_id, "sariska")
    for headers in (
        {},
        {"Authorization": secret},
        {"Authorization": "Bearer wrong"},
        alice,
    ):
        for method, path in (("GET", ROOMS), ("POST", ROOMS), ("GET", f"{ROOMS}/x")):
            response = await client.request(method, path, json={}, headers=headers)
            feathers(response, 401, "NotAuthenticated")
    # A key of another kind is real but not an api-token: insufficient permissions.
    for method, path in (("GET", ROOMS), ("POST", f"{ROOMS}/x/join")):
        response = await client.request(
            method, path, json={}, headers={"Authorization": f"Bearer {sariska}"}
        )
        assert "not an api-token" in feathers(response, 403, "Forbidden")
    await revoke_api_keys(database, alice_id)
    revoked = await client.get(ROOMS, headers={"Authorization": f"Bearer {secret}"})
    assert feathers(revoked, 401, "NotAuthenticated") == "Invalid or revoked API token"


async def test_unknown_paths_and_methods(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    headers = await videsk_headers(client, database, alice)
    feathers(await client.get("/vpaas/nothing", headers=headers), 404, "NotFound")
    feathers(await client.put(ROOMS, json={}, headers=headers), 405, "MethodNotAllowed")


async def test_recording_disabled_rooms_refuse_the_recorder(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    database: Database,
    oidc_issuer: TestIssuer,
) -> None:
    headers = await videsk_headers(client, database, alice)
    off = await create(client, headers, config={"recordingEnabled": False})
    on = await create(client, headers)
    recorder = oidc_issuer.headers(
        "recorder@example.com", realm_access={"roles": ["opentalk-recorder"]}
    )

    refused = await client.post(
        "/v1/services/recording/start", json={"room_id": off["id"]}, headers=recorder
    )
    allowed = await client.post(
        "/v1/services/recording/start", json={"room_id": on["id"]}, headers=recorder
    )

    assert (refused.status_code, refused.json()["code"]) == (403, "recording_disabled")
    assert allowed.status_code == 404  # no recorder queue: as for any room
    with pytest.raises(RecordingDisabled):
        await upload.prepare_upload(database, uuid.UUID(off["id"]), "talk.webm")


async def test_join_parameters_and_unexpected_failures(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    headers = await videsk_headers(client, database, alice)
    room = await create(client, headers)
    for body in (b"[1]", b'"x"', b"{"):
        response = await client.post(
            f"{ROOMS}/{room['id']}/join",
            content=body,
            headers={**headers, "Content-Type": "application/json"},
        )
        feathers(response, 400, "BadRequest")

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(videsk_service, "find_room", broken)
    crashed = await client.get(f"{ROOMS}/{room['id']}", headers=headers)
    assert feathers(crashed, 500, "GeneralError") == "An internal server error occurred"
