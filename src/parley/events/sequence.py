"""The iCalendar SEQUENCE of events (RFC 5546 2.1.4).

Calendar clients replace their copy of an event only with one whose SEQUENCE
is at least as high, so every change attendees must see raises it: the times,
the pattern, an occurrence's exception, the title or description, the
cancellation of the whole event, and withdrawing someone's invite (their
CANCEL must outrank the invitation they hold).
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from parley.events.models import Event

# PATCH /events fields that change what a calendar entry shows.
CALENDAR_FIELDS = frozenset(
    {
        "title",
        "description",
        "is_time_independent",
        "is_all_day",
        "starts_at",
        "ends_at",
        "recurrence_pattern",
    }
)


def changes_calendar(changes: dict[str, object]) -> bool:
    """Whether a PATCH /events body changes the event's calendar entry."""
    return any(
        name in CALENDAR_FIELDS and (value is not None or name == "recurrence_pattern")
        for name, value in changes.items()
    )


async def bump_sequence(session: AsyncSession, event: Event) -> int:
    """Raise the event's SEQUENCE by one and return it.

    Incremented in SQL, so two concurrent changes never hand out the same number.
    """
    raised = await session.scalar(
        update(Event)
        .where(Event.id == event.id)
        .values(sequence=Event.sequence + 1)
        .returning(Event.sequence)
        .execution_options(synchronize_session=False)
    )
    assert raised is not None
    set_committed_value(event, "sequence", raised)
    return int(raised)
