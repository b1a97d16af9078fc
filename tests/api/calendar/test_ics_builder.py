"""build_event_ics: the VCALENDAR parses, and expands to Parley's own instances."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from typing import Any

import httpx
import icalendar
import pytest
import recurring_ical_events

from parley.calendar.ics import build_event_ics
from parley.db import Database
from parley.events.models import Event
from tests.api.events.helpers import create_event, dt, event_body, invite, me

# recurring-ical-events' expansion window: wide enough for every series below.
WINDOW = (datetime(2029, 1, 1, tzinfo=UTC), datetime(2032, 1, 1, tzinfo=UTC))


async def ics_of(database: Database, event_id: str, **kwargs: Any) -> bytes:
    async with database.sessionmaker() as session:
        event = await session.get_one(Event, uuid.UUID(event_id))
        return await build_event_ics(
            session, event, method=kwargs.pop("method", "PUBLISH"), **kwargs
        )


def parse(ics: bytes) -> icalendar.Calendar:
    assert b"\r\n" in ics
    assert b"\n" not in ics.replace(b"\r\n", b"")
    return icalendar.Calendar.from_ical(ics)


def as_instant(value: date | datetime) -> datetime:
    """Parley's encoding: timed values in UTC, dates at midnight UTC."""
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.combine(value, time(), tzinfo=UTC)


def expanded(ics: bytes) -> list[tuple[datetime, datetime, str]]:
    """(start, end, title) of every instance, as a calendar client expands them."""
    found = recurring_ical_events.of(parse(ics)).between(*WINDOW)
    return sorted(
        (
            as_instant(component.DTSTART),
            as_instant(component.DTEND),
            str(component["SUMMARY"]),
        )
        for component in found
    )


async def parley_instances(
    client: httpx.AsyncClient, headers: dict[str, str], event_id: str
) -> list[tuple[datetime, datetime, str]]:
    """The event's instances that take place, from GET /v1/events/{id}/instances."""
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"per_page": 100}
    while True:
        response = await client.get(
            f"/v1/events/{event_id}/instances", params=params, headers=headers
        )
        assert response.status_code == 200, response.text
        items += response.json()
        if "Link" not in response.headers:
            break
        after = httpx.URL(response.headers["Link"].split(">")[0][1:]).params["after"]
        params = {"per_page": 100, "after": after}
    return sorted(
        (
            datetime.fromisoformat(item["starts_at"]["datetime"]),
            datetime.fromisoformat(item["ends_at"]["datetime"]),
            item["title"],
        )
        for item in items
        if item["status"] == "ok"
    )


async def patch_instance(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    event_id: str,
    instance_id: str,
    body: dict[str, Any],
) -> None:
    response = await client.patch(
        f"/v1/events/{event_id}/instances/{instance_id}", json=body, headers=headers
    )
    assert response.status_code == 200, response.text


