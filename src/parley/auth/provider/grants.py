"""Sign-in sessions, authorization codes and refresh-token families.

A code and a refresh token are each claimed by one conditional UPDATE (`used_at IS
NULL`), so two requests racing with the same one cannot both win. Presenting a used
code, or a rotated refresh token after the reuse leeway, revokes the token family it
belongs to (RFC 6749 4.1.2, RFC 9700 4.14.2).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from parley.auth.provider.accounts import Identity, identity
from parley.auth.provider.models import (
    AuthorizationCode,
    LocalAccount,
    RefreshToken,
    SignInSession,
    TokenGrant,
)

CODE_TTL = timedelta(seconds=60)
"""How long an authorization code may wait for its redemption (RFC 6749: short)."""
PRUNE_AFTER = timedelta(days=1)
"""Expired or ended rows are deleted this long after, at the next sign-in."""


def digest(secret: str) -> str:
    """How a session cookie or a code is stored: its SHA-256, hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Grantee:
    """Whom tokens are issued to, and in which sign-in session."""

    identity: Identity
    session_id: uuid.UUID
    auth_time: datetime
    session_expires_at: datetime
    nonce: str | None = None
    grant_id: uuid.UUID | None = None


@dataclass(frozen=True)
class SignedIn:
    session: SignInSession
    account: LocalAccount

    def grantee(self) -> Grantee:
        return Grantee(
            identity=identity(self.account),
            session_id=self.session.id,
            auth_time=self.session.created_at,
            session_expires_at=self.session.expires_at,
        )


async def start_session(
    session: AsyncSession, account: LocalAccount, *, now: datetime, ttl: timedelta
) -> tuple[SignedIn, str]:
    """A new sign-in session and the cookie secret that names it."""
    secret = secrets.token_urlsafe(32)
    row = SignInSession(
        account_id=account.id,
        secret_hash=digest(secret),
        created_at=now,
        expires_at=now + ttl,
    )
    session.add(row)
    await session.flush()
    return SignedIn(row, account), secret


async def _active(
    session: AsyncSession, session_id: uuid.UUID, now: datetime
) -> SignedIn | None:
    row = await session.execute(
        select(SignInSession, LocalAccount)
        .join(LocalAccount, LocalAccount.id == SignInSession.account_id)
        .where(SignInSession.id == session_id)
    )
    found = row.first()
    if found is None:
        return None
    sign_in, account = found
    if (
        sign_in.ended_at is not None
        or sign_in.expires_at <= now
        or account.disabled_at is not None
    ):
        return None
    return SignedIn(sign_in, account)


async def current_session(
    session: AsyncSession, secret: str | None, now: datetime
) -> SignedIn | None:
    """The live session a cookie names (its account enabled), or None."""
    if not secret or len(secret) > 128:
        return None
    session_id = await session.scalar(
        select(SignInSession.id).where(SignInSession.secret_hash == digest(secret))
    )
    return None if session_id is None else await _active(session, session_id, now)


