"""EasyCalendar's error table: 400, 401, 404 (429: test_rate_limits.py), always
`{"status": "error", "message"}`, never a 500, and nothing changes."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from parley.db import Database
from tests.api.easycalendar.helpers import (
    API,
    CREATE_SAMPLE,
    FORM,
    basic,
    easycalendar_headers,
    make_key,
)
from tests.api.reservations.helpers import revoke_api_keys, user_id

VALID: dict[str, Any] = {
    "firstname": "James",
    "email": "james@example.com",
    "title": "Invoices",
    "starttime": "2030-11-18T09:15:00Z",
    "endtime": "2030-11-18T10:15:00Z",
}


def error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"status", "message"}, body
    assert body["status"] == "error"
    assert isinstance(body["message"], str)
    assert body["message"]
    return str(body["message"])


async def meeting_count(client: httpx.AsyncClient, headers: dict[str, str]) -> int:
    listed = await client.get(f"{API}/meetings/list", headers=headers)
    return int(listed.json()["total"])


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"starttime": "2030-11-18T09:15:00+01:00"}, "starttime must be in UTC"),
        ({"starttime": "2030-11-18T09:15:00"}, "starttime must end in Z"),
        ({"endtime": "2030-11-18 10:15:00"}, "endtime must end in Z"),
        ({"endtime": "18.11.2030 10:15"}, "endtime must be in the form"),
        ({"endtime": "2030-11-18T09:15:00Z"}, "endtime must be after starttime"),
        ({"endtime": "2030-11-18T08:00:00Z"}, "endtime must be after starttime"),
        ({"starttime": "2030-02-30T09:15:00Z"}, "starttime is not a valid date"),
        ({"starttime": "0001-01-01T00:00:00Z"}, "starttime must be between"),
        ({"starttime": 1605690900}, "starttime: Input should be a valid string"),
        ({"firstname": None}, "firstname"),
        ({"email": "not an address"}, "email"),
        ({"title": "x" * 256}, "title"),
        ({"title": ""}, "title"),
        ({"description": "x" * 4097}, "description"),
        ({"attendees": ["fine@example.com", "broken"]}, "attendees.1"),
        ({"attendees": "a@example.com"}, "attendees"),
        ({"google_calendar_log": True}, "google_calendar.name is required"),
        ({"google_calendar_log": "yes"}, "google_calendar_log"),
        ({"title": "nul\x00byte"}, "title: must not contain NUL characters"),
    ],
)
async def test_create_with_bad_data_is_400_naming_the_field(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    database: Database,
    change: dict[str, Any],
    field: str,
) -> None:
    headers = await easycalendar_headers(client, database, alice)
    body = {**VALID, **change}
    body = {k: v for k, v in body.items() if v is not None}

    response = await client.post(f"{API}/meetings/new", json=body, headers=headers)

    assert field in error(response, 400)
    assert await meeting_count(client, headers) == 0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "The request body must be a JSON object"),
        ("[1, 2]", "The request body must be a JSON object"),
        ('{"title": }', "not valid JSON: Expecting value (line 1, column 11)"),
        ("firstname=James&title=x", "not valid JSON"),
        ('{"title": "x",}', "not valid JSON"),
        ("\udcff".encode("utf-8", "surrogatepass").decode("latin-1"), "not"),
        ("[" * 100_000, "larger than"),
    ],
)
async def test_bodies_that_are_no_json_object_are_400(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    database: Database,
    body: str,
    message: str,
) -> None:
    headers = await easycalendar_headers(client, database, alice)
    response = await client.post(
        f"{API}/meetings/new",
        content=body.encode("latin-1", "replace"),
        headers={**headers, "Content-Type": FORM},
    )
    assert message in error(response, 400)


async def test_deep_nesting_is_400_not_a_crash(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    headers = await easycalendar_headers(client, database, alice)
    deep = '{"title": ' + "[" * 20_000 + "]" * 20_000 + "}"
    response = await client.post(
        f"{API}/meetings/new", content=deep.encode(), headers=headers
    )
    assert error(response, 400)


async def test_update_errors(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    headers = await easycalendar_headers(client, database, alice)
    created = await client.post(
        f"{API}/meetings/new",
        content=CREATE_SAMPLE.encode(),
        headers={**headers, "Content-Type": FORM},
    )
    meeting_id = created.json()["meeting_id"]
    path = f"{API}/meetings/update/{meeting_id}"

    assert "At least one field" in error(
        await client.patch(path, json={}, headers=headers), 400
    )
    assert "At least one field" in error(
        await client.patch(path, content=b"", headers=headers), 400
    )
    assert "endtime must be after starttime" in error(
        await client.patch(
            path,
            json={
                "starttime": "2020-11-18T11:00:00Z",
                "endtime": "2020-11-18T10:00:00Z",
            },
            headers=headers,
        ),
        400,
    )
    assert "endtime must end in Z" in error(
        await client.patch(
            path, json={"endtime": "2020-11-18T11:00:00"}, headers=headers
        ),
        400,
    )
    for unknown in ("999999", "abc", "-1", "0", "99999999999999999999999"):
        assert (
            error(
                await client.patch(
                    f"{API}/meetings/update/{unknown}",
                    json={"title": "x"},
                    headers=headers,
                ),
                404,
            )
            == "Meeting not found"
        )
    data = (
        await client.get(f"{API}/meetings/get/{meeting_id}", headers=headers)
    ).json()
    assert data["data"]["client_starttime"] == "2020-11-18T09:15:00Z"


async def test_unknown_meetings_and_paths_are_404(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    headers = await easycalendar_headers(client, database, alice)
    for path in (
        "/meetings/get/1",
        "/meetings/get/x",
        "/meetings/delete/123456789",
        "/meetings/nothing",
    ):
        method = "DELETE" if "delete" in path else "GET"
        response = await client.request(method, API + path, headers=headers)
        assert error(response, 404)
    wrong_method = await client.put(f"{API}/meetings/new", json={}, headers=headers)
    assert error(wrong_method, 405)


async def test_list_parameters_are_checked(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    headers = await easycalendar_headers(client, database, alice)
    for params, message in (
        ({"limit": "101"}, "limit must be between 1 and 100"),
        ({"limit": "0"}, "limit must be between 1 and 100"),
        ({"start": "x"}, "start must be a whole number"),
        ({"starttime": "2020-11-19T07:15:00+02:00"}, "starttime must be in UTC"),
        (
            {"starttime": "2020-11-19T07:15:00Z", "endtime": "2020-11-19T07:00:00Z"},
            "endtime must be after starttime",
        ),
    ):
        response = await client.get(
            f"{API}/meetings/list", params=params, headers=headers
        )
        assert message in error(response, 400)
    body = await client.request(
        "GET",
        f"{API}/meetings/list",
        content=json.dumps({"limit": True, "start": 1}).encode(),
        headers=headers,
    )
    assert "limit must be a whole number" in error(body, 400)
    unknown = await client.request(
        "GET", f"{API}/meetings/list", content=b'{"page": 2}', headers=headers
    )
    assert unknown.status_code == 200  # unknown fields are ignored, as everywhere


async def test_credentials_raw_and_basic_are_accepted(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    key_id, secret = await make_key(
        database, await user_id(client, alice), "easycalendar"
    )
    for authorization in (
        f"{key_id}:{secret}",
        f" {key_id}:{secret} ",
        basic(f"{key_id}:{secret}"),
    ):
        response = await client.get(
            f"{API}/meetings/list", headers={"Authorization": authorization}
        )
        assert response.status_code == 200, (authorization, response.text)


async def test_missing_wrong_or_revoked_credentials_are_401(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    alice_id = await user_id(client, alice)
    key_id, secret = await make_key(database, alice_id, "easycalendar")
    _, videsk_secret = await make_key(database, alice_id, "videsk")
    other_id, _ = await make_key(database, alice_id, "easycalendar")
    for headers in (
        {},
        {"Authorization": ""},
        {"Authorization": secret},
        {"Authorization": f"{key_id}:wrong"},
        {"Authorization": f"{other_id}:{secret}"},
        {"Authorization": f"not-a-uuid:{secret}"},
        {"Authorization": f"{key_id}:{videsk_secret}"},
        {"Authorization": "Basic !!!"},
        {"Authorization": basic(f"{key_id}:nope")},
        {"Authorization": f"Bearer {secret}"},
        alice,  # an OIDC user token is no EasyCalendar credential
    ):
        response = await client.post(f"{API}/meetings/new", json=VALID, headers=headers)
        assert error(response, 401), headers
        assert response.headers["WWW-Authenticate"] == 'Basic realm="EasyCalendar"'
    await revoke_api_keys(database, alice_id)
    revoked = await client.get(
        f"{API}/meetings/list", headers={"Authorization": f"{key_id}:{secret}"}
    )
    assert error(revoked, 401) == "Invalid or missing credentials"


async def test_a_database_outage_is_503_in_the_dialects_shape(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    headers = await easycalendar_headers(client, database, alice)
    from sqlalchemy.exc import OperationalError

    from parley.compat.easycalendar import service

    async def down(*args: object, **kwargs: object) -> None:
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("down"))

    monkeypatch.setattr(service, "list_meetings", down)
    response = await client.get(f"{API}/meetings/list", headers=headers)
    assert error(response, 503) == "The database is unavailable"


async def test_an_unexpected_failure_is_500_in_the_dialects_shape(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    headers = await easycalendar_headers(client, database, alice)
    from parley.compat.easycalendar import service

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(service, "get_meeting", broken)
    response = await client.get(f"{API}/meetings/get/1", headers=headers)
    assert error(response, 500) == "An internal server error occurred"
    assert "X-Rate-Limit-Remaining" in response.headers
