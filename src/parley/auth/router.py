"""Authentication endpoints.

GET  /v1/auth/login                      the OIDC provider a frontend should use
POST /v1/auth/login                      verify an ID token, create or update the user

The embedded issuer's own endpoints (discovery, sign-in, tokens) are in
parley.auth.provider.router.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, StrictStr

from parley.auth.deps import AuthenticatorDep, timestamp_to_datetime
from parley.auth.errors import InvalidIdTokenClaims
from parley.config import Settings
from parley.db import SessionDep
from parley.errors import ErrorBody
from parley.schemas import RequestBody
from parley.users import service as users_service

router = APIRouter(prefix="/auth", tags=["auth"])

REQUIRED_ID_TOKEN_CLAIMS = ("sub", "email", "given_name", "family_name")


class Login(RequestBody):
    id_token: StrictStr


class LoginResponse(BaseModel):
    permissions: list[str]


class OidcProviderInfo(BaseModel):
    name: str
    url: str


class OidcProvider(BaseModel):
    oidc: OidcProviderInfo


@router.get("/login", response_model=OidcProvider, openapi_extra={"security": []})
async def get_auth_providers(request: Request) -> OidcProvider:
    """Get the configured OIDC provider."""
    settings: Settings = request.app.state.settings
    return OidcProvider(oidc=OidcProviderInfo(name="default", url=settings.issuer_url))


@router.post(
    "/login",
    response_model=LoginResponse,
    responses={400: {"model": ErrorBody}, 401: {"model": ErrorBody}},
    openapi_extra={"security": []},
)
async def auth_login(
    body: Login, authenticator: AuthenticatorDep, session: SessionDep
) -> LoginResponse:
    """Verify an ID token and create or update the user it describes."""
    claims = await authenticator.verifier.verify(body.id_token)
    missing = [
        name
        for name in REQUIRED_ID_TOKEN_CLAIMS
        if not isinstance(claims.get(name), str)
    ]
    if missing:
        raise InvalidIdTokenClaims(
            f"The ID token lacks the claims: {', '.join(missing)}"
        )
    await users_service.sync_user_from_claims(
        session, claims, id_token_exp=timestamp_to_datetime(claims.get("exp"))
    )
    return LoginResponse(permissions=[])
