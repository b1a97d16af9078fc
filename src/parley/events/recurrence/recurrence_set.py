"""Public entry points: parse a pattern, page through occurrences, bound a series."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from parley.events.recurrence.content_lines import (
    MAX_PATTERN_LINES,
    PropertyName,
    load_zone,
    parse_date_list,
    split_content_line,
)
from parley.events.recurrence.errors import RecurrenceError
from parley.events.recurrence.expansion import (
    DEFAULT_MAX_WORK,
    OutOfWork,
    SetComponents,
    WorkBudget,
    rule_instants,
    set_instants,
)
from parley.events.recurrence.periods import Anchor, RuleExpander
from parley.events.recurrence.rules import RecurrenceRule, parse_rule

_ONE_SECOND = timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class RecurrenceSet:
    """A validated recurrence pattern bound to its event's first occurrence.

    Build it with :func:`parse_recurrence`. Instants are aware UTC datetimes;
    for all-day events they are dates encoded as midnight UTC.
    """

    lines: tuple[str, ...]  # the pattern as given, for storage and echoing back
    start: datetime  # the event's starts_at (DTSTART), aware UTC
    timezone: str
    is_all_day: bool
    rules: tuple[RecurrenceRule, ...]  # RRULE
    exclusion_rules: tuple[RecurrenceRule, ...]  # EXRULE
    extra_starts: tuple[datetime, ...]  # RDATE, sorted and distinct
    excluded_starts: frozenset[datetime]  # EXDATE
    first_start: datetime  # the earliest occurrence left after exclusions


@dataclass(frozen=True, slots=True)
class OccurrencePage:
    """Occurrence starts in a window, oldest first, and whether any were left out.

    When ``truncated`` is True, ``resume_from`` is where the next page starts
    (pass it as the next ``window_start``). ``resume_from`` is None only if the
    work bound ran out before the window was reached (a COUNT rule expanded far
    beyond the bound); the rest of that window cannot be listed.
    """

    starts: tuple[datetime, ...]
    truncated: bool
    resume_from: datetime | None


def parse_recurrence(
    lines: Sequence[str],
    *,
    start: datetime,
    timezone: str,
    is_all_day: bool,
    max_work: int = DEFAULT_MAX_WORK,
) -> RecurrenceSet:
    """Validate a ``recurrence_pattern`` for an event starting at ``start``.

    Raises :class:`RecurrenceError` naming the line and part at fault, including
    when the pattern yields no occurrence (within ``max_work``). Raises
    ``ValueError`` if ``start`` is naive and ``TypeError`` if ``lines`` is a str.
    """
    if isinstance(lines, str):  # a str is a Sequence[str] of characters
        raise TypeError("lines must be a list of pattern lines, not one string")
    start = _as_utc(start, "start")
    if start.microsecond:
        raise RecurrenceError("starts_at must be a whole second")
    if is_all_day and start.time() != datetime.min.time():
        raise RecurrenceError("all-day events must start at 00:00 (UTC date encoding)")
    zone = load_zone(timezone, "timezone")
    if len(lines) > MAX_PATTERN_LINES:
        raise RecurrenceError(
            f"recurrence_pattern has {len(lines)} lines; "
            f"at most {MAX_PATTERN_LINES} are allowed"
        )
    try:
        anchor = Anchor.create(start, zone, is_all_day=is_all_day)
    except OverflowError:
        raise RecurrenceError("starts_at is out of the supported range") from None

    # One budget for all of parsing, so a hostile pattern costs one bound, not five.
    budget = WorkBudget(max_work)
    rules: list[RecurrenceRule] = []
    exclusion_rules: list[RecurrenceRule] = []
    extra: set[datetime] = set()
    excluded: set[datetime] = set()
    for number, text in enumerate(lines, start=1):
        line = split_content_line(text, number)
        if line.name in (PropertyName.RRULE, PropertyName.EXRULE):
            rule = parse_rule(line, start=start, is_all_day=is_all_day)
            _reject_rule_without_matches(rule, anchor, line.where, budget)
            (rules if line.name is PropertyName.RRULE else exclusion_rules).append(rule)
            continue
        instants = parse_date_list(line, is_all_day=is_all_day, zone=zone)
        if line.name is PropertyName.RDATE:
            early = [instant for instant in instants if instant < start]
            if early:
                raise RecurrenceError(
                    f"{line.where}: {early[0].isoformat()} is before the event start; "
                    "starts_at must be the first occurrence"
                )
            extra.update(instants)
        else:
            excluded.update(instants)

    provisional = RecurrenceSet(
        lines=tuple(lines),
        start=start,
        timezone=timezone,
        is_all_day=is_all_day,
        rules=tuple(rules),
        exclusion_rules=tuple(exclusion_rules),
        extra_starts=tuple(sorted(extra)),
        excluded_starts=frozenset(excluded),
        first_start=start,
    )
    expansion = set_instants(_components(provisional), budget=budget, from_instant=None)
    try:
        first = next(expansion, None)
    except OutOfWork:
        raise RecurrenceError(
            "recurrence_pattern yields no occurrence within the search bound"
        ) from None
    if first is None:
        raise RecurrenceError(
            "recurrence_pattern yields no occurrence: every instance is excluded"
        )
    return replace(provisional, first_start=first)


def occurrences(
    rset: RecurrenceSet,
    *,
    window_start: datetime,
    window_end: datetime,
    limit: int,
    max_work: int = DEFAULT_MAX_WORK,
) -> OccurrencePage:
    """Occurrence starts in ``[window_start, window_end)``, at most ``limit``.

    Work is bounded by ``max_work`` units whatever the pattern; a page cut
    short by either bound has ``truncated`` set and says where to resume.
    Every page makes progress when ``max_work`` is at least three times the
    costliest single period, which the default always is.
    """
    window_start = _as_utc(window_start, "window_start")
    window_end = _as_utc(window_end, "window_end")
    if limit < 1:
        raise ValueError("limit must be positive")
    found: list[datetime] = []
    if window_end <= window_start:
        return OccurrencePage(starts=(), truncated=False, resume_from=None)
    stream = set_instants(
        _components(rset), budget=WorkBudget(max_work), from_instant=window_start
    )
    try:
        for instant in stream:
            if instant >= window_end:
                break
            if instant < window_start:
                continue
            if len(found) == limit:
                return OccurrencePage(
                    starts=tuple(found), truncated=True, resume_from=instant
                )
            found.append(instant)
    except OutOfWork as out_of_work:
        if out_of_work.frontier < window_end:
            resume_from = (
                out_of_work.frontier if out_of_work.frontier > window_start else None
            )
            return OccurrencePage(
                starts=tuple(found), truncated=True, resume_from=resume_from
            )
    return OccurrencePage(starts=tuple(found), truncated=False, resume_from=None)


def series_bounds(
    rset: RecurrenceSet, duration: timedelta, *, max_work: int = DEFAULT_MAX_WORK
) -> tuple[datetime, datetime | None]:
    """Start of the first occurrence and end of the last one.

    The end is None for open-ended series (an RRULE without COUNT or UNTIL) and
    also when the last occurrence lies beyond the work bound: treat both as
    "no known end".
    """
    if duration < timedelta(0):
        raise ValueError("duration must not be negative")
    if any(not rule.is_bounded for rule in rset.rules):
        return rset.first_start, None
    last = rset.first_start
    try:
        for instant in set_instants(
            _components(rset), budget=WorkBudget(max_work), from_instant=None
        ):
            last = instant
    except OutOfWork:
        return rset.first_start, None
    try:
        return rset.first_start, last + duration
    except OverflowError:
        return rset.first_start, None


def is_occurrence(
    rset: RecurrenceSet, original_start: datetime, *, max_work: int = DEFAULT_MAX_WORK
) -> bool:
    """Whether the set has an occurrence originally starting at ``original_start``.

    Occurrences removed by EXDATE/EXRULE do not count. One beyond the work
    bound is reported as absent, consistent with it never being listed.
    """
    original_start = _as_utc(original_start, "original_start")
    if original_start < rset.start or original_start.microsecond:
        return False
    try:
        window_end = original_start + _ONE_SECOND
    except OverflowError:
        window_end = datetime.max.replace(tzinfo=UTC)
    page = occurrences(
        rset,
        window_start=original_start,
        window_end=window_end,
        limit=1,
        max_work=max_work,
    )
    return page.starts == (original_start,)


def _components(rset: RecurrenceSet) -> SetComponents:
    zone = load_zone(rset.timezone, "timezone")
    return SetComponents(
        anchor=Anchor.create(rset.start, zone, is_all_day=rset.is_all_day),
        rules=rset.rules,
        exclusion_rules=rset.exclusion_rules,
        extra_instants=rset.extra_starts,
        excluded_instants=rset.excluded_starts,
    )


def _reject_rule_without_matches(
    rule: RecurrenceRule, anchor: Anchor, where: str, budget: WorkBudget
) -> None:
    """Reject a rule whose pattern matches no date at all.

    Such a rule (say BYMONTHDAY=30;BYMONTH=2) is valid RFC 5545 but certainly a
    mistake, and every later expansion would burn its whole budget on it. The
    probe ignores COUNT and UNTIL, so a rule that ends before its first match
    (leaving only DTSTART) is still accepted; it fails only when the pattern
    finds nothing within the work bound or before the end of the datetime range.
    """
    unbounded = replace(rule, count=None, until=None)
    instants = rule_instants(
        RuleExpander(unbounded, anchor),
        budget=budget,
        from_instant=None,
        counts_start=False,
    )
    try:
        first = next(instants, None)
    except OutOfWork:
        first = None
    if first is None:
        raise RecurrenceError(
            f"{where}: the rule matches no date in the foreseeable future; "
            "check BYMONTH, BYMONTHDAY, BYDAY and BYSETPOS"
        )


def _as_utc(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return moment.astimezone(UTC)
