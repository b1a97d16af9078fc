"""Subjects and bodies of notification mails (pure rendering)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from parley.events.notifications import NotificationKind
from parley.mail.render import MailContext, Occasion, format_occasion, render

NINE_BERLIN = Occasion(
    datetime(2030, 1, 7, 8, tzinfo=UTC),
    datetime(2030, 1, 7, 9, tzinfo=UTC),
    "Europe/Berlin",
    is_all_day=False,
)


def context(kind: NotificationKind = "invited", **overrides: object) -> MailContext:
    values: dict[str, object] = {
        "kind": kind,
        "title": "Planning",
        "description": "",
        "actor": "Olga",
        "when": NINE_BERLIN,
        "room_url": "https://parley.example.com/room/1",
    }
    values.update(overrides)
    return MailContext(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "subject", "lead"),
    [
        ("invited", "Invitation: Planning", "Olga invited you to “Planning”."),
        ("updated", "Updated: Planning", "Olga updated “Planning”."),
        (
            "uninvited",
            "Invitation withdrawn: Planning",
            "Olga withdrew your invitation to “Planning”.",
        ),
        ("deleted", "Cancelled: Planning", "Olga cancelled “Planning”."),
    ],
)
def test_subject_and_first_line_per_kind(
    kind: NotificationKind, subject: str, lead: str
) -> None:
    mail = render(context(kind))
    assert mail.subject == subject
    assert mail.text.splitlines()[0] == lead


@pytest.mark.parametrize(
    ("cancelled", "subject"),
    [
        (True, "Cancelled: Planning on Monday, 7 January 2030"),
        (False, "Updated: Planning on Monday, 7 January 2030"),
    ],
)
def test_a_changed_occurrence_is_named_by_its_day(
    cancelled: bool, subject: str
) -> None:
    mail = render(
        context("updated", occurrence=NINE_BERLIN, occurrence_cancelled=cancelled)
    )
    assert mail.subject == subject


def test_line_breaks_in_a_title_do_not_reach_the_subject() -> None:
    mail = render(context(title="Planning\r\nBcc: someone@example.com"))
    assert mail.subject == "Invitation: Planning Bcc: someone@example.com"
    assert "\n" not in mail.subject


def test_user_text_is_escaped_in_html_and_kept_in_text() -> None:
    mail = render(
        context(
            title='<img src=x onerror="alert(1)">',
            description="a & b\n<i>c</i>",
            actor="Eve <eve@example.com>",
            room_url='https://parley.example.com/room/1"><script>',
        )
    )
    assert "<img" not in mail.html
    assert "<i>" not in mail.html
    assert "<script>" not in mail.html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in mail.html
    assert "a &amp; b<br>\n&lt;i&gt;c&lt;/i&gt;" in mail.html
    assert "Eve &lt;eve@example.com&gt;" in mail.html
    assert (
        'href="https://parley.example.com/room/1&quot;&gt;&lt;script&gt;"' in mail.html
    )
    assert "a & b\n<i>c</i>" in mail.text
    assert "Eve <eve@example.com> invited you" in mail.text


def test_cancellations_carry_no_join_link() -> None:
    assert "Join:" in render(context("updated")).text
    for kind in ("uninvited", "deleted"):
        mail = render(context(kind))
        assert "Join" not in mail.text
        assert "room/1" not in mail.html


def test_series_and_moved_occurrence_details() -> None:
    moved = Occasion(
        datetime(2030, 1, 8, 13, tzinfo=UTC),
        datetime(2030, 1, 8, 14, tzinfo=UTC),
        "Europe/Berlin",
        is_all_day=False,
    )
    mail = render(
        context(
            "updated",
            repeats=("RRULE:FREQ=WEEKLY",),
            occurrence=NINE_BERLIN,
            occurrence_moved_to=moved,
        )
    )
    assert mail.text.splitlines()[2:7] == [
        "Occurrence: Monday, 7 January 2030, 09:00\N{EN DASH}10:00 (Europe/Berlin)",
        "Moved to:   Tuesday, 8 January 2030, 14:00\N{EN DASH}15:00 (Europe/Berlin)",
        "First:      Monday, 7 January 2030, 09:00\N{EN DASH}10:00 (Europe/Berlin)",
        "Repeats:    RRULE:FREQ=WEEKLY",
        "Join:       https://parley.example.com/room/1",
    ]


def test_a_time_independent_event_has_no_fixed_time() -> None:
    assert "When: No fixed time" in render(context(when=None)).text


@pytest.mark.parametrize(
    ("occasion", "expected"),
    [
        (
            Occasion(
                datetime(2030, 3, 31, 0, 30, tzinfo=UTC),
                datetime(2030, 3, 31, 1, 30, tzinfo=UTC),
                "Europe/Berlin",
                is_all_day=False,
            ),
            # Across the spring-forward change: 01:30 CET to 03:30 CEST.
            "Sunday, 31 March 2030, 01:30\N{EN DASH}03:30 (Europe/Berlin)",
        ),
        (
            Occasion(
                datetime(2030, 1, 7, 22, tzinfo=UTC),
                datetime(2030, 1, 8, 1, tzinfo=UTC),
                "Europe/Berlin",
                is_all_day=False,
            ),
            "Monday, 7 January 2030, 23:00 \N{EN DASH} Tuesday, 8 January 2030, 02:00"
            " (Europe/Berlin)",
        ),
        (
            Occasion(
                datetime(2030, 1, 7, tzinfo=UTC),
                datetime(2030, 1, 8, tzinfo=UTC),
                "Pacific/Auckland",
                is_all_day=True,
            ),
            "Monday, 7 January 2030 (all day)",
        ),
        (
            Occasion(
                datetime(2030, 1, 7, tzinfo=UTC),
                datetime(2030, 1, 10, tzinfo=UTC),
                "Europe/Berlin",
                is_all_day=True,
            ),
            "Monday, 7 January 2030 \N{EN DASH} Wednesday, 9 January 2030 (all day)",
        ),
    ],
)
def test_format_occasion(occasion: Occasion, expected: str) -> None:
    assert format_occasion(occasion) == expected
