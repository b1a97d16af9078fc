"""Request dependencies: who is calling (a user, or a service with a realm role)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Protocol

from fastapi import Depends, Request
from starlette.requests import HTTPConnection

from parley.auth.errors import (
    AuthenticationFailed,
    InvalidClaims,
    MissingRole,
    MissingToken,
)
from parley.auth.verifier import ExpiringCache, TokenVerifier
from parley.db import Database, SessionDep
from parley.instants import in_range
from parley.logs import note_user
from parley.users import service as users_service
from parley.users.models import User


@dataclass(frozen=True)
class Principal:
    """The authenticated user of a request, resolved once per token."""

    user_id: uuid.UUID
    sub: str


class TokenAuthority(Protocol):
    """Tokens Parley signs itself (API-key tokens), checked before the OIDC verifier."""

    def recognises(self, token: str) -> bool:
        """Cheap, unverified: does the token claim to come from this authority?"""
        ...

    async def principal_for(
        self, token: str, database: Database
    ) -> tuple[Principal, float]:
        """The verified principal and the Unix time until which it may be cached."""
        ...


@dataclass
class Authenticator:
    """Per-process auth state: the verifier and the token → principal cache."""

    verifier: TokenVerifier
    principals: ExpiringCache[Principal]
    authorities: tuple[TokenAuthority, ...] = ()

    @classmethod
    def create(
        cls, verifier: TokenVerifier, *authorities: TokenAuthority
    ) -> Authenticator:
        return cls(
            verifier=verifier, principals=ExpiringCache(), authorities=authorities
        )

    async def principal_for(self, token: str, database: Database) -> Principal:
        """Verify the token and provision its user on first sight; cached per token."""
        principal = self.principals.get(token)
        if principal is not None:
            return principal
        for authority in self.authorities:
            if authority.recognises(token):
                principal, cache_until = await authority.principal_for(token, database)
                self.principals.put(token, principal, cache_until)
                return principal
        claims = await self.verifier.verify(token)
        async with database.sessionmaker() as session:
            user = await users_service.sync_user_from_claims(session, claims)
            if user is None:
                raise InvalidClaims(
                    "The access token has no e-mail claim to create a user from"
                )
            principal = Principal(user_id=user.id, sub=user.oidc_sub)
            await session.commit()
        self.principals.put(token, principal, float(claims["exp"]))
        return principal


async def get_authenticator(connection: HTTPConnection) -> Authenticator:
    authenticator: Authenticator = connection.app.state.authenticator
    return authenticator


AuthenticatorDep = Annotated[Authenticator, Depends(get_authenticator)]


def bearer_token(request: HTTPConnection) -> str:
    """The token of an `Authorization: Bearer <token>` header, or 401."""
    header = request.headers.get("authorization")
    if not header:
        raise MissingToken()
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise AuthenticationFailed("The Authorization header must be 'Bearer <token>'")
    return token


async def current_principal(request: Request) -> Principal:
    """The caller; state is read from the app directly to keep the hot path shallow."""
    state = request.app.state
    authenticator: Authenticator = state.authenticator
    principal = await authenticator.principal_for(bearer_token(request), state.database)
    note_user(principal.user_id)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


async def current_user(principal: CurrentPrincipal, session: SessionDep) -> User:
    """The calling user's row, loaded in the request's session."""
    return await users_service.get_user_or_raise(session, principal.user_id)


CurrentUser = Annotated[User, Depends(current_user)]


def token_roles(claims: dict[str, Any]) -> set[str]:
    """Keycloak realm roles of a token, lower-cased (notes, section 7)."""
    realm_access = claims.get("realm_access")
    roles = realm_access.get("roles") if isinstance(realm_access, dict) else None
    if not isinstance(roles, list):
        return set()
    return {role.lower() for role in roles if isinstance(role, str)}


def require_service_role(role: str) -> Any:
    """A dependency admitting only service tokens that carry the realm role.

    It takes an HTTPConnection, so websocket routes use it too (before the upgrade).
    """

    async def dependency(
        connection: HTTPConnection, authenticator: AuthenticatorDep
    ) -> dict[str, Any]:
        claims = await authenticator.verifier.verify(bearer_token(connection))
        if role not in token_roles(claims):
            raise MissingRole(f"The token lacks the realm role '{role}'")
        return claims

    return dependency


def timestamp_to_datetime(value: Any) -> datetime | None:
    """A token's NumericDate claim as an instant; None when absent or outside
    Parley's range of instants (an `exp` of year 33658 means "no expiry" in effect)."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    try:
        moment = datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return moment if in_range(moment) else None
