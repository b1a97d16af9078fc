"""Unit tests for the recurrence engine (parley.events.recurrence).

Expected occurrences are written as local wall times in the event's zone,
which is how a person reads a calendar; the engine itself returns UTC.
"""

from __future__ import annotations

import time as timer
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from parley.events.recurrence import (
    MAX_LINE_LENGTH,
    Frequency,
    OccurrencePage,
    RecurrenceError,
    RecurrenceSet,
    WeekdayNumber,
    instance_id,
    is_occurrence,
    join_recurrence_pattern,
    occurrences,
    parse_instance_id,
    parse_recurrence,
    series_bounds,
    split_recurrence_pattern,
)

NEW_YORK = "America/New_York"
BERLIN = "Europe/Berlin"
FAR_FUTURE = datetime(2200, 1, 1, tzinfo=UTC)
# Hostile patterns must finish well within this, even on a slow CI machine.
HOSTILE_SECONDS = 3.0


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, *rest: int
) -> datetime:
    """UTC datetime; ``rest`` is seconds and microseconds."""
    second, microsecond = (*rest, 0, 0)[:2]
    return datetime(year, month, day, hour, minute, second, microsecond, tzinfo=UTC)


def at(zone: str, text: str) -> datetime:
    """A local wall time such as '1997-09-02 09:00' in ``zone``, as UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


def walls(zone: str, instants: tuple[datetime, ...] | list[datetime]) -> list[str]:
    return [i.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M") for i in instants]


def timed(lines: list[str], start: str, zone: str = NEW_YORK) -> RecurrenceSet:
    return parse_recurrence(
        lines, start=at(zone, start), timezone=zone, is_all_day=False
    )


def all_day(lines: list[str], start: datetime, zone: str = BERLIN) -> RecurrenceSet:
    return parse_recurrence(lines, start=start, timezone=zone, is_all_day=True)


def listed(
    rset: RecurrenceSet,
    *,
    window_start: datetime | None = None,
    window_end: datetime = FAR_FUTURE,
    limit: int = 1000,
) -> list[datetime]:
    page = occurrences(
        rset,
        window_start=window_start or rset.start,
        window_end=window_end,
        limit=limit,
    )
    assert not page.truncated
    return list(page.starts)


def dates(instants: list[datetime]) -> list[str]:
    return [instant.strftime("%Y-%m-%d") for instant in instants]


# --------------------------------------------------------------------------
# RFC 5545 section 3.8.5.3 examples (DTSTART;TZID=America/New_York)
# --------------------------------------------------------------------------

RFC_EXAMPLES = [
    pytest.param(
        "1997-09-02 09:00",
        ["RRULE:FREQ=DAILY;COUNT=10"],
        [f"1997-09-{day:02d} 09:00" for day in range(2, 12)],
        id="daily-for-10-occurrences",
    ),
    pytest.param(
        "1997-09-01 09:00",
        ["RRULE:FREQ=WEEKLY;INTERVAL=2;UNTIL=19971224T000000Z;WKST=SU;BYDAY=MO,WE,FR"],
        [
            *(f"1997-09-{d:02d} 09:00" for d in (1, 3, 5, 15, 17, 19, 29)),
            *(f"1997-10-{d:02d} 09:00" for d in (1, 3, 13, 15, 17, 27, 29, 31)),
            *(f"1997-11-{d:02d} 09:00" for d in (10, 12, 14, 24, 26, 28)),
            *(f"1997-12-{d:02d} 09:00" for d in (8, 10, 12, 22)),
        ],
        id="every-other-week-mo-we-fr-until",
    ),
    pytest.param(
        "1997-09-07 09:00",
        ["RRULE:FREQ=MONTHLY;COUNT=10;BYDAY=1SU,-1SU"],
        [
            "1997-09-07 09:00",
            "1997-09-28 09:00",
            "1997-10-05 09:00",
            "1997-10-26 09:00",
            "1997-11-02 09:00",
            "1997-11-30 09:00",
            "1997-12-07 09:00",
            "1997-12-28 09:00",
            "1998-01-04 09:00",
            "1998-01-25 09:00",
        ],
        id="monthly-first-and-last-sunday",
    ),
    pytest.param(
        "1997-09-28 09:00",
        ["RRULE:FREQ=MONTHLY;BYMONTHDAY=-3;COUNT=6"],
        [
            "1997-09-28 09:00",
            "1997-10-29 09:00",
            "1997-11-28 09:00",
            "1997-12-29 09:00",
            "1998-01-29 09:00",
            "1998-02-26 09:00",
        ],
        id="third-to-last-day-of-month",
    ),
    pytest.param(
        "1997-06-10 09:00",
        ["RRULE:FREQ=YEARLY;COUNT=10;BYMONTH=6,7"],
        [
            f"{year}-{month} 09:00"
            for year in range(1997, 2002)
            for month in ("06-10", "07-10")
        ],
        id="yearly-in-june-and-july",
    ),
    pytest.param(
        "1997-01-01 09:00",
        ["RRULE:FREQ=YEARLY;INTERVAL=3;COUNT=10;BYYEARDAY=1,100,200"],
        [
            "1997-01-01 09:00",
            "1997-04-10 09:00",
            "1997-07-19 09:00",
            "2000-01-01 09:00",
            "2000-04-09 09:00",
            "2000-07-18 09:00",
            "2003-01-01 09:00",
            "2003-04-10 09:00",
            "2003-07-19 09:00",
            "2006-01-01 09:00",
        ],
        id="every-third-year-by-year-day",
    ),
    pytest.param(
        "1997-05-19 09:00",
        ["RRULE:FREQ=YEARLY;BYDAY=20MO;COUNT=3"],
        ["1997-05-19 09:00", "1998-05-18 09:00", "1999-05-17 09:00"],
        id="twentieth-monday-of-the-year",
    ),
    pytest.param(
        "1997-05-12 09:00",
        ["RRULE:FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO;COUNT=3"],
        ["1997-05-12 09:00", "1998-05-11 09:00", "1999-05-17 09:00"],
        id="monday-of-week-20",
    ),
    pytest.param(
        "1997-03-13 09:00",
        ["RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=TH;COUNT=11"],
        [
            *(f"1997-03-{d} 09:00" for d in (13, 20, 27)),
            *(f"1998-03-{d:02d} 09:00" for d in (5, 12, 19, 26)),
            *(f"1999-03-{d:02d} 09:00" for d in (4, 11, 18, 25)),
        ],
        id="every-thursday-in-march",
    ),
    pytest.param(
        "1997-09-02 09:00",
        [
            "EXDATE;TZID=America/New_York:19970902T090000",
            "RRULE:FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13;COUNT=6",
        ],
        # RFC 5545 needs the EXDATE because DTSTART (a Tuesday) is an instance.
        [
            "1998-02-13 09:00",
            "1998-03-13 09:00",
            "1998-11-13 09:00",
            "1999-08-13 09:00",
            "2000-10-13 09:00",
        ],
        id="friday-the-13th-with-dtstart-excluded",
    ),
    pytest.param(
        "1997-09-13 09:00",
        ["RRULE:FREQ=MONTHLY;BYDAY=SA;BYMONTHDAY=7,8,9,10,11,12,13;COUNT=10"],
        [
            "1997-09-13 09:00",
            "1997-10-11 09:00",
            "1997-11-08 09:00",
            "1997-12-13 09:00",
            "1998-01-10 09:00",
            "1998-02-07 09:00",
            "1998-03-07 09:00",
            "1998-04-11 09:00",
            "1998-05-09 09:00",
            "1998-06-13 09:00",
        ],
        id="first-saturday-after-first-sunday",
    ),
    pytest.param(
        "1996-11-05 09:00",
        [
            "RRULE:FREQ=YEARLY;INTERVAL=4;BYMONTH=11;BYDAY=TU;BYMONTHDAY=2,3,4,5,6,7,8;COUNT=3"
        ],
        ["1996-11-05 09:00", "2000-11-07 09:00", "2004-11-02 09:00"],
        id="us-presidential-election-day",
    ),
    pytest.param(
        "1997-09-04 09:00",
        ["RRULE:FREQ=MONTHLY;COUNT=3;BYDAY=TU,WE,TH;BYSETPOS=3"],
        ["1997-09-04 09:00", "1997-10-07 09:00", "1997-11-06 09:00"],
        id="bysetpos-third-tu-we-th",
    ),
    pytest.param(
        "1997-09-29 09:00",
        ["RRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-2;COUNT=7"],
        [
            "1997-09-29 09:00",
            "1997-10-30 09:00",
            "1997-11-27 09:00",
            "1997-12-30 09:00",
            "1998-01-29 09:00",
            "1998-02-26 09:00",
            "1998-03-30 09:00",
        ],
        id="bysetpos-second-to-last-weekday",
    ),
    pytest.param(
        "1997-08-05 09:00",
        ["RRULE:FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=MO"],
        [
            "1997-08-05 09:00",
            "1997-08-10 09:00",
            "1997-08-19 09:00",
            "1997-08-24 09:00",
        ],
        id="wkst-monday",
    ),
    pytest.param(
        "1997-08-05 09:00",
        ["RRULE:FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU"],
        [
            "1997-08-05 09:00",
            "1997-08-17 09:00",
            "1997-08-19 09:00",
            "1997-08-31 09:00",
        ],
        id="wkst-sunday",
    ),
    pytest.param(
        "2007-01-15 09:00",
        ["RRULE:FREQ=MONTHLY;BYMONTHDAY=15,30;COUNT=5"],
        [
            "2007-01-15 09:00",
            "2007-01-30 09:00",
            "2007-02-15 09:00",
            "2007-03-15 09:00",
            "2007-03-30 09:00",
        ],
        id="invalid-date-february-30-is-skipped",
    ),
]


@pytest.mark.parametrize(("start", "lines", "expected"), RFC_EXAMPLES)
def test_rfc_5545_examples(start: str, lines: list[str], expected: list[str]) -> None:
    assert walls(NEW_YORK, listed(timed(lines, start))) == expected


def test_every_day_in_january_for_three_years() -> None:
    rset = timed(
        ["RRULE:FREQ=DAILY;UNTIL=20000131T140000Z;BYMONTH=1"], "1998-01-01 09:00"
    )
    expected = [
        f"{y}-01-{d:02d} 09:00" for y in (1998, 1999, 2000) for d in range(1, 32)
    ]
    assert walls(NEW_YORK, listed(rset)) == expected


def test_every_tuesday_every_other_month_is_open_ended() -> None:
    rset = timed(["RRULE:FREQ=MONTHLY;INTERVAL=2;BYDAY=TU"], "1997-09-02 09:00")
    found = listed(rset, window_end=at(NEW_YORK, "1998-02-01 00:00"))
    assert walls(NEW_YORK, found) == [
        *(f"1997-09-{d:02d} 09:00" for d in (2, 9, 16, 23, 30)),
        *(f"1997-11-{d:02d} 09:00" for d in (4, 11, 18, 25)),
        *(f"1998-01-{d:02d} 09:00" for d in (6, 13, 20, 27)),
    ]
    assert series_bounds(rset, timedelta(hours=1)) == (rset.start, None)


# --------------------------------------------------------------------------
# DTSTART, COUNT and exclusions
# --------------------------------------------------------------------------


def test_unsynchronised_start_counts_toward_count() -> None:
    # Monday start, Wednesday rule: RFC 5545 3.8.5.3 makes DTSTART the first
    # instance and 3.3.10 counts it toward COUNT. dateutil's rrulestr drops the
    # Monday; recurring-ical-events adds it on top (4 instances).
    rset = timed(["RRULE:FREQ=WEEKLY;BYDAY=WE;COUNT=3"], "2024-01-01 09:00", BERLIN)
    assert walls(BERLIN, listed(rset)) == [
        "2024-01-01 09:00",
        "2024-01-03 09:00",
        "2024-01-10 09:00",
    ]


def test_start_is_an_occurrence_even_if_the_rule_does_not_match_it() -> None:
    rset = timed(["RRULE:FREQ=MONTHLY;BYMONTHDAY=1"], "2024-01-15 09:00", BERLIN)
    found = listed(rset, window_end=at(BERLIN, "2024-04-01 10:00"))
    assert walls(BERLIN, found) == [
        "2024-01-15 09:00",
        "2024-02-01 09:00",
        "2024-03-01 09:00",
        "2024-04-01 09:00",
    ]


@pytest.mark.parametrize(
    ("lines", "expected_days"),
    [
        pytest.param(
            ["RRULE:FREQ=DAILY;COUNT=5", "EXDATE:20240103T080000Z"],
            ["01", "02", "04", "05"],
            id="exdate-does-not-extend-count",
        ),
        pytest.param(
            ["RRULE:FREQ=DAILY;COUNT=3", "EXDATE;TZID=Europe/Berlin:20240101T090000"],
            ["02", "03"],
            id="exdate-removes-dtstart-which-still-counts",
        ),
        pytest.param(
            ["RRULE:FREQ=DAILY;COUNT=7", "EXRULE:FREQ=WEEKLY;BYDAY=SA,SU"],
            ["01", "02", "03", "04", "05"],
            id="exrule-does-not-extend-count",
        ),
        pytest.param(
            ["RRULE:FREQ=DAILY;COUNT=7", "EXRULE:FREQ=WEEKLY;BYDAY=SU"],
            ["01", "02", "03", "04", "05", "06"],
            id="exrule-keeps-dtstart-it-does-not-match",
        ),
        pytest.param(
            ["RRULE:FREQ=DAILY;COUNT=7", "EXRULE:FREQ=DAILY;INTERVAL=2;COUNT=2"],
            ["02", "04", "05", "06", "07"],
            id="exrule-count-counts-its-own-matches",
        ),
        pytest.param(
            ["RRULE:FREQ=DAILY;COUNT=3", "EXDATE:20240301T080000Z"],
            ["01", "02", "03"],
            id="exdate-matching-nothing-is-harmless",
        ),
        pytest.param(
            ["RRULE:FREQ=DAILY;COUNT=5", "EXDATE:20240102T080000Z,20240104T080000Z"],
            ["01", "03", "05"],
            id="exdate-with-several-values",
        ),
    ],
)
def test_exclusions(lines: list[str], expected_days: list[str]) -> None:
    rset = timed(lines, "2024-01-01 09:00", BERLIN)  # a Monday, 08:00Z
    assert [w[8:10] for w in walls(BERLIN, listed(rset))] == expected_days


def test_first_start_skips_an_excluded_dtstart() -> None:
    rset = timed(
        ["RRULE:FREQ=DAILY;COUNT=3", "EXDATE:20240101T080000Z"],
        "2024-01-01 09:00",
        BERLIN,
    )
    assert rset.first_start == at(BERLIN, "2024-01-02 09:00")
    assert series_bounds(rset, timedelta(hours=1)) == (
        at(BERLIN, "2024-01-02 09:00"),
        at(BERLIN, "2024-01-03 10:00"),
    )


def test_byday_mixing_plain_and_ordinal_entries_is_a_union() -> None:
    # RFC 5545 value lists are unions: every Monday plus the last Monday (which
    # is a Monday anyway). dateutil intersects the two kinds, last Monday only.
    rset = timed(
        ["RRULE:FREQ=MONTHLY;BYDAY=MO,-1FR;COUNT=6"], "2024-01-01 09:00", BERLIN
    )
    assert dates(listed(rset)) == [
        "2024-01-01",
        "2024-01-08",
        "2024-01-15",
        "2024-01-22",
        "2024-01-26",
        "2024-01-29",
    ]


def test_weekly_bysetpos_selects_from_the_whole_first_week() -> None:
    # Week of Mon 2 Jan 2017: BYSETPOS=1 of {Mon 2, Thu 5} is Mon 2, before
    # DTSTART, so the first week adds nothing beyond DTSTART itself. dateutil
    # starts the first week's set at DTSTART and would pick Thu 5.
    rset = timed(
        ["RRULE:FREQ=WEEKLY;BYDAY=MO,TH;BYSETPOS=1;COUNT=3"], "2017-01-04 09:00", BERLIN
    )
    assert dates(listed(rset)) == ["2017-01-04", "2017-01-09", "2017-01-16"]


def test_byweekno_without_byday_uses_start_weekday() -> None:
    # Like every part the rule leaves open, the weekday comes from DTSTART
    # (RFC 5545 3.3.10); dateutil would list all seven days of week 20.
    rset = timed(["RRULE:FREQ=YEARLY;BYWEEKNO=20;COUNT=3"], "2024-05-15 09:00", BERLIN)
    assert dates(listed(rset)) == ["2024-05-15", "2025-05-14", "2026-05-13"]


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("FREQ=WEEKLY;COUNT=3", ["2024-01-31", "2024-02-07", "2024-02-14"]),
        ("FREQ=MONTHLY;COUNT=3", ["2024-01-31", "2024-03-31", "2024-05-31"]),
        ("FREQ=YEARLY;COUNT=2", ["2024-01-31", "2025-01-31"]),
        ("FREQ=YEARLY;BYMONTH=3;COUNT=2", ["2024-01-31", "2024-03-31"]),
        (
            "FREQ=MONTHLY;BYMONTH=2,3;COUNT=3",
            ["2024-01-31", "2024-03-31", "2025-03-31"],
        ),
    ],
)
def test_missing_parts_come_from_dtstart(rule: str, expected: list[str]) -> None:
    rset = timed([f"RRULE:{rule}"], "2024-01-31 09:00", BERLIN)
    assert dates(listed(rset)) == expected


def test_leap_day_yearly_skips_non_leap_years() -> None:
    rset = timed(["RRULE:FREQ=YEARLY;COUNT=3"], "2024-02-29 09:00", BERLIN)
    assert dates(listed(rset)) == ["2024-02-29", "2028-02-29", "2032-02-29"]


def test_byhour_and_byminute_expand_within_the_day() -> None:
    rset = timed(
        ["RRULE:FREQ=DAILY;BYHOUR=9,14;BYMINUTE=0,30;COUNT=6"],
        "2024-01-01 09:00",
        BERLIN,
    )
    assert walls(BERLIN, listed(rset)) == [
        "2024-01-01 09:00",
        "2024-01-01 09:30",
        "2024-01-01 14:00",
        "2024-01-01 14:30",
        "2024-01-02 09:00",
        "2024-01-02 09:30",
    ]


def test_several_rrules_are_merged() -> None:
    rset = timed(
        [
            "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=2",
            "RRULE:FREQ=WEEKLY;BYDAY=MO,TH;COUNT=3",
        ],
        "2024-01-01 09:00",
        BERLIN,
    )
    assert dates(listed(rset)) == ["2024-01-01", "2024-01-04", "2024-01-08"]


# --------------------------------------------------------------------------
# UNTIL
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("until", "last"),
    [
        pytest.param(
            "20240105T080000Z", "2024-01-05", id="until-on-an-instance-is-inclusive"
        ),
        pytest.param("20240105T075959Z", "2024-01-04", id="until-a-second-early"),
        pytest.param("20240101T080000Z", "2024-01-01", id="until-equal-to-start"),
    ],
)
def test_until_is_inclusive_and_in_utc(until: str, last: str) -> None:
    rset = timed([f"RRULE:FREQ=DAILY;UNTIL={until}"], "2024-01-01 09:00", BERLIN)
    assert dates(listed(rset))[-1] == last


def test_until_for_all_day_events_is_a_date() -> None:
    rset = all_day(["RRULE:FREQ=DAILY;UNTIL=20240105"], utc(2024, 1, 1))
    assert dates(listed(rset)) == [f"2024-01-0{d}" for d in range(1, 6)]


# --------------------------------------------------------------------------
# Time zones and daylight saving time
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "start", "expected_utc"),
    [
        pytest.param(
            BERLIN,
            "2024-03-25 09:00",  # Monday before the switch to CEST on 31 March
            ["08:00", "07:00", "07:00"],
            id="berlin-spring",
        ),
        pytest.param(
            BERLIN, "2024-10-21 09:00", ["07:00", "08:00", "08:00"], id="berlin-autumn"
        ),
        pytest.param(
            NEW_YORK,
            "2024-03-04 09:00",
            ["14:00", "13:00", "13:00"],
            id="new-york-spring",
        ),
        pytest.param(
            NEW_YORK,
            "2024-10-28 09:00",
            ["13:00", "14:00", "14:00"],
            id="new-york-autumn",
        ),
        pytest.param(
            "Australia/Sydney",
            "2024-03-25 09:00",  # AEDT ends on 7 April
            ["22:00", "23:00", "23:00"],
            id="sydney-autumn",
        ),
        pytest.param(
            "Asia/Kolkata",
            "2024-03-25 09:00",
            ["03:30", "03:30", "03:30"],
            id="kolkata-no-dst",
        ),
    ],
)
def test_weekly_event_keeps_its_local_time_across_dst(
    zone: str, start: str, expected_utc: list[str]
) -> None:
    rset = timed(["RRULE:FREQ=WEEKLY;INTERVAL=2;COUNT=3"], start, zone)
    found = listed(rset)
    assert [w[11:] for w in walls(zone, found)] == ["09:00"] * 3
    # Shift the expectation by the 2-week steps: first, middle, last instance.
    assert [instant.strftime("%H:%M") for instant in found] == expected_utc


@pytest.mark.parametrize(
    ("zone", "start", "gap_day_utc"),
    [
        # 02:30 does not exist on these days; RFC 5545 3.3.5: use the offset
        # before the gap, i.e. 02:30 CET = 01:30Z = 03:30 CEST.
        pytest.param(BERLIN, "2024-03-24 02:30", utc(2024, 3, 31, 1, 30), id="berlin"),
        pytest.param(
            NEW_YORK, "2024-03-03 02:30", utc(2024, 3, 10, 7, 30), id="new-york"
        ),
    ],
)
def test_wall_time_in_a_dst_gap_moves_forward(
    zone: str, start: str, gap_day_utc: datetime
) -> None:
    rset = timed(["RRULE:FREQ=WEEKLY;COUNT=3"], start, zone)
    found = listed(rset)
    assert found[1] == gap_day_utc
    assert walls(zone, found)[1][11:] == "03:30"
    assert walls(zone, found)[2][11:] == "02:30"  # back to normal a week later


@pytest.mark.parametrize(
    ("zone", "start", "overlap_day_utc"),
    [
        # 02:30 happens twice; RFC 5545 3.3.5 picks the first (still CEST).
        pytest.param(BERLIN, "2024-10-20 02:30", utc(2024, 10, 27, 0, 30), id="berlin"),
        pytest.param(
            NEW_YORK, "2024-10-27 01:30", utc(2024, 11, 3, 5, 30), id="new-york"
        ),
    ],
)
def test_ambiguous_wall_time_takes_the_first_occurrence(
    zone: str, start: str, overlap_day_utc: datetime
) -> None:
    rset = timed(["RRULE:FREQ=WEEKLY;COUNT=3"], start, zone)
    assert listed(rset)[1] == overlap_day_utc


def test_start_in_the_second_of_two_ambiguous_hours_is_kept_exactly() -> None:
    # 01:30Z on 27 Oct 2024 is the *second* 02:30 in Berlin (CET). The first
    # occurrence is starts_at itself, not the earlier 02:30 CEST.
    start = utc(2024, 10, 27, 1, 30)
    rset = parse_recurrence(
        ["RRULE:FREQ=DAILY;COUNT=3"], start=start, timezone=BERLIN, is_all_day=False
    )
    assert listed(rset, window_start=utc(2024, 10, 26)) == [
        start,
        utc(2024, 10, 28, 1, 30),
        utc(2024, 10, 29, 1, 30),
    ]


def test_times_collapsing_in_a_gap_are_listed_once_and_in_order() -> None:
    rset = timed(
        ["RRULE:FREQ=DAILY;BYHOUR=2,3;BYMINUTE=15,45;COUNT=12"],
        "2024-03-30 02:15",
        BERLIN,
    )
    found = listed(rset)
    assert found == sorted(set(found))
    on_gap_day = [i for i in found if i.strftime("%Y-%m-%d") == "2024-03-31"]
    # 02:15 and 02:45 move to 03:15 and 03:45 CEST, the same instants as the
    # real 03:15 and 03:45: two distinct instants (00:15Z is still 30 March).
    assert on_gap_day == [utc(2024, 3, 31, 1, 15), utc(2024, 3, 31, 1, 45)]


def test_exdate_in_a_gap_removes_the_moved_instance() -> None:
    rset = timed(
        ["RRULE:FREQ=WEEKLY;COUNT=3", "EXDATE;TZID=Europe/Berlin:20240331T023000"],
        "2024-03-24 02:30",
        BERLIN,
    )
    assert dates(listed(rset)) == ["2024-03-24", "2024-04-07"]


def test_daily_rule_across_midnight_dst_switch() -> None:
    # Sao Paulo sprang forward at 00:00 on 4 Nov 2018: 00:30 became 01:30.
    rset = timed(["RRULE:FREQ=DAILY;COUNT=3"], "2018-11-03 00:30", "America/Sao_Paulo")
    assert walls("America/Sao_Paulo", listed(rset)) == [
        "2018-11-03 00:30",
        "2018-11-04 01:30",
        "2018-11-05 00:30",
    ]


# --------------------------------------------------------------------------
# All-day events
# --------------------------------------------------------------------------


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago", BERLIN])
def test_all_day_dates_float_and_ignore_the_zone(zone: str) -> None:
    rset = all_day(["RRULE:FREQ=WEEKLY;COUNT=4"], utc(2024, 3, 18), zone)
    found = listed(rset)
    assert found == [
        utc(2024, 3, 18),
        utc(2024, 3, 25),
        utc(2024, 4, 1),
        utc(2024, 4, 8),
    ]


def test_all_day_rdate_and_exdate_take_dates() -> None:
    rset = all_day(
        [
            "RRULE:FREQ=MONTHLY;BYDAY=-1FR;COUNT=3",
            "RDATE;VALUE=DATE:20240305,20240130",
            "EXDATE;VALUE=DATE:20240223",
        ],
        utc(2024, 1, 26),
    )
    assert dates(listed(rset)) == [
        "2024-01-26",
        "2024-01-30",
        "2024-03-05",
        "2024-03-29",
    ]


def test_all_day_series_bounds_use_dates() -> None:
    rset = all_day(["RRULE:FREQ=YEARLY;COUNT=3"], utc(2024, 12, 24))
    assert series_bounds(rset, timedelta(days=2)) == (
        utc(2024, 12, 24),
        utc(2026, 12, 26),
    )


# --------------------------------------------------------------------------
# RDATE
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rdate_line", "expected"),
    [
        pytest.param(
            "RDATE:20240110T120000Z",
            ["2024-01-01 09:00", "2024-01-02 09:00", "2024-01-10 13:00"],
            id="utc",
        ),
        pytest.param(
            "RDATE;TZID=America/New_York:20240110T070000",
            ["2024-01-01 09:00", "2024-01-02 09:00", "2024-01-10 13:00"],
            id="other-zone",
        ),
        pytest.param(
            "RDATE:20240110T130000",
            ["2024-01-01 09:00", "2024-01-02 09:00", "2024-01-10 13:00"],
            id="floating-means-event-zone",
        ),
        pytest.param(
            "RDATE:20240102T080000Z,20240101T080000Z",
            ["2024-01-01 09:00", "2024-01-02 09:00"],
            id="duplicates-of-rule-instances",
        ),
        pytest.param(
            "RDATE:20240101T120000Z,20240101T100000Z",
            [
                "2024-01-01 09:00",
                "2024-01-01 11:00",
                "2024-01-01 13:00",
                "2024-01-02 09:00",
            ],
            id="unsorted-values-come-out-in-order",
        ),
    ],
)
def test_rdate_adds_occurrences(rdate_line: str, expected: list[str]) -> None:
    rset = timed(["RRULE:FREQ=DAILY;COUNT=2", rdate_line], "2024-01-01 09:00", BERLIN)
    assert walls(BERLIN, listed(rset)) == expected


def test_pattern_of_only_rdates() -> None:
    rset = timed(
        ["RDATE:20240301T080000Z,20240201T080000Z"], "2024-01-01 09:00", BERLIN
    )
    assert dates(listed(rset)) == ["2024-01-01", "2024-02-01", "2024-03-01"]
    assert series_bounds(rset, timedelta(hours=1))[1] == utc(2024, 3, 1, 9)


def test_empty_pattern_is_just_the_start() -> None:
    rset = timed([], "2024-01-01 09:00", BERLIN)
    assert listed(rset) == [rset.start]


def test_property_names_and_rule_values_are_case_insensitive() -> None:
    rset = timed(["rrule:freq=weekly;byday=mo,we;count=3"], "2024-01-01 09:00", BERLIN)
    assert dates(listed(rset)) == ["2024-01-01", "2024-01-03", "2024-01-08"]
    assert rset.rules[0].freq is Frequency.WEEKLY
    assert rset.rules[0].by_day == (WeekdayNumber(0), WeekdayNumber(2))


# --------------------------------------------------------------------------
# Validation errors: every message names the problem and where it is
# --------------------------------------------------------------------------

START = "2024-01-01 09:00"

TIMED_ERRORS = [
    (["RRULE:FREQ=DAILY"] * 5, "at most 4"),
    (
        ["RRULE:FREQ=DAILY;" + "BYMONTH=1;" * 120 + "COUNT=1"],
        f"at most {MAX_LINE_LENGTH}",
    ),
    (["RRULE:FREQ=DAILY\nRRULE:FREQ=WEEKLY"], "line 1 contains a control character"),
    (["DTSTART:20240101T080000Z"], "DTSTART is not allowed"),
    (["RRULE:FREQ=DAILY", "DTEND:20240101T090000Z"], "line 2: DTEND is not allowed"),
    (["DURATION:PT1H"], "unknown property 'DURATION'"),
    (["X-PARLEY:1"], "unknown property 'X-PARLEY'"),
    (["RRULE FREQ=DAILY"], "expected ':'"),
    ([":FREQ=DAILY"], "does not start with a property name"),
    (["RRULE:"], "line 1 (RRULE): the value is empty"),
    (["RRULE;X-FOO=1:FREQ=DAILY"], "RRULE takes no parameters"),
    (["RRULE:COUNT=3"], "FREQ is missing"),
    (["RRULE:FREQ=FORTNIGHTLY"], "FREQ=FORTNIGHTLY is not a valid frequency"),
    (["RRULE:FREQ=HOURLY"], "FREQ=HOURLY is not supported"),
    (["RRULE:FREQ=MINUTELY;COUNT=2"], "FREQ=MINUTELY is not supported"),
    (["RRULE:FREQ=SECONDLY"], "FREQ=SECONDLY is not supported"),
    (
        ["RRULE:FREQ=DAILY;COUNT=3;UNTIL=20240110T000000Z"],
        "COUNT and UNTIL cannot be combined",
    ),
    (["RRULE:FREQ=DAILY;UNTIL=20240110T000000"], "must be in UTC"),
    (["RRULE:FREQ=DAILY;UNTIL=20240110"], "must be a UTC date-time"),
    (["RRULE:FREQ=DAILY;UNTIL=2024-01-10"], "malformed date-time"),
    (["RRULE:FREQ=DAILY;UNTIL=20240230T000000Z"], "invalid date-time"),
    (
        ["RRULE:FREQ=DAILY;UNTIL=20231231T000000Z"],
        "UNTIL=20231231T000000Z is before the event start",
    ),
    (["RRULE:FREQ=DAILY;COUNT=0"], "COUNT=0 must be a positive integer"),
    (["RRULE:FREQ=DAILY;COUNT=-1"], "COUNT=-1 must be a positive integer"),
    (["RRULE:FREQ=DAILY;INTERVAL=0"], "INTERVAL=0 must be a positive integer"),
    (["RRULE:FREQ=DAILY;INTERVAL=two"], "INTERVAL=two must be a positive integer"),
    (["RRULE:FREQ=DAILY;FREQ=WEEKLY"], "FREQ given twice"),
    (["RRULE:FREQ=DAILY;FOO=1"], "unknown rule part 'FOO'"),
    (["RRULE:RSCALE=GREGORIAN;FREQ=DAILY"], "unknown rule part 'RSCALE'"),
    (["RRULE:FREQ=DAILY;"], "empty rule part"),
    (["RRULE:FREQ=DAILY;COUNT"], "rule part 'COUNT' is not NAME=VALUE"),
    (["RRULE:FREQ=YEARLY;BYMONTH=13"], "BYMONTH value 13 is out of range 1..12"),
    (["RRULE:FREQ=YEARLY;BYMONTH=-1"], "BYMONTH value '-1' is not an integer"),
    (["RRULE:FREQ=MONTHLY;BYMONTHDAY=0"], "BYMONTHDAY value 0 is out of range"),
    (["RRULE:FREQ=MONTHLY;BYMONTHDAY=32"], "BYMONTHDAY value 32 is out of range"),
    (["RRULE:FREQ=DAILY;BYHOUR=24"], "BYHOUR value 24 is out of range 0..23"),
    (["RRULE:FREQ=DAILY;BYMINUTE=60"], "BYMINUTE value 60 is out of range"),
    (["RRULE:FREQ=DAILY;BYSECOND=60"], "BYSECOND value 60 is out of range"),
    (["RRULE:FREQ=YEARLY;BYYEARDAY=367"], "BYYEARDAY value 367 is out of range"),
    (["RRULE:FREQ=YEARLY;BYWEEKNO=54"], "BYWEEKNO value 54 is out of range"),
    (["RRULE:FREQ=MONTHLY;BYDAY=MO;BYSETPOS=0"], "BYSETPOS value 0 is out of range"),
    (["RRULE:FREQ=WEEKLY;BYDAY=XX"], "BYDAY value 'XX' is not a weekday"),
    (["RRULE:FREQ=MONTHLY;BYDAY=0MO"], "BYDAY ordinal in '0MO' is out of range"),
    (["RRULE:FREQ=YEARLY;BYDAY=54MO"], "BYDAY ordinal in '54MO' is out of range"),
    (["RRULE:FREQ=WEEKLY;WKST=XX"], "WKST value 'XX' is not a weekday"),
    (["RRULE:FREQ=WEEKLY;BYMONTHDAY=1"], "BYMONTHDAY cannot be used with FREQ=WEEKLY"),
    (["RRULE:FREQ=MONTHLY;BYYEARDAY=1"], "BYYEARDAY cannot be used with FREQ=MONTHLY"),
    (["RRULE:FREQ=MONTHLY;BYWEEKNO=1"], "BYWEEKNO needs FREQ=YEARLY"),
    (["RRULE:FREQ=WEEKLY;BYDAY=1MO"], "BYDAY ordinals such as 1MO need FREQ=MONTHLY"),
    (["RRULE:FREQ=YEARLY;BYWEEKNO=1;BYDAY=1MO"], "cannot be combined with BYWEEKNO"),
    (["RRULE:FREQ=MONTHLY;BYDAY=6MO"], "beyond 5 can never match"),
    (["RRULE:FREQ=MONTHLY;BYSETPOS=1"], "BYSETPOS needs another BYxxx"),
    (
        ["RRULE:FREQ=DAILY;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,12;BYMINUTE=0,30"],
        "26 times per day; at most 24",
    ),
    (["RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"], "the rule matches no date"),
    (
        ["RRULE:FREQ=MONTHLY;BYDAY=1MO;BYMONTHDAY=20;COUNT=3"],
        "the rule matches no date",
    ),
    (
        ["EXRULE:FREQ=YEARLY;BYMONTH=4;BYMONTHDAY=31"],
        "line 1 (EXRULE): the rule matches no date",
    ),
    (["RRULE:FREQ=DAILY;COUNT=1", "EXDATE:20240101T080000Z"], "yields no occurrence"),
    (["EXDATE:20240101T080000Z"], "yields no occurrence"),
    (
        ["RRULE:FREQ=DAILY", "EXRULE:FREQ=DAILY"],
        "yields no occurrence within the search bound",
    ),
    (["RDATE:20231231T080000Z"], "line 1 (RDATE): 2023-12-31T08:00:00+00:00 is before"),
    (["RDATE;VALUE=PERIOD:20240102T080000Z/PT1H"], "VALUE=PERIOD is not supported"),
    (["RDATE;VALUE=DATE:20240102"], "VALUE=DATE is only for all-day events"),
    (["EXDATE;VALUE=TIME:080000"], "VALUE=TIME is not allowed"),
    (["RDATE;TZID=Mars/Olympus:20240102T080000"], "unknown time zone 'Mars/Olympus'"),
    (
        ["RDATE;TZID=Europe/Berlin:20240102T080000Z"],
        "is in UTC (ends with Z) but the line also has TZID",
    ),
    (["EXDATE;X-FOO=1:20240102T080000Z"], "unsupported parameter X-FOO"),
    (["EXDATE;TZID=UTC;TZID=UTC:20240102T080000"], "parameter TZID given twice"),
    (["EXDATE;TZID:20240102T080000"], "line 1 (EXDATE): malformed parameter"),
    (["RDATE:2024-01-02T08:00:00Z"], "line 1 (RDATE): malformed date-time"),
    (["RDATE:20240102T080000Z,"], "malformed date-time ''"),
    (
        ["EXDATE:20240132T080000Z"],
        "line 1 (EXDATE): invalid date-time '20240132T080000Z'",
    ),
    # Digits from other scripts are not RFC 5545 digits.
    (
        ["RDATE:\u0662\u0660\u0662\u0664\u0660\u0661\u0660\u0662T080000Z"],
        "malformed date-time",
    ),
    (["RRULE:FREQ=DAILY;COUNT=\u0663"], "COUNT=\u0663 must be a positive integer"),
]


@pytest.mark.parametrize(("lines", "message"), TIMED_ERRORS)
def test_invalid_patterns_are_rejected_with_a_precise_message(
    lines: list[str], message: str
) -> None:
    with pytest.raises(RecurrenceError) as error:
        timed(lines, START, BERLIN)
    assert message in str(error.value)


ALL_DAY_ERRORS = [
    (
        ["RRULE:FREQ=DAILY;UNTIL=20240110T000000Z"],
        "must be a date (YYYYMMDD) for all-day",
    ),
    (["RRULE:FREQ=DAILY;UNTIL=20240230"], "invalid date '20240230'"),
    (["RRULE:FREQ=DAILY;BYHOUR=9"], "BYHOUR cannot be used for all-day events"),
    (["RDATE:20240102T000000Z"], "all-day events take dates; write RDATE;VALUE=DATE"),
    (["EXDATE;VALUE=DATE-TIME:20240102T000000Z"], "write EXDATE;VALUE=DATE"),
    (
        ["RDATE;VALUE=DATE;TZID=Europe/Berlin:20240102"],
        "TZID cannot be combined with VALUE=DATE",
    ),
    (["EXDATE;VALUE=DATE:2024010"], "malformed date '2024010'"),
    (["EXDATE;VALUE=DATE:20240231"], "invalid date '20240231'"),
]


@pytest.mark.parametrize(("lines", "message"), ALL_DAY_ERRORS)
def test_invalid_all_day_patterns_are_rejected(lines: list[str], message: str) -> None:
    with pytest.raises(RecurrenceError) as error:
        all_day(lines, utc(2024, 1, 1))
    assert message in str(error.value)


@pytest.mark.parametrize(
    ("start", "timezone", "is_all_day", "message"),
    [
        (
            utc(2024, 1, 1, 9),
            "Mars/Olympus",
            False,
            "timezone: unknown time zone 'Mars/Olympus'",
        ),
        (utc(2024, 1, 1, 9), "localtime", False, "unknown time zone 'localtime'"),
        (utc(2024, 1, 1, 9), "../etc/passwd", False, "unknown time zone"),
        (utc(2024, 1, 1, 9), "Europe", False, "unknown time zone 'Europe'"),
        (utc(2024, 1, 1, 9), "zone.tab", False, "unknown time zone 'zone.tab'"),
        (utc(2024, 1, 1, 9, 0, 0, 5), BERLIN, False, "whole second"),
        (utc(2024, 1, 1, 9), BERLIN, True, "all-day events must start at 00:00"),
    ],
)
def test_invalid_event_parameters(
    start: datetime, timezone: str, is_all_day: bool, message: str
) -> None:
    with pytest.raises(RecurrenceError) as error:
        parse_recurrence(
            ["RRULE:FREQ=DAILY"], start=start, timezone=timezone, is_all_day=is_all_day
        )
    assert message in str(error.value)


def test_a_single_string_is_not_a_pattern() -> None:
    with pytest.raises(TypeError, match="not one string"):
        parse_recurrence(
            "RRULE:FREQ=DAILY", start=utc(2024, 1, 1), timezone=BERLIN, is_all_day=False
        )


def test_recurrence_error_is_a_value_error() -> None:
    assert issubclass(RecurrenceError, ValueError)


NAIVE = datetime(2024, 1, 1, 9)  # noqa: DTZ001 - deliberately naive

CALLER_BUGS = [
    pytest.param(
        lambda rset: parse_recurrence(
            [], start=NAIVE, timezone=BERLIN, is_all_day=False
        ),
        "start must be timezone-aware",
        id="naive-start",
    ),
    pytest.param(
        lambda rset: occurrences(
            rset, window_start=NAIVE, window_end=FAR_FUTURE, limit=1
        ),
        "window_start must be timezone-aware",
        id="naive-window",
    ),
    pytest.param(
        lambda rset: occurrences(
            rset, window_start=rset.start, window_end=FAR_FUTURE, limit=0
        ),
        "limit must be positive",
        id="zero-limit",
    ),
    pytest.param(
        lambda rset: series_bounds(rset, timedelta(hours=-1)),
        "duration must not be negative",
        id="negative-duration",
    ),
    pytest.param(
        lambda rset: is_occurrence(rset, NAIVE),
        "original_start must be timezone-aware",
        id="naive-candidate",
    ),
    pytest.param(
        lambda rset: instance_id(NAIVE), "need an aware datetime", id="naive-id"
    ),
    pytest.param(
        lambda rset: instance_id(utc(2024, 1, 1, 9, 0, 0, 1)),
        "whole-second precision",
        id="sub-second-id",
    ),
]


@pytest.mark.parametrize(("call", "message"), CALLER_BUGS)
def test_caller_bugs_raise_plain_value_errors(
    call: Callable[[RecurrenceSet], object], message: str
) -> None:
    rset = timed(["RRULE:FREQ=DAILY"], START, BERLIN)
    with pytest.raises(ValueError, match=message) as error:
        call(rset)
    assert not isinstance(error.value, RecurrenceError)


# --------------------------------------------------------------------------
# Windows, paging and truncation
# --------------------------------------------------------------------------


def test_window_is_half_open() -> None:
    rset = timed(["RRULE:FREQ=DAILY;COUNT=5"], START, BERLIN)
    second, fourth = at(BERLIN, "2024-01-02 09:00"), at(BERLIN, "2024-01-04 09:00")
    page = occurrences(rset, window_start=second, window_end=fourth, limit=10)
    assert page == OccurrencePage(
        starts=(second, at(BERLIN, "2024-01-03 09:00")),
        truncated=False,
        resume_from=None,
    )


@pytest.mark.parametrize(
    ("window_start", "window_end"),
    [
        (utc(2023, 1, 1), utc(2023, 12, 1)),  # before the series
        (utc(2030, 1, 1), utc(2031, 1, 1)),  # after the last instance
        (utc(2024, 1, 3), utc(2024, 1, 3)),  # empty
        (utc(2024, 1, 4), utc(2024, 1, 3)),  # reversed
    ],
)
def test_windows_without_occurrences(
    window_start: datetime, window_end: datetime
) -> None:
    rset = timed(["RRULE:FREQ=DAILY;COUNT=5"], START, BERLIN)
    page = occurrences(rset, window_start=window_start, window_end=window_end, limit=10)
    assert page == OccurrencePage(starts=(), truncated=False, resume_from=None)


def test_limit_truncates_and_paging_resumes_without_gaps_or_repeats() -> None:
    rset = timed(
        [
            "RRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR",
            "RDATE:20240106T100000Z",
            "EXDATE:20240110T080000Z",
        ],
        START,
        BERLIN,
    )
    window_end = at(BERLIN, "2024-04-01 00:00")
    everything = listed(rset, window_end=window_end)
    collected: list[datetime] = []
    cursor: datetime | None = rset.start
    while cursor is not None:
        page = occurrences(rset, window_start=cursor, window_end=window_end, limit=7)
        assert len(page.starts) <= 7
        collected.extend(page.starts)
        assert page.truncated == (page.resume_from is not None)
        cursor = page.resume_from
    assert collected == everything
    assert len(everything) == 39  # 13 weeks x 3, one added, one removed


@pytest.mark.parametrize(
    "lines",
    [
        pytest.param(["RRULE:FREQ=DAILY;BYHOUR=9,12,15"], id="dense-daily"),
        pytest.param(
            [
                "RRULE:FREQ=WEEKLY;BYDAY=MO,WE",
                "RRULE:FREQ=MONTHLY;BYMONTHDAY=1,15",
                "EXRULE:FREQ=WEEKLY;BYDAY=WE",
                "RDATE:20240110T120000Z",
            ],
            id="merged-rules-with-exrule",
        ),
        pytest.param(
            ["RRULE:FREQ=DAILY;UNTIL=20240215T000000Z", "EXDATE:20240105T080000Z"],
            id="until-and-exdate",
        ),
    ],
)
def test_paging_also_resumes_after_running_out_of_work(lines: list[str]) -> None:
    rset = timed(lines, START, BERLIN)
    window_end = at(BERLIN, "2024-03-01 00:00")
    everything = listed(rset, window_end=window_end)
    collected: list[datetime] = []
    cursor: datetime | None = rset.start
    pages = 0
    while cursor is not None:
        page = occurrences(
            rset, window_start=cursor, window_end=window_end, limit=10_000, max_work=100
        )
        collected.extend(page.starts)
        cursor = page.resume_from
        pages += 1
    assert pages > 2
    assert collected == everything


def test_occurrences_are_sorted_distinct_aware_utc_whole_seconds() -> None:
    rset = timed(
        [
            "RRULE:FREQ=MONTHLY;BYDAY=MO,FR;BYHOUR=2,3,9;BYMINUTE=30",
            "RRULE:FREQ=WEEKLY;BYDAY=FR;BYHOUR=9;BYMINUTE=30",
            "RDATE;TZID=America/New_York:20240315T043000",
            "EXDATE:20240401T073000Z",
        ],
        "2024-01-01 02:30",
        BERLIN,
    )
    found = listed(rset, window_end=utc(2025, 1, 1), limit=10_000)
    assert found == sorted(set(found))
    assert all(i.tzinfo is UTC and i.microsecond == 0 for i in found)


HOSTILE_CASES = [
    pytest.param(["RRULE:FREQ=DAILY"], utc(3000, 1, 1), id="open-ended-daily"),
    pytest.param(
        ["RRULE:FREQ=DAILY;COUNT=999999999"], utc(9000, 1, 1), id="huge-count"
    ),
    pytest.param(
        [
            f"RRULE:FREQ=DAILY;BYHOUR={','.join(map(str, range(offset, 24, 2)))}"
            for offset in (0, 1)
        ]
        + [
            "RRULE:FREQ=DAILY;BYMINUTE=0,30",
            "RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA,SU",
        ],
        utc(9000, 1, 1),
        id="four-dense-rules",
    ),
    pytest.param(
        ["RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO"],
        utc(9999, 1, 1),
        id="rarely-matching-daily",
    ),
    pytest.param(
        [
            "RRULE:FREQ=YEARLY;BYDAY=MO,TU,WE,TH,FR,SA,SU;BYHOUR=0,2,4,6,8,10,12,14,16,18,20,22"
        ],
        utc(9999, 1, 1),
        id="dense-yearly",
    ),
    pytest.param(
        [
            "RRULE:FREQ=DAILY",
            "EXRULE:FREQ=DAILY;BYMONTH=1,2,3,4,5,6,7,8,9,10,11",
            "RDATE:20240102T080000Z",
        ],
        utc(9999, 1, 1),
        id="exrule-removing-almost-everything",
    ),
]


@pytest.mark.parametrize(("lines", "window_end"), HOSTILE_CASES)
def test_hostile_patterns_finish_fast_and_report_truncation(
    lines: list[str], window_end: datetime
) -> None:
    began = timer.perf_counter()
    rset = timed(lines, START, BERLIN)
    page = occurrences(
        rset, window_start=rset.start, window_end=window_end, limit=1_000_000
    )
    series_bounds(rset, timedelta(hours=1))
    assert timer.perf_counter() - began < HOSTILE_SECONDS
    assert page.truncated
    if page.resume_from is not None:
        assert page.starts
        assert page.resume_from > page.starts[-1]


def test_count_far_beyond_the_work_bound_cannot_resume() -> None:
    rset = timed(["RRULE:FREQ=DAILY;COUNT=999999999"], START, BERLIN)
    page = occurrences(
        rset, window_start=utc(2500, 1, 1), window_end=utc(2501, 1, 1), limit=10
    )
    assert page == OccurrencePage(starts=(), truncated=True, resume_from=None)


def test_open_ended_rule_can_be_listed_far_in_the_future() -> None:
    rset = timed(["RRULE:FREQ=WEEKLY;BYDAY=TU"], START, BERLIN)
    window_start = at(BERLIN, "2999-12-01 00:00")
    found = listed(
        rset, window_start=window_start, window_end=at(BERLIN, "3000-01-01 00:00")
    )
    assert walls(BERLIN, found) == [
        f"2999-12-{d:02d} 09:00" for d in (3, 10, 17, 24, 31)
    ]


def test_hostile_parse_is_bounded() -> None:
    began = timer.perf_counter()
    with pytest.raises(RecurrenceError, match="matches no date"):
        timed(
            [
                "RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;BYHOUR=1,2,3,4,5,6,7,8",
                "RRULE:FREQ=DAILY;BYMONTH=4;BYMONTHDAY=31",
                "EXRULE:FREQ=DAILY;BYMONTH=6;BYMONTHDAY=31",
                "RRULE:FREQ=MONTHLY;BYDAY=1MO;BYMONTHDAY=31",
            ],
            START,
            BERLIN,
        )
    assert timer.perf_counter() - began < HOSTILE_SECONDS


# --------------------------------------------------------------------------
# Series bounds
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "last_end"),
    [
        pytest.param(["RRULE:FREQ=DAILY;COUNT=3"], "2024-01-03 10:00", id="count"),
        pytest.param(
            ["RRULE:FREQ=WEEKLY;UNTIL=20240120T000000Z"], "2024-01-15 10:00", id="until"
        ),
        pytest.param(
            ["RRULE:FREQ=DAILY;COUNT=3", "RDATE:20240301T080000Z"],
            "2024-03-01 10:00",
            id="rdate-after-the-rule",
        ),
        pytest.param(
            ["RRULE:FREQ=DAILY;COUNT=3", "EXDATE:20240103T080000Z"],
            "2024-01-02 10:00",
            id="last-instance-excluded",
        ),
        pytest.param(
            ["RRULE:FREQ=DAILY;COUNT=3", "EXRULE:FREQ=WEEKLY;BYDAY=SU"],
            "2024-01-03 10:00",
            id="open-ended-exrule-does-not-matter",
        ),
        pytest.param(["RRULE:FREQ=DAILY"], None, id="open-ended"),
        pytest.param(
            ["RRULE:FREQ=DAILY;COUNT=3", "RRULE:FREQ=MONTHLY"],
            None,
            id="one-open-ended-rule",
        ),
        pytest.param(
            ["RRULE:FREQ=DAILY;COUNT=100000"], None, id="beyond-the-work-bound"
        ),
    ],
)
def test_series_bounds(lines: list[str], last_end: str | None) -> None:
    rset = timed(lines, START, BERLIN)
    first, last = series_bounds(rset, timedelta(hours=1))
    assert first == rset.start
    assert last == (at(BERLIN, last_end) if last_end else None)


# --------------------------------------------------------------------------
# Instance ids and is_occurrence
# --------------------------------------------------------------------------


def test_instance_id_is_the_original_start_in_utc() -> None:
    assert instance_id(at(BERLIN, "2024-07-05 19:02:42")) == "20240705T170242Z"
    assert instance_id(utc(2024, 1, 1)) == "20240101T000000Z"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20240705T170242Z", utc(2024, 7, 5, 17, 2, 42)),
        ("20220215T180000+0100", utc(2022, 2, 15, 17)),
        ("20220215T180000-0530", utc(2022, 2, 15, 23, 30)),
        ("20220215T180000+0000", utc(2022, 2, 15, 18)),
        ("20240101T003000+0100", utc(2023, 12, 31, 23, 30)),
    ],
)
def test_parse_instance_id(text: str, expected: datetime) -> None:
    parsed = parse_instance_id(text)
    assert parsed == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is not of the form"),
        ("20240705T170242", "is not of the form"),
        ("20240705T170242z", "is not of the form"),
        ("20240705 170242Z", "is not of the form"),
        ("2024-07-05T17:02:42Z", "is not of the form"),
        ("20240705T170242Z ", "is not of the form"),
        ("20240705T170242+01", "is not of the form"),
        ("20240705T170242+01:00", "is not of the form"),
        ("20240705T170242.5Z", "is not of the form"),
        (
            "\u0662\u0660\u0662\u0664\u0660\u0667\u0660\u0665T170242Z",
            "is not of the form",
        ),
        ("20240230T170242Z", "is not a valid date"),
        ("20240705T250000Z", "is not a valid date"),
        ("20240705T170242+2400", "invalid UTC offset"),
        ("20240705T170242+0160", "invalid UTC offset"),
        ("00010101T000000+0100", "is not a valid date"),
    ],
)
def test_parse_instance_id_rejects_anything_else(text: str, message: str) -> None:
    with pytest.raises(RecurrenceError) as error:
        parse_instance_id(text)
    assert message in str(error.value)
    assert repr(text) in str(error.value)


def test_instance_ids_round_trip_for_every_occurrence() -> None:
    rset = timed(["RRULE:FREQ=WEEKLY;COUNT=30"], "2024-02-26 02:30", BERLIN)
    for start in listed(rset):
        assert parse_instance_id(instance_id(start)) == start
        assert is_occurrence(rset, parse_instance_id(instance_id(start)))


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        pytest.param("20240101T080000Z", True, id="dtstart"),
        pytest.param("20240103T080000Z", True, id="rule-instance"),
        pytest.param("20240103T090000+0100", True, id="offset-form"),
        pytest.param("20240104T080000Z", False, id="excluded-by-exdate"),
        pytest.param("20240105T080000Z", False, id="excluded-by-exrule"),
        pytest.param("20240103T080001Z", False, id="a-second-off"),
        pytest.param("20231231T080000Z", False, id="before-the-start"),
        pytest.param("20240108T080000Z", False, id="after-until"),
        pytest.param("20240201T120000Z", True, id="rdate"),
    ],
)
def test_is_occurrence(candidate: str, expected: bool) -> None:
    rset = timed(
        [
            "RRULE:FREQ=DAILY;UNTIL=20240107T080000Z",
            "EXDATE:20240104T080000Z",
            "EXRULE:FREQ=WEEKLY;BYDAY=FR",
            "RDATE:20240201T120000Z",
        ],
        START,
        BERLIN,
    )
    assert is_occurrence(rset, parse_instance_id(candidate)) is expected


def test_is_occurrence_of_an_all_day_event_uses_the_utc_date_encoding() -> None:
    rset = all_day(["RRULE:FREQ=WEEKLY;COUNT=3"], utc(2024, 1, 1))
    assert is_occurrence(rset, utc(2024, 1, 8))
    assert not is_occurrence(rset, at(BERLIN, "2024-01-08 00:00"))


def test_is_occurrence_far_in_an_open_ended_series() -> None:
    rset = timed(["RRULE:FREQ=DAILY"], START, BERLIN)
    assert is_occurrence(rset, at(BERLIN, "2424-01-01 09:00"))
    assert not is_occurrence(rset, at(BERLIN, "2424-01-01 09:30"))


def test_sub_second_candidates_are_never_occurrences() -> None:
    rset = timed(["RRULE:FREQ=DAILY"], START, BERLIN)
    assert not is_occurrence(rset, rset.start + timedelta(microseconds=1))


# --------------------------------------------------------------------------
# Storage form
# --------------------------------------------------------------------------


def test_storage_form_round_trips() -> None:
    lines = ["RRULE:FREQ=WEEKLY;BYDAY=MO", "EXDATE:20240108T080000Z"]
    stored = join_recurrence_pattern(lines)
    assert stored == "RRULE:FREQ=WEEKLY;BYDAY=MO\nEXDATE:20240108T080000Z"
    assert split_recurrence_pattern(stored) == lines
    assert join_recurrence_pattern([]) is None
    assert split_recurrence_pattern(None) == []
    assert split_recurrence_pattern("") == []
    assert timed(lines, START, BERLIN).lines == tuple(lines)


def test_exdate_matches_local_time_not_utc() -> None:
    # 00:00 Berlin is 23:00Z the day before; the 01:00 Berlin instance is 00:00Z.
    # The EXDATE names no instance, so nothing is removed (recurring-ical-events
    # removes the 01:00 instance here; the differential test names that case).
    rset = timed(
        ["RRULE:FREQ=DAILY;COUNT=3", "EXDATE:20150102T000000"],
        "2015-01-01 01:00",
        BERLIN,
    )
    assert listed(rset, window_start=utc(2014, 12, 31)) == [
        utc(2015, 1, 1, 0, 0),
        utc(2015, 1, 2, 0, 0),
        utc(2015, 1, 3, 0, 0),
    ]
