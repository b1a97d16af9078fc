"""User use cases: provisioning from token claims, profile changes, lookup and search."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from parley.assets import service as assets_service
from parley.errors import BadRequest, NotFound
from parley.hooks import Hooks
from parley.pagination import PageParams, fetch_page
from parley.users.models import User
from parley.users.schemas import PatchUserBody, PrivateUserProfile

FIND_MIN_QUERY_LENGTH = 3
FIND_MAX_RESULTS = 20


class QueryTooShort(BadRequest):
    code = "query_too_short"
    default_message = (
        f"The query must be at least {FIND_MIN_QUERY_LENGTH} characters long"
    )


class UserNotFound(NotFound):
    default_message = "The user could not be found"


# Other domains act when a user appears or changes address (event e-mail invites).
ProvisioningHook = Callable[[AsyncSession, User], Awaitable[None]]
provisioning_hooks: Hooks[ProvisioningHook] = Hooks(
    "after a user is created or their e-mail address changes"
)


async def _run_provisioning_hooks(session: AsyncSession, user: User) -> None:
    for hook in provisioning_hooks:
        await hook(session, user)


def _text_claim(claims: dict[str, Any], name: str) -> str | None:
    value = claims.get(name)
    return value.strip() if isinstance(value, str) and value.strip() else None


def profile_from_claims(claims: dict[str, Any]) -> dict[str, Any]:
    """The user fields the issuer is authoritative for (notes, section 8.1)."""
    firstname = _text_claim(claims, "given_name") or ""
    lastname = _text_claim(claims, "family_name") or ""
    profile: dict[str, Any] = {"firstname": firstname, "lastname": lastname}
    email = _text_claim(claims, "email")
    if email is not None:
        profile["email"] = email.lower()
    phone = _text_claim(claims, "phone_number")
    if phone is not None:
        profile["phone"] = phone
    return profile


def display_name_from_claims(claims: dict[str, Any]) -> str:
    """nickname, name or preferred_username, else 'firstname lastname', else the e-mail."""
    for claim in ("nickname", "name", "preferred_username"):
        value = _text_claim(claims, claim)
        if value:
            return value[:255]
    full = " ".join(
        part
        for part in (
            _text_claim(claims, "given_name"),
            _text_claim(claims, "family_name"),
        )
        if part
    )
    return (full or _text_claim(claims, "email") or "")[:255]


async def get_user_by_sub(session: AsyncSession, sub: str) -> User | None:
    return await session.scalar(select(User).where(User.oidc_sub == sub))


async def sync_user_from_claims(
    session: AsyncSession,
    claims: dict[str, Any],
    *,
    id_token_exp: datetime | None = None,
) -> User | None:
    """Create or update the user a verified token describes.

    Returns None when the user does not exist and the claims lack an e-mail address,
    so no account can be made.
    """
    sub = str(claims["sub"])
    profile = profile_from_claims(claims)
    if id_token_exp is not None:
        profile["id_token_exp"] = id_token_exp
    user = await get_user_by_sub(session, sub)
    if user is None:
        if "email" not in profile:
            return None
        user = User(
            oidc_sub=sub, display_name=display_name_from_claims(claims), **profile
        )
        try:
            async with session.begin_nested():
                session.add(user)
        except IntegrityError:
            # A concurrent first request provisioned the same subject first.
            user = await get_user_by_sub(session, sub)
            if user is None:
                raise
        else:
            await _run_provisioning_hooks(session, user)
            return user
    changed = {k: v for k, v in profile.items() if getattr(user, k) != v}
    for name, value in changed.items():
        setattr(user, name, value)
    if changed:
        await session.flush()
    if "email" in changed:
        await _run_provisioning_hooks(session, user)
    return user


async def find_users_by_email(session: AsyncSession, email: str) -> Sequence[User]:
    """Users with exactly this e-mail address (stored lower-case), oldest first."""
    result = await session.scalars(
        select(User)
        .where(User.email == email.strip().lower())
        .order_by(User.created_at, User.id)
    )
    return result.all()


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def get_user_or_raise(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await get_user(session, user_id)
    if user is None:
        raise UserNotFound()
    return user


async def private_profile(session: AsyncSession, user: User) -> PrivateUserProfile:
    """The owner's view of a user, with the bytes their assets take (one sum query)."""
    fields = {
        name: getattr(user, name)
        for name in PrivateUserProfile.model_fields
        if name != "used_storage"
    }
    used = await assets_service.used_storage(session, user.id)
    return PrivateUserProfile.model_validate({**fields, "used_storage": used})


async def update_user(session: AsyncSession, user: User, data: PatchUserBody) -> User:
    """Apply the given profile settings to the user."""
    for name, value in data.model_dump(exclude_unset=True).items():
        if value is not None:
            setattr(user, name, value)
    user.updated_at = datetime.now(UTC)
    await session.flush()
    return user


async def list_users(session: AsyncSession, page: PageParams) -> tuple[list[User], int]:
    """A page of all users, by name, and the total count."""
    statement = select(User).order_by(User.lastname, User.firstname, User.id)
    return await fetch_page(session, statement, page)


def _like_pattern(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def find_users(session: AsyncSession, query: str) -> Sequence[User]:
    """Users whose name or e-mail contains the query (case-insensitive), for autocomplete."""
    query = query.strip()
    if len(query) < FIND_MIN_QUERY_LENGTH:
        raise QueryTooShort()
    pattern = _like_pattern(query)
    columns = (User.email, User.firstname, User.lastname, User.display_name)
    result = await session.scalars(
        select(User)
        .where(
            or_(*(func.lower(column).like(pattern, escape="\\") for column in columns))
        )
        .order_by(User.lastname, User.firstname, User.id)
        .limit(FIND_MAX_RESULTS)
    )
    return result.all()
