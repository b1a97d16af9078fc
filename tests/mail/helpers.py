"""Reading mails and the outbox in the mail tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from email.message import EmailMessage
from typing import TypeVar

import icalendar
import recurring_ical_events
from sqlalchemy import select

from parley.db import Database
from parley.mail.models import OutboxMail

T = TypeVar("T")


def bodies(message: EmailMessage) -> tuple[str, str]:
    """The plain-text and HTML bodies (with SMTP's CRLF line ends as \\n)."""
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None
    assert html is not None
    return (
        str(text.get_content()).replace("\r\n", "\n"),
        str(html.get_content()).replace("\r\n", "\n"),
    )


def invitation(message: EmailMessage) -> tuple[str, icalendar.Calendar]:
    """The method and parsed calendar of the attached invite.ics."""
    (part,) = [
        p for p in message.iter_attachments() if p.get_filename() == "invite.ics"
    ]
    assert part.get_content_type() == "text/calendar"
    method = part.get_param("method")
    assert isinstance(method, str)
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    calendar = icalendar.Calendar.from_ical(payload)
    assert str(calendar["METHOD"]) == method
    return method, calendar


def instance_starts(
    calendar: icalendar.Calendar, start: datetime, end: datetime
) -> list[datetime]:
    """Starts of the instances the calendar expands to in ``[start, end)``."""
    events = recurring_ical_events.of(calendar).between(start, end)
    return sorted(event.start for event in events)


async def outbox(database: Database) -> list[OutboxMail]:
    async with database.read_sessionmaker() as session:
        rows = await session.scalars(
            select(OutboxMail).order_by(OutboxMail.created_at, OutboxMail.recipient)
        )
        return list(rows)


async def eventually(
    probe: Callable[[], Awaitable[T]],
    accept: Callable[[T], bool],
    within: float = 10.0,
) -> T:
    """Poll ``probe`` until ``accept`` holds for its value; fail after ``within`` s."""
    deadline = time.monotonic() + within
    while True:
        value = await probe()
        if accept(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still not accepted after {within}s: {value!r}")
        await asyncio.sleep(0.05)
