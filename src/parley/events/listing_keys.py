"""Listing keys: how an event is filed so window queries stay index range scans.

An event's calendar footprint is ``[first_start, last_end)`` (``last_end`` None =
open-ended). Interval overlap (``first_start < max and last_end > min``) cannot
be answered by one B-tree: an index on ``first_start`` alone still scans every
row that started before the window. So events are filed by *span class*: class
``k`` holds series whose span is at most ``SPAN_LIMITS[k - 1]``. For a bounded
class the window query becomes ``first_start in [min - limit, max)``, a range
scan whose size is the window plus one class limit; with classes growing by a
factor of four, at most three quarters of the rows read are misses, so the work
grows with what overlaps the window, never with the history stored. Open-ended
and longer series form the last class; its rows always reach the window's end,
so they are read in order and the page limit stops the scan.

Time-independent events have no footprint and their own class.

Pure: no database. ``parley.events.listing`` turns these into queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

TIME_INDEPENDENT_CLASS = 0
# Upper bounds of the bounded classes 1..7 (factor 4: 1 day .. ~11 years).
SPAN_LIMITS: tuple[timedelta, ...] = tuple(timedelta(days=4**k) for k in range(7))
OPEN_CLASS = len(SPAN_LIMITS) + 1
BOUNDED_CLASSES = tuple(range(1, OPEN_CLASS))


@dataclass(frozen=True, slots=True)
class ListingKeys:
    first_start: datetime | None
    last_end: datetime | None
    span_class: int


def span_class(first_start: datetime | None, last_end: datetime | None) -> int:
    """The class an event with this footprint is filed under."""
    if first_start is None:
        return TIME_INDEPENDENT_CLASS
    if last_end is None:
        return OPEN_CLASS
    span = last_end - first_start
    for number, limit in enumerate(SPAN_LIMITS, start=1):
        if span <= limit:
            return number
    return OPEN_CLASS


def listing_keys(
    first_start: datetime | None, last_end: datetime | None
) -> ListingKeys:
    return ListingKeys(first_start, last_end, span_class(first_start, last_end))


def class_span_limit(number: int) -> timedelta | None:
    """The longest span in a bounded class; None for the open and untimed classes."""
    if number in BOUNDED_CLASSES:
        return SPAN_LIMITS[number - 1]
    return None
