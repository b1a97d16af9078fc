"""SEQUENCE grows with every change attendees must see, and only then."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import httpx
import icalendar
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from parley.calendar.ics import build_event_ics
from parley.db import Database
from parley.events import notifications
from parley.events.models import Event
from tests.api.events.helpers import create_event, dt, invite, me


async def sequence_of(database: Database, event_id: str) -> int:
    async with database.sessionmaker() as session:
        return (await session.get_one(Event, uuid.UUID(event_id))).sequence


async def patch(
    client: httpx.AsyncClient, headers: dict[str, str], path: str, body: Any
) -> None:
    response = await client.patch(path, json=body, headers=headers)
    assert response.status_code in (200, 204), response.text


async def test_visible_changes_raise_sequence_and_others_do_not(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    event = await create_event(client, alice, pattern=["RRULE:FREQ=DAILY;COUNT=3"])
    path = f"/v1/events/{event['id']}"
    assert await sequence_of(database, event["id"]) == 0

    await patch(client, alice, path, {"password": "secret", "waiting_room": True})
    await patch(client, alice, path, {"is_adhoc": False})
    assert await sequence_of(database, event["id"]) == 0

    await patch(client, alice, path, {"title": "Renamed"})
    assert await sequence_of(database, event["id"]) == 1
    await patch(client, alice, path, {"ends_at": dt("2030-01-07T09:30:00Z")})
    assert await sequence_of(database, event["id"]) == 2
    await patch(client, alice, path, {"recurrence_pattern": []})
    assert await sequence_of(database, event["id"]) == 3


async def test_instance_changes_raise_sequence(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    event = await create_event(client, alice, pattern=["RRULE:FREQ=DAILY;COUNT=3"])
    instance = f"/v1/events/{event['id']}/instances/20300108T080000Z"
    await patch(client, alice, instance, {"title": "Special"})
    await patch(client, alice, instance, {"status": "cancelled"})
    assert await sequence_of(database, event["id"]) == 2
    await patch(client, alice, instance, {})  # empty: nothing changes
    assert await sequence_of(database, event["id"]) == 2

    async with database.sessionmaker() as session:
        stored = await session.get_one(Event, uuid.UUID(event["id"]))
        ics = await build_event_ics(session, stored, method="REQUEST")
    (vevent,) = icalendar.Calendar.from_ical(ics).events
    assert vevent["SEQUENCE"] == 2


async def test_withdrawn_invites_raise_sequence(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    bob: dict[str, str],
    database: Database,
) -> None:
    bob_profile = await me(client, bob)
    event = await create_event(client, alice)
    await invite(client, alice, event["id"], {"invitee": bob_profile["id"]})
    await invite(client, alice, event["id"], {"email": "carol@example.com"})
    assert await sequence_of(database, event["id"]) == 0
    response = await client.delete(
        f"/v1/events/{event['id']}/invites/{bob_profile['id']}", headers=alice
    )
    assert response.status_code == 204, response.text
    response = await client.request(
        "DELETE",
        f"/v1/events/{event['id']}/invites/email",
        json={"email": "carol@example.com"},
        headers=alice,
    )
    assert response.status_code == 204, response.text
    assert await sequence_of(database, event["id"]) == 2


async def test_deleting_an_event_builds_its_cancel_with_the_next_sequence(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent: list[bytes] = []

    async def mail_cancel(
        session: AsyncSession,
        event: Event,
        *,
        actor_id: uuid.UUID,
        recipients: Sequence[notifications.Recipient],
    ) -> None:
        # What the mail outbox does: render the CANCEL while the rows still exist.
        sent.append(await build_event_ics(session, event, method="CANCEL"))

    monkeypatch.setattr(notifications, "notify_deleted", mail_cancel)
    event = await create_event(client, alice)
    await patch(client, alice, f"/v1/events/{event['id']}", {"title": "Renamed"})
    response = await client.delete(f"/v1/events/{event['id']}", headers=alice)
    assert response.status_code == 204, response.text

    (ics,) = sent
    calendar = icalendar.Calendar.from_ical(ics)
    assert calendar["METHOD"] == "CANCEL"
    (vevent,) = calendar.events
    assert vevent["SEQUENCE"] == 2
    assert vevent["STATUS"] == "CANCELLED"
