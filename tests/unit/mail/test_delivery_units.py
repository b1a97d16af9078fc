"""Backoff, MIME structure and SMTP settings of the mail package."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.headerregistry import Address

import pytest

from parley.config import Settings, SettingsError, load_settings
from parley.mail.models import OutboxMail
from parley.mail.smtp import build_message
from parley.mail.worker import retry_delay

ICS = b"BEGIN:VCALENDAR\r\nMETHOD:CANCEL\r\nEND:VCALENDAR\r\n"


def test_retry_delay_doubles_within_jitter_and_stops_at_the_cap() -> None:
    rng = random.Random(7)
    for attempts, ceiling in [(1, 30), (2, 60), (3, 120), (8, 3600), (90, 3600)]:
        delays = [retry_delay(attempts, base=30, cap=3600, rng=rng) for _ in range(200)]
        assert min(delays) >= ceiling / 2
        assert max(delays) <= ceiling
        assert max(delays) - min(delays) > ceiling / 4  # really jittered


def outbox_mail(**overrides: object) -> OutboxMail:
    values: dict[str, object] = {
        "id": uuid.UUID("5a0a5a0a-0000-4000-8000-000000000001"),
        "recipient": "bob@example.com",
        "subject": "Cancelled: Größe",
        "text_body": "Plain ünïcode",
        "html_body": "<p>HTML</p>",
        "attachment": ICS,
        "attachment_filename": "invite.ics",
        "attachment_content_type": "text/calendar; method=CANCEL",
        "created_at": datetime(2030, 1, 7, 8, tzinfo=UTC),
    }
    values.update(overrides)
    return OutboxMail(**values)


def test_message_has_text_html_calendar_alternatives_and_the_attachment() -> None:
    sender = Address(display_name="Parley", addr_spec="parley@example.com")
    raw = build_message(outbox_mail(), sender).as_bytes()
    message = message_from_bytes(raw, policy=policy.default)
    assert message["From"] == "Parley <parley@example.com>"
    assert message["To"] == "bob@example.com"
    assert message["Subject"] == "Cancelled: Größe"
    assert message["Message-ID"] == "<5a0a5a0a-0000-4000-8000-000000000001@example.com>"
    assert message["Date"] == "Mon, 07 Jan 2030 08:00:00 +0000"
    assert message.get_content_type() == "multipart/mixed"
    alternative, attachment = message.iter_parts()
    assert [p.get_content_type() for p in alternative.iter_parts()] == [
        "text/plain",
        "text/html",
        "text/calendar",
    ]
    plain = alternative.get_body(("plain",))
    assert plain is not None
    assert plain.get_content() == "Plain ünïcode\n"
    calendar_part = list(alternative.iter_parts())[2]
    assert calendar_part.get_param("method") == "CANCEL"
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_param("method") == "CANCEL"
    assert attachment.get_payload(decode=True) == ICS


def test_message_without_attachment_is_just_the_alternatives() -> None:
    sender = Address(addr_spec="parley@example.com")
    message = build_message(outbox_mail(attachment=None), sender)
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == [
        "text/plain",
        "text/html",
    ]


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.chdir("/")  # no .env file
    return monkeypatch


def test_smtp_is_off_by_default_and_ports_follow_the_tls_mode(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    settings = load_settings()
    assert settings.mail_enabled is False
    assert (settings.mail_max_attempts, settings.mail_retry_base_seconds) == (12, 30)
    ports = {
        mode: Settings(smtp_tls=mode).smtp_port_or_default
        for mode in ("none", "starttls", "tls")
    }
    assert ports == {"none": 25, "starttls": 587, "tls": 465}
    assert Settings(smtp_port=2525).smtp_port_or_default == 2525


def test_smtp_settings_from_the_environment(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    for name, value in {
        "PARLEY_SMTP_HOST": "smtp.example.com",
        "PARLEY_SMTP_TLS": "tls",
        "PARLEY_SMTP_USER": "parley",
        "PARLEY_SMTP_PASSWORD": "hunter2",
        "PARLEY_SMTP_FROM": '"Parley, the controller" <parley@example.com>',
        "PARLEY_SMTP_PORT": "",
    }.items():
        clean_environment.setenv(name, value)
    settings = load_settings()
    assert settings.mail_enabled is True
    assert settings.smtp_port_or_default == 465
    assert settings.smtp_password is not None
    assert "hunter2" not in repr(settings)


@pytest.mark.parametrize(
    ("variables", "mentions"),
    [
        ({"PARLEY_SMTP_HOST": "smtp.example.com"}, "PARLEY_SMTP_FROM is required"),
        ({"PARLEY_SMTP_FROM": "not an address"}, "PARLEY_SMTP_FROM"),
        ({"PARLEY_SMTP_FROM": "a@example.com, b@example.com"}, "PARLEY_SMTP_FROM"),
        ({"PARLEY_SMTP_FROM": "a@example.com\nBcc: b@example.com"}, "PARLEY_SMTP_FROM"),
        ({"PARLEY_SMTP_TLS": "ssl"}, "PARLEY_SMTP_TLS"),
        ({"PARLEY_SMTP_PORT": "0"}, "PARLEY_SMTP_PORT"),
        ({"PARLEY_MAIL_MAX_ATTEMPTS": "0"}, "PARLEY_MAIL_MAX_ATTEMPTS"),
        (
            {
                "PARLEY_SMTP_HOST": "smtp.example.com",
                "PARLEY_SMTP_FROM": "parley@example.com",
                "PARLEY_SMTP_USER": "parley",
            },
            "PARLEY_SMTP_USER and PARLEY_SMTP_PASSWORD go together",
        ),
    ],
)
def test_bad_smtp_settings_stop_start_up_with_one_line(
    clean_environment: pytest.MonkeyPatch, variables: dict[str, str], mentions: str
) -> None:
    for name, value in variables.items():
        clean_environment.setenv(name, value)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert mentions in str(raised.value)
    assert "\n" not in str(raised.value)
