"""Span classes: where an event is filed for window queries."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from parley.events.listing_keys import (
    BOUNDED_CLASSES,
    OPEN_CLASS,
    SPAN_LIMITS,
    TIME_INDEPENDENT_CLASS,
    class_span_limit,
    listing_keys,
    span_class,
)

START = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("span", "expected"),
    [
        (timedelta(0), 1),
        (timedelta(hours=1), 1),
        (timedelta(days=1), 1),
        (timedelta(days=1, seconds=1), 2),
        (timedelta(days=4), 2),
        (timedelta(days=16), 3),
        (timedelta(days=64), 4),
        (timedelta(days=256), 5),
        (timedelta(days=1024), 6),
        (timedelta(days=4096), 7),
        (timedelta(days=4097), OPEN_CLASS),
    ],
)
def test_bounded_spans_fall_in_the_smallest_class_that_holds_them(
    span: timedelta, expected: int
) -> None:
    assert span_class(START, START + span) == expected


def test_untimed_and_open_ended_events() -> None:
    assert span_class(None, None) == TIME_INDEPENDENT_CLASS
    assert span_class(START, None) == OPEN_CLASS
    assert listing_keys(START, None).span_class == OPEN_CLASS


def test_class_limits_grow_by_four() -> None:
    assert [class_span_limit(n) for n in BOUNDED_CLASSES] == list(SPAN_LIMITS)
    assert all(b == a * 4 for a, b in itertools.pairwise(SPAN_LIMITS))
    assert class_span_limit(OPEN_CLASS) is None
    assert class_span_limit(TIME_INDEPENDENT_CLASS) is None
