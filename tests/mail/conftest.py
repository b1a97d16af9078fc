"""Fixtures: a real SMTP server on loopback (aiosmtpd) and Parley apps that mail it.

The apps share the run's database with real commits (the worker reads what
requests committed, from its own connections). Every test starts and ends with
an empty outbox and without the users it made (addresses at ``mail.example.com``;
deleting them cascades to their rooms and events).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SmtpProtocol
from aiosmtpd.smtp import Envelope, Session
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine

from parley.config import Settings
from parley.db import Database
from parley.mail import notify as mail_notify
from parley.mail.models import OutboxMail
from parley.main import create_app
from parley.users.models import User
from tests.oidc_issuer import TestIssuer

DOMAIN = "mail.example.com"
SENDER = f"Parley <parley@{DOMAIN}>"


@dataclass
class Received:
    """One mail as the SMTP server got it."""

    mail_from: str
    recipients: list[str]
    message: EmailMessage


@dataclass
class MailCatcher:
    """aiosmtpd handler: keeps every mail; refuses some recipients."""

    # address → SMTP reply to RCPT TO (e.g. "550 5.1.1 No such user")
    refusals: dict[str, str] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self,
        server: SmtpProtocol,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if address in self.refusals:
            return self.refusals[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(
        self, server: SmtpProtocol, session: Session, envelope: Envelope
    ) -> str:
        assert isinstance(envelope.content, bytes)
        message = email.message_from_bytes(
            envelope.content, policy=email.policy.default
        )
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.received.append(
                Received(str(envelope.mail_from), list(envelope.rcpt_tos), message)
            )
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [r.message for r in self.received if address in r.recipients]


class SmtpServer:
    """An SMTP server on a loopback port that can be stopped and started again."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.catcher = MailCatcher()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(
            self.catcher, hostname="127.0.0.1", port=self.port
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    async def wait_for(self, count: int, within: float = 10.0) -> list[Received]:
        """Wait until ``count`` mails arrived (fails after ``within`` seconds)."""
        deadline = time.monotonic() + within
        while len(self.catcher.received) < count:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{len(self.catcher.received)} of {count} mails arrived"
                )
            await asyncio.sleep(0.02)
        with self.catcher.lock:
            return list(self.catcher.received)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def smtp_server() -> Any:
    server = SmtpServer(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mail_settings(settings: Settings, smtp_server: SmtpServer) -> Settings:
    """Settings of an instance mailing the test server, retrying quickly."""
    return settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp_server.port,
            "smtp_tls": "none",
            "smtp_from": SENDER,
            "smtp_timeout_seconds": 5.0,
            "mail_retry_base_seconds": 0.05,
            "mail_retry_max_seconds": 0.3,
            # Long: mail must arrive because a commit woke the worker, not a poll.
            "mail_poll_seconds": 60.0,
        }
    )


async def _clean(database: Database) -> None:
    async with database.sessionmaker() as session, session.begin():
        await session.execute(delete(OutboxMail))
        await session.execute(delete(User).where(User.email.like(f"%@{DOMAIN}")))


@pytest.fixture
async def live_database(engine: AsyncEngine) -> AsyncIterator[Database]:
    """The run's database with real commits, left as it was found."""
    database = Database.from_engine(engine)
    await _clean(database)
    yield database
    await _clean(database)


@pytest.fixture
def open_instance(
    settings: Settings, mail_settings: Settings, live_database: Database
) -> Iterator[Callable[..., Any]]:
    """``async with open_instance(**settings) as http``: a running Parley instance."""

    @asynccontextmanager
    async def instance(
        database: Database | None = None, **overrides: Any
    ) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(
            mail_settings.model_copy(update=overrides),
            database=database or live_database,
        )
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://test"
            ) as http:
                yield http

    yield instance
    # Later tests' services, with or without an app, must not queue mail.
    mail_notify.configure(settings)


@pytest.fixture
async def http(open_instance: Callable[..., Any]) -> AsyncIterator[httpx.AsyncClient]:
    async with open_instance() as client:
        yield client


@pytest.fixture
def organizer(oidc_issuer: TestIssuer) -> dict[str, str]:
    return oidc_issuer.headers(
        f"olga@{DOMAIN}", given_name="Olga", family_name="Organa", name="Olga <Organa>"
    )


def user_headers(oidc_issuer: TestIssuer, local: str) -> dict[str, str]:
    return oidc_issuer.headers(f"{local}@{DOMAIN}")
