"""The outbox: one row per mail, rendered when the change happened."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Index, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from parley.db import Base, IdMixin, utcnow

# pending: waiting for its next attempt; sending: claimed by a worker until
# next_attempt_at (its lease), then pending again unless the worker records a
# result; sent and failed are final.
STATUSES = ("pending", "sending", "sent", "failed")
_ACTIVE = "status IN ('pending', 'sending')"


class OutboxMail(IdMixin, Base):
    """A mail to one recipient, with its text and HTML bodies and an attachment."""

    __tablename__ = "mail_outbox"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'failed')", name="status"
        ),
        # Workers look for due mail only; sent and failed rows stay out of the index.
        Index(
            "ix_mail_outbox_due",
            "next_attempt_at",
            postgresql_where=text(_ACTIVE),
            sqlite_where=text(_ACTIVE),
        ),
    )

    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(998))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    attachment: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    attachment_filename: Mapped[str | None] = mapped_column(String(255), default=None)
    attachment_content_type: Mapped[str | None] = mapped_column(
        String(255), default=None
    )
    # What the mail is about, for operators (no foreign key: events get deleted).
    kind: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