async def end_session(
    session: AsyncSession, session_id: uuid.UUID, now: datetime
) -> None:
    """Sign out: the session ends and every token family issued in it is revoked."""
    await session.execute(
        update(TokenGrant)
        .where(TokenGrant.session_id == session_id, TokenGrant.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    await session.execute(
        update(SignInSession)
        .where(SignInSession.id == session_id, SignInSession.ended_at.is_(None))
        .values(ended_at=now)
    )


async def session_id_for(session: AsyncSession, secret: str | None) -> uuid.UUID | None:
    """The session a cookie names, live or not."""
    if not secret or len(secret) > 128:
        return None
    return await session.scalar(
        select(SignInSession.id).where(SignInSession.secret_hash == digest(secret))
    )


@dataclass(frozen=True)
class CodeRequest:
    """What an authorization code is bound to."""

    client_id: str
    redirect_uri: str
    scope: str
    nonce: str | None
    code_challenge: str
    code_challenge_method: str


async def store_code(
    session: AsyncSession,
    code: str,
    *,
    grantee: Grantee,
    request: CodeRequest,
    now: datetime,
) -> None:
    session.add(
        AuthorizationCode(
            code_hash=digest(code),
            session_id=grantee.session_id,
            client_id=request.client_id,
            redirect_uri=request.redirect_uri,
            scope=request.scope,
            nonce=request.nonce,
            code_challenge=request.code_challenge,
            code_challenge_method=request.code_challenge_method,
            created_at=now,
            expires_at=now + CODE_TTL,
        )
    )
    await session.flush()


@dataclass(frozen=True)
class RedeemedCode:
    """A claimed code, shaped as Authlib's AuthorizationCodeMixin."""

    id: uuid.UUID
    redirect_uri: str
    scope: str
    code_challenge: str
    code_challenge_method: str
    grantee: Grantee

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


async def revoke_grant(
    session: AsyncSession, grant_id: uuid.UUID | None, now: datetime
) -> None:
    if grant_id is None:
        return
    await session.execute(
        update(TokenGrant)
        .where(TokenGrant.id == grant_id, TokenGrant.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def redeem_code(
    session: AsyncSession, code: str, *, client_id: str, now: datetime
) -> RedeemedCode | None:
    """Claim a code for its client: None if unknown, used, expired or its session ended.

    A code is spent by its first redemption, even one that then fails (a wrong PKCE
    verifier): the legitimate client never needs a second try.
    """
    if len(code) > 256:
        return None
    row = await session.scalar(
        select(AuthorizationCode).where(AuthorizationCode.code_hash == digest(code))
    )
    if row is None or row.client_id != client_id:
        return None
    claimed = await session.execute(
        update(AuthorizationCode)
        .where(AuthorizationCode.id == row.id, AuthorizationCode.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if not claimed.rowcount:  # type: ignore[attr-defined]
        await session.refresh(row, ["grant_id"])
        await revoke_grant(session, row.grant_id, now)
        return None
    if row.expires_at <= now:
        return None
    signed_in = await _active(session, row.session_id, now)
    if signed_in is None:
        return None
    grantee = signed_in.grantee()
    return RedeemedCode(
        id=row.id,
        redirect_uri=row.redirect_uri,
        scope=row.scope,
        code_challenge=row.code_challenge,
        code_challenge_method=row.code_challenge_method,
        grantee=Grantee(
            identity=grantee.identity,
            session_id=grantee.session_id,
            auth_time=grantee.auth_time,
            session_expires_at=grantee.session_expires_at,
            nonce=row.nonce,
        ),
    )


async def start_grant(
    session: AsyncSession,
    *,
    grantee: Grantee,
    client_id: str,
    scope: str,
    code_id: uuid.UUID | None,
    now: datetime,
) -> uuid.UUID:
    """A new token family; the code it came from remembers it (for reuse revocation)."""
    grant = TokenGrant(
        session_id=grantee.session_id, client_id=client_id, scope=scope, created_at=now
    )
    session.add(grant)
    await session.flush()
    if code_id is not None:
        await session.execute(
            update(AuthorizationCode)
            .where(AuthorizationCode.id == code_id)
            .values(grant_id=grant.id)
            .execution_options(synchronize_session=False)
        )
    return grant.id


async def store_refresh_token(
    session: AsyncSession,
    *,
    token_id: uuid.UUID,
    grant_id: uuid.UUID,
    expires_at: datetime,
    now: datetime,
) -> None:
    session.add(
        RefreshToken(
            id=token_id, grant_id=grant_id, issued_at=now, expires_at=expires_at
        )
    )
    await session.flush()


@dataclass(frozen=True)
class RefreshCredential:
    """A refresh token accepted for rotation, shaped as Authlib's TokenMixin."""

    scope: str
    grantee: Grantee

    def check_client(self, client: object) -> bool:
        # The client was matched when the token was looked up.
        return True

    def get_scope(self) -> str:
        return self.scope


async def use_refresh_token(
    session: AsyncSession,
    token_id: uuid.UUID,
    *,
    client_id: str,
    now: datetime,
    reuse_leeway: timedelta,
) -> RefreshCredential | None:
    """Rotate a refresh token: None if unknown, expired, revoked or reused.

    A token already rotated may be presented again within ``reuse_leeway`` (two
    browser tabs refreshing at once); later, that is theft, and the family goes.
    """
    found = (
        await session.execute(
            select(RefreshToken, TokenGrant)
            .join(TokenGrant, TokenGrant.id == RefreshToken.grant_id)
            .where(RefreshToken.id == token_id)
        )
    ).first()
    if found is None:
        return None
    token, grant = found
    if grant.client_id != client_id:
        return None
    if grant.revoked_at is not None or token.expires_at <= now:
        return None
    used_at = token.used_at
    if used_at is None:
        claimed = await session.execute(
            update(RefreshToken)
            .where(RefreshToken.id == token.id, RefreshToken.used_at.is_(None))
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        if not claimed.rowcount:  # type: ignore[attr-defined]
            used_at = await session.scalar(
                select(RefreshToken.used_at).where(RefreshToken.id == token.id)
            )
    if used_at is not None and now - used_at > reuse_leeway:
        await revoke_grant(session, grant.id, now)
        return None
    signed_in = await _active(session, grant.session_id, now)
    if signed_in is None:
        return None
    grantee = signed_in.grantee()
    return RefreshCredential(
        scope=grant.scope,
        grantee=Grantee(
            identity=grantee.identity,
            session_id=grantee.session_id,
            auth_time=grantee.auth_time,
            session_expires_at=grantee.session_expires_at,
            grant_id=grant.id,
        ),
    )


async def revoke_family_of(
    session: AsyncSession, token_id: uuid.UUID, *, client_id: str, now: datetime
) -> bool:
    """Revoke the family of a refresh token issued to this client (RFC 7009)."""
    grant = await session.scalar(
        select(TokenGrant)
        .join(RefreshToken, RefreshToken.grant_id == TokenGrant.id)
        .where(RefreshToken.id == token_id)
    )
    if grant is None or grant.client_id != client_id:
        return False
    await revoke_grant(session, grant.id, now)
    return True


async def prune(session: AsyncSession, now: datetime) -> None:
    """Delete what expired or ended a while ago (ON DELETE CASCADE takes the rest)."""
    cutoff = now - PRUNE_AFTER
    await session.execute(
        delete(SignInSession).where(
            or_(SignInSession.expires_at < cutoff, SignInSession.ended_at < cutoff)
        )
    )
    await session.execute(
        delete(AuthorizationCode).where(AuthorizationCode.expires_at < cutoff)
    )
    await session.execute(delete(RefreshToken).where(RefreshToken.expires_at < cutoff))
