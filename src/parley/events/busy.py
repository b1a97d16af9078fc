"""Busy time of one event inside a window (pure apart from reading ORM attributes)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from parley.events.models import Event, EventException
from parley.events.occurrences import (
    exceptions_by_start,
    occurrences_in_window,
    overlaps,
    stored_timing,
)
from parley.events.timing import occurrence_span

Span = tuple[datetime, datetime]


def busy_spans(
    event: Event,
    exceptions: Iterable[EventException],
    *,
    window_start: datetime,
    window_end: datetime,
    limit: int,
) -> list[Span]:
    """The parts of the window the event occupies, clipped to it.

    A recurring event is expanded (at most ``limit`` occurrences, within the
    engine's work bound); if the expansion stops early, everything from where it
    stopped to the window's end is returned as busy.
    """
    timing = stored_timing(event)
    if timing.starts_at is None:
        return []
    if timing.recurrence is None:
        span = occurrence_span(
            timing.starts_at.at,
            timing.duration,
            is_all_day=timing.is_all_day,
            zone=timing.starts_at.zone,
        )
        if not overlaps(span, window_start, window_end):
            return []
        return [_clip(span, window_start, window_end)]
    found, page = occurrences_in_window(
        timing,
        exceptions_by_start(exceptions),
        window_start=window_start,
        window_end=window_end,
        limit=limit,
    )
    spans = [
        _clip(o.span(), window_start, window_end) for o in found if not o.cancelled
    ]
    if page.truncated:
        spans.append((max(page.resume_from or window_start, window_start), window_end))
    return spans


def _clip(span: Span, start: datetime, end: datetime) -> Span:
    return max(span[0], start), min(span[1], end)


def merge_spans(spans: Iterable[Span]) -> list[Span]:
    """Sorted union of half-open spans; empty spans dropped, touching ones joined."""
    merged: list[Span] = []
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
