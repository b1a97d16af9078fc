"""Sending outbox mails over SMTP (aiosmtplib), one connection per round.

Each mail's outcome is `sent`, `retry` (the server or the connection failed, or
the server answered 4xx: try again later) or `failed` (the server refused the
recipient or the message with 5xx: retrying cannot help).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Literal

import aiosmtplib

from parley.config import Settings, parse_mail_address
from parley.mail.models import OutboxMail

logger = logging.getLogger(__name__)

Outcome = Literal["sent", "retry", "failed"]


@dataclass(frozen=True, slots=True)
class Delivery:
    outcome: Outcome
    error: str | None = None


SENT = Delivery("sent")


def build_message(mail: OutboxMail, sender: Address) -> EmailMessage:
    """The MIME message of an outbox row: text and HTML alternatives, attachment.

    An iCalendar attachment is also offered as a third alternative, as calendar
    services send invitations: Outlook and Gmail read that part, others the file.
    """
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.recipient
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(mail.created_at)
    # Stable across retries, so a mail delivered twice is recognisably one mail.
    message["Message-ID"] = f"<{mail.id}@{sender.domain}>"
    message.set_content(mail.text_body)
    message.add_alternative(mail.html_body, subtype="html")
    if mail.attachment is not None:
        content_type = mail.attachment_content_type or "application/octet-stream"
        maintype, _, rest = content_type.partition("/")
        subtype, *raw_params = (part.strip() for part in rest.split(";"))
        params = dict(p.split("=", 1) for p in raw_params if "=" in p)
        if (maintype, subtype) == ("text", "calendar"):
            message.add_alternative(
                mail.attachment.decode(), subtype="calendar", params=params
            )
        message.add_attachment(
            mail.attachment,
            maintype=maintype,
            subtype=subtype,
            params=params,
            filename=mail.attachment_filename or "attachment",
        )
    return message


class SmtpSender:
    """Delivers outbox rows with the configured SMTP server."""

    def __init__(self, settings: Settings) -> None:
        if settings.smtp_host is None or settings.smtp_from is None:
            raise ValueError("SMTP is not configured (PARLEY_SMTP_HOST, _FROM)")
        self._settings = settings
        name, address = parse_mail_address(settings.smtp_from)
        self._sender = Address(display_name=name, addr_spec=address)

    def _client(self) -> aiosmtplib.SMTP:
        settings = self._settings
        password = settings.smtp_password
        return aiosmtplib.SMTP(
            hostname=settings.smtp_host,
            port=settings.smtp_port_or_default,
            username=settings.smtp_user,
            password=password.get_secret_value() if password else None,
            use_tls=settings.smtp_tls == "tls",
            start_tls=settings.smtp_tls == "starttls",
            timeout=settings.smtp_timeout_seconds,
        )

    async def deliver(self, mails: Sequence[OutboxMail]) -> list[Delivery]:
        """Send the mails in order over one connection; one outcome per mail.

        A refused mail does not stop the others. When the connection itself
        fails, the remaining mails are not tried: they wait for the next round.
        """
        deliveries: list[Delivery] = []
        client = self._client()
        try:
            for mail in mails:
                try:
                    message = build_message(mail, self._sender)
                except Exception as exc:
                    # Whatever is wrong with this row (an address the mail
                    # library refuses), it will not get better: fail it alone.
                    deliveries.append(Delivery("failed", _describe(exc)))
                    continue
                try:
                    if not client.is_connected:
                        await client.connect()
                    await client.send_message(message)
                    deliveries.append(SENT)
                except aiosmtplib.SMTPRecipientsRefused as exc:
                    deliveries.append(_refused(exc.recipients))
                except aiosmtplib.SMTPDataError as exc:
                    deliveries.append(_answered(exc.code, exc.message))
                except (aiosmtplib.SMTPException, OSError) as exc:
                    # No server, a broken connection, TLS or login failure: the
                    # same for every mail of this round.
                    error = Delivery("retry", _describe(exc))
                    deliveries += [error] * (len(mails) - len(deliveries))
                    break
        finally:
            if client.is_connected:
                try:
                    await client.quit()
                except (aiosmtplib.SMTPException, OSError):
                    client.close()
        return deliveries


def _answered(code: int, message: str) -> Delivery:
    outcome: Outcome = "failed" if code >= 500 else "retry"
    return Delivery(outcome, f"{code} {message}")


def _refused(refusals: list[aiosmtplib.SMTPRecipientRefused]) -> Delivery:
    # One recipient per mail, so one refusal.
    refusal = refusals[0]
    return _answered(refusal.code, refusal.message)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return f"{exc.code} {exc.message}"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
