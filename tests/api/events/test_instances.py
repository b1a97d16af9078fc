"""Instances and exceptions: listing, paging, one instance, patches, pattern changes."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from tests.api.events.helpers import create_event, dt, invite, me

WEEKLY_BERLIN = ["RRULE:FREQ=WEEKLY;COUNT=4"]


async def weekly(
    client: httpx.AsyncClient, headers: dict[str, str], **kwargs: Any
) -> dict[str, Any]:
    # Mondays 09:00 Berlin from 2030-03-18; DST starts 2030-03-31.
    return await create_event(
        client,
        headers,
        start="2030-03-18T08:00:00Z",
        end="2030-03-18T09:00:00Z",
        pattern=kwargs.pop("pattern", WEEKLY_BERLIN),
        **kwargs,
    )


async def instances(
    client: httpx.AsyncClient, headers: dict[str, str], event_id: str, **params: Any
) -> httpx.Response:
    response = await client.get(
        f"/v1/events/{event_id}/instances", params=params, headers=headers
    )
    assert response.status_code == 200, response.text
    return response


async def test_instances_follow_wall_time_across_dst(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    event = await weekly(client, alice)
    items = (await instances(client, alice, event["id"])).json()
    assert [(i["instance_id"], i["starts_at"]["datetime"]) for i in items] == [
        ("20300318T080000Z", "2030-03-18T08:00:00Z"),
        ("20300325T080000Z", "2030-03-25T08:00:00Z"),
        ("20300401T070000Z", "2030-04-01T07:00:00Z"),
        ("20300408T070000Z", "2030-04-08T07:00:00Z"),
    ]
    first = items[0]
    assert first == {
        "id": f"{event['id']}_20300318T080000Z",
        "recurring_event_id": event["id"],
        "instance_id": "20300318T080000Z",
        "created_by": event["created_by"],
        "created_at": event["created_at"],
        "updated_by": event["created_by"],
        "updated_at": event["updated_at"],
        "title": "Planning",
        "description": "Quarterly planning",
        "room": event["room"],
        "invitees_truncated": True,
        "invitees": [],
        "is_all_day": False,
        "starts_at": dt("2030-03-18T08:00:00Z"),
        "ends_at": dt("2030-03-18T09:00:00Z"),
        "type": "instance",
        "status": "ok",
        "invite_status": "accepted",
        "is_favorite": False,
        "can_edit": True,
    }


async def test_instances_page_with_cursor_and_window(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    event = await weekly(client, alice, pattern=["RRULE:FREQ=WEEKLY"])
    first = await instances(client, alice, event["id"], per_page=2)
    assert [i["instance_id"] for i in first.json()] == [
        "20300318T080000Z",
        "20300325T080000Z",
    ]
    link = first.headers["link"]
    assert link.endswith('>; rel="after"')
    second = await client.get(link[1 : link.index(">")], headers=alice)
    assert [i["instance_id"] for i in second.json()] == [
        "20300401T070000Z",
        "20300408T070000Z",
    ]
    spec_name = await instances(
        client,
        alice,
        event["id"],
        per_page=2,
        cursor=link[link.index("after=") + 6 : link.index(">")],
    )
    assert spec_name.json() == second.json()
    windowed = await instances(
        client,
        alice,
        event["id"],
        time_min="2031-01-01T00:00:00Z",
        time_max="2031-01-14T00:00:00Z",
    )
    assert [i["instance_id"] for i in windowed.json()] == [
        "20310106T080000Z",
        "20310113T080000Z",
    ]
    bad = await client.get(
        f"/v1/events/{event['id']}/instances", params={"after": "%%"}, headers=alice
    )
    assert (bad.status_code, bad.json()["code"]) == (400, "bad_request")


async def test_single_and_untimed_events_have_one_and_no_instances(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    single = await create_event(client, alice)
    items = (await instances(client, alice, single["id"])).json()
    assert [i["instance_id"] for i in items] == ["20300107T080000Z"]
    one = await client.get(
        f"/v1/events/{single['id']}/instances/20300107T080000Z", headers=alice
    )
    assert one.json() == items[0]
    untimed = await create_event(client, alice, start=None, end=None)
    assert (await instances(client, alice, untimed["id"])).json() == []
    patch = await client.patch(
        f"/v1/events/{single['id']}/instances/20300107T080000Z",
        json={"title": "x"},
        headers=alice,
    )
    assert patch.status_code == 404


@pytest.mark.parametrize(
    ("instance_id", "status"),
    [
        ("20300325T080000Z", 200),
        ("20300325T090000+0100", 200),  # the offset form names the same instant
        ("20300326T080000Z", 404),  # not produced by the rule
        ("20300415T070000Z", 404),  # beyond COUNT
        ("20300318T080001Z", 404),
        ("2030-03-25", 400),
        ("20301325T080000Z", 400),
    ],
)
async def test_get_one_instance(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    instance_id: str,
    status: int,
) -> None:
    event = await weekly(client, alice)
    response = await client.get(
        f"/v1/events/{event['id']}/instances/{instance_id}", headers=alice
    )
    assert response.status_code == status, response.text
    if status == 200:
        assert response.json()["instance_id"] == "20300325T080000Z"
    else:
        assert response.json()["code"] == (
            "not_found" if status == 404 else "bad_request"
        )


async def test_patch_instance_moves_and_keeps_its_id(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    event = await weekly(client, alice)
    url = f"/v1/events/{event['id']}/instances/20300325T080000Z"
    moved = await client.patch(
        url,
        json={
            "title": "Moved",
            "starts_at": dt("2030-03-26T13:00:00Z"),
            "ends_at": dt("2030-03-26T14:30:00Z"),
        },
        headers=alice,
    )
    assert moved.status_code == 200, moved.text
    body = moved.json()
    assert (body["id"], body["instance_id"], body["title"], body["status"]) == (
        f"{event['id']}_20300325T080000Z",
        "20300325T080000Z",
        "Moved",
        "ok",
    )
    assert body["starts_at"] == dt("2030-03-26T13:00:00Z")
    assert (await client.get(url, headers=alice)).json() == body
    listed = (await instances(client, alice, event["id"])).json()
    assert [i["title"] for i in listed] == ["Planning", "Moved", "Planning", "Planning"]
    # A second patch updates the same exception.
    cancelled = await client.patch(url, json={"status": "cancelled"}, headers=alice)
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["title"] == "Moved"
    events = (await client.get("/v1/events", headers=alice)).json()
    assert [(i["type"], i.get("status")) for i in events] == [
        ("recurring", "ok"),
        ("exception", "cancelled"),
    ]
    assert events[1]["title"] == "Moved"
    empty = await client.patch(url, json={}, headers=alice)
    assert empty.status_code == 204


@pytest.mark.parametrize(
    ("patch", "status", "code"),
    [
        ({"ends_at": dt("2030-03-25T07:00:00Z")}, 422, "invalid_event"),
        ({"starts_at": dt("2030-03-25T10:00:00Z")}, 422, "invalid_event"),
        ({"is_all_day": True}, 422, "invalid_event"),
        ({"status": "maybe"}, 422, "validation_failed"),
        ({"title": "x" * 256}, 422, "validation_failed"),
    ],
)
async def test_patch_instance_validation(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    patch: dict[str, Any],
    status: int,
    code: str,
) -> None:
    event = await weekly(client, alice)
    url = f"/v1/events/{event['id']}/instances/20300325T080000Z"
    before = (await client.get(url, headers=alice)).json()
    response = await client.patch(url, json=patch, headers=alice)
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert (await client.get(url, headers=alice)).json() == before


async def test_patch_instance_permissions_and_unknown_instances(
    client: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    event = await weekly(client, alice)
    bob_id = (await me(client, bob))["id"]
    await invite(client, alice, event["id"], {"invitee": bob_id})
    url = f"/v1/events/{event['id']}/instances/20300325T080000Z"
    as_bob = await client.patch(url, json={"status": "cancelled"}, headers=bob)
    assert as_bob.status_code == 403
    seen_by_bob = await client.get(url, headers=bob)
    assert (seen_by_bob.status_code, seen_by_bob.json()["can_edit"]) == (200, False)
    off_pattern = await client.patch(
        f"/v1/events/{event['id']}/instances/20300326T080000Z",
        json={"status": "cancelled"},
        headers=alice,
    )
    assert (off_pattern.status_code, off_pattern.json()["code"]) == (404, "not_found")


async def test_changing_the_pattern_removes_exceptions(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    event = await weekly(client, alice)
    base = f"/v1/events/{event['id']}"
    await client.patch(
        f"{base}/instances/20300325T080000Z",
        json={"status": "cancelled"},
        headers=alice,
    )
    kept = await client.patch(base, json={"title": "Renamed"}, headers=alice)
    assert kept.status_code == 200
    assert len((await client.get("/v1/events", headers=alice)).json()) == 2
    changed = await client.patch(
        base, json={"recurrence_pattern": ["RRULE:FREQ=WEEKLY;COUNT=6"]}, headers=alice
    )
    assert changed.status_code == 200
    assert changed.json()["recurrence_pattern"] == ["RRULE:FREQ=WEEKLY;COUNT=6"]
    assert len((await client.get("/v1/events", headers=alice)).json()) == 1
    single = await client.patch(base, json={"recurrence_pattern": None}, headers=alice)
    assert single.json()["type"] == "single"
    assert "recurrence_pattern" not in single.json()


async def test_hostile_patterns_are_bounded(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    started = time.monotonic()
    for pattern in (
        ["RRULE:FREQ=SECONDLY"],
        [
            "RRULE:FREQ=DAILY;BYHOUR="
            + ",".join(str(h) for h in range(24))
            + ";BYMINUTE=0,30"
        ],
    ):
        response = await client.post(
            "/v1/events",
            json={
                "title": "x",
                "description": "",
                "is_time_independent": False,
                "is_all_day": False,
                "starts_at": dt("2030-01-01T00:00:00Z", "UTC"),
                "ends_at": dt("2030-01-01T00:00:00Z", "UTC"),
                "recurrence_pattern": pattern,
            },
            headers=alice,
        )
        assert (response.status_code, response.json()["code"]) == (422, "invalid_event")
    huge = await create_event(
        client,
        alice,
        start="2030-01-01T08:00:00Z",
        end="2030-01-01T09:00:00Z",
        zone="UTC",
        pattern=[f"RRULE:FREQ=DAILY;COUNT={10**9}"] * 4,
    )
    far = await client.get(
        f"/v1/events/{huge['id']}/instances",
        params={"time_min": "5000-01-01T00:00:00Z"},
        headers=alice,
    )
    assert (far.status_code, far.json()["code"]) == (422, "expansion_limit_reached")
    near = await instances(client, alice, huge["id"], per_page=100)
    assert len(near.json()) == 100
    assert "link" in near.headers
    # Listed as open-ended: found in any later window.
    listed = await client.get(
        "/v1/events", params={"time_min": "6000-01-01T00:00:00Z"}, headers=alice
    )
    assert [e["id"] for e in listed.json()] == [huge["id"]]
    assert time.monotonic() - started < 10
