"""Authentication failures, each a 401 with a WWW-Authenticate header (RFC 6750)."""

from __future__ import annotations

from typing import ClassVar

from parley.errors import AppError, BadRequest, ServiceUnavailable


def _challenge(error: str | None, description: str | None) -> dict[str, str]:
    if error is None:
        return {"WWW-Authenticate": 'Bearer realm="parley"'}
    return {
        "WWW-Authenticate": f'Bearer error="{error}", error_description="{description}"'
    }


class AuthenticationFailed(AppError):
    """The bearer token is missing, malformed, expired or not signed by the issuer."""

    status_code = 401
    code = "unauthorized"
    default_message = "The access token is invalid"
    login_failure: ClassVar[str | None] = "access_token"
    bearer_error: str | None = "invalid_token"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message)
        self.headers = _challenge(self.bearer_error, self.message)


class MissingToken(AuthenticationFailed):
    default_message = "An access token is required"
    login_failure = None  # nothing was presented
    bearer_error = None


class TokenExpired(AuthenticationFailed):
    # The spec: the WWW-Authenticate description says 'session expired' for expired tokens.
    default_message = "session expired"


class InvalidClaims(AuthenticationFailed):
    code = "invalid_claims"
    default_message = "The token lacks claims Parley needs"


class MissingRole(AuthenticationFailed):
    default_message = "The token lacks the role this endpoint requires"
    login_failure = None  # a valid token, without the permission
    bearer_error = "insufficient_scope"


class InvalidIdTokenClaims(BadRequest):
    code = "invalid_claims"
    default_message = "The ID token lacks required claims"


class IssuerUnavailable(ServiceUnavailable):
    default_message = "The identity provider is unreachable, try again later"
