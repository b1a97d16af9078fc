"""Subjects and bodies of notification mails. Pure: no database, no I/O.

Everything a user typed (titles, descriptions, names) is escaped in the HTML
body and has its line breaks folded in the subject.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from parley.events.notifications import NotificationKind

_WHITESPACE = re.compile(r"\s+")
_DASH = "\N{EN DASH}"


@dataclass(frozen=True, slots=True)
class Occasion:
    """When something happens: a span in a zone, all-day or timed."""

    starts_at: datetime
    ends_at: datetime
    zone: str
    is_all_day: bool


@dataclass(frozen=True, slots=True)
class MailContext:
    """What a notification mail says about an event."""

    kind: NotificationKind
    title: str
    description: str
    actor: str
    when: Occasion | None  # None: a time-independent event
    repeats: tuple[str, ...] = ()  # the recurrence pattern's lines
    room_url: str | None = None
    streams: tuple[str, ...] = ()  # public URLs of the room's live streams
    # The read-only link of the event's shared folder and its password.
    shared_folder: tuple[str, str] | None = None
    # Set when one occurrence of a series changed: where the rule put it, and
    # where it is now (None when it did not move).
    occurrence: Occasion | None = None
    occurrence_moved_to: Occasion | None = None
    occurrence_cancelled: bool = False


@dataclass(frozen=True, slots=True)
class MailText:
    subject: str
    text: str
    html: str


def render(context: MailContext) -> MailText:
    """The subject, plain-text body and HTML body of the mail."""
    lead = _lead(context)
    rows = _detail_rows(context)
    footer = _footer(context)
    return MailText(
        subject=_subject(context),
        text=_text_body(lead, rows, context.description, footer),
        html=_html_body(lead, rows, context.description, footer),
    )


def _one_line(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip()


def _subject(context: MailContext) -> str:
    title = _one_line(context.title) or "Untitled event"
    if context.kind == "invited":
        return f"Invitation: {title}"
    if context.kind == "uninvited":
        return f"Invitation withdrawn: {title}"
    if context.kind == "deleted":
        return f"Cancelled: {title}"
    if context.occurrence is not None:
        day = format_day(context.occurrence)
        if context.occurrence_cancelled:
            return f"Cancelled: {title} on {day}"
        return f"Updated: {title} on {day}"
    return f"Updated: {title}"


def _lead(context: MailContext) -> str:
    actor = _one_line(context.actor)
    title = f"“{_one_line(context.title)}”"
    if context.kind == "invited":
        return f"{actor} invited you to {title}."
    if context.kind == "uninvited":
        return f"{actor} withdrew your invitation to {title}."
    if context.kind == "deleted":
        return f"{actor} cancelled {title}."
    if context.occurrence is not None:
        day = format_day(context.occurrence)
        if context.occurrence_cancelled:
            return f"{actor} cancelled the occurrence of {title} on {day}."
        return f"{actor} changed the occurrence of {title} on {day}."
    return f"{actor} updated {title}."


def _detail_rows(context: MailContext) -> list[tuple[str, str, bool]]:
    """(label, value, is_link) lines shown under the lead."""
    rows: list[tuple[str, str, bool]] = []
    if context.occurrence is not None:
        rows.append(("Occurrence", format_occasion(context.occurrence), False))
        if context.occurrence_moved_to is not None:
            rows.append(
                ("Moved to", format_occasion(context.occurrence_moved_to), False)
            )
    when = format_occasion(context.when) if context.when else "No fixed time"
    rows.append(("First" if context.repeats else "When", when, False))
    rows.extend(("Repeats", line, False) for line in context.repeats)
    cancelled = context.kind in ("uninvited", "deleted")
    if not cancelled:
        if context.room_url:
            rows.append(("Join", context.room_url, True))
        rows.extend(("Live stream", url, True) for url in context.streams)
        if context.shared_folder is not None:
            url, password = context.shared_folder
            rows.append(("Shared folder", url, True))
            rows.append(("Folder password", password, False))
    return rows


def _footer(context: MailContext) -> str:
    if context.kind in ("uninvited", "deleted"):
        return "The attached invite.ics removes the meeting from your calendar."
    return "The attached invite.ics adds the meeting to your calendar or updates it."


def _text_body(
    lead: str, rows: list[tuple[str, str, bool]], description: str, footer: str
) -> str:
    lines = [lead, ""]
    width = max(len(label) for label, _, _ in rows) + 1
    lines += [f"{label + ':':<{width}} {value}" for label, value, _ in rows]
    if description.strip():
        lines += ["", description.strip()]
    lines += ["", footer, ""]
    return "\n".join(lines)


def _html_body(
    lead: str, rows: list[tuple[str, str, bool]], description: str, footer: str
) -> str:
    def cell(value: str, is_link: bool) -> str:
        escaped = html.escape(value)
        return f'<a href="{escaped}">{escaped}</a>' if is_link else escaped

    table = "\n".join(
        f'<tr><th align="left">{html.escape(label)}</th>'
        f"<td>{cell(value, is_link)}</td></tr>"
        for label, value, is_link in rows
    )
    parts = [
        "<!DOCTYPE html>",
        '<html><head><meta charset="utf-8"></head><body>',
        f"<p>{html.escape(lead)}</p>",
        f"<table>\n{table}\n</table>",
    ]
    if description.strip():
        paragraph = "<br>\n".join(
            html.escape(line) for line in description.strip().splitlines()
        )
        parts.append(f"<p>{paragraph}</p>")
    parts += [f"<p>{html.escape(footer)}</p>", "</body></html>", ""]
    return "\n".join(parts)


# ---- dates -------------------------------------------------------------------


def _date(day: datetime) -> str:
    # Spelled out by hand: strftime's %-d is not portable, and the C locale's
    # names are English whatever the server's locale.
    return f"{day:%A}, {day.day} {day:%B %Y}"


def format_day(occasion: Occasion) -> str:
    """The first day of the occasion, in its zone (all-day: its date)."""
    if occasion.is_all_day:
        return _date(occasion.starts_at)
    return _date(occasion.starts_at.astimezone(ZoneInfo(occasion.zone)))


def format_occasion(occasion: Occasion) -> str:
    """`Monday, 7 January 2030, 09:00-10:00 (Europe/Berlin)` (an en dash) and kin."""
    if occasion.is_all_day:
        # All-day values are dates at midnight UTC covering whole days, at least one.
        days = max((occasion.ends_at - occasion.starts_at).days, 1)
        first = occasion.starts_at
        last = first + timedelta(days=days - 1)
        if days == 1:
            return f"{_date(first)} (all day)"
        return f"{_date(first)} {_DASH} {_date(last)} (all day)"
    zone = ZoneInfo(occasion.zone)
    start = occasion.starts_at.astimezone(zone)
    end = occasion.ends_at.astimezone(zone)
    if start.date() == end.date():
        return f"{_date(start)}, {start:%H:%M}{_DASH}{end:%H:%M} ({occasion.zone})"
    return (
        f"{_date(start)}, {start:%H:%M} {_DASH} {_date(end)}, {end:%H:%M} "
        f"({occasion.zone})"
    )
