"""GET /v1/events/{id}/ics and the per-user calendar feed."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import icalendar
import pytest
from sqlalchemy import select

from parley.calendar.models import CalendarFeed
from parley.db import Database
from tests.api.events.helpers import create_event, event_body, invite, me
from tests.conftest import AppClient

BASE_URL = "http://127.0.0.1:11311"


def ics_path(event_id: str) -> str:
    return f"/v1/events/{event_id}/ics"


def summaries(response: httpx.Response) -> list[str]:
    calendar = icalendar.Calendar.from_ical(response.content)
    return sorted(str(component["SUMMARY"]) for component in calendar.events)


async def test_event_ics_for_creator_and_invitee(
    client: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    bob_profile = await me(client, bob)
    event = await create_event(
        client, alice, pattern=["RRULE:FREQ=WEEKLY;COUNT=3"], title='Q3: "plan"/review'
    )
    await invite(client, alice, event["id"], {"invitee": bob_profile["id"]})

    for headers in (alice, bob):
        response = await client.get(ics_path(event["id"]), headers=headers)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "text/calendar; charset=utf-8"
        assert response.headers["content-disposition"] == (
            'attachment; filename="Q3_ _plan_review.ics"; '
            "filename*=UTF-8''Q3_%20_plan_review.ics"
        )
        calendar = icalendar.Calendar.from_ical(response.content)
        assert calendar["METHOD"] == "PUBLISH"
        (vevent,) = calendar.events
        assert vevent["UID"] == f"{event['id']}@127.0.0.1"
        assert vevent["SUMMARY"] == 'Q3: "plan"/review'
        assert vevent["RRULE"].to_ical() == b"FREQ=WEEKLY;COUNT=3"


async def test_event_ics_errors_match_get_event(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    bob: dict[str, str],
) -> None:
    event = await create_event(client, alice)
    for path, headers in (
        (ics_path(event["id"]), bob),
        (ics_path(str(uuid.uuid4())), alice),
        (ics_path("not-a-uuid"), alice),
        (ics_path(event["id"]), {}),
    ):
        expected = await client.get(path.removesuffix("/ics"), headers=headers)
        response = await client.get(path, headers=headers)
        assert response.status_code == expected.status_code, response.text
        assert response.json() == expected.json()
        assert response.status_code in (400, 401, 403, 404)
    stranger = await client.get(ics_path(event["id"]), headers=bob)
    assert stranger.status_code == 403
    assert stranger.json()["code"] == "forbidden"


async def new_feed(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    """Create (or replace) the caller's feed; the path of its URL."""
    response = await client.post("/v1/users/me/calendar_feed", headers=headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"url", "created_at"}
    assert body["url"].startswith(f"{BASE_URL}/v1/calendar/feeds/")
    assert body["url"].endswith(".ics")
    return str(body["url"]).removeprefix(BASE_URL)


