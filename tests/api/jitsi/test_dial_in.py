"""Jitsi dial-in: the conference mapper (with brute-force limits) and phoneNumberList."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI

from parley.config import DialInNumber
from tests.api.reservations.helpers import app_client, unique_room

MAPPER = "/jitsi/conferenceMapper"
NUMBERS = "/jitsi/phoneNumberList"
FOUND = "Successfully retrieved conference mapping"


async def map_conference(client: httpx.AsyncClient, conference: str) -> httpx.Response:
    return await client.get(MAPPER, params={"conference": conference})


async def test_conference_gets_a_stable_numeric_id_and_maps_back(
    client: httpx.AsyncClient,
) -> None:
    room = unique_room("Daily")
    jid = f"{room}@conference.meet.example.com"
    first = await map_conference(client, jid)
    assert first.status_code == 200, first.text
    body = first.json()
    assert body == {"message": FOUND, "id": body["id"], "conference": jid.lower()}
    assert isinstance(body["id"], int)
    assert len(str(body["id"])) == 10
    # Same conference (any case, as jitsi-meet sends it with &url=...): same id.
    again = await client.get(
        MAPPER,
        params={
            "conference": f"{room.upper()}@Conference.Meet.Example.com",
            "url": f"https://meet.example.com/{room}",
        },
    )
    assert again.json() == body
    other = await map_conference(client, f"{unique_room()}@conference.meet.example.com")
    assert other.json()["id"] != body["id"]
    back = await client.get(MAPPER, params={"id": str(body["id"])})
    assert back.json() == body
    # conference is used in preference to id when both are given.
    both = await client.get(MAPPER, params={"conference": jid, "id": "1234567890"})
    assert both.json() == body


async def test_unknown_id_maps_to_false(client: httpx.AsyncClient) -> None:
    response = await client.get(MAPPER, params={"id": "1000000001"})
    assert response.status_code == 200
    assert response.json() == {
        "message": "No conference mapping was found",
        "id": 1000000001,
        "conference": False,
    }
    short = await client.get(MAPPER, params={"id": "42"})
    assert short.json()["conference"] is False


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, "bad_request"),
        ({"id": "12ab"}, "bad_request"),
        ({"id": "١٢٣"}, "bad_request"),
        ({"conference": "no-at-sign"}, "invalid_conference"),
        ({"conference": "@conference.example.com"}, "invalid_conference"),
        ({"conference": "room@"}, "invalid_conference"),
        ({"conference": "a@b@c"}, "invalid_conference"),
        ({"conference": "bad room@conference.example.com"}, "invalid_room_name"),
    ],
)
async def test_bad_mapper_requests_are_400(
    client: httpx.AsyncClient, params: dict[str, str], code: str
) -> None:
    response = await client.get(MAPPER, params=params)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == code


async def test_failed_lookups_are_limited_with_retry_after(
    make_app: Callable[..., FastAPI],
) -> None:
    async with app_client(
        make_app,
        dial_in_max_failures_per_source=3,
        dial_in_failure_window_seconds=120,
    ) as client:
        known = (
            await map_conference(client, f"{unique_room()}@conference.example.com")
        ).json()
        for guess in range(3):
            miss = await client.get(MAPPER, params={"id": str(2_000_000_000 + guess)})
            assert miss.json()["conference"] is False
        blocked = await client.get(MAPPER, params={"id": "2000000009"})
        assert blocked.status_code == 429
        assert blocked.json() == {
            "code": "too_many_attempts",
            "message": "Too many failed attempts, try again later",
        }
        assert 110 <= int(blocked.headers["retry-after"]) <= 120
        # While blocked even a right guess is refused; creating mappings is not limited.
        right = await client.get(MAPPER, params={"id": str(known["id"])})
        assert right.status_code == 429
        created = await map_conference(
            client, f"{unique_room()}@conference.example.com"
        )
        assert created.status_code == 200


async def test_each_client_address_has_its_own_budget(
    make_app: Callable[..., FastAPI],
) -> None:
    app = make_app(dial_in_max_failures_per_source=2)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 5060))
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test"
        ) as client:
            for guess in ("1234567890", "1234567891"):
                miss = await client.get(MAPPER, params={"id": guess})
                assert miss.json()["conference"] is False
            blocked = await client.get(MAPPER, params={"id": "1234567892"})
            assert blocked.status_code == 429
        other = httpx.ASGITransport(app=app, client=("203.0.113.8", 5060))
        async with httpx.AsyncClient(transport=other, base_url="http://test") as client:
            assert (
                await client.get(MAPPER, params={"id": "1234567890"})
            ).status_code == 200


NUMBERS_SETTING = [
    DialInNumber(countryCode="US", formattedNumber="+1 555-0100", tollFree=False),
    DialInNumber(
        countryCode="DE", formattedNumber="+49 30 1234567", tollFree=True, default=True
    ),
    DialInNumber(countryCode="US", formattedNumber="+1 555-0199"),
]


async def test_phone_numbers_in_both_forms(make_app: Callable[..., FastAPI]) -> None:
    async with app_client(make_app, jitsi_dial_in_numbers=NUMBERS_SETTING) as client:
        current = await client.get(NUMBERS, params={"conference": "r@conference.x"})
        assert current.status_code == 200
        assert current.json() == [
            {
                "countryCode": "US",
                "formattedNumber": "+1 555-0100",
                "tollFree": False,
                "default": False,
            },
            {
                "countryCode": "DE",
                "formattedNumber": "+49 30 1234567",
                "tollFree": True,
                "default": True,
            },
            {
                "countryCode": "US",
                "formattedNumber": "+1 555-0199",
                "tollFree": False,
                "default": False,
            },
        ]
        legacy = await client.get(NUMBERS, params={"format": "legacy"})
        assert legacy.json() == {
            "message": "Phone numbers available.",
            "numbers": {"US": ["+1 555-0100", "+1 555-0199"], "DE": ["+49 30 1234567"]},
            "numbersEnabled": True,
        }


async def test_no_numbers_configured(client: httpx.AsyncClient) -> None:
    assert (await client.get(NUMBERS)).json() == []
    assert (await client.get(NUMBERS, params={"format": "legacy"})).json() == {
        "message": "No phone numbers.",
        "numbers": {},
        "numbersEnabled": False,
    }
    bad = await client.get(NUMBERS, params={"format": "xml"})
    assert (bad.status_code, bad.json()["code"]) == (400, "bad_request")


async def test_mapper_answers_carry_the_sip_uri_when_a_sip_domain_is_set(
    make_app: Callable[..., FastAPI],
) -> None:
    """jitsi-meet stores `sipUri` from the mapper answer (`{id}@{domain}`, 8x8's form)."""
    jid = f"{unique_room()}@conference.meet.example.com"
    async with app_client(make_app, jitsi_sip_domain="sip.example.com") as http:
        by_conference = (await map_conference(http, jid)).json()
        conference_id = by_conference["id"]
        assert by_conference == {
            "message": FOUND,
            "id": conference_id,
            "conference": jid,
            "sipUri": f"{conference_id}@sip.example.com",
        }
        by_id = await http.get(MAPPER, params={"id": str(conference_id)})
        assert by_id.json() == by_conference
        # An id that maps to nothing has no address to call.
        missing = await http.get(MAPPER, params={"id": "1000000002"})
        assert "sipUri" not in missing.json()
    # Without the setting the key is absent, as before.
    async with app_client(make_app) as http:
        assert "sipUri" not in (await map_conference(http, jid)).json()
