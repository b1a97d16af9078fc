"""Local accounts: made by the operator (`parley user ...`), checked at sign-in.

An account is tied to the Parley user with the subject `parley token` gives the same
e-mail address (`local_subject`), so tokens from either path are one user.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from parley.auth.local_issuer import local_subject, person_claims
from parley.auth.provider import passwords
from parley.auth.provider.models import LocalAccount, SignInSession, TokenGrant
from parley.errors import Conflict, NotFound, ValidationFailed
from parley.users import service as users_service

MAX_EMAIL_LENGTH = 320


class AccountExists(Conflict):
    code = "account_exists"
    default_message = "An account with this e-mail address exists already"


class AccountNotFound(NotFound):
    code = "account_not_found"
    default_message = "No account has this e-mail address"


class InvalidAccount(ValidationFailed):
    code = "invalid_account"


class WrongCredentials(Exception):
    """Unknown address or wrong password: deliberately one case."""


class AccountDisabled(Exception):
    """The password was right, but the operator disabled the account."""


@dataclass(frozen=True)
class Identity:
    """Who an account's tokens describe."""

    account_id: uuid.UUID
    sub: str
    claims: dict[str, str]


def normalise_email(email: str) -> str:
    return email.strip().lower()


def identity(account: LocalAccount) -> Identity:
    return Identity(
        account_id=account.id,
        sub=local_subject(account.email),
        claims=person_claims(account.email, account.name),
    )


def _check_email(email: str) -> str:
    email = normalise_email(email)
    local, at, domain = email.rpartition("@")
    if (
        not at
        or not local
        or "." not in domain
        or len(email) > MAX_EMAIL_LENGTH
        or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in email)
    ):
        raise InvalidAccount(f"{email!r} is not an e-mail address")
    return email


async def get_account(session: AsyncSession, email: str) -> LocalAccount | None:
    """The account with this address (any case), or None."""
    email = normalise_email(email)
    if len(email) > MAX_EMAIL_LENGTH or "\x00" in email:
        return None
    return await session.scalar(select(LocalAccount).where(LocalAccount.email == email))


async def get_account_or_raise(session: AsyncSession, email: str) -> LocalAccount:
    account = await get_account(session, email)
    if account is None:
        raise AccountNotFound(f"No account has the e-mail address {email}")
    return account


async def create_account(
    session: AsyncSession, *, email: str, name: str | None, password: str
) -> LocalAccount:
    """A new account and its Parley user (the existing one if tokens made it first)."""
    email = _check_email(email)
    if await get_account(session, email) is not None:
        raise AccountExists(f"An account with the e-mail address {email} exists")
    try:
        password_hash = passwords.hash_password(password)
    except passwords.WeakPassword as exc:
        raise InvalidAccount(str(exc)) from None
    display = (name or "").strip() or None
    if display is not None and len(display) > 255:
        raise InvalidAccount("the name must have at most 255 characters")
    claims = {"sub": local_subject(email), **person_claims(email, display)}
    user = await users_service.sync_user_from_claims(session, claims)
    if user is None:  # pragma: no cover - the claims always carry an e-mail
        raise InvalidAccount("no user could be made")
    account = LocalAccount(
        user_id=user.id,
        email=email,
        name=claims["name"],
        password_hash=password_hash,
    )
    session.add(account)
    await session.flush()
    return account


async def list_accounts(session: AsyncSession) -> Sequence[LocalAccount]:
    result = await session.scalars(select(LocalAccount).order_by(LocalAccount.email))
    return result.all()


async def end_all_sessions(
    session: AsyncSession, account: LocalAccount, now: datetime
) -> None:
    """Sign the account out everywhere: end its sessions, revoke their token families."""
    session_ids = select(SignInSession.id).where(SignInSession.account_id == account.id)
    await session.execute(
        update(TokenGrant)
        .where(TokenGrant.session_id.in_(session_ids), TokenGrant.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    await session.execute(
        update(SignInSession)
        .where(SignInSession.account_id == account.id, SignInSession.ended_at.is_(None))
        .values(ended_at=now)
    )


async def set_disabled(
    session: AsyncSession, email: str, *, disabled: bool, now: datetime
) -> LocalAccount:
    """Disable (and sign out everywhere) or enable an account."""
    account = await get_account_or_raise(session, email)
    if disabled and account.disabled_at is None:
        account.disabled_at = now
        await end_all_sessions(session, account, now)
    elif not disabled:
        account.disabled_at = None
    await session.flush()
    return account


async def reset_password(
    session: AsyncSession, email: str, *, password: str, now: datetime
) -> LocalAccount:
    """Set a new password; every session of the account ends."""
    account = await get_account_or_raise(session, email)
    try:
        account.password_hash = passwords.hash_password(password)
    except passwords.WeakPassword as exc:
        raise InvalidAccount(str(exc)) from None
    account.password_changed_at = now
    await end_all_sessions(session, account, now)
    await session.flush()
    return account


async def authenticate(
    session: AsyncSession, *, email: str, password: str, now: datetime
) -> LocalAccount:
    """The account these credentials open; WrongCredentials or AccountDisabled."""
    account = await get_account(session, email)
    usable = len(password) <= passwords.MAX_LENGTH
    matches = await passwords.verify_password(
        account.password_hash if account is not None and usable else None, password
    )
    if account is None or not matches:
        raise WrongCredentials()
    if account.is_disabled:
        raise AccountDisabled()
    if passwords.needs_rehash(account.password_hash):
        account.password_hash = passwords.rehash(password)
    account.last_sign_in_at = now
    await session.flush()
    return account
