"""Sariska's token endpoint (no bearer token: the API key is the credential).

POST /api/v1/misc/generate-token   {apiKey, user?, exp?, nbf?, scope?} -> {token}
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request

from parley.apikeys import service
from parley.apikeys.schemas import GeneratedToken, GenerateToken
from parley.apikeys.signing import TokenSigner
from parley.config import Settings
from parley.db import SessionDep
from parley.errors import ErrorBody

router = APIRouter(prefix="/api/v1/misc", tags=["api-keys"])


@router.post(
    "/generate-token",
    response_model=GeneratedToken,
    responses={
        400: {"model": ErrorBody},
        401: {"model": ErrorBody},
        422: {"model": ErrorBody},
    },
    openapi_extra={"security": []},
)
async def generate_token(
    body: GenerateToken, request: Request, session: SessionDep
) -> GeneratedToken:
    """Mint a bearer token acting for the API key's owner."""
    settings: Settings = request.app.state.settings
    signer: TokenSigner = request.app.state.api_token_signer
    token = await service.issue_token(
        session,
        signer,
        body,
        now=datetime.now(UTC),
        default_ttl_seconds=settings.api_token_default_ttl_seconds,
        max_ttl_seconds=settings.api_token_max_ttl_seconds,
    )
    return GeneratedToken(token=token)
