"""Booking profiles: create, read, list, patch, delete; validation names the field."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from parley.config import Settings
from tests.api.booking.helpers import create_profile, day_schedules, profile_body
from tests.oidc_issuer import TestIssuer


async def test_create_profile_returns_the_whole_profile(
    client: httpx.AsyncClient, alice: dict[str, str], settings: Settings
) -> None:
    me = (await client.get("/v1/users/me", headers=alice)).json()
    profile = await create_profile(
        client,
        alice,
        timeAvailableFor="30d",
        bufferBeforeMinutes=10,
        minimumNoticeMinutes=120,
        startConference=True,
        startTime="2030-01-01T00:00:00+01:00",
    )
    assert uuid.UUID(profile.pop("id"))
    assert profile.pop("createdAt").endswith("Z")
    assert profile.pop("updatedAt").endswith("Z")
    assert profile == {
        "name": "intro",
        "clientId": me["id"],
        "schedulerLink": f"{settings.base_url}/book/{me['id']}/intro",
        "durationMinutes": 30,
        "availabilityStep": 30,
        "timeAvailableFor": "P30D",
        "startTime": "2029-12-31T23:00:00Z",
        "endTime": None,
        "subject": "Intro call with {{name}}",
        "description": "Agenda: {{topic}}. Notes: {{notes=none}}",
        "location": "Online",
        "workHours": profile_body()["workHours"],
        "bufferBeforeMinutes": 10,
        "bufferAfterMinutes": 0,
        "minimumNoticeMinutes": 120,
        "startConference": True,
        "context": "crm-42",
    }


async def test_get_profile_returns_what_create_returned(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    created = await create_profile(client, alice)
    response = await client.get(f"/v1/book/profiles/{created['id']}", headers=alice)
    assert response.status_code == 200
    assert response.json() == created


async def test_defaults_and_canonical_work_hours(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    body = profile_body(
        workHours={
            "timezone": "Asia/Kolkata",
            "daySchedules": [
                {
                    "dayOfWeek": "Monday",
                    "workingIntervals": [
                        {"start": "13:00:00", "end": "24:00"},
                        {"start": "08:30:15", "end": "12:00"},
                    ],
                }
            ],
        }
    )
    for key in ("availabilityStep", "timeAvailableFor", "subject", "description"):
        del body[key]
    response = await client.post("/v1/book/profiles", json=body, headers=alice)
    assert response.status_code == 201, response.text
    profile = response.json()
    assert (profile["availabilityStep"], profile["timeAvailableFor"]) == (15, "P30D")
    assert (profile["subject"], profile["description"]) == (None, None)
    assert profile["workHours"] == {
        "timezone": "Asia/Kolkata",
        "daySchedules": [
            {
                "dayOfWeek": "monday",
                "workingIntervals": [
                    {"start": "13:00", "end": "00:00"},
                    {"start": "08:30:15", "end": "12:00"},
                ],
            }
        ],
    }


async def test_aurinko_example_id_is_ignored(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    profile = await create_profile(client, alice, id=1)
    assert profile["id"] != 1


def _interval_hours(*intervals: tuple[str, str]) -> dict[str, Any]:
    return {
        "timezone": "Europe/Berlin",
        "daySchedules": [
            {
                "dayOfWeek": "monday",
                "workingIntervals": [{"start": s, "end": e} for s, e in intervals],
            }
        ],
    }


_IV = "workHours.daySchedules[0].workingIntervals"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"workHours": {"timezone": "Americas/New_York", "daySchedules": []}}, "workHours.timezone"),
        ({"workHours": {"timezone": "localtime", "daySchedules": []}}, "workHours.timezone"),
        ({"availabilityStep": 7}, "availabilityStep"),
        ({"availabilityStep": 0}, "availabilityStep"),
        ({"durationMinutes": 0}, "durationMinutes"),
        ({"durationMinutes": 1441}, "durationMinutes"),
        ({"timeAvailableFor": "P1M"}, "timeAvailableFor"),
        ({"timeAvailableFor": "soon"}, "timeAvailableFor"),
        ({"timeAvailableFor": "PT0S"}, "timeAvailableFor"),
        ({"timeAvailableFor": "P400D"}, "timeAvailableFor"),
        ({"workHours": _interval_hours(("17:00", "09:00"))}, f"{_IV}[0]"),
        ({"workHours": _interval_hours(("09:00", "12:00"), ("11:00", "13:00"))}, f"{_IV}[1]"),
        ({"workHours": _interval_hours(("25:00", "26:00"))}, f"{_IV}[0].start"),
        ({"workHours": _interval_hours(("09:00Z", "17:00Z"))}, f"{_IV}[0].start"),
        ({"workHours": _interval_hours(("9am", "17:00"))}, f"{_IV}[0].start"),
        ({"workHours": _interval_hours(("09:00", "24:01"))}, f"{_IV}[0].end"),
        ({"workHours": {"timezone": "UTC", "daySchedules": [{"dayOfWeek": "funday", "workingIntervals": []}]}},
         "workHours.daySchedules[0].dayOfWeek"),
        ({"workHours": {"timezone": "UTC", "daySchedules": day_schedules([], ("monday", "monday"))}},
         "workHours.daySchedules[1].dayOfWeek"),
        ({"name": "has space"}, "name"),
        ({"name": "-leading"}, "name"),
        ({"name": ""}, "name"),
        ({"startTime": "2030-01-02T00:00:00Z", "endTime": "2030-01-01T00:00:00Z"}, "endTime"),
        ({"bufferBeforeMinutes": -1}, "bufferBeforeMinutes"),
        ({"bufferAfterMinutes": 5000}, "bufferAfterMinutes"),
        ({"minimumNoticeMinutes": -5}, "minimumNoticeMinutes"),
    ],
)  # fmt: skip
async def test_bad_profile_values_are_400_naming_the_field(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    overrides: dict[str, Any],
    field: str,
) -> None:
    response = await client.post(
        "/v1/book/profiles", json=profile_body(**overrides), headers=alice
    )
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == "invalid_booking_profile"
    assert body["message"].startswith(f"{field}: ")
    assert [(e["field"], e["code"]) for e in body["errors"]] == [
        (field, "invalid_value")
    ]
    listing = (await client.get("/v1/book/profiles", headers=alice)).json()
    assert listing["totalSize"] == 0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"durationMinutes": "30"}, "durationMinutes"),
        ({"startConference": "yes"}, "startConference"),
        ({"startTime": "2030-01-01T00:00:00"}, "startTime"),
        ({"subject": "x" * 256}, "subject"),
        ({"workHours": {"timezone": "UTC"}}, "workHours.daySchedules"),
    ],
)
async def test_wrong_json_types_are_422(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    overrides: dict[str, Any],
    field: str,
) -> None:
    response = await client.post(
        "/v1/book/profiles", json=profile_body(**overrides), headers=alice
    )
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_failed"
    assert field in [error.get("field") for error in response.json()["errors"]]


async def test_names_are_unique_per_owner(
    client: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    await create_profile(client, alice, name="demo")
    again = await client.post(
        "/v1/book/profiles", json=profile_body(name="demo"), headers=alice
    )
    assert again.status_code == 409
    assert again.json() == {
        "code": "booking_profile_name_taken",
        "message": "You already have a booking profile with this name",
    }
    await create_profile(client, bob, name="demo")
    # Names are case-sensitive, as URL paths are.
    await create_profile(client, alice, name="Demo")


async def test_patch_changes_only_the_given_fields(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    created = await create_profile(client, alice)
    url = f"/v1/book/profiles/{created['id']}"
    response = await client.patch(
        url,
        json={"subject": "New subject", "location": None, "timeAvailableFor": "2w"},
        headers=alice,
    )
    assert response.status_code == 200, response.text
    patched = response.json()
    assert (patched["subject"], patched["location"]) == ("New subject", None)
    assert patched["timeAvailableFor"] == "P2W"
    unchanged = {
        k: v for k, v in created.items() if k not in patched or k == "updatedAt"
    }
    assert unchanged == {"updatedAt": created["updatedAt"]}
    for key in created.keys() - {
        "subject",
        "location",
        "timeAvailableFor",
        "updatedAt",
    }:
        assert patched[key] == created[key], key
    assert (await client.get(url, headers=alice)).json() == patched


async def test_patch_rejects_bad_values_and_changes_nothing(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    created = await create_profile(client, alice)
    await create_profile(client, alice, name="other")
    url = f"/v1/book/profiles/{created['id']}"
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"availabilityStep": 45}, 400, "invalid_booking_profile"),
        ({"workHours": {"timezone": "Mars/Base", "daySchedules": []}}, 400, "invalid_booking_profile"),
        ({"endTime": "2000-01-01T00:00:00Z", "startTime": "2001-01-01T00:00:00Z"}, 400, "invalid_booking_profile"),
        ({"name": None}, 422, "validation_failed"),
        ({"workHours": None}, 422, "validation_failed"),
        ({}, 422, "validation_failed"),
        ({"name": "other"}, 409, "booking_profile_name_taken"),
    ]  # fmt: skip
    for body, status, code in cases:
        response = await client.patch(url, json=body, headers=alice)
        assert (response.status_code, response.json()["code"]) == (status, code), body
    assert (await client.get(url, headers=alice)).json() == created


async def test_patch_can_rename_and_keep_its_own_name(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    created = await create_profile(client, alice)
    url = f"/v1/book/profiles/{created['id']}"
    same = await client.patch(url, json={"name": "intro"}, headers=alice)
    assert same.status_code == 200
    renamed = await client.patch(url, json={"name": "renamed"}, headers=alice)
    assert renamed.json()["schedulerLink"].endswith("/renamed")


async def test_list_pages_by_offset_and_limit(
    client: httpx.AsyncClient, oidc_issuer: TestIssuer
) -> None:
    owner = oidc_issuer.headers("lister@example.com")
    names = ["a", "b", "c", "d", "e"]
    for name in reversed(names):
        await create_profile(client, owner, name=name)
    first = (
        await client.get("/v1/book/profiles", params={"limit": 2}, headers=owner)
    ).json()
    assert (first["offset"], first["totalSize"], first["done"]) == (0, 5, False)
    assert [record["name"] for record in first["records"]] == ["a", "b"]
    last = (
        await client.get(
            "/v1/book/profiles", params={"offset": 3, "limit": 2}, headers=owner
        )
    ).json()
    assert (last["offset"], last["totalSize"], last["done"]) == (3, 5, True)
    assert [record["name"] for record in last["records"]] == ["d", "e"]
    bad = await client.get("/v1/book/profiles", params={"limit": 0}, headers=owner)
    assert (bad.status_code, bad.json()["code"]) == (400, "bad_request")


async def test_profiles_are_private_to_their_owner(
    client: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    created = await create_profile(client, alice)
    url = f"/v1/book/profiles/{created['id']}"
    for response in (
        await client.get(url, headers=bob),
        await client.patch(url, json={"subject": "mine"}, headers=bob),
        await client.delete(url, headers=bob),
    ):
        assert response.status_code == 404
        assert response.json() == {
            "code": "not_found",
            "message": "The booking profile could not be found",
        }
    assert (await client.get("/v1/book/profiles", headers=bob)).json()["records"] == []
    assert (await client.get(url, headers=alice)).json() == created


async def test_unauthenticated_profile_requests_are_401(
    client: httpx.AsyncClient,
) -> None:
    for response in (
        await client.get("/v1/book/profiles"),
        await client.post("/v1/book/profiles", json=profile_body()),
        await client.get(f"/v1/book/profiles/{uuid.uuid4()}"),
    ):
        assert response.status_code == 401


async def test_delete_profile(client: httpx.AsyncClient, alice: dict[str, str]) -> None:
    created = await create_profile(client, alice)
    url = f"/v1/book/profiles/{created['id']}"
    assert (await client.delete(url, headers=alice)).status_code == 204
    assert (await client.get(url, headers=alice)).status_code == 404
    assert (await client.delete(url, headers=alice)).status_code == 404
    # The name is free again.
    await create_profile(client, alice)
