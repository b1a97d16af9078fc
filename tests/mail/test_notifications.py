"""Event changes mail the invitees through the outbox and a real SMTP server."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import icalendar

from parley.config import Settings
from parley.db import Database
from parley.events import service as events_service
from parley.events.models import Event
from parley.events.schemas import PatchEvent
from parley.rooms.models import Room
from parley.streaming import service as streaming_service
from parley.streaming.schemas import StreamingTargetBody
from parley.users.models import User
from tests.api.events.helpers import create_event, invite, me
from tests.api.shared_folders.conftest import provider_settings
from tests.mail.conftest import DOMAIN, SmtpServer, user_headers
from tests.mail.helpers import bodies, instance_starts, invitation, outbox
from tests.nextcloud_standin import NextcloudStandIn
from tests.oidc_issuer import TestIssuer

BERLIN = ZoneInfo("Europe/Berlin")
WEEKLY = ["RRULE:FREQ=WEEKLY;COUNT=3"]
TITLE = 'Plan <b>& "ship"</b>'
DESCRIPTION = "Agenda:\n<script>alert(1)</script>"
GUEST = "guest@outside.example"
QUIET = {"suppress_email_notification": "true"}
JANUARY = (datetime(2030, 1, 1, tzinfo=BERLIN), datetime(2030, 2, 1, tzinfo=BERLIN))


def weekly_at_nine() -> list[datetime]:
    return [datetime(2030, 1, day, 9, tzinfo=BERLIN) for day in (7, 14, 21)]


async def planning(
    http: httpx.AsyncClient, organizer: dict[str, str]
) -> dict[str, Any]:
    """A weekly event, three Mondays 09:00 Berlin, with markup in its texts."""
    return await create_event(
        http, organizer, pattern=WEEKLY, title=TITLE, description=DESCRIPTION
    )


async def registered(
    http: httpx.AsyncClient, oidc_issuer: TestIssuer, local: str
) -> dict[str, Any]:
    return await me(http, user_headers(oidc_issuer, local))


async def test_invites_mail_each_new_invitee_with_bodies_and_a_request(
    http: httpx.AsyncClient,
    organizer: dict[str, str],
    oidc_issuer: TestIssuer,
    smtp_server: SmtpServer,
    mail_settings: Settings,
) -> None:
    bob = await registered(http, oidc_issuer, "bob")
    event = await planning(http, organizer)
    await invite(http, organizer, event["id"], {"invitee": bob["id"]})
    await invite(http, organizer, event["id"], {"email": GUEST})

    first, second = await smtp_server.wait_for(2)
    assert (first.recipients, second.recipients) == ([f"bob@{DOMAIN}"], [GUEST])
    assert first.mail_from == f"parley@{DOMAIN}"
    message = first.message
    assert message["From"] == f"Parley <parley@{DOMAIN}>"
    assert message["To"] == f"bob@{DOMAIN}"
    assert message["Subject"] == f"Invitation: {TITLE}"
    text, html = bodies(message)
    room_url = f"{mail_settings.base_url}/room/{event['room']['id']}"
    assert f"Olga <Organa> invited you to “{TITLE}”." in text
    assert (
        "First:   Monday, 7 January 2030, 09:00\N{EN DASH}10:00 (Europe/Berlin)" in text
    )
    assert "Repeats: RRULE:FREQ=WEEKLY;COUNT=3" in text
    assert DESCRIPTION in text
    assert room_url in text
    # Markup typed by users arrives as text in the HTML body.
    assert "Olga &lt;Organa&gt; invited you to" in html
    assert "Plan &lt;b&gt;&amp; &quot;ship&quot;&lt;/b&gt;" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>" not in html
    assert "<b>" not in html

    method, calendar = invitation(message)
    assert method == "REQUEST"
    assert instance_starts(calendar, *JANUARY) == weekly_at_nine()
    (vevent,) = calendar.walk("VEVENT")
    assert str(vevent["SUMMARY"]) == TITLE
    assert str(vevent["UID"]).startswith(event["id"])
    guest_method, guest_calendar = invitation(second.message)
    assert guest_method == "REQUEST"
    assert guest_calendar.walk("VEVENT")[0]["UID"] == vevent["UID"]


async def test_updates_request_everyone_and_a_cancelled_occurrence_is_left_out(
    http: httpx.AsyncClient,
    organizer: dict[str, str],
    oidc_issuer: TestIssuer,
    smtp_server: SmtpServer,
) -> None:
    bob = await registered(http, oidc_issuer, "bob")
    event = await planning(http, organizer)
    base = f"/v1/events/{event['id']}"
    await invite(http, organizer, event["id"], {"invitee": bob["id"]})
    await invite(http, organizer, event["id"], {"email": GUEST})
    invited = await smtp_server.wait_for(2)

    renamed = await http.patch(base, json={"title": "Review"}, headers=organizer)
    assert renamed.status_code == 200, renamed.text
    received = await smtp_server.wait_for(4)
    assert sorted(r.recipients[0] for r in received[2:]) == sorted(
        [f"bob@{DOMAIN}", GUEST]
    )
    update = received[2].message
    assert update["Subject"] == "Updated: Review"
    text, _ = bodies(update)
    assert "Olga <Organa> updated “Review”." in text
    method, calendar = invitation(update)
    assert method == "REQUEST"
    assert instance_starts(calendar, *JANUARY) == weekly_at_nine()
    # Calendar clients take the update only with a higher SEQUENCE.
    assert sequence(calendar) > sequence(invitation(invited[0].message)[1])

    cancelled = await http.patch(
        f"{base}/instances/20300114T080000Z",
        json={"status": "cancelled"},
        headers=organizer,
    )
    assert cancelled.status_code == 200, cancelled.text
    received = await smtp_server.wait_for(6)
    occurrence = received[4].message
    assert occurrence["Subject"] == "Cancelled: Review on Monday, 14 January 2030"
    text, _ = bodies(occurrence)
    assert "Occurrence: Monday, 14 January 2030, 09:00\N{EN DASH}10:00" in text
    method, occurrence_calendar = invitation(occurrence)
    assert method == "REQUEST"  # the series goes on without that occurrence
    assert sequence(occurrence_calendar) > sequence(calendar)
    calendar = occurrence_calendar
    first, _, third = weekly_at_nine()
    assert instance_starts(calendar, *JANUARY) == [first, third]


async def test_uninvited_get_a_cancel_and_deleting_cancels_for_everyone(
    http: httpx.AsyncClient,
    organizer: dict[str, str],
    oidc_issuer: TestIssuer,
    smtp_server: SmtpServer,
) -> None:
    bob = await registered(http, oidc_issuer, "bob")
    carol = await registered(http, oidc_issuer, "carol")
    event = await planning(http, organizer)
    base = f"/v1/events/{event['id']}"
    for invitee in (bob, carol):
        await invite(http, organizer, event["id"], {"invitee": invitee["id"]})
    await smtp_server.wait_for(2)

    withdrawn = await http.delete(f"{base}/invites/{bob['id']}", headers=organizer)
    assert withdrawn.status_code == 204, withdrawn.text
    received = await smtp_server.wait_for(3)
    assert received[2].recipients == [f"bob@{DOMAIN}"]
    assert received[2].message["Subject"] == f"Invitation withdrawn: {TITLE}"
    method, calendar = invitation(received[2].message)
    assert method == "CANCEL"
    (vevent,) = calendar.walk("VEVENT")
    assert [str(a) for a in _list(vevent["ATTENDEE"])] == [f"mailto:bob@{DOMAIN}"]

    deleted = await http.delete(base, headers=organizer)
    assert deleted.status_code == 204, deleted.text
    received = await smtp_server.wait_for(4)
    assert received[3].recipients == [f"carol@{DOMAIN}"]
    assert received[3].message["Subject"] == f"Cancelled: {TITLE}"
    text, _ = bodies(received[3].message)
    assert f"Olga <Organa> cancelled “{TITLE}”." in text
    assert "Join:" not in text
    method, calendar = invitation(received[3].message)
    assert method == "CANCEL"
    assert str(calendar.walk("VEVENT")[0]["STATUS"]) == "CANCELLED"


def sequence(calendar: icalendar.Calendar) -> int:
    return int(str(calendar.walk("VEVENT")[0]["SEQUENCE"]))


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else [value]


async def test_suppress_email_notification_queues_nothing(
    http: httpx.AsyncClient,
    organizer: dict[str, str],
    oidc_issuer: TestIssuer,
    smtp_server: SmtpServer,
    live_database: Database,
) -> None:
    bob = await registered(http, oidc_issuer, "bob")
    event = await planning(http, organizer)
    base = f"/v1/events/{event['id']}"
    calls = [
        http.post(
            f"{base}/invites",
            json={"invitee": bob["id"]},
            params=QUIET,
            headers=organizer,
        ),
        http.post(
            f"{base}/invites", json={"email": GUEST}, params=QUIET, headers=organizer
        ),
        http.patch(base, json={"title": "Quiet"}, params=QUIET, headers=organizer),
        http.patch(
            f"{base}/instances/20300114T080000Z",
            json={"status": "cancelled"},
            params=QUIET,
            headers=organizer,
        ),
        http.post(
            f"/v1/rooms/{event['room']['id']}/streaming_targets",
            json=STREAM,
            params=QUIET,
            headers=organizer,
        ),
        http.delete(f"{base}/invites/{bob['id']}", params=QUIET, headers=organizer),
        http.delete(base, params=QUIET, headers=organizer),
    ]
    for call in calls:
        response = await call
        assert response.status_code < 300, response.text
    assert await outbox(live_database) == []
    assert smtp_server.catcher.received == []


STREAM = {
    "name": "Live",
    "kind": "custom",
    "streaming_endpoint": "rtmp://ingest.example.com/live",
    "streaming_key": "key",
    "public_url": "https://watch.example.com/live",
}


async def test_a_streaming_target_of_the_event_room_is_an_update(
    http: httpx.AsyncClient,
    organizer: dict[str, str],
    smtp_server: SmtpServer,
) -> None:
    event = await planning(http, organizer)
    await invite(http, organizer, event["id"], {"email": GUEST})
    await smtp_server.wait_for(1)
    created = await http.post(
        f"/v1/rooms/{event['room']['id']}/streaming_targets",
        json=STREAM,
        headers=organizer,
    )
    assert created.status_code == 201, created.text
    received = await smtp_server.wait_for(2)
    assert received[1].recipients == [GUEST]
    assert received[1].message["Subject"] == f"Updated: {TITLE}"
    text, html = bodies(received[1].message)
    assert "Live stream: https://watch.example.com/live" in text
    assert '<a href="https://watch.example.com/live">' in html
    assert "key" not in text  # the streaming key is the owner's secret
    assert invitation(received[1].message)[0] == "REQUEST"


async def test_changing_only_what_no_mail_shows_mails_nobody(
    http: httpx.AsyncClient,
    organizer: dict[str, str],
    smtp_server: SmtpServer,
    live_database: Database,
) -> None:
    event = await planning(http, organizer)
    await invite(http, organizer, event["id"], {"email": GUEST})
    await smtp_server.wait_for(1)
    for body in (
        {"password": "n3w"},
        {"waiting_room": True},
        {"is_adhoc": True},
        {"show_meeting_details": True},
    ):
        patched = await http.patch(
            f"/v1/events/{event['id']}", json=body, headers=organizer
        )
        assert patched.status_code == 200, patched.text
    assert [row.kind for row in await outbox(live_database)] == ["invited"]


async def test_mails_carry_the_same_links_whatever_show_meeting_details_says(
    http: httpx.AsyncClient,
    organizer: dict[str, str],
    smtp_server: SmtpServer,
) -> None:
    """As the controller: the switch governs the details shown inside the room; an
    invitation always carries the invitee's way in and the live streams (the
    controller's mail protocol has no such flag)."""
    lines: dict[bool, list[str]] = {}
    for shown in (True, False):
        event = await create_event(
            http,
            organizer,
            title=f"Streamed {shown}",
            show_meeting_details=shown,
            streaming_targets=[STREAM],
        )
        assert event["show_meeting_details"] is shown
        await invite(http, organizer, event["id"], {"email": GUEST})
        received = await smtp_server.wait_for(len(lines) + 1)
        text, _ = bodies(received[-1].message)
        lines[shown] = [
            line for line in text.splitlines() if line.startswith(("Join:", "Live"))
        ]
    for shown in (True, False):
        (join, stream) = lines[shown]
        assert join.startswith("Join:")
        assert "/invite/" in join
        assert stream == "Live stream: https://watch.example.com/live"