async def test_feed_lifecycle_create_rotate_delete(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    missing = await client.get("/v1/users/me/calendar_feed", headers=alice)
    assert missing.status_code == 404
    assert missing.json() == {
        "code": "calendar_feed_not_found",
        "message": "There is no calendar feed; create one first",
    }
    await create_event(client, alice)
    first = await new_feed(client, alice)

    feed = await client.get(first)  # no bearer token: the URL is the credential
    assert feed.status_code == 200, feed.text
    assert feed.headers["content-type"] == "text/calendar; charset=utf-8"
    assert feed.headers["cache-control"] == "private, no-cache"
    calendar = icalendar.Calendar.from_ical(feed.content)
    assert "METHOD" not in calendar
    assert calendar["X-WR-CALNAME"].startswith("Parley: ")
    assert calendar["REFRESH-INTERVAL"].dt == timedelta(hours=1)
    assert summaries(feed) == ["Planning"]

    status = await client.get("/v1/users/me/calendar_feed", headers=alice)
    assert status.status_code == 200
    assert set(status.json()) == {"created_at"}

    token = first.removeprefix("/v1/calendar/feeds/").removesuffix(".ics")
    async with database.sessionmaker() as session:
        (row,) = (await session.scalars(select(CalendarFeed))).all()
    assert row.selector == token[:32]
    assert row.secret_hash == hashlib.sha256(token[32:].encode()).hexdigest()

    second = await new_feed(client, alice)
    assert second != first
    gone = await client.get(first)
    assert gone.status_code == 404
    assert gone.json() == {
        "code": "not_found",
        "message": "No calendar feed has this address",
    }
    assert (await client.get(second)).status_code == 200

    deleted = await client.delete("/v1/users/me/calendar_feed", headers=alice)
    assert deleted.status_code == 204
    assert (await client.get(second)).status_code == 404
    assert (
        await client.get("/v1/users/me/calendar_feed", headers=alice)
    ).status_code == 404
    again = await client.delete("/v1/users/me/calendar_feed", headers=alice)
    assert again.status_code == 404
    assert again.json()["code"] == "calendar_feed_not_found"


async def test_feed_management_needs_a_bearer_token(client: httpx.AsyncClient) -> None:
    for method in ("GET", "POST", "DELETE"):
        response = await client.request(method, "/v1/users/me/calendar_feed")
        assert response.status_code == 401
        assert response.json()["code"] == "unauthorized"


async def test_feed_tokens_that_do_not_match_are_404(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    path = await new_feed(client, alice)
    token = path.removeprefix("/v1/calendar/feeds/").removesuffix(".ics")
    wrong_secret = token[:32] + ("A" if token[32] != "A" else "B") + token[33:]
    for candidate in (
        wrong_secret,
        token[:32] + token[32:-1],  # one character short
        token[:32].upper() + token[32:],
        token[:32],
        "x" * 80,
        "",
    ):
        response = await client.get(f"/v1/calendar/feeds/{candidate}.ics")
        assert response.status_code == 404, candidate
        assert response.json()["code"] == "not_found"
    assert (await client.get(path)).status_code == 200


def at(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


async def test_feed_holds_the_users_current_events(
    client: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    alice_profile = await me(client, alice)
    now = datetime.now(UTC).replace(microsecond=0)
    long_ago = now - timedelta(days=200)

    async def bobs(title: str, answer: str | None, **kwargs: Any) -> None:
        event = await create_event(client, bob, title=title, **kwargs)
        await invite(client, bob, event["id"], {"invitee": alice_profile["id"]})
        if answer is not None:
            method = "PATCH" if answer == "accept" else "DELETE"
            response = await client.request(
                method, f"/v1/events/{event['id']}/invite", headers=alice
            )
            assert response.status_code == 204, response.text

    await create_event(client, alice, title="Own")
    await create_event(
        client,
        alice,
        title="Old one-off",
        start=at(long_ago),
        end=at(long_ago + timedelta(hours=1)),
    )
    await create_event(
        client,
        alice,
        title="Old weekly, still running",
        start=at(long_ago),
        end=at(long_ago + timedelta(hours=1)),
        pattern=["RRULE:FREQ=WEEKLY"],
    )
    await create_event(client, alice, title="Someday", body=event_body(None, None))
    await bobs("Invited", None)
    await bobs("Accepted", "accept")
    await bobs("Declined", "decline")
    await create_event(client, bob, title="Not invited")

    path = await new_feed(client, alice)
    feed = await client.get(path)
    assert feed.status_code == 200, feed.text
    assert summaries(feed) == [
        "Accepted",
        "Invited",
        "Old weekly, still running",
        "Own",
    ]
    calendar = icalendar.Calendar.from_ical(feed.content)
    assert calendar.todos == []  # time-independent events are not on calendars


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"calendar_feed_past_days": 300}, ["Old", "Soon", "Later"]),
        (
            {"calendar_feed_past_days": 300, "calendar_feed_max_events": 2},
            ["Old", "Soon"],
        ),
        ({"calendar_feed_past_days": 0}, ["Soon", "Later"]),
    ],
)
async def test_feed_window_and_size_are_configurable(
    client_with: AppClient,
    alice: dict[str, str],
    overrides: dict[str, int],
    expected: list[str],
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    async with client_with(**overrides) as http:
        for title, start in (
            ("Later", now + timedelta(days=30)),
            ("Old", now - timedelta(days=200)),
            ("Soon", now + timedelta(days=1)),
        ):
            await create_event(
                http,
                alice,
                title=title,
                start=at(start),
                end=at(start + timedelta(hours=1)),
            )
        feed = await http.get(await new_feed(http, alice))
    calendar = icalendar.Calendar.from_ical(feed.content)
    assert [str(e["SUMMARY"]) for e in calendar.events] == expected