async def test_weekly_series_with_exdate_expands_to_parleys_instances(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    event = await create_event(
        client,
        alice,
        start="2030-03-04T08:00:00Z",
        end="2030-03-04T09:00:00Z",
        pattern=[
            "RRULE:FREQ=WEEKLY;COUNT=6",
            "EXDATE;TZID=Europe/Berlin:20300311T090000",
        ],
    )
    ics = await ics_of(database, event["id"])
    instances = await parley_instances(client, alice, event["id"])
    assert len(instances) == 5
    assert expanded(ics) == instances
    vevent = parse(ics).events[0]
    assert vevent["RRULE"].to_ical() == b"FREQ=WEEKLY;COUNT=6"
    assert [d.dt for d in vevent["EXDATE"].dts] == [
        datetime(2030, 3, 11, 8, tzinfo=UTC).astimezone(vevent.DTSTART.tzinfo)
    ]


async def test_dst_crossing_in_berlin_keeps_wall_time(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    # Mondays 09:00 Berlin; DST starts 2030-03-31 and ends 2030-10-27.
    event = await create_event(
        client,
        alice,
        start="2030-03-18T08:00:00Z",
        end="2030-03-18T09:00:00Z",
        pattern=["RRULE:FREQ=WEEKLY;UNTIL=20301110T235959Z"],
    )
    ics = await ics_of(database, event["id"])
    calendar = parse(ics)
    assert [tz.tz_name for tz in calendar.timezones] == ["Europe/Berlin"]
    vevent = calendar.events[0]
    assert datetime(2030, 3, 18, 9, tzinfo=vevent.DTSTART.tzinfo) == vevent.DTSTART
    assert str(vevent["DTSTART"].params["TZID"]) == "Europe/Berlin"
    instances = await parley_instances(client, alice, event["id"])
    assert instances[1][0] == datetime(2030, 3, 25, 8, tzinfo=UTC)
    assert instances[2][0] == datetime(2030, 4, 1, 7, tzinfo=UTC)  # 09:00 CEST
    assert instances[-1][0] == datetime(2030, 11, 4, 8, tzinfo=UTC)
    assert expanded(ics) == instances


async def test_moved_and_cancelled_occurrences(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    event = await create_event(
        client,
        alice,
        start="2030-01-07T08:00:00Z",
        end="2030-01-07T09:00:00Z",
        pattern=["RRULE:FREQ=DAILY;COUNT=5"],
    )
    await patch_instance(
        client,
        alice,
        event["id"],
        "20300108T080000Z",
        {
            "title": "Moved",
            "starts_at": dt("2030-01-08T13:00:00Z"),
            "ends_at": dt("2030-01-08T14:30:00Z"),
        },
    )
    await patch_instance(
        client, alice, event["id"], "20300110T080000Z", {"status": "cancelled"}
    )
    ics = await ics_of(database, event["id"])
    instances = await parley_instances(client, alice, event["id"])
    assert [(start.day, title) for start, _, title in instances] == [
        (7, "Planning"),
        (8, "Moved"),
        (9, "Planning"),
        (11, "Planning"),
    ]
    assert expanded(ics) == instances
    master, moved = parse(ics).events
    assert [d.dt.day for d in master["EXDATE"].dts] == [10]
    assert moved["RECURRENCE-ID"].dt == datetime(
        2030, 1, 8, 9, tzinfo=master.DTSTART.tzinfo
    )
    assert moved["UID"] == master["UID"] == f"{event['id']}@127.0.0.1"


async def test_all_day_series_uses_dates(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    event = await create_event(
        client,
        alice,
        start="2030-05-01T00:00:00Z",
        end="2030-05-03T00:00:00Z",
        all_day=True,
        pattern=["RRULE:FREQ=MONTHLY;COUNT=4", "EXDATE;VALUE=DATE:20300701"],
    )
    await patch_instance(
        client,
        alice,
        event["id"],
        "20300601T000000Z",
        {
            "starts_at": dt("2030-06-02T00:00:00Z"),
            "ends_at": dt("2030-06-03T00:00:00Z"),
        },
    )
    ics = await ics_of(database, event["id"])
    assert b"DTSTART;VALUE=DATE:20300501\r\n" in ics
    assert b"DTEND;VALUE=DATE:20300503\r\n" in ics
    assert b"RECURRENCE-ID;VALUE=DATE:20300601\r\n" in ics
    assert parse(ics).timezones == []
    instances = await parley_instances(client, alice, event["id"])
    assert [(s.date(), e.date()) for s, e, _ in instances] == [
        (date(2030, 5, 1), date(2030, 5, 3)),
        (date(2030, 6, 2), date(2030, 6, 3)),
        (date(2030, 8, 1), date(2030, 8, 3)),
    ]
    assert expanded(ics) == instances


async def test_single_event_headers_organizer_and_attendees(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    bob: dict[str, str],
    database: Database,
) -> None:
    alice_profile = await me(client, alice)
    bob_profile = await me(client, bob)
    event = await create_event(client, alice)
    await invite(client, alice, event["id"], {"invitee": bob_profile["id"]})
    await invite(client, alice, event["id"], {"email": "Carol@Example.com"})
    response = await client.patch(f"/v1/events/{event['id']}/invite", headers=bob)
    assert response.status_code == 204, response.text

    ics = await ics_of(database, event["id"], method="REQUEST")
    calendar = parse(ics)
    assert calendar["METHOD"] == "REQUEST"
    assert calendar["VERSION"] == "2.0"
    assert calendar["PRODID"] == "-//Parley//Parley conference controller//EN"
    (vevent,) = calendar.events
    link = f"http://127.0.0.1:11311/room/{event['room']['id']}"
    assert vevent["URL"] == link
    assert vevent["LOCATION"] == link
    assert vevent["DESCRIPTION"] == f"Quarterly planning\n\nJoin the meeting: {link}"
    assert vevent["SUMMARY"] == "Planning"
    assert vevent["SEQUENCE"] == 0
    assert vevent["STATUS"] == "CONFIRMED"
    assert "RRULE" not in vevent
    assert vevent["ORGANIZER"] == "mailto:alice@example.com"
    assert vevent["ORGANIZER"].params["CN"] == alice_profile["display_name"]
    attendees = {
        str(a): (a.params.get("CN"), a.params["PARTSTAT"], a.params["ROLE"])
        for a in vevent["ATTENDEE"]
    }
    assert attendees == {
        "mailto:bob@example.com": (
            bob_profile["display_name"],
            "ACCEPTED",
            "REQ-PARTICIPANT",
        ),
        "mailto:carol@example.com": (None, "NEEDS-ACTION", "REQ-PARTICIPANT"),
    }
    assert expanded(ics) == await parley_instances(client, alice, event["id"])


async def test_cancel_to_chosen_attendees(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    bob: dict[str, str],
    database: Database,
) -> None:
    bob_profile = await me(client, bob)
    event = await create_event(client, alice, pattern=["RRULE:FREQ=DAILY;COUNT=3"])
    await invite(client, alice, event["id"], {"invitee": bob_profile["id"]})
    await patch_instance(
        client, alice, event["id"], "20300108T080000Z", {"title": "Changed"}
    )

    ics = await ics_of(
        database, event["id"], method="CANCEL", attendees=["dave@example.com"]
    )
    calendar = parse(ics)
    assert calendar["METHOD"] == "CANCEL"
    (vevent,) = calendar.events  # the series; its changed instance goes with it
    assert vevent["STATUS"] == "CANCELLED"
    assert vevent["ATTENDEE"] == "mailto:dave@example.com"
    assert vevent["ATTENDEE"].params["PARTSTAT"] == "NEEDS-ACTION"


async def test_time_independent_event_is_a_vtodo_without_dates(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    event = await create_event(client, alice, body=event_body(None, None))
    calendar = parse(await ics_of(database, event["id"], method="REQUEST"))
    assert calendar.events == []
    (todo,) = calendar.todos
    assert todo["UID"] == f"{event['id']}@127.0.0.1"
    assert todo["SUMMARY"] == "Planning"
    assert "DTSTART" not in todo
    assert "DUE" not in todo


@pytest.mark.parametrize("zone", ["UTC", "America/New_York"])
async def test_timed_event_in_other_zones(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database, zone: str
) -> None:
    event = await create_event(
        client,
        alice,
        start="2030-03-04T15:00:00Z",
        end="2030-03-04T16:00:00Z",
        zone=zone,
        pattern=["RRULE:FREQ=WEEKLY;COUNT=3"],
    )
    ics = await ics_of(database, event["id"])
    assert expanded(ics) == await parley_instances(client, alice, event["id"])


async def test_rdate_exrule_and_floating_exdate(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    event = await create_event(
        client,
        alice,
        start="2030-01-07T08:00:00Z",  # a Monday, 09:00 Berlin
        end="2030-01-07T09:00:00Z",
        pattern=[
            "RRULE:FREQ=DAILY;COUNT=14",
            "EXRULE:FREQ=WEEKLY;BYDAY=SA,SU",
            "RDATE:20300126T100000Z,20300127T120000",
            "EXDATE:20300109T090000",
        ],
    )
    ics = await ics_of(database, event["id"])
    vevent = parse(ics).events[0]
    # RDATE/EXDATE come out in the event's zone whatever form they were given in.
    assert b"RDATE;TZID=Europe/Berlin:20300126T110000,20300127T120000\r\n" in ics
    assert vevent["EXRULE"].to_ical() == b"FREQ=WEEKLY;BYDAY=SA,SU"
    # EXRULE is gone from RFC 5545 and ignored by Google, Outlook and dateutil,
    # so what it removes is listed as EXDATEs too.
    assert [d.dt.day for d in vevent["EXDATE"].dts] == [9, 12, 13, 19, 20]
    instances = await parley_instances(client, alice, event["id"])
    assert len(instances) == 11  # 10 weekdays but the 9th, plus 2 RDATEs
    assert expanded(ics) == instances