async def test_one_transaction_mails_each_invitee_once_with_the_final_state(
    http: httpx.AsyncClient,
    organizer: dict[str, str],
    smtp_server: SmtpServer,
    live_database: Database,
) -> None:
    event_id = uuid.UUID((await planning(http, organizer))["id"])
    await invite(http, organizer, str(event_id), {"email": GUEST})
    await smtp_server.wait_for(1)
    async with live_database.sessionmaker() as session, session.begin():
        event = await session.get_one(Event, event_id)
        room = await session.get_one(Room, event.room_id)
        actor = await session.get_one(User, event.created_by_id)
        await events_service.update_event(
            session, event, PatchEvent(title="First"), actor_id=actor.id
        )
        await streaming_service.create_targets(
            session, room, [StreamingTargetBody.model_validate(STREAM)]
        )
        await events_service.update_event(
            session, event, PatchEvent(title="Final"), actor_id=actor.id
        )
    received = await smtp_server.wait_for(2)
    assert received[1].message["Subject"] == "Updated: Final"
    rows = await outbox(live_database)
    assert [(row.recipient, row.kind) for row in rows] == [
        (GUEST, "invited"),
        (GUEST, "updated"),
    ]


async def test_without_smtp_nothing_is_queued(
    open_instance: Any,
    organizer: dict[str, str],
    live_database: Database,
    smtp_server: SmtpServer,
) -> None:
    async with open_instance(smtp_host=None) as http:
        event = await planning(http, organizer)
        await invite(http, organizer, event["id"], {"email": GUEST})
        patched = await http.patch(
            f"/v1/events/{event['id']}", json={"title": "x"}, headers=organizer
        )
        assert patched.status_code == 200
    assert await outbox(live_database) == []
    assert smtp_server.catcher.received == []


