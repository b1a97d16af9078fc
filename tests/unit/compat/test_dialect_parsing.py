"""Pure parts of the dialects: forgiving JSON, EasyCalendar times, Videsk sort."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from parley.compat.easycalendar.times import InvalidTime, parse_utc, wall_text
from parley.compat.json_body import InvalidBody, loads_forgiving
from parley.compat.videsk.service import parse_sort
from parley.errors import BadRequest


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('{"a": 1}', {"a": 1}),
        ('{"a": {"x": 1}\n"b": 2}', {"a": {"x": 1}, "b": 2}),
        ('{"a": 1\n"b": 2\n"c": 3}', {"a": 1, "b": 2, "c": 3}),
        ('{"a": {"n": "x"}\n', {"a": {"n": "x"}}),
        ('{"a": ["x", "y"', {"a": ["x", "y"]}),
        ('{"a": "}{"', {"a": "}{"}),
        ('["a" "b"]', ["a", "b"]),
    ],
)
def test_forgiving_json_repairs_only_commas_and_closing_brackets(
    text: str, value: object
) -> None:
    assert loads_forgiving(text) == value


@pytest.mark.parametrize(
    "text",
    ['{"a": }', '{"a": 1,}', "[1 2]", '{"a": "x', "{a: 1}", "firstname=James", "}"],
)
def test_forgiving_json_refuses_everything_else(text: str) -> None:
    with pytest.raises(InvalidBody, match="not valid JSON"):
        loads_forgiving(text)


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("2020-11-18T09:15:00Z", datetime(2020, 11, 18, 9, 15, tzinfo=UTC)),
        ("2020-11-18 09:15:00Z", datetime(2020, 11, 18, 9, 15, tzinfo=UTC)),
        (" 2020-11-18T09:15:00Z ", datetime(2020, 11, 18, 9, 15, tzinfo=UTC)),
        ("9998-12-31T23:59:59Z", datetime(9998, 12, 31, 23, 59, 59, tzinfo=UTC)),
    ],
)
def test_utc_times_in_both_forms(text: str, moment: datetime) -> None:
    assert parse_utc(text, "starttime") == moment


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2020-11-18T09:15:00+00:00", "starttime must be in UTC"),
        ("2020-11-18T09:15:00-0500", "starttime must be in UTC"),
        ("2020-11-18T09:15:00", "starttime must end in Z"),
        ("2020-11-18T09:15Z", "starttime must be in the form"),
        ("2020-11-18T09:15:00.5Z", "starttime must be in the form"),
        ("2020-13-01T00:00:00Z", "starttime is not a valid date"),
        ("2020-11-18T24:00:00Z", "starttime is not a valid date"),
        ("1969-12-31T23:59:59Z", "starttime must be between"),
        ("", "starttime must be in the form"),
    ],
)
def test_other_times_are_400_naming_the_field(text: str, message: str) -> None:
    with pytest.raises(InvalidTime, match=message):
        parse_utc(text, "starttime")


def test_wall_time_in_the_meetings_zone() -> None:
    moment = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)
    assert wall_text(moment, "Europe/Berlin") == "2030-01-07 09:00:00"
    assert wall_text(moment) == "2030-01-07 08:00:00"


@pytest.mark.parametrize(
    ("text", "order"),
    [
        (None, [("created_at", False)]),
        ('{"createdAt":-1}', [("created_at", True)]),
        ('{"name":1,"createdAt":-1}', [("name", False), ("created_at", True)]),
        ("createdAt:-1", [("created_at", True)]),
        ("exp:1, nbf:-1", [("expires_at", False), ("not_before", True)]),
    ],
)
def test_videsk_sort_in_both_forms(text: str | None, order: object) -> None:
    assert parse_sort(text) == order


@pytest.mark.parametrize(
    "text",
    ['{"createdAt":0}', '{"createdAt":true}', "[1]", "secret:1", "createdAt", "{"],
)
def test_videsk_sort_refuses_the_rest(text: str) -> None:
    with pytest.raises(BadRequest):
        parse_sort(text)
