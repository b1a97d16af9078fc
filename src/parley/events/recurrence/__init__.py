"""Pure RFC 5545 recurrence engine for events: no database, no HTTP.

The events API parses a ``recurrence_pattern`` once with :func:`parse_recurrence`
and then asks the resulting :class:`RecurrenceSet` for occurrences in a window,
the series bounds, or whether an instance id names a real occurrence. All
expansion work is bounded; see ``docs/recurrence.md`` for the semantics.
"""

from parley.events.recurrence.content_lines import (
    MAX_LINE_LENGTH,
    MAX_PATTERN_LINES,
    join_recurrence_pattern,
    split_recurrence_pattern,
)
from parley.events.recurrence.errors import RecurrenceError
from parley.events.recurrence.expansion import DEFAULT_MAX_WORK
from parley.events.recurrence.instance_ids import instance_id, parse_instance_id
from parley.events.recurrence.recurrence_set import (
    OccurrencePage,
    RecurrenceSet,
    is_occurrence,
    occurrences,
    parse_recurrence,
    series_bounds,
)
from parley.events.recurrence.rules import (
    MAX_TIMES_PER_DAY,
    Frequency,
    RecurrenceRule,
    WeekdayNumber,
)

__all__ = [
    "DEFAULT_MAX_WORK",
    "MAX_LINE_LENGTH",
    "MAX_PATTERN_LINES",
    "MAX_TIMES_PER_DAY",
    "Frequency",
    "OccurrencePage",
    "RecurrenceError",
    "RecurrenceRule",
    "RecurrenceSet",
    "WeekdayNumber",
    "instance_id",
    "is_occurrence",
    "join_recurrence_pattern",
    "occurrences",
    "parse_instance_id",
    "parse_recurrence",
    "series_bounds",
    "split_recurrence_pattern",
]
