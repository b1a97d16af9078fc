"""The accepted range of instants and saturating shifts (parley.instants)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import TypeAdapter, ValidationError

from parley.instants import (
    EARLIEST,
    LATEST,
    Instant,
    check_instant,
    in_range,
    shift,
)

PLUS_ONE = timezone(timedelta(hours=1))
MINUS_TWELVE = timezone(timedelta(hours=-12))


@pytest.mark.parametrize(
    ("instant", "inside"),
    [
        (EARLIEST, True),
        (EARLIEST - timedelta(microseconds=1), False),
        (LATEST - timedelta(microseconds=1), True),
        (LATEST, False),
        # The same wall time is inside or outside depending on its offset.
        (datetime(1900, 1, 1, 0, 30, tzinfo=PLUS_ONE), False),
        (datetime(8999, 12, 31, 23, 0, tzinfo=MINUS_TWELVE), False),
        (datetime(8999, 12, 31, 11, 0, tzinfo=MINUS_TWELVE), True),
        # Moving these to UTC overflows Python's datetime: outside, not an error.
        (datetime(1, 1, 1, 0, 30, tzinfo=PLUS_ONE), False),
        (datetime(9999, 12, 31, 23, 0, tzinfo=MINUS_TWELVE), False),
        (datetime.max.replace(tzinfo=UTC), False),
    ],
)
def test_in_range(instant: datetime, inside: bool) -> None:
    assert in_range(instant) is inside


def test_check_instant_raises_a_value_error_naming_the_range() -> None:
    assert check_instant(EARLIEST) is EARLIEST
    with pytest.raises(ValueError, match="from 1900-01-01T00:00:00Z to before 9000"):
        check_instant(LATEST)


def test_the_pydantic_type_refuses_outside_and_naive_values() -> None:
    adapter = TypeAdapter(Instant)
    assert adapter.validate_python("2030-01-01T00:00:00+01:00") == datetime(
        2030, 1, 1, tzinfo=PLUS_ONE
    )
    for text in (
        "0001-01-01T00:30:00+01:00",
        "9999-12-31T23:00:00Z",
        "2030-01-01T00:00",
    ):
        with pytest.raises(ValidationError):
            adapter.validate_python(text)


@pytest.mark.parametrize(
    ("instant", "delta", "expected"),
    [
        (EARLIEST, timedelta(days=1), EARLIEST + timedelta(days=1)),
        (
            datetime(9999, 12, 31, 22, tzinfo=UTC),
            timedelta(hours=3),
            datetime.max.replace(tzinfo=UTC),
        ),
        (
            datetime(1, 1, 1, 2, tzinfo=UTC),
            timedelta(hours=-3),
            datetime.min.replace(tzinfo=UTC),
        ),
    ],
)
def test_shift_saturates_at_the_ends(
    instant: datetime, delta: timedelta, expected: datetime
) -> None:
    assert shift(instant, delta) == expected
