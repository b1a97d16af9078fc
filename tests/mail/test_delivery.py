"""Delivery: outages, refused recipients, retries, several workers on one database."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from parley.config import Settings
from parley.db import Database, create_engine, utcnow
from parley.mail.models import OutboxMail
from parley.mail.worker import MailWorker
from tests.api.events.helpers import create_event, invite
from tests.mail.conftest import SmtpServer
from tests.mail.helpers import eventually, outbox

GUEST = "guest@outside.example"


def statuses(rows: list[OutboxMail]) -> dict[str, str]:
    return {row.recipient: row.status for row in rows}


async def test_mail_waits_out_an_smtp_outage_and_the_api_does_not_notice(
    http: httpx.AsyncClient,
    organizer: dict[str, str],
    smtp_server: SmtpServer,
    live_database: Database,
) -> None:
    event = await create_event(http, organizer)
    await invite(http, organizer, event["id"], {"email": "first@outside.example"})
    await smtp_server.wait_for(1)

    smtp_server.stop()
    await invite(http, organizer, event["id"], {"email": GUEST})
    patched = await http.patch(
        f"/v1/events/{event['id']}", json={"title": "Moved"}, headers=organizer
    )
    assert patched.status_code == 200, patched.text

    def retried(rows: list[OutboxMail]) -> bool:
        waiting = [row for row in rows if row.status != "sent"]
        return len(waiting) == 3 and all(row.attempts >= 2 for row in waiting)

    rows = await eventually(lambda: outbox(live_database), retried)
    waiting = [row for row in rows if row.status != "sent"]
    assert {row.status for row in waiting} <= {"pending", "sending"}
    assert all("Connect" in (row.last_error or "") for row in waiting), [
        row.last_error for row in waiting
    ]
    assert len(smtp_server.catcher.received) == 1

    smtp_server.start()  # the same port again
    received = await smtp_server.wait_for(4)
    assert sorted((r.recipients[0], r.message["Subject"]) for r in received[1:]) == [
        ("first@outside.example", "Updated: Moved"),
        (GUEST, "Invitation: Planning"),
        (GUEST, "Updated: Moved"),
    ]
    rows = await eventually(
        lambda: outbox(live_database),
        lambda rows: all(row.status == "sent" for row in rows),
    )
    assert all(row.sent_at is not None for row in rows)
    assert max(row.attempts for row in rows) >= 3


async def test_a_refused_recipient_fails_at_once_and_others_still_get_mail(
    http: httpx.AsyncClient,
    organizer: dict[str, str],
    smtp_server: SmtpServer,
    live_database: Database,
) -> None:
    smtp_server.catcher.refusals["nobody@outside.example"] = "550 5.1.1 No such user"
    event = await create_event(http, organizer)
    for address in ("nobody@outside.example", GUEST):
        await invite(http, organizer, event["id"], {"email": address})
    patched = await http.patch(
        f"/v1/events/{event['id']}", json={"title": "Later"}, headers=organizer
    )
    assert patched.status_code == 200

    received = await smtp_server.wait_for(2)
    assert [r.recipients for r in received] == [[GUEST], [GUEST]]
    rows = await eventually(
        lambda: outbox(live_database),
        lambda rows: all(row.status in ("sent", "failed") for row in rows),
    )
    failed = [row for row in rows if row.status == "failed"]
    assert [(row.recipient, row.attempts) for row in failed] == [
        ("nobody@outside.example", 1),
        ("nobody@outside.example", 1),
    ]
    assert all(row.last_error == "550 5.1.1 No such user" for row in failed)


async def test_a_temporarily_refused_mail_is_retried_then_fails_after_max_attempts(
    open_instance: Any,
    organizer: dict[str, str],
    smtp_server: SmtpServer,
    live_database: Database,
    caplog: pytest.LogCaptureFixture,
) -> None:
    smtp_server.catcher.refusals["busy@outside.example"] = "451 4.3.0 Try later"
    async with open_instance(mail_max_attempts=3) as http:
        event = await create_event(http, organizer)
        await invite(http, organizer, event["id"], {"email": "busy@outside.example"})
        await invite(http, organizer, event["id"], {"email": GUEST})
        (row, _) = await eventually(
            lambda: outbox(live_database),
            lambda rows: (
                statuses(rows) == {"busy@outside.example": "failed", GUEST: "sent"}
            ),
        )
    assert (row.recipient, row.attempts, row.last_error) == (
        "busy@outside.example",
        3,
        "451 4.3.0 Try later",
    )
    assert [r.recipients for r in smtp_server.catcher.received] == [[GUEST]]
    assert any(
        record.levelname == "ERROR" and "failed after 3 attempts" in record.getMessage()
        for record in caplog.records
    )


@pytest.mark.postgres
async def test_two_workers_on_one_database_send_each_mail_once(
    open_instance: Any,
    organizer: dict[str, str],
    smtp_server: SmtpServer,
    live_database: Database,
    engine: AsyncEngine,
    mail_settings: Settings,
) -> None:
    invitees = [f"guest{number:02}@outside.example" for number in range(40)]
    other_engine = create_engine(mail_settings)  # a second instance's own pool
    try:
        async with (
            open_instance() as first,
            open_instance(database=Database.from_engine(other_engine)) as second,
        ):
            event = await create_event(first, organizer)
            for number, address in enumerate(invitees):
                # Invites through both instances; each commit wakes both workers.
                client = (first, second)[number % 2]
                await invite(client, organizer, event["id"], {"email": address})
            patched = await second.patch(
                f"/v1/events/{event['id']}", json={"title": "All"}, headers=organizer
            )
            assert patched.status_code == 200
            await smtp_server.wait_for(2 * len(invitees), within=30)
            rows = await eventually(
                lambda: outbox(live_database),
                lambda rows: all(row.status == "sent" for row in rows),
            )
    finally:
        await other_engine.dispose()
    received = smtp_server.catcher.received
    assert len(received) == 2 * len(invitees)
    assert sorted((r.recipients[0], r.message["Subject"]) for r in received) == sorted(
        [(address, "Invitation: Planning") for address in invitees]
        + [(address, "Updated: All") for address in invitees]
    )
    assert len(rows) == 2 * len(invitees)
    assert {row.attempts for row in rows} == {1}


async def test_finished_mail_older_than_the_keep_days_is_pruned(
    live_database: Database, mail_settings: Settings
) -> None:
    """Sent and failed rows go after PARLEY_MAIL_KEEP_DAYS; waiting ones never do."""
    now = utcnow()

    def row(status: str, age_days: float) -> OutboxMail:
        return OutboxMail(
            recipient=f"{status}-{age_days}@outside.example",
            subject="s",
            text_body="t",
            html_body="h",
            kind="invited",
            status=status,
            created_at=now - timedelta(days=age_days),
        )

    async with live_database.sessionmaker() as session, session.begin():
        session.add_all(
            row(status, age)
            for status in ("sent", "failed", "pending", "sending")
            for age in (40, 29)
        )
    worker = MailWorker(
        live_database, mail_settings.model_copy(update={"mail_keep_days": 30})
    )

    assert await worker.prune() == 2
    kept = {(r.status, r.recipient.split("-")[1]) for r in await outbox(live_database)}
    assert kept == {
        ("sent", "29@outside.example"),
        ("failed", "29@outside.example"),
        ("pending", "40@outside.example"),
        ("pending", "29@outside.example"),
        ("sending", "40@outside.example"),
        ("sending", "29@outside.example"),
    }
    keep_all = MailWorker(
        live_database, mail_settings.model_copy(update={"mail_keep_days": 0})
    )
    assert await keep_all.prune() == 0