async def test_a_new_shared_folder_is_an_update_with_its_read_only_link(
    open_instance: Any,
    organizer: dict[str, str],
    smtp_server: SmtpServer,
    tmp_path: Path,
) -> None:
    nextcloud = NextcloudStandIn(tmp_path / "nextcloud").start()
    try:
        async with open_instance(**provider_settings(nextcloud)) as http:
            event = await planning(http, organizer)
            await invite(http, organizer, event["id"], {"email": GUEST})
            await smtp_server.wait_for(1)
            put = await http.put(
                f"/v1/events/{event['id']}/shared_folder", headers=organizer
            )
            assert put.status_code == 201, put.text
            folder = put.json()
            received = await smtp_server.wait_for(2)
            deleted = await http.delete(f"/v1/events/{event['id']}", headers=organizer)
            assert deleted.status_code == 204
    finally:
        nextcloud.stop()
    update = received[1].message
    assert update["Subject"] == f"Updated: {TITLE}"
    text, _ = bodies(update)
    assert f"Shared folder:   {folder['read']['url']}" in text
    assert f"Folder password: {folder['read']['password']}" in text
    assert folder["read_write"]["url"] not in text  # the creator's link stays theirs
    assert folder["read_write"]["password"] not in text


async def test_guests_invited_by_address_get_an_invite_link_that_admits_them(
    http: httpx.AsyncClient,
    organizer: dict[str, str],
    oidc_issuer: TestIssuer,
    smtp_server: SmtpServer,
    mail_settings: Settings,
) -> None:
    """The room page needs an account; a guest joins with the mailed invite code."""
    bob = await registered(http, oidc_issuer, "bob")
    event = await planning(http, organizer)
    await invite(http, organizer, event["id"], {"email": GUEST})
    await invite(http, organizer, event["id"], {"email": "second@outside.example"})
    await invite(http, organizer, event["id"], {"invitee": bob["id"]})

    guest_mail, second_mail, bob_mail = await smtp_server.wait_for(3)
    prefix = f"{mail_settings.base_url}/invite/"
    text, _ = bodies(guest_mail.message)
    (link,) = [word for word in text.split() if word.startswith(prefix)]
    code = link.removeprefix(prefix)
    assert f"{prefix}{code}" in bodies(second_mail.message)[0]  # one code per room
    _, calendar = invitation(guest_mail.message)
    assert str(calendar.walk("VEVENT")[0]["URL"]) == link
    bob_text, _ = bodies(bob_mail.message)
    assert prefix not in bob_text
    assert f"{mail_settings.base_url}/room/{event['room']['id']}" in bob_text

    started = await http.post(
        f"/v1/rooms/{event['room']['id']}/start_invited", json={"invite_code": code}
    )
    assert started.status_code == 200, started.text
    listed = await http.get(
        f"/v1/rooms/{event['room']['id']}/invites", headers=organizer
    )
    # The three-Monday series ends on 21 January, 10:00 Berlin: so does the code.
    assert [i["expiration"] for i in listed.json()] == ["2030-01-21T09:00:00Z"]
