"""Where verification keys come from: the issuer's JWKS over HTTP, or the local issuer."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Protocol

import httpx

from parley.auth.errors import AuthenticationFailed, IssuerUnavailable
from parley.http_client import async_client

logger = logging.getLogger(__name__)

# The algorithm of a key is decided by the key, never by the token header.
_EC_CURVE_ALGORITHMS = {"P-256": "ES256", "P-384": "ES384", "P-521": "ES512"}
_ALLOWED_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512"}
)


def algorithm_for_key(jwk: dict[str, Any]) -> str:
    """The one algorithm a JWK verifies; symmetric and unknown keys are refused."""
    declared = jwk.get("alg")
    if declared is not None:
        if declared not in _ALLOWED_ALGORITHMS:
            raise AuthenticationFailed(
                f"The issuer key uses unsupported algorithm {declared}"
            )
        return str(declared)
    if jwk.get("kty") == "RSA":
        return "RS256"
    if jwk.get("kty") == "EC" and jwk.get("crv") in _EC_CURVE_ALGORITHMS:
        return _EC_CURVE_ALGORITHMS[jwk["crv"]]
    raise AuthenticationFailed("The issuer key type is not supported")


class KeySource(Protocol):
    async def key_for(self, kid: str | None) -> dict[str, Any]:
        """The JWK to verify a token with the given `kid`, or AuthenticationFailed."""
        ...

    async def aclose(self) -> None: ...


class RemoteJwks:
    """The issuer's JWKS found through OIDC discovery, cached; refetched on an unknown kid."""

    # Unknown kids trigger at most this many refetches per window, so tokens with
    # made-up kids cannot make Parley hammer the issuer; a real rotation still gets
    # its refetch at once.
    MAX_REFETCHES = 10
    REFETCH_WINDOW = 60.0

    def __init__(self, issuer: str, *, client: httpx.AsyncClient | None = None) -> None:
        self._issuer = issuer.rstrip("/")
        self._client = client or async_client(timeout=5.0)
        self._keys: dict[str | None, dict[str, Any]] = {}
        self._refetches: list[float] = []
        self._lock = asyncio.Lock()

    async def key_for(self, kid: str | None) -> dict[str, Any]:
        key = self._lookup(kid)
        if key is not None:
            return key
        async with self._lock:
            key = self._lookup(kid)
            if key is None and self._may_refetch():
                await self._refresh()
                key = self._lookup(kid)
        if key is None:
            raise AuthenticationFailed("The token is signed with an unknown key")
        return key

    def _lookup(self, kid: str | None) -> dict[str, Any] | None:
        if kid is None and len(self._keys) == 1:
            return next(iter(self._keys.values()))
        return self._keys.get(kid)

    def _may_refetch(self) -> bool:
        now = time.monotonic()
        self._refetches = [t for t in self._refetches if now - t < self.REFETCH_WINDOW]
        if len(self._refetches) >= self.MAX_REFETCHES:
            return False
        self._refetches.append(now)
        return True

    async def _refresh(self) -> None:
        discovery = await self._get_json(
            f"{self._issuer}/.well-known/openid-configuration"
        )
        jwks_uri = discovery.get("jwks_uri")
        if not isinstance(jwks_uri, str):
            raise IssuerUnavailable("The issuer's discovery document has no jwks_uri")
        jwks = await self._get_json(jwks_uri)
        keys = jwks.get("keys")
        if not isinstance(keys, list):
            raise IssuerUnavailable("The issuer's JWKS has no keys")
        self._keys = {
            key.get("kid"): key
            for key in keys
            if isinstance(key, dict) and key.get("use", "sig") == "sig"
        }

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            response = await self._client.get(url)
            response.raise_for_status()
            data = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            logger.warning("fetching %s failed: %r", url, exc)
            raise IssuerUnavailable() from exc
        if not isinstance(data, dict):
            raise IssuerUnavailable(
                f"The issuer answered {url} with something not JSON"
            )
        return data

    async def aclose(self) -> None:
        await self._client.aclose()
