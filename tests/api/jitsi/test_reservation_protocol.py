"""Jitsi's reservation protocol as Prosody's mod_reservations speaks it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from tests.api.reservations.helpers import (
    SCHEDULER,
    app_client,
    reserve,
    unique_room,
    utc_wall,
)

TOKEN = "TOKEN-237958623045-prosody"
PROSODY = {"Authorization": f"Bearer {TOKEN}", "User-Agent": "Prosody (0.12.4; posix)"}
FORM = "application/x-www-form-urlencoded;charset=utf-8"


@pytest.fixture
async def jitsi(make_app: Callable[..., FastAPI]) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(make_app, jitsi_auth_token=SecretStr(TOKEN)) as client:
        yield client


def java_now() -> str:
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


async def allocate(
    client: httpx.AsyncClient,
    name: str,
    mail_owner: str = "client1@xmpp.com",
    *,
    prefix: str = "/jitsi",
    headers: dict[str, str] = PROSODY,
) -> httpx.Response:
    """POST /conference exactly as mod_reservations does (form-encoded)."""
    body = urlencode({"name": name, "start_time": java_now(), "mail_owner": mail_owner})
    return await client.post(
        f"{prefix}/conference",
        content=body.encode(),
        headers={**headers, "Content-Type": FORM},
    )


def assert_recent(start_time: str) -> None:
    moment = datetime.strptime(start_time, "%Y-%m-%dT%H:%M:%S.%f%z")
    assert len(start_time) == len("2048-04-20T17:55:12.000Z")
    assert abs(datetime.now(UTC) - moment) < timedelta(seconds=5)


async def test_prosody_sequence_create_conflict_recover_delete_twice(
    jitsi: httpx.AsyncClient,
) -> None:
    name = unique_room("TestRoom")
    created = await allocate(jitsi, name)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body == {
        "id": body["id"],
        "name": name,
        "mail_owner": "client1@xmpp.com",
        "start_time": body["start_time"],
        "duration": 21_600,
    }
    assert_recent(body["start_time"])

    # Prosody restarted and asks again: 409 with the conflict id, then it reads it.
    conflict = await allocate(jitsi, name)
    assert conflict.status_code == 409
    assert conflict.json() == {
        "conflict_id": body["id"],
        "code": "conference_running",
        "message": f"A conference of {name} is already running",
    }
    recovered = await jitsi.get(
        f"/jitsi/conference/{conflict.json()['conflict_id']}", headers=PROSODY
    )
    assert (recovered.status_code, recovered.json()) == (200, body)

    # The room was destroyed: DELETE, and a late repeated DELETE, are harmless.
    first = await jitsi.delete(f"/jitsi/conference/{body['id']}", headers=PROSODY)
    second = await jitsi.delete(f"/jitsi/conference/{body['id']}", headers=PROSODY)
    assert (first.status_code, first.content) == (204, b"")
    assert (second.status_code, second.content) == (204, b"")
    after = await jitsi.get(f"/jitsi/conference/{body['id']}", headers=PROSODY)
    assert after.status_code == 200
    assert after.json()["duration"] < 60  # the ad hoc window was cut when it ended

    # The room is free: a new conference gets a new id.
    anew = await allocate(jitsi, name)
    assert anew.status_code == 201
    assert anew.json()["id"] != body["id"]


async def test_name_is_echoed_exactly_and_matched_case_insensitively(
    jitsi: httpx.AsyncClient,
) -> None:
    name = unique_room("MixedCase")
    created = await allocate(jitsi, name)
    assert created.json()["name"] == name
    conflict = await allocate(jitsi, name.lower())
    assert conflict.json()["conflict_id"] == created.json()["id"]
    tenant = await allocate(jitsi, f"[acme]{unique_room()}")
    assert tenant.status_code == 201


async def test_reserved_conference_starts_for_its_owner(
    jitsi: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    name = unique_room("Board")
    reservation = await reserve(
        jitsi,
        alice,
        name=name,
        start_time=utc_wall(-5),
        duration=60,
        pin="1234",
        max_occupants=5,
        lobby=True,
    )
    started = await allocate(jitsi, name.lower(), "Alice@Example.com")
    assert started.status_code == 200, started.text
    starts = datetime.fromisoformat(reservation["start_time"]).replace(tzinfo=UTC)
    assert started.json() == {
        "id": reservation["id"],
        "name": name.lower(),
        "mail_owner": "alice@example.com",
        "start_time": starts.strftime("%Y-%m-%dT%H:%M:00.000Z"),
        "duration": 3_600,
        "max_occupants": 5,
        "lobby": True,
        "password": "1234",
    }
    assert (await allocate(jitsi, name, "alice@example.com")).json()[
        "conflict_id"
    ] == reservation["id"]
    # Everyone left: the reservation's window remains and the conference may restart.
    assert (
        await jitsi.delete(f"/jitsi/conference/{reservation['id']}", headers=PROSODY)
    ).status_code == 204
    restarted = await allocate(jitsi, name, "alice@example.com")
    assert (restarted.status_code, restarted.json()["id"]) == (200, reservation["id"])
    still = await jitsi.get(
        f"{SCHEDULER}/reservation/{reservation['id']}", headers=alice
    )
    assert still.json() == {**reservation, "opened_by": "alice@example.com"}


async def test_reservation_not_yet_started_is_403(
    jitsi: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    name = unique_room()
    await reserve(jitsi, alice, name=name, start_time=utc_wall(60))
    for owner in ("alice@example.com", "client1@xmpp.com"):
        response = await allocate(jitsi, name, owner)
        assert response.status_code == 403
        assert response.json()["code"] == "conference_forbidden"
        assert "has not started yet" in response.json()["message"]


async def test_a_reservation_after_the_adhoc_window_does_not_block(
    jitsi: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    name = unique_room()
    later = await reserve(jitsi, alice, name=name, start_time=utc_wall(7 * 60))
    adhoc = await allocate(jitsi, name)
    assert (adhoc.status_code, adhoc.json()["duration"]) == (201, 21_600)
    assert adhoc.json()["id"] != later["id"]


async def test_adhoc_duration_is_configurable(
    make_app: Callable[..., FastAPI],
) -> None:
    async with app_client(
        make_app,
        jitsi_auth_token=SecretStr(TOKEN),
        jitsi_adhoc_duration_seconds=900,
    ) as client:
        response = await allocate(client, unique_room())
        assert (response.status_code, response.json()["duration"]) == (201, 900)


async def test_running_adhoc_conference_blocks_reservations_until_it_ends(
    jitsi: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    name = unique_room()
    adhoc = (await allocate(jitsi, name)).json()
    blocked = await jitsi.post(
        f"{SCHEDULER}/reservation",
        json={
            "mail_owner": "alice@example.com",
            "name": name,
            "duration": 30,
            "start_time": utc_wall(10),
            "timezone": "UTC",
        },
        headers=alice,
    )
    assert blocked.status_code == 409
    assert blocked.json()["conflict_id"] == adhoc["id"]
    await jitsi.delete(f"/jitsi/conference/{adhoc['id']}", headers=PROSODY)
    await reserve(jitsi, alice, name=name, start_time=utc_wall(10), duration=30)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token-wrong-token"},
        {"Authorization": TOKEN[:-1]},
        {"X-Api-Key": TOKEN},
    ],
)
async def test_prosody_must_authenticate(
    jitsi: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    for response in (
        await allocate(jitsi, unique_room(), headers=headers),
        await jitsi.get("/jitsi/conference/1", headers=headers),
        await jitsi.delete("/jitsi/conference/1", headers=headers),
    ):
        assert response.status_code == 401
        assert response.json() == {
            "code": "unauthorized",
            "message": "The reservation API credentials are missing or wrong",
        }


async def test_bare_token_in_a_configured_header(
    make_app: Callable[..., FastAPI],
) -> None:
    async with app_client(
        make_app,
        jitsi_auth_token=SecretStr(TOKEN),
        jitsi_auth_header="X-Api-Key",
        jitsi_prefix="/reservations-api",
    ) as client:
        ok = await allocate(
            client,
            unique_room(),
            prefix="/reservations-api",
            headers={"X-Api-Key": TOKEN},
        )
        assert ok.status_code == 201
        bearer = await allocate(
            client,
            unique_room(),
            prefix="/reservations-api",
            headers={"X-Api-Key": f"Bearer {TOKEN}"},
        )
        assert bearer.status_code == 201
        moved = await allocate(client, unique_room(), headers={"X-Api-Key": TOKEN})
        assert moved.status_code == 404


async def test_without_a_configured_token_the_surface_is_closed(
    client: httpx.AsyncClient,
) -> None:
    response = await allocate(client, unique_room())
    assert response.status_code == 401
    assert "PARLEY_JITSI_AUTH_TOKEN is not set" in response.json()["message"]


async def test_unknown_conference_is_404(jitsi: httpx.AsyncClient) -> None:
    for method in ("GET", "DELETE"):
        response = await jitsi.request(
            method, "/jitsi/conference/987654321", headers=PROSODY
        )
        assert response.status_code == 404
        assert response.json() == {
            "code": "conference_not_found",
            "message": "No conference has this id",
        }


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"start_time": "2048-04-20T17:55:12.000Z"}, "invalid_conference_request"),
        ({"name": "   "}, "invalid_conference_request"),
        ({"name": "bad room"}, "invalid_room_name"),
        ({"name": "ok", "start_time": "yesterday"}, "invalid_start_time"),
    ],
)
async def test_malformed_requests_are_400_with_a_message(
    jitsi: httpx.AsyncClient, form: dict[str, str], code: str
) -> None:
    response = await jitsi.post(
        "/jitsi/conference",
        content=urlencode(form).encode(),
        headers={**PROSODY, "Content-Type": FORM},
    )
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert response.json()["message"]


async def test_json_and_missing_content_type_are_accepted(
    jitsi: httpx.AsyncClient,
) -> None:
    as_json = await jitsi.post(
        "/jitsi/conference",
        json={"name": unique_room(), "mail_owner": "a@b.c"},
        headers=PROSODY,
    )
    assert as_json.status_code == 201
    bare = await jitsi.post(
        "/jitsi/conference",
        content=f"name={unique_room()}".encode(),
        headers=PROSODY,
    )
    assert (bare.status_code, bare.json()["mail_owner"]) == (201, "")


async def test_reservation_from_the_sariska_api_and_prosody_agree(
    jitsi: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    """A Jitsi ad hoc conference shows in Sariska's running conferences of its owner."""
    name = unique_room()
    adhoc = (await allocate(jitsi, name, "alice@example.com")).json()
    running: list[dict[str, Any]] = (
        await jitsi.get(f"{SCHEDULER}/conference", headers=alice)
    ).json()
    assert [c["name"] for c in running if c["id"] == adhoc["id"]] == [name]
    shown = await jitsi.get(f"{SCHEDULER}/conference/room/{name}", headers=alice)
    assert (shown.json()["timezone"], shown.json()["duration"]) == ("UTC", 360)
