"""API-key tokens as bearer tokens: recognised by `kid`, verified with Parley's key.

The Authenticator caches a token's principal; for these tokens only until the next
revocation check (PARLEY_API_KEY_RECHECK_SECONDS, default 10, 0 = every request), so
revoking a key, or deleting its owner, stops its tokens within that time on every
instance without a query on each request.
"""

from __future__ import annotations

import time
import uuid

from parley.apikeys import service
from parley.apikeys.signing import TokenSigner
from parley.auth.deps import Principal
from parley.auth.errors import AuthenticationFailed
from parley.db import Database


class ApiKeyTokens:
    """A TokenAuthority (parley.auth.deps) for tokens from generate-token."""

    def __init__(self, signer: TokenSigner, *, recheck_seconds: int) -> None:
        self.signer = signer
        self._recheck_seconds = recheck_seconds

    def recognises(self, token: str) -> bool:
        return self.signer.recognises(token)

    async def principal_for(
        self, token: str, database: Database
    ) -> tuple[Principal, float]:
        """The key owner's principal and until when it may be cached."""
        claims = self.signer.verify(token)
        try:
            key_id = uuid.UUID(str(claims.get("api_key_id")))
        except ValueError:
            raise AuthenticationFailed("The access token names no API key") from None
        async with database.read_sessionmaker() as session:
            owner = await service.active_key_owner(session, key_id)
        if owner is None:
            raise AuthenticationFailed("The API key of this token was revoked")
        cache_until = min(float(claims["exp"]), time.time() + self._recheck_seconds)
        return Principal(user_id=owner[0], sub=owner[1]), cache_until
