"""Bounded expansion of recurrence rules and sets into sorted instants.

Every stream draws on a shared :class:`WorkBudget`; when it runs dry the
stream raises :class:`OutOfWork` carrying a *frontier*: every instant before
it has been produced, none at or after it has.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from parley.events.recurrence.periods import Anchor, RuleExpander
from parley.events.recurrence.rules import RecurrenceRule
from parley.instants import shift

# Work units per engine call, each roughly a microsecond of CPU (costs in
# periods.py). The bound keeps any one call near 0.2 s and still covers about
# 60 years of a daily rule or 300 of a yearly one.
DEFAULT_MAX_WORK = 200_000

# Python bounds UTC offsets to under a day, so an instant is less than a day
# before its wall time read as UTC.
_OFFSET_BOUND = timedelta(days=1)
_LATEST_INSTANT = datetime.max.replace(tzinfo=UTC)


class OutOfWork(Exception):
    """The work budget ran out; instants before ``frontier`` were all produced."""

    def __init__(self, frontier: datetime) -> None:
        super().__init__(frontier)
        self.frontier = frontier


class WorkBudget:
    """Work units shared by every stream of one engine call."""

    __slots__ = ("remaining",)

    def __init__(self, units: int) -> None:
        self.remaining = units

    def spend(self, units: int) -> None:
        self.remaining -= units


def rule_instants(
    expander: RuleExpander,
    *,
    budget: WorkBudget,
    from_instant: datetime | None,
    counts_start: bool,
) -> Iterator[datetime]:
    """Sorted, distinct instants of one rule at or after the event start.

    ``counts_start`` is True for RRULE: DTSTART is the rule's first instance
    whether or not it matches (RFC 5545 3.8.5.3), so it uses up one COUNT and
    only instants strictly after it are produced here. EXRULE produces its own
    matches only. Rules without COUNT skip ahead to ``from_instant``.
    """
    rule = expander.rule
    anchor = expander.anchor
    remaining = None if rule.count is None else rule.count - (1 if counts_start else 0)
    if remaining == 0:
        return
    index = 0
    if from_instant is not None and rule.count is None:
        index = expander.period_index_near(from_instant)
    pending: list[datetime] = []  # a heap: in DST gaps wall order is not UTC order
    last_produced: datetime | None = None
    until = rule.until
    while True:
        start = expander.period_start(index)
        finished = start is None
        if finished or pending or until is not None:
            # Nothing from this period on can be earlier than the frontier.
            frontier = _LATEST_INSTANT if start is None else _frontier(start)
            finished = finished or (until is not None and frontier > until)
            while pending and (finished or pending[0] < frontier):
                instant = heapq.heappop(pending)
                if instant == last_produced:
                    continue
                last_produced = instant
                yield instant
                if remaining is not None:
                    remaining -= 1
                    if remaining == 0:
                        return
        if finished or start is None:
            return
        if budget.remaining <= 0:
            raise OutOfWork(_frontier(start))
        walls, cost = expander.candidates(start)
        budget.spend(cost)
        for wall in walls:
            try:
                instant = anchor.to_instant(wall)
            except OverflowError:  # beyond the datetime range in this zone
                continue
            if instant < anchor.instant or (counts_start and instant == anchor.instant):
                continue
            if until is not None and instant > until:
                continue
            heapq.heappush(pending, instant)
        index += 1


def _frontier(period_start: date) -> datetime:
    """Lower bound for the instants of a period starting on ``period_start``."""
    midnight = datetime(
        period_start.year, period_start.month, period_start.day, tzinfo=UTC
    )
    return shift(midnight, -_OFFSET_BOUND)  # saturates at the datetime range's start


@dataclass(frozen=True, slots=True)
class SetComponents:
    """Everything needed to expand a recurrence set."""

    anchor: Anchor
    rules: Sequence[RecurrenceRule]
    exclusion_rules: Sequence[RecurrenceRule]
    extra_instants: Sequence[datetime]  # RDATE, sorted
    excluded_instants: frozenset[datetime]  # EXDATE


class _Exclusions:
    """Lock-step cursor over the merged EXRULE streams."""

    def __init__(self, streams: Iterable[Iterator[datetime]]) -> None:
        self._streams = list(streams)
        self._heads: list[datetime | None] = [None] * len(self._streams)
        self._alive = [True] * len(self._streams)
        self.cutoff = _LATEST_INSTANT

    def excludes(self, instant: datetime) -> bool:
        excluded = False
        for position, stream in enumerate(self._streams):
            head = self._heads[position]
            while self._alive[position] and (head is None or head < instant):
                try:
                    head = next(stream)
                except StopIteration:
                    self._alive[position] = False
                except OutOfWork as out_of_work:
                    self._alive[position] = False
                    self.cutoff = min(self.cutoff, out_of_work.frontier)
            self._heads[position] = head
            excluded = excluded or head == instant
        return excluded


def set_instants(
    components: SetComponents, *, budget: WorkBudget, from_instant: datetime | None
) -> Iterator[datetime]:
    """Sorted, distinct instants of the whole set (DTSTART, RRULE, RDATE minus
    EXRULE, EXDATE), at or after ``from_instant`` for rules that can skip ahead.

    Raises :class:`OutOfWork` when the budget runs out, after producing every
    instant before the reported frontier.
    """
    anchor = components.anchor
    sources: list[Iterator[datetime]] = [
        iter([anchor.instant]),
        iter(components.extra_instants),
    ]
    sources.extend(
        rule_instants(
            RuleExpander(rule, anchor),
            budget=budget,
            from_instant=from_instant,
            counts_start=True,
        )
        for rule in components.rules
    )
    exclusions = _Exclusions(
        rule_instants(
            RuleExpander(rule, anchor),
            budget=budget,
            from_instant=from_instant,
            counts_start=False,
        )
        for rule in components.exclusion_rules
    )
    cutoff = _LATEST_INSTANT
    heap: list[tuple[datetime, int]] = []

    def advance(position: int) -> None:
        nonlocal cutoff
        try:
            heapq.heappush(heap, (next(sources[position]), position))
        except StopIteration:
            pass
        except OutOfWork as out_of_work:
            cutoff = min(cutoff, out_of_work.frontier)

    for position in range(len(sources)):
        advance(position)
    last_produced: datetime | None = None
    while heap:
        instant, position = heapq.heappop(heap)
        if instant >= cutoff:
            break
        advance(position)
        if instant == last_produced:
            continue
        last_produced = instant
        if instant in components.excluded_instants:
            continue
        excluded = exclusions.excludes(instant)
        # An EXRULE that ran out of work cannot vouch for anything past its frontier.
        cutoff = min(cutoff, exclusions.cutoff)
        if instant >= cutoff:
            break
        if not excluded:
            yield instant
    if cutoff != _LATEST_INSTANT:
        raise OutOfWork(cutoff)
