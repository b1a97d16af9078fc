from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from parley.db import Base, IdMixin, utcnow

AVATAR_BASE_URL = "https://seccdn.libravatar.org/avatar/"


class User(IdMixin, Base):
    """A registered user, keyed by the OIDC subject (one tenant per deployment)."""

    __tablename__ = "users"

    oidc_sub: Mapped[str] = mapped_column(String(255), unique=True)
    email: Mapped[str] = mapped_column(String(255), index=True)
    title: Mapped[str] = mapped_column(String(255), default="")
    firstname: Mapped[str] = mapped_column(String(255), default="")
    lastname: Mapped[str] = mapped_column(String(255), default="")
    display_name: Mapped[str] = mapped_column(String(255), default="")
    language: Mapped[str] = mapped_column(String(35), default="en")
    dashboard_theme: Mapped[str] = mapped_column(String(128), default="system")
    conference_theme: Mapped[str] = mapped_column(String(128), default="system")
    phone: Mapped[str | None] = mapped_column(String(64), default=None)
    tariff_status: Mapped[str] = mapped_column(String(16), default="default")
    # A configured tariff's name; None means the default tariff (PARLEY_DEFAULT_TARIFF).
    tariff: Mapped[str | None] = mapped_column(String(255), default=None)
    id_token_exp: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def avatar_url(self) -> str:
        """Libravatar URL from the e-mail address, as the reference controller builds it."""
        digest = hashlib.md5(self.email.strip().lower().encode(), usedforsecurity=False)
        return AVATAR_BASE_URL + digest.hexdigest()
