"""GET /events: windows, exceptions after their event, filters, cursor paging, Link."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.events.helpers import (
    create_event,
    event_body,
    invite,
    me,
    registered_invitee,
)

JANUARY = {"time_min": "2030-01-01T00:00:00Z", "time_max": "2030-02-01T00:00:00Z"}


async def listed(
    client: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> list[dict[str, Any]]:
    response = await client.get("/v1/events", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return list(response.json())


def titles(items: list[dict[str, Any]]) -> list[str]:
    return [f"{i['type']}:{i.get('title', i.get('instance_id'))}" for i in items]


async def make(
    client: httpx.AsyncClient, headers: dict[str, str], title: str, **kwargs: Any
) -> dict[str, Any]:
    extra = {k: kwargs.pop(k) for k in ("is_adhoc",) if k in kwargs}
    return await create_event(
        client, headers, body=event_body(**kwargs, title=title, **extra)
    )


async def test_window_selects_overlapping_events_in_start_order(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    await make(
        client,
        alice,
        "inside",
        start="2030-01-10T08:00:00Z",
        end="2030-01-10T09:00:00Z",
    )
    await make(
        client,
        alice,
        "before",
        start="2029-12-31T08:00:00Z",
        end="2029-12-31T09:00:00Z",
    )
    await make(
        client,
        alice,
        "across-start",
        start="2029-12-31T23:00:00Z",
        end="2030-01-01T01:00:00Z",
    )
    await make(
        client,
        alice,
        "at-end",
        start="2030-02-01T00:00:00Z",
        end="2030-02-01T01:00:00Z",
    )
    await make(
        client,
        alice,
        "zero-length-at-start",
        start="2030-01-01T00:00:00Z",
        end="2030-01-01T00:00:00Z",
    )
    await make(client, alice, "untimed", start=None, end=None)
    await make(
        client,
        alice,
        "open-series-from-2020",
        start="2020-01-06T08:00:00Z",
        end="2020-01-06T09:00:00Z",
        pattern=["RRULE:FREQ=WEEKLY"],
    )
    await make(
        client,
        alice,
        "series-ended-2029",
        start="2029-01-01T08:00:00Z",
        end="2029-01-01T09:00:00Z",
        pattern=["RRULE:FREQ=WEEKLY;UNTIL=20291201T000000Z"],
    )
    await make(
        client,
        alice,
        "yearly-long-series",
        start="2000-01-15T08:00:00Z",
        end="2000-01-15T09:00:00Z",
        pattern=["RRULE:FREQ=YEARLY;COUNT=40"],
    )
    await make(
        client,
        alice,
        "all-day-berlin-feb-1",  # 2030-01-31T23:00Z .. in Berlin: inside
        start="2030-02-01T00:00:00Z",
        end="2030-02-02T00:00:00Z",
        all_day=True,
        zone="Europe/Berlin",
    )
    assert titles(await listed(client, alice, **JANUARY)) == [
        "recurring:yearly-long-series",
        "recurring:open-series-from-2020",
        "single:across-start",
        "single:zero-length-at-start",
        "single:inside",
        "single:all-day-berlin-feb-1",
    ]
    everything = titles(await listed(client, alice))
    assert everything[0] == "single:untimed"
    assert len(everything) == 10
    only_max = titles(await listed(client, alice, time_max="2029-12-31T12:00:00Z"))
    assert only_max == [
        "recurring:yearly-long-series",
        "recurring:open-series-from-2020",
        "recurring:series-ended-2029",
        "single:before",
    ]
    only_min = titles(await listed(client, alice, time_min="2030-01-31T00:00:00Z"))
    assert only_min == [
        "recurring:yearly-long-series",
        "recurring:open-series-from-2020",
        "single:all-day-berlin-feb-1",
        "single:at-end",
    ]


async def test_recurring_event_is_followed_by_its_window_exceptions(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    event = await make(
        client,
        alice,
        "weekly",
        start="2029-12-03T08:00:00Z",
        end="2029-12-03T09:00:00Z",
        pattern=["RRULE:FREQ=WEEKLY;COUNT=12"],
    )
    later = await make(
        client, alice, "later", start="2030-01-20T08:00:00Z", end="2030-01-20T09:00:00Z"
    )
    base = f"/v1/events/{event['id']}/instances"
    changes = {
        "20291210T080000Z": {"status": "cancelled"},  # before the window
        "20300107T080000Z": {"status": "cancelled"},  # inside
        "20291217T080000Z": {  # moved into the window
            "starts_at": {"datetime": "2030-01-02T08:00:00Z", "timezone": "UTC"},
            "ends_at": {"datetime": "2030-01-02T09:00:00Z", "timezone": "UTC"},
        },
        "20300114T080000Z": {  # moved out of the window: its original is inside
            "starts_at": {"datetime": "2030-03-02T08:00:00Z", "timezone": "UTC"},
            "ends_at": {"datetime": "2030-03-02T09:00:00Z", "timezone": "UTC"},
        },
        "20300211T080000Z": {"title": "after the window"},
    }
    for instance, patch in changes.items():
        response = await client.patch(f"{base}/{instance}", json=patch, headers=alice)
        assert response.status_code == 200, response.text
    items = await listed(client, alice, **JANUARY)
    assert titles(items) == [
        "recurring:weekly",
        "exception:20291217T080000Z",
        "exception:20300107T080000Z",
        "exception:20300114T080000Z",
        "single:later",
    ]
    exception = items[1]
    assert exception == {
        "id": f"{event['id']}_20291217T080000Z",
        "recurring_event_id": event["id"],
        "instance_id": "20291217T080000Z",
        "created_by": event["created_by"],
        "created_at": exception["created_at"],
        "updated_by": event["created_by"],
        "updated_at": exception["updated_at"],
        "starts_at": {"datetime": "2030-01-02T08:00:00Z", "timezone": "UTC"},
        "ends_at": {"datetime": "2030-01-02T09:00:00Z", "timezone": "UTC"},
        "original_starts_at": {
            "datetime": "2029-12-17T08:00:00Z",
            "timezone": "Europe/Berlin",
        },
        "type": "exception",
        "status": "ok",
        "can_edit": True,
    }
    assert later["id"] == items[-1]["id"]
    # The moved-away occurrence widens the series: March finds the event.
    march = await listed(
        client, alice, time_min="2030-03-01T00:00:00Z", time_max="2030-04-01T00:00:00Z"
    )
    assert titles(march) == ["recurring:weekly", "exception:20300114T080000Z"]
    # Without a window every exception follows.
    assert len(await listed(client, alice)) == 2 + len(changes)


async def test_filters(
    client: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    await me(client, bob)
    own = await make(
        client, alice, "own", start="2030-01-10T08:00:00Z", end="2030-01-10T09:00:00Z"
    )
    adhoc = await make(client, alice, "adhoc", start=None, end=None, is_adhoc=True)
    invited = await make(
        client,
        bob,
        "bob-pending",
        start="2030-01-11T08:00:00Z",
        end="2030-01-11T09:00:00Z",
    )
    accepted = await make(
        client,
        bob,
        "bob-accepted",
        start="2030-01-12T08:00:00Z",
        end="2030-01-12T09:00:00Z",
    )
    await make(
        client,
        bob,
        "bob-alone",
        start="2030-01-13T08:00:00Z",
        end="2030-01-13T09:00:00Z",
    )
    alice_id = (await me(client, alice))["id"]
    for event in (invited, accepted):
        await invite(client, bob, event["id"], {"invitee": alice_id})
    assert (
        await client.patch(f"/v1/events/{accepted['id']}/invite", headers=alice)
    ).status_code == 204
    favorite = await client.put(
        f"/v1/users/me/event_favorites/{own['id']}", headers=alice
    )
    assert favorite.status_code == 201

    def names(items: list[dict[str, Any]]) -> list[str]:
        return [i["title"] for i in items]

    assert names(await listed(client, alice)) == [
        "adhoc",
        "own",
        "bob-pending",
        "bob-accepted",
    ]
    assert names(await listed(client, alice, favorites="true")) == ["own"]
    assert names(await listed(client, alice, adhoc="true")) == ["adhoc"]
    assert names(await listed(client, alice, adhoc="false")) == [
        "own",
        "bob-pending",
        "bob-accepted",
    ]
    assert names(await listed(client, alice, time_independent="true")) == ["adhoc"]
    assert names(await listed(client, alice, time_independent="false")) == [
        "own",
        "bob-pending",
        "bob-accepted",
    ]
    assert names(await listed(client, alice, invite_status="pending")) == [
        "bob-pending"
    ]
    assert names(await listed(client, alice, invite_status="accepted")) == [
        "adhoc",
        "own",
        "bob-accepted",
    ]
    assert names(await listed(client, alice, invite_status="pending,declined")) == [
        "bob-pending"
    ]
    statuses = {i["title"]: i["invite_status"] for i in await listed(client, alice)}
    assert statuses == {
        "adhoc": "accepted",
        "own": "accepted",
        "bob-pending": "pending",
        "bob-accepted": "accepted",
    }
    assert adhoc["is_adhoc"] is True


@pytest.mark.parametrize(
    ("params", "message_part"),
    [
        ({"after": "not-a-cursor!"}, "cursor"),
        ({"after": "eyJ4IjoxfQ"}, "cursor"),  # {"x":1}
        ({"invite_status": "maybe"}, "maybe"),
        ({"time_min": "2030-01-01T00:00:00"}, "time_min"),
        ({"time_max": "yesterday"}, "time_max"),
        ({"per_page": "ten"}, "per_page"),
        ({"favorites": "perhaps"}, "favorites"),
        ({"invitees_max": "-1"}, "invitees_max"),
    ],
)
async def test_bad_query_parameters_are_400(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    params: dict[str, str],
    message_part: str,
) -> None:
    response = await client.get("/v1/events", params=params, headers=alice)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "bad_request"
    assert message_part in response.json()["message"]


async def _walk(
    client: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> tuple[list[str], int]:
    """Follow rel="after" links until an empty page; ids seen and pages fetched."""
    seen: list[str] = []
    url: str | None = "/v1/events"
    pages = 0
    while url is not None:
        response = await client.get(
            url, params=params if pages == 0 else None, headers=headers
        )
        assert response.status_code == 200, response.text
        pages += 1
        page = response.json()
        seen += [item["id"] for item in page if item["type"] != "exception"]
        link = response.headers.get("link")
        if not page:
            assert link is None
            break
        assert link is not None
        assert link.endswith('>; rel="after"')
        url = link[1 : link.index(">")]
        assert pages < 50
    return seen, pages


async def test_cursor_paging_has_no_gaps_or_duplicates(
    client: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    alice_id = (await me(client, alice))["id"]
    expected: list[str] = []
    untimed = [
        await make(client, alice, f"untimed-{n}", start=None, end=None)
        for n in range(3)
    ]
    expected += [e["id"] for e in untimed]
    for day in range(1, 11):
        # Two events with the same start: the order falls back to created_at, id.
        for n in range(2):
            start = f"2030-01-{day:02d}T08:00:00Z"
            owner = bob if (day + n) % 3 == 0 else alice
            event = await make(
                client, owner, f"d{day}-{n}", start=start, end="2030-01-20T10:00:00Z"
            )
            if owner is bob:
                await invite(client, bob, event["id"], {"invitee": alice_id})
            expected.append(event["id"])
    seen, pages = await _walk(client, alice, per_page=4)
    assert seen == expected
    assert pages == 7  # 23 events in pages of 4, then the empty page
    windowed, _ = await _walk(client, alice, per_page=3, **JANUARY)
    assert windowed == expected[3:]


async def test_link_keeps_query_and_per_page_clamps(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    for n in range(3):
        await make(
            client,
            alice,
            f"e{n}",
            start=f"2030-01-0{n + 1}T08:00:00Z",
            end=f"2030-01-0{n + 1}T09:00:00Z",
        )
    response = await client.get(
        "/v1/events",
        params={"per_page": 0, "time_min": "2030-01-01T00:00:00Z", "page": 3},
        headers=alice,
    )
    assert len(response.json()) == 1
    link = response.headers["link"]
    assert link.startswith("<http://test/v1/events?")
    assert "per_page=0" in link
    assert "time_min=2030-01-01T00%3A00%3A00Z" in link
    assert "&page=" not in link
    assert "?page=" not in link
    big = await client.get("/v1/events", params={"per_page": 1000}, headers=alice)
    assert len(big.json()) == 3
    empty = await client.get(
        "/v1/events", params={"time_min": "2031-01-01T00:00:00Z"}, headers=alice
    )
    assert (empty.json(), empty.headers.get("link")) == ([], None)


async def test_invitees_max(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    bob: dict[str, str],
    oidc_issuer: Any,
) -> None:
    event = await make(client, alice, "with-invitees")
    bob_profile = await me(client, bob)
    await invite(
        client, alice, event["id"], {"invitee": bob_profile["id"], "role": "moderator"}
    )
    await invite(client, alice, event["id"], {"email": "dave@example.com"})

    async def invitees(maximum: int) -> tuple[list[dict[str, Any]], bool]:
        (item,) = await listed(client, alice, invitees_max=maximum)
        single = await client.get(
            f"/v1/events/{event['id']}", params={"invitees_max": maximum}, headers=alice
        )
        assert single.json()["invitees"] == item["invitees"]
        return item["invitees"], item["invitees_truncated"]

    assert await invitees(0) == ([], True)
    bob_entry = registered_invitee(bob_profile, role="moderator")
    assert await invitees(1) == ([bob_entry], True)
    shown, truncated = await invitees(2)
    assert truncated is False
    assert shown[0] == bob_entry
    assert shown[1]["profile"]["kind"] == "email"
    assert shown[1]["profile"]["email"] == "dave@example.com"
    assert shown[1]["status"] == "pending"
