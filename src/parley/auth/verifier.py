"""Bearer token verification with a per-token cache, so the hot path is a dict lookup."""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any, Generic, TypeVar

from jose import ExpiredSignatureError, JWTError, jwt

from parley.auth.errors import AuthenticationFailed, TokenExpired
from parley.auth.keys import KeySource, algorithm_for_key

V = TypeVar("V")
REFRESH_TOKEN_TYPE = "Refresh"
"""The `typ` claim of refresh tokens (as Keycloak's), refused as bearer tokens."""


class ExpiringCache(Generic[V]):
    """A bounded LRU of values that each expire at a Unix timestamp."""

    def __init__(self, max_entries: int = 20_000) -> None:
        self._entries: OrderedDict[str, tuple[V, float]] = OrderedDict()
        self._max_entries = max_entries

    def get(self, key: str) -> V | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        value, expires_at = entry
        if time.time() >= expires_at:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return value

    def put(self, key: str, value: V, expires_at: float) -> None:
        self._entries[key] = (value, expires_at)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def discard(self, key: str) -> None:
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()


class TokenVerifier:
    """Checks signature (algorithm from the key), iss, exp, nbf and, if configured, aud."""

    def __init__(
        self,
        keys: KeySource,
        *,
        issuer: str,
        audience: str | None,
        leeway_seconds: int = 30,
    ) -> None:
        self.keys = keys
        self._issuer = issuer.rstrip("/")
        self._audience = audience
        self._leeway = leeway_seconds
        self._cache: ExpiringCache[dict[str, Any]] = ExpiringCache()

    async def verify(self, token: str) -> dict[str, Any]:
        """The token's claims, or AuthenticationFailed / TokenExpired / IssuerUnavailable."""
        cached = self._cache.get(token)
        if cached is not None:
            return cached
        try:
            header = jwt.get_unverified_header(token)
        except JWTError as exc:
            raise AuthenticationFailed("The access token is malformed") from exc
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise AuthenticationFailed("The access token is malformed")
        key = await self.keys.key_for(kid)
        claims = self._decode(token, key)
        # Cache until expiry (minus the leeway we granted), never beyond it.
        self._cache.put(token, claims, float(claims["exp"]) + self._leeway)
        return claims

    def _decode(self, token: str, key: dict[str, Any]) -> dict[str, Any]:
        options = {
            "verify_aud": self._audience is not None,
            "require_exp": True,
            "require_iss": True,
            "require_sub": True,
            # ID tokens (POST /v1/auth/login) carry at_hash, but arrive without the
            # access token it hashes; python-jose would refuse every one of them.
            "verify_at_hash": False,
            "leeway": self._leeway,
        }
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[algorithm_for_key(key)],
                audience=self._audience,
                issuer=self._issuer,
                options=options,
            )
        except ExpiredSignatureError as exc:
            raise TokenExpired() from exc
        except JWTError as exc:
            raise AuthenticationFailed(f"The access token is invalid: {exc}") from exc
        if not isinstance(claims.get("sub"), str) or not claims["sub"]:
            raise AuthenticationFailed("The access token has no subject")
        # Refresh tokens are JWTs too (the web app reads their `exp`); signed with the
        # same key, they must still never pass as bearer tokens.
        if str(claims.get("typ", "")).lower() == REFRESH_TOKEN_TYPE.lower():
            raise AuthenticationFailed("A refresh token is not an access token")
        return claims

    async def aclose(self) -> None:
        await self.keys.aclose()
