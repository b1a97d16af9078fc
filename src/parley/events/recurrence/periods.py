"""Calendar arithmetic: the candidate wall times of one rule, period by period.

A period is one step of FREQ (a day, a WKST-based week, a month or a year).
Within it every BYxxx part of RFC 5545 3.3.10 acts as a filter on candidate
days; with the DTSTART-derived defaults applied, filtering gives exactly the
RFC's expand/limit table. BYSETPOS then picks from the period's sorted set.
"""

from __future__ import annotations

import calendar
import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from parley.events.recurrence.content_lines import wall_to_instant
from parley.events.recurrence.rules import Frequency, RecurrenceRule

# Work is metered in units of roughly a microsecond of CPU (see
# expansion.DEFAULT_MAX_WORK): a period costs PERIOD_COST, each candidate day
# examined DAY_COST and each wall time produced (resolved to UTC, merged)
# WALL_COST. The largest single period (366 days x 24 times) costs ~45 000.
PERIOD_COST = 3
DAY_COST = 1
WALL_COST = 5

# UTC offsets are under a day in Python, so two offsets differ by under two:
# a period starting two days before an instant's wall date cannot miss it.
_JUMP_MARGIN = timedelta(days=2)
_MAX_ORDINAL = date.max.toordinal()


@dataclass(frozen=True, slots=True)
class Anchor:
    """The event's first occurrence (DTSTART) in both encodings."""

    instant: datetime  # aware UTC; midnight UTC of the date for all-day events
    wall: datetime  # naive local wall time; midnight of the date for all-day events
    zone: ZoneInfo | None  # None for all-day events: dates are floating

    @classmethod
    def create(cls, instant: datetime, zone: ZoneInfo, *, is_all_day: bool) -> Anchor:
        if is_all_day:
            return cls(instant=instant, wall=instant.replace(tzinfo=None), zone=None)
        wall = instant.astimezone(zone).replace(tzinfo=None)
        return cls(instant=instant, wall=wall, zone=zone)

    def to_instant(self, wall: datetime) -> datetime:
        if self.zone is None:
            return wall.replace(tzinfo=UTC)
        return wall_to_instant(wall, self.zone)

    def to_wall(self, instant: datetime) -> datetime:
        if self.zone is None:
            return instant.astimezone(UTC).replace(tzinfo=None)
        return instant.astimezone(self.zone).replace(tzinfo=None)


def _matches_either_end(position: int, length: int, wanted: frozenset[int]) -> bool:
    """``position`` (1-based) counted from the start or, negatively, the end."""
    return position in wanted or position - length - 1 in wanted


def _days_in_year(year: int) -> int:
    return 366 if calendar.isleap(year) else 365


def _month_length(day: date) -> int:
    return calendar.monthrange(day.year, day.month)[1]


def _day_of_year(day: date) -> int:
    return day.toordinal() - date(day.year, 1, 1).toordinal() + 1


@functools.lru_cache(maxsize=256)
def _first_week_start(year: int, week_start: int) -> int:
    """Ordinal of the first day of week 1: the WKST-based week holding 4 January."""
    fourth = date(year, 1, 4)
    return fourth.toordinal() - (fourth.weekday() - week_start) % 7


def _week_number(day: date, week_start: int) -> tuple[int, int]:
    """Week number of ``day`` and the number of weeks in its week-numbering year."""
    this_week = day.toordinal() - (day.weekday() - week_start) % 7
    # A week belongs to the year holding at least four of its days.
    year = date.fromordinal(this_week + 3).year
    first = _first_week_start(year, week_start)
    weeks_in_year = (_first_week_start(year + 1, week_start) - first) // 7
    return (this_week - first) // 7 + 1, weeks_in_year


