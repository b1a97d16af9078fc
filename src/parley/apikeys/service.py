"""API key use cases: create, list, revoke (operators, through the CLI) and minting a
token from a key (Sariska's generate-token).

A secret is `prly_` + 43 URL-safe characters (256 random bits). Only its SHA-256 is
stored: the secret is as strong as a key, so a slow password hash would add cost and
no safety. The prefix lets secret scanners recognise leaked keys.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.apikeys.models import KEY_KINDS, ApiKey
from parley.apikeys.schemas import GenerateToken
from parley.apikeys.signing import TokenSigner
from parley.apikeys.timespec import TimeSpecError, parse_time_spec
from parley.errors import BadRequest, NotFound, Unauthorized
from parley.users.models import User

SECRET_PREFIX = "prly_"
_SHOWN_PREFIX_LENGTH = len(SECRET_PREFIX) + 6
# last_used_at is written at most this often per key (it costs a write per request).
_LAST_USED_RESOLUTION = timedelta(minutes=1)


class InvalidApiKey(Unauthorized):
    code = "invalid_api_key"
    default_message = "The API key is unknown or revoked"
    login_failure = "api_key"


class InvalidExp(BadRequest):
    code = "invalid_exp"
    default_message = "exp is not a valid expiry"


class InvalidNbf(BadRequest):
    code = "invalid_nbf"
    default_message = "nbf is not a valid time"


class ApiKeyNotFound(NotFound):
    default_message = "The API key could not be found"


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class UnknownKeyKind(BadRequest):
    code = "unknown_key_kind"
    default_message = "The key kind must be one of " + ", ".join(KEY_KINDS)


async def create_api_key(
    session: AsyncSession, *, owner: User, name: str = "", kind: str = "sariska"
) -> tuple[ApiKey, str]:
    """A new key of the kind for the owner and its secret (shown once, never stored)."""
    if kind not in KEY_KINDS:
        raise UnknownKeyKind()
    secret = new_secret()
    key = ApiKey(
        owner_id=owner.id,
        name=name.strip()[:255],
        secret_hash=hash_secret(secret),
        prefix=secret[:_SHOWN_PREFIX_LENGTH],
        kind=kind,
    )
    session.add(key)
    await session.flush()
    return key, secret


async def list_api_keys(
    session: AsyncSession, *, include_revoked: bool = False
) -> Sequence[tuple[ApiKey, str]]:
    """Keys with their owner's e-mail, oldest first."""
    query = (
        select(ApiKey, User.email)
        .join(User, User.id == ApiKey.owner_id)
        .order_by(ApiKey.created_at, ApiKey.id)
    )
    if not include_revoked:
        query = query.where(ApiKey.revoked_at.is_(None))
    result = await session.execute(query)
    return [(key, email) for key, email in result.all()]


async def revoke_api_key(
    session: AsyncSession, key_id: uuid.UUID, *, now: datetime
) -> ApiKey:
    """Revoke a key; its tokens stop working (within PARLEY_API_KEY_RECHECK_SECONDS)."""
    key = await session.get(ApiKey, key_id)
    if key is None:
        raise ApiKeyNotFound()
    if key.revoked_at is None:
        key.revoked_at = now
        await session.flush()
    return key


async def authenticate_key(
    session: AsyncSession,
    secret: str,
    *,
    kind: str,
    key_id: uuid.UUID | None = None,
    now: datetime,
) -> ApiKey | None:
    """The unrevoked key of this kind with this secret (and id, when given), else None.

    Looked up by the secret's hash, so no secret is compared character by
    character; records when the key was last used (to the minute).
    """
    key = await session.scalar(
        select(ApiKey).where(
            ApiKey.secret_hash == hash_secret(secret),
            ApiKey.kind == kind,
            ApiKey.revoked_at.is_(None),
        )
    )
    if key is None or (key_id is not None and key.id != key_id):
        return None
    if key.last_used_at is None or now - key.last_used_at >= _LAST_USED_RESOLUTION:
        key.last_used_at = now
        await session.flush()
    return key


async def active_key_kind(session: AsyncSession, secret: str) -> str | None:
    """The kind of the unrevoked key with this secret, whatever it is, else None."""
    kind: str | None = await session.scalar(
        select(ApiKey.kind).where(
            ApiKey.secret_hash == hash_secret(secret), ApiKey.revoked_at.is_(None)
        )
    )
    return kind


async def active_key_owner(
    session: AsyncSession, key_id: uuid.UUID
) -> tuple[uuid.UUID, str] | None:
    """(owner id, owner's OIDC subject) of an unrevoked key, else None."""
    row = (
        await session.execute(
            select(User.id, User.oidc_sub)
            .join(ApiKey, ApiKey.owner_id == User.id)
            .where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None))
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def issue_token(
    session: AsyncSession,
    signer: TokenSigner,
    data: GenerateToken,
    *,
    now: datetime,
    default_ttl_seconds: int,
    max_ttl_seconds: int,
) -> str:
    """A JWT acting for the key's owner; InvalidApiKey (401) or InvalidExp/Nbf (400)."""
    key = await session.scalar(
        select(ApiKey).where(
            ApiKey.secret_hash == hash_secret(data.apiKey),
            ApiKey.kind == "sariska",
            ApiKey.revoked_at.is_(None),
        )
    )
    if key is None:
        raise InvalidApiKey()
    issued = int(now.timestamp())
    expires, not_before = token_lifetime(
        data.exp,
        data.nbf,
        now=issued,
        default_ttl_seconds=default_ttl_seconds,
        max_ttl_seconds=max_ttl_seconds,
    )
    claims: dict[str, Any] = {
        "sub": str(key.owner_id),
        "iat": issued,
        "exp": expires,
        "jti": uuid.uuid4().hex,
        "api_key_id": str(key.id),
        "scope": data.scope or "",
    }
    if not_before is not None:
        claims["nbf"] = not_before
    if data.user is not None:
        claims["context"] = {"user": data.user.model_dump(exclude_none=True)}
    key.last_used_at = datetime.fromtimestamp(issued, UTC)
    await session.flush()
    return signer.sign(claims)


def token_lifetime(
    exp: object,
    nbf: object,
    *,
    now: int,
    default_ttl_seconds: int,
    max_ttl_seconds: int,
) -> tuple[int, int | None]:
    """(exp, nbf) as whole Unix seconds, checked against now and the maximum lifetime."""
    try:
        expires = parse_time_spec(exp, now=now)
    except TimeSpecError as exc:
        raise InvalidExp(f"exp {exc}") from None
    try:
        not_before = parse_time_spec(nbf, now=now)
    except TimeSpecError as exc:
        raise InvalidNbf(f"nbf {exc}") from None
    expires_at = now + default_ttl_seconds if expires is None else int(expires)
    if expires_at <= now:
        raise InvalidExp("exp is not in the future")
    if expires_at - now > max_ttl_seconds:
        raise InvalidExp(f"exp is more than {max_ttl_seconds} seconds away")
    if not_before is not None and int(not_before) >= expires_at:
        raise InvalidNbf("nbf must be before exp")
    return expires_at, None if not_before is None else int(not_before)
