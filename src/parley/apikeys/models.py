from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from parley.db import Base, IdMixin, utcnow
from parley.users.models import User

# What a key is for: each dialect accepts only its own kind of key.
KEY_KINDS = ("sariska", "easycalendar", "videsk")


class ApiKey(IdMixin, Base):
    """An operator-issued key acting for its owner; only a SHA-256 of the secret is kept.

    ``kind`` says which dialect accepts it: ``sariska`` (generate-token, the
    original kind), ``easycalendar`` (``api_key:api_secret``, the key id being
    ``api_key``) or ``videsk`` (the secret is the VPaaS ``api-token``).
    """

    __tablename__ = "api_keys"

    owner_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255), default="")
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters of the secret, to tell keys apart in listings.
    prefix: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(
        String(16), default="sariska", server_default="sariska"
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)

    owner: Mapped[User] = relationship(lazy="raise")

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
