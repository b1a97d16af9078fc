"""What the embedded OpenID provider stores: accounts, sign-in sessions, codes, tokens.

Secrets (session cookies, authorization codes) are stored as SHA-256 digests only;
refresh tokens are signed JWTs whose `jti` is the row id. Deleting a sign-in
session deletes everything issued from it (ON DELETE CASCADE).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from parley.db import Base, IdMixin, utcnow
from parley.users.models import User


class LocalAccount(IdMixin, Base):
    """A person who signs in with an e-mail address and a password (operator-made)."""

    __tablename__ = "local_accounts"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    password_hash: Mapped[str] = mapped_column(String(255))
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(default=None)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship(lazy="raise")

    @property
    def is_disabled(self) -> bool:
        return self.disabled_at is not None


class SignInSession(IdMixin, Base):
    """A browser signed in at the provider (its cookie); tokens hang off it."""

    __tablename__ = "oidc_sessions"

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("local_accounts.id", ondelete="CASCADE"), index=True
    )
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)

    account: Mapped[LocalAccount] = relationship(lazy="raise")


class AuthorizationCode(IdMixin, Base):
    """A short-lived, single-use code with the PKCE challenge it must be redeemed with."""

    __tablename__ = "oidc_authorization_codes"

    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("oidc_sessions.id", ondelete="CASCADE"), index=True
    )
    client_id: Mapped[str] = mapped_column(String(255))
    redirect_uri: Mapped[str] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(String(255))
    nonce: Mapped[str | None] = mapped_column(String(255), default=None)
    code_challenge: Mapped[str] = mapped_column(String(128))
    code_challenge_method: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None] = mapped_column(default=None)
    # The token family issued for the code, revoked if the code is presented again.
    grant_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("oidc_grants.id", ondelete="SET NULL"), default=None
    )


class TokenGrant(IdMixin, Base):
    """One sign-in of one client: a family of refresh tokens, revoked as a whole."""

    __tablename__ = "oidc_grants"

    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("oidc_sessions.id", ondelete="CASCADE"), index=True
    )
    client_id: Mapped[str] = mapped_column(String(255))
    scope: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class RefreshToken(IdMixin, Base):
    """A refresh token (its `jti` is the id); `used_at` is set when it is rotated."""

    __tablename__ = "oidc_refresh_tokens"

    grant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("oidc_grants.id", ondelete="CASCADE"), index=True
    )
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None] = mapped_column(default=None)
