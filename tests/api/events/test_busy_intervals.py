"""The booking contract: create_event, invite_email and busy_intervals as services."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.db import Database
from parley.events import service
from parley.events.invites import answer_invite
from parley.events.models import (
    Event,
    EventEmailInvite,
    EventException,
    EventInvite,
)
from parley.events.schemas import DateTimeTZ, PostEventsBody
from parley.users.models import User


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.fixture
async def session(database: Database) -> AsyncIterator[AsyncSession]:
    async with database.sessionmaker() as session:
        yield session


async def make_user(session: AsyncSession, email: str) -> User:
    user = User(oidc_sub=f"sub-{uuid.uuid4()}", email=email)
    session.add(user)
    await session.flush()
    return user


def body(
    start: datetime | None,
    end: datetime | None,
    *,
    zone: str = "Europe/Berlin",
    pattern: list[str] | None = None,
    all_day: bool = False,
    title: str = "Meeting",
) -> PostEventsBody:
    if start is None or end is None:
        return PostEventsBody(title=title, description="", is_time_independent=True)
    return PostEventsBody(
        title=title,
        description="",
        is_time_independent=False,
        is_all_day=all_day,
        starts_at=DateTimeTZ(datetime=start, timezone=zone),
        ends_at=DateTimeTZ(datetime=end, timezone=zone),
        recurrence_pattern=pattern,
    )


async def busy(
    session: AsyncSession, user: User, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    return await service.busy_intervals(
        session, user.id, window_start=start, window_end=end
    )


async def test_single_events_are_clipped_to_the_window_and_merged(
    session: AsyncSession,
) -> None:
    alice = await make_user(session, "alice@example.com")
    for start, end in [
        (utc(2030, 1, 7, 8), utc(2030, 1, 7, 10)),
        (utc(2030, 1, 7, 9), utc(2030, 1, 7, 11)),  # overlaps the first
        (utc(2030, 1, 8, 23), utc(2030, 1, 9, 1)),  # crosses the window's end
        (utc(2030, 1, 10, 9), utc(2030, 1, 10, 10)),  # outside
        (utc(2030, 1, 7, 12), utc(2030, 1, 7, 12)),  # zero length: busy never
    ]:
        await service.create_event(session, creator_id=alice.id, data=body(start, end))
    await service.create_event(session, creator_id=alice.id, data=body(None, None))
    assert await busy(session, alice, utc(2030, 1, 7), utc(2030, 1, 9)) == [
        (utc(2030, 1, 7, 8), utc(2030, 1, 7, 11)),
        (utc(2030, 1, 8, 23), utc(2030, 1, 9)),
    ]


async def test_invites_count_only_once_accepted(session: AsyncSession) -> None:
    alice = await make_user(session, "alice@example.com")
    bob = await make_user(session, "bob@example.com")
    event = await service.create_event(
        session,
        creator_id=alice.id,
        data=body(utc(2030, 1, 7, 8), utc(2030, 1, 7, 9)),
    )
    window = (utc(2030, 1, 7), utc(2030, 1, 8))
    outcome = await service.invite_user(
        session, event, invitee_id=bob.id, inviter_id=alice.id
    )
    assert outcome.created
    assert await busy(session, bob, *window) == []
    await answer_invite(session, event, user_id=bob.id, status="accepted")
    assert await busy(session, bob, *window) == [
        (utc(2030, 1, 7, 8), utc(2030, 1, 7, 9))
    ]
    await answer_invite(session, event, user_id=bob.id, status="declined")
    assert await busy(session, bob, *window) == []


async def test_recurring_events_expand_with_exceptions_across_dst(
    session: AsyncSession,
) -> None:
    alice = await make_user(session, "alice@example.com")
    # Weekly on Mondays 09:00-10:00 Berlin; DST starts on Sunday 2030-03-31.
    event = await service.create_event(
        session,
        creator_id=alice.id,
        data=body(
            utc(2030, 3, 18, 8),
            utc(2030, 3, 18, 9),
            pattern=["RRULE:FREQ=WEEKLY;COUNT=5"],
        ),
    )
    session.add_all(
        [
            EventException(
                event_id=event.id,
                original_starts_at=utc(2030, 3, 25, 8),
                status="cancelled",
                created_by_id=alice.id,
                updated_by_id=alice.id,
            ),
            EventException(
                event_id=event.id,
                original_starts_at=utc(2030, 4, 1, 7),
                status="ok",
                starts_at=utc(2030, 4, 2, 12),
                starts_at_tz="Europe/Berlin",
                ends_at=utc(2030, 4, 2, 13),
                ends_at_tz="Europe/Berlin",
                created_by_id=alice.id,
                updated_by_id=alice.id,
            ),
        ]
    )
    await session.flush()
    await service.refresh_listing_keys(session, event)
    assert await busy(session, alice, utc(2030, 3, 1), utc(2030, 5, 1)) == [
        (utc(2030, 3, 18, 8), utc(2030, 3, 18, 9)),  # CET
        (utc(2030, 4, 2, 12), utc(2030, 4, 2, 13)),  # moved
        (utc(2030, 4, 8, 7), utc(2030, 4, 8, 8)),  # CEST: still 09:00 local
        (utc(2030, 4, 15, 7), utc(2030, 4, 15, 8)),
    ]


async def test_moved_occurrence_outside_the_series_is_found(
    session: AsyncSession,
) -> None:
    alice = await make_user(session, "alice@example.com")
    event = await service.create_event(
        session,
        creator_id=alice.id,
        data=body(
            utc(2030, 1, 7, 8),
            utc(2030, 1, 7, 9),
            zone="UTC",
            pattern=["RRULE:FREQ=DAILY;COUNT=2"],
        ),
    )
    session.add(
        EventException(
            event_id=event.id,
            original_starts_at=utc(2030, 1, 8, 8),
            starts_at=utc(2030, 6, 1, 8),
            starts_at_tz="UTC",
            ends_at=utc(2030, 6, 1, 9),
            ends_at_tz="UTC",
            created_by_id=alice.id,
            updated_by_id=alice.id,
        )
    )
    await session.flush()
    await service.refresh_listing_keys(session, event)
    assert await busy(session, alice, utc(2030, 5, 31), utc(2030, 6, 2)) == [
        (utc(2030, 6, 1, 8), utc(2030, 6, 1, 9))
    ]


async def test_all_day_events_block_local_days(session: AsyncSession) -> None:
    alice = await make_user(session, "alice@example.com")
    await service.create_event(
        session,
        creator_id=alice.id,
        data=body(utc(2030, 1, 7), utc(2030, 1, 9), all_day=True),
    )
    await service.create_event(
        session,
        creator_id=alice.id,
        data=body(
            utc(2030, 2, 4),
            utc(2030, 2, 4),  # zero length all-day: the one day
            zone="America/New_York",
            all_day=True,
            pattern=["RRULE:FREQ=WEEKLY;COUNT=2"],
        ),
    )
    assert await busy(session, alice, utc(2030, 1, 1), utc(2030, 3, 1)) == [
        (utc(2030, 1, 6, 23), utc(2030, 1, 8, 23)),
        (utc(2030, 2, 4, 5), utc(2030, 2, 5, 5)),
        (utc(2030, 2, 11, 5), utc(2030, 2, 12, 5)),
    ]


async def test_open_ended_series_far_from_its_start(session: AsyncSession) -> None:
    alice = await make_user(session, "alice@example.com")
    await service.create_event(
        session,
        creator_id=alice.id,
        data=body(
            utc(2020, 1, 6, 9),
            utc(2020, 1, 6, 10),
            zone="UTC",
            pattern=["RRULE:FREQ=WEEKLY;BYDAY=MO"],
        ),
    )
    assert await busy(session, alice, utc(2040, 1, 2), utc(2040, 1, 10)) == [
        (utc(2040, 1, 2, 9), utc(2040, 1, 2, 10)),  # Monday 2 Jan 2040
        (utc(2040, 1, 9, 9), utc(2040, 1, 9, 10)),
    ]


async def test_truncated_expansion_marks_the_rest_busy(
    session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = await make_user(session, "alice@example.com")
    await service.create_event(
        session,
        creator_id=alice.id,
        data=body(
            utc(2030, 1, 1, 9),
            utc(2030, 1, 1, 10),
            zone="UTC",
            pattern=["RRULE:FREQ=DAILY"],
        ),
    )
    monkeypatch.setattr(service, "BUSY_OCCURRENCE_LIMIT", 2)
    assert await busy(session, alice, utc(2030, 1, 1), utc(2030, 1, 10)) == [
        (utc(2030, 1, 1, 9), utc(2030, 1, 1, 10)),
        (utc(2030, 1, 2, 9), utc(2030, 1, 2, 10)),
        (utc(2030, 1, 3, 9), utc(2030, 1, 10)),  # not expanded: busy
    ]


async def test_booking_creates_event_and_invites_by_email(
    session: AsyncSession,
) -> None:
    owner = await make_user(session, "owner@example.com")
    data = PostEventsBody(
        title="Consultation",
        description="Booked online",
        is_time_independent=False,
        is_all_day=False,
        starts_at=DateTimeTZ(datetime=utc(2030, 1, 7, 8), timezone="Europe/Berlin"),
        ends_at=DateTimeTZ(datetime=utc(2030, 1, 7, 9), timezone="Europe/Berlin"),
        password="secret",
        waiting_room=True,
    )
    event = await service.create_event(session, creator_id=owner.id, data=data)
    outcome = await service.invite_email(
        session, event, email="Guest@Example.com", inviter_id=owner.id
    )
    assert outcome.created
    again = await service.invite_email(
        session, event, email="guest@example.com", inviter_id=owner.id
    )
    assert not again.created
    stored = await session.scalar(
        select(EventEmailInvite).where(EventEmailInvite.event_id == event.id)
    )
    assert stored is not None
    assert (stored.email, stored.role) == ("guest@example.com", "guest")
    assert await busy(session, owner, utc(2030, 1, 7), utc(2030, 1, 8)) == [
        (utc(2030, 1, 7, 8), utc(2030, 1, 7, 9))
    ]
    room = await session.get(Event, event.id)
    assert room is not None


async def test_email_invite_of_a_registered_user_is_a_user_invite(
    session: AsyncSession,
) -> None:
    owner = await make_user(session, "owner@example.com")
    bob = await make_user(session, "bob@example.com")
    event = await service.create_event(
        session,
        creator_id=owner.id,
        data=body(utc(2030, 1, 7, 8), utc(2030, 1, 7, 9)),
    )
    await service.invite_email(
        session, event, email="BOB@example.com", role="guest", inviter_id=owner.id
    )
    invite = await session.scalar(
        select(EventInvite).where(EventInvite.event_id == event.id)
    )
    assert invite is not None
    assert (invite.invitee_id, invite.role, invite.status) == (
        bob.id,
        "user",
        "pending",
    )


async def test_busy_window_must_be_aware(session: AsyncSession) -> None:
    with pytest.raises(ValueError, match="aware"):
        await service.busy_intervals(
            session,
            uuid.uuid4(),
            window_start=datetime(2030, 1, 1),  # noqa: DTZ001
            window_end=utc(2030, 1, 2),
        )
    assert (
        await service.busy_intervals(
            session,
            uuid.uuid4(),
            window_start=utc(2030, 1, 2),
            window_end=utc(2030, 1, 1),
        )
        == []
    )


async def test_event_ids_of_rooms(session: AsyncSession) -> None:
    from parley.events.room_access import event_ids_of_rooms
    from parley.rooms.models import Room

    owner = await make_user(session, "owner@example.com")
    event = await service.create_event(
        session, creator_id=owner.id, data=body(None, None)
    )
    plain = Room(created_by_id=owner.id)
    session.add(plain)
    await session.flush()
    assert await event_ids_of_rooms(session, [event.room_id, plain.id]) == {
        event.room_id: event.id
    }
    assert await event_ids_of_rooms(session, []) == {}