class RuleExpander:
    """Per-period candidates of one rule, with DTSTART-derived defaults applied."""

    def __init__(self, rule: RecurrenceRule, anchor: Anchor) -> None:
        self.rule = rule
        self.anchor = anchor
        wall = anchor.wall
        freq = rule.freq
        self.months = frozenset(rule.by_month)
        self.month_days = frozenset(rule.by_month_day)
        self.year_days = frozenset(rule.by_year_day)
        self.week_numbers = frozenset(rule.by_week_no)
        self.weekdays = frozenset(e.weekday for e in rule.by_day if e.ordinal is None)
        self.nth_weekdays = frozenset(
            (e.weekday, e.ordinal) for e in rule.by_day if e.ordinal is not None
        )
        # Whatever the rule leaves open comes from DTSTART (RFC 5545 3.3.10).
        has_day_part = bool(rule.by_day or rule.by_month_day or rule.by_year_day)
        if freq is Frequency.WEEKLY and not rule.by_day:
            self.weekdays = frozenset({wall.weekday()})
        elif freq is Frequency.MONTHLY and not (rule.by_day or rule.by_month_day):
            self.month_days = frozenset({wall.day})
        elif freq is Frequency.YEARLY and not has_day_part:
            if rule.by_week_no:
                self.weekdays = frozenset({wall.weekday()})
            else:
                self.months = self.months or frozenset({wall.month})
                self.month_days = frozenset({wall.day})
        # Ordinals count within the month for MONTHLY and for YEARLY with BYMONTH.
        self.nth_in_month = freq is Frequency.MONTHLY or bool(rule.by_month)
        self._filters = bool(
            self.months
            or self.month_days
            or self.year_days
            or self.week_numbers
            or self.weekdays
            or self.nth_weekdays
        )
        self.times = tuple(
            sorted(
                time(hour, minute, second)
                for hour in rule.by_hour or (wall.hour,)
                for minute in rule.by_minute or (wall.minute,)
                for second in rule.by_second or (wall.second,)
            )
        )
        anchor_day = wall.date()
        self._anchor_ordinal = anchor_day.toordinal()
        self._anchor_week_ordinal = (
            self._anchor_ordinal - (anchor_day.weekday() - rule.week_start) % 7
        )
        self._anchor_month_index = anchor_day.year * 12 + anchor_day.month - 1

    def period_start(self, index: int) -> date | None:
        """First day of period ``index``; None once past the datetime range."""
        rule = self.rule
        step = index * rule.interval
        if rule.freq is Frequency.DAILY:
            ordinal = self._anchor_ordinal + step
        elif rule.freq is Frequency.WEEKLY:
            ordinal = max(1, self._anchor_week_ordinal + 7 * step)
        elif rule.freq is Frequency.MONTHLY:
            year, month0 = divmod(self._anchor_month_index + step, 12)
            return date(year, month0 + 1, 1) if year <= date.max.year else None
        else:
            year = self.anchor.wall.year + step
            return date(year, 1, 1) if year <= date.max.year else None
        return date.fromordinal(ordinal) if ordinal <= _MAX_ORDINAL else None

    def period_index_near(self, instant: datetime) -> int:
        """Index of a period starting early enough to hold every instant >= ``instant``."""
        try:
            target = (self.anchor.to_wall(instant) - _JUMP_MARGIN).date()
        except OverflowError:
            return 0
        rule = self.rule
        if rule.freq is Frequency.DAILY:
            periods = target.toordinal() - self._anchor_ordinal
        elif rule.freq is Frequency.WEEKLY:
            periods = (target.toordinal() - self._anchor_week_ordinal) // 7
        elif rule.freq is Frequency.MONTHLY:
            periods = target.year * 12 + target.month - 1 - self._anchor_month_index
        else:
            periods = target.year - self.anchor.wall.year
        return max(0, periods // rule.interval)

    def candidates(self, start: date) -> tuple[list[datetime], int]:
        """Wall times of the period starting at ``start`` and the work they cost."""
        days = self._candidate_days(start)
        matching = (
            [day for day in days if self._day_matches(day)] if self._filters else days
        )
        walls = [
            datetime.combine(day, moment) for day in matching for moment in self.times
        ]
        cost = PERIOD_COST + DAY_COST * len(days) + WALL_COST * len(walls)
        if self.rule.by_set_pos:
            walls = self._select_positions(walls)
        return walls, cost

    def _candidate_days(self, start: date) -> list[date]:
        freq = self.rule.freq
        if freq is Frequency.DAILY:
            return [start]
        if freq is Frequency.WEEKLY:
            first = start.toordinal()
            return [
                date.fromordinal(o)
                for o in range(first, min(first + 7, _MAX_ORDINAL + 1))
            ]
        if freq is Frequency.MONTHLY:
            return self._month_days(start.year, start.month)
        # YEARLY: generate straight from the most selective part instead of
        # scanning all 365 days where possible.
        year = start.year
        if self.year_days:
            january_first = start.toordinal()
            length = _days_in_year(year)
            ordinals = {
                january_first + (value if value > 0 else length + value + 1) - 1
                for value in self.year_days
                if abs(value) <= length
            }
            return [date.fromordinal(o) for o in sorted(ordinals)]
        months = sorted(self.months) if self.months else range(1, 13)
        return [day for month in months for day in self._month_days(year, month)]

    def _month_days(self, year: int, month: int) -> list[date]:
        length = calendar.monthrange(year, month)[1]
        if self.month_days:  # a necessary condition, so generate from it directly
            numbers = {
                value if value > 0 else length + value + 1
                for value in self.month_days
                if abs(value) <= length
            }
            return [date(year, month, number) for number in sorted(numbers)]
        return [date(year, month, number) for number in range(1, length + 1)]

    def _day_matches(self, day: date) -> bool:
        """Whether ``day`` passes every BYxxx filter (expansion == filtering here)."""
        if self.months and day.month not in self.months:
            return False
        if self.month_days and not _matches_either_end(
            day.day, _month_length(day), self.month_days
        ):
            return False
        if self.year_days and not _matches_either_end(
            _day_of_year(day), _days_in_year(day.year), self.year_days
        ):
            return False
        if self.week_numbers and not self._week_matches(day):
            return False
        if not (self.weekdays or self.nth_weekdays):
            return True
        weekday = day.weekday()
        if weekday in self.weekdays:
            return True
        if not self.nth_weekdays:
            return False
        if self.nth_in_month:
            position, length = day.day, _month_length(day)
        else:
            position, length = _day_of_year(day), _days_in_year(day.year)
        forward = (position - 1) // 7 + 1
        backward = -((length - position) // 7 + 1)
        nth = self.nth_weekdays
        return (weekday, forward) in nth or (weekday, backward) in nth

    def _week_matches(self, day: date) -> bool:
        try:
            number, weeks_in_year = _week_number(day, self.rule.week_start)
        except (OverflowError, ValueError):  # week-year outside years 1..9999
            return False
        return (
            number in self.week_numbers
            or number - weeks_in_year - 1 in self.week_numbers
        )

    def _select_positions(self, walls: list[datetime]) -> list[datetime]:
        size = len(walls)
        chosen = {
            position - 1 if position > 0 else size + position
            for position in self.rule.by_set_pos
        }
        return [walls[index] for index in sorted(chosen) if 0 <= index < size]
