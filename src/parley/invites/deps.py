"""Callers of the operations the spec secures with `BearerAuth` *or* `InviteCode`.

A user sends `Authorization: Bearer <access token>`; a guest sends its invite code,
as `Authorization: InviteCode <code>` (the controller's `BearerOrInviteCode`, what
the OpenTalk web app sends in the guest lobby) or as `Bearer <code>` (the spec's
InviteCode scheme is an HTTP bearer scheme; the controller's /turn reads it so).
Every such operation declares `INVITE_CODE_SECURITY` and depends on `UserOrGuestDep`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request

from parley.auth.deps import Authenticator, Principal
from parley.auth.errors import AuthenticationFailed, MissingToken
from parley.db import SessionDep
from parley.invites import service
from parley.invites.models import Invite

# The operation's `security`: either scheme satisfies it (spec, e.g. GET /turn).
INVITE_CODE_SECURITY: dict[str, Any] = {
    "security": [{"BearerAuth": []}, {"InviteCode": []}]
}


class InvalidInviteCode(AuthenticationFailed):
    default_message = "The invite code is invalid or expired"
    login_failure = "invite_code"


@dataclass(frozen=True)
class UserOrGuest:
    """Exactly one is set: the user's principal, or the guest's usable invite."""

    principal: Principal | None = None
    invite: Invite | None = None


def _credentials(request: Request) -> tuple[str, str]:
    """(scheme, value) of the Authorization header, scheme lower-cased; 401 if unusable."""
    header = request.headers.get("authorization")
    if not header:
        raise MissingToken()
    scheme, _, value = header.partition(" ")
    scheme, value = scheme.lower(), value.strip()
    if scheme not in ("bearer", "invitecode") or not value:
        raise AuthenticationFailed(
            "The Authorization header must be 'Bearer <token>' or 'InviteCode <code>'"
        )
    return scheme, value


def _as_invite_code(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


async def user_or_guest(request: Request, session: SessionDep) -> UserOrGuest:
    """The user of a bearer access token, or the guest of a usable invite code."""
    scheme, value = _credentials(request)
    code = _as_invite_code(value)
    if code is None and scheme == "invitecode":
        raise InvalidInviteCode("An invite code is a UUID")
    if code is None:
        # Not a UUID, so not an invite code: it must be an access token.
        authenticator: Authenticator = request.app.state.authenticator
        return UserOrGuest(
            principal=await authenticator.principal_for(
                value, request.app.state.database
            )
        )
    invite = await service.get_usable_invite(session, code)
    if invite is None:
        raise InvalidInviteCode()
    return UserOrGuest(invite=invite)


UserOrGuestDep = Annotated[UserOrGuest, Depends(user_or_guest)]
