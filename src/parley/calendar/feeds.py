"""Per-user calendar feeds: a secret URL calendar apps subscribe to.

The token in the URL is the credential: ``selector`` (32 hex characters, finds
the row) followed by a random secret, of which only a SHA-256 is stored and
compared in constant time. Creating a feed again replaces the token, so the
old URL stops working at once.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.calendar.ics import load_details, render_calendar
from parley.calendar.models import CalendarFeed
from parley.db import utcnow
from parley.errors import NotFound
from parley.events.invites import insert_once
from parley.events.listing import Filters, Window, list_page
from parley.events.models import Event
from parley.users.models import User

_SELECTOR_LENGTH = 32
_SECRET_BYTES = 32
_TOKEN_RE = re.compile(r"([0-9a-f]{32})([A-Za-z0-9_-]{20,128})")
# A declined invite leaves the event out of the feed.
_SHOWN_STATUSES = frozenset({"pending", "accepted", "tentative"})
# How often subscribed clients should fetch the feed again (RFC 7986 REFRESH-INTERVAL).
REFRESH_INTERVAL = timedelta(hours=1)


class CalendarFeedNotFound(NotFound):
    code = "calendar_feed_not_found"
    default_message = "There is no calendar feed; create one first"


class UnknownFeedToken(NotFound):
    default_message = "No calendar feed has this address"


@dataclass(frozen=True, slots=True)
class NewFeed:
    """A feed as created: the token is only known at this moment."""

    feed: CalendarFeed
    token: str


def feed_path(token: str) -> str:
    """The path of a feed below the server's base URL."""
    return f"/v1/calendar/feeds/{token}.ics"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def get_feed(session: AsyncSession, user_id: uuid.UUID) -> CalendarFeed:
    """The user's feed; 404 ``calendar_feed_not_found`` when they have none."""
    feed = await session.get(CalendarFeed, user_id)
    if feed is None:
        raise CalendarFeedNotFound()
    return feed


async def create_feed(session: AsyncSession, user_id: uuid.UUID) -> NewFeed:
    """Give the user a new feed token, replacing (invalidating) any previous one."""
    selector = secrets.token_hex(_SELECTOR_LENGTH // 2)
    secret = secrets.token_urlsafe(_SECRET_BYTES)
    values = {
        "selector": selector,
        "secret_hash": _hash(secret),
        "created_at": utcnow(),
    }
    feed = await session.get(CalendarFeed, user_id)
    if feed is None:
        feed = CalendarFeed(user_id=user_id, **values)
        if await insert_once(session, feed):
            return NewFeed(feed, selector + secret)
        # A concurrent request created one just now: replace it like any other.
        feed = await session.get_one(CalendarFeed, user_id, populate_existing=True)
    for name, value in values.items():
        setattr(feed, name, value)
    await session.flush()
    return NewFeed(feed, selector + secret)


async def delete_feed(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Turn the user's feed off; 404 when there is none."""
    removed = await session.execute(
        delete(CalendarFeed).where(CalendarFeed.user_id == user_id)
    )
    if not removed.rowcount:  # type: ignore[attr-defined]
        raise CalendarFeedNotFound()


async def feed_owner(session: AsyncSession, token: str) -> User:
    """The user a feed token belongs to; 404 for unknown, malformed or replaced ones."""
    match = _TOKEN_RE.fullmatch(token)
    if match is None:
        raise UnknownFeedToken()
    selector, secret = match.groups()
    feed = await session.scalar(
        select(CalendarFeed).where(CalendarFeed.selector == selector)
    )
    # compare_digest: the time taken must not tell how much of the hash matched.
    if feed is None or not hmac.compare_digest(feed.secret_hash, _hash(secret)):
        raise UnknownFeedToken()
    return await session.get_one(User, feed.user_id)


async def feed_events(
    session: AsyncSession,
    user: User,
    *,
    past_days: int,
    max_events: int,
    now: datetime,
) -> list[Event]:
    """Timed events the user created or did not decline, still running or recent.

    Those whose last occurrence ended more than ``past_days`` ago are left out
    (open-ended series never end); of the rest, the ``max_events`` that start
    first. Time-independent events have no place on a calendar and are left out.
    """
    candidates = await list_page(
        session,
        user.id,
        window=Window(start=now - timedelta(days=past_days)),
        filters=Filters(time_independent=False, invite_status=_SHOWN_STATUSES),
        after=None,
        limit=max_events,
    )
    ids = [candidate.key.event_id for candidate in candidates]
    if not ids:
        return []
    found = {
        e.id: e for e in await session.scalars(select(Event).where(Event.id.in_(ids)))
    }
    return [found[i] for i in ids if i in found]


async def render_feed(
    session: AsyncSession,
    user: User,
    *,
    base_url: str,
    past_days: int,
    max_events: int,
) -> bytes:
    """The user's feed as a VCALENDAR (no METHOD: it is a published calendar)."""
    now = utcnow()
    events = await feed_events(
        session, user, past_days=past_days, max_events=max_events, now=now
    )
    details = await load_details(session, events)
    return render_calendar(
        details,
        method=None,
        base_url=base_url,
        name=f"Parley: {user.display_name or user.email}",
        refresh_interval=REFRESH_INTERVAL,
        now=now,
    )
