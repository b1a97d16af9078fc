"""Authlib's OAuth 2 / OpenID Connect server, run for an async app.

Authlib does the protocol work: request validation, client checks, PKCE (RFC 7636),
redirect-URI matching, error responses (RFC 6749 5.2), token revocation (RFC 7009)
and RP-initiated logout. Its server is synchronous, so a call runs in a worker thread
(`Exchange.call`) and each storage hook hops back onto the event loop to use the
request's AsyncSession (`Exchange.run`); the session is only ever touched from the
loop, one step at a time. Tokens are signed by the embedded issuer's key
(`LocalIssuer.sign`), the same way `parley token` signs them.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, ClassVar, TypeVar

import anyio.from_thread
import anyio.to_thread
from authlib.oauth2.rfc6749 import (
    AuthorizationServer,
    ClientMixin,
    InvalidRequestError,
    OAuth2Payload,
    OAuth2Request,
)
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant, RefreshTokenGrant
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core.util import create_half_hash
from authlib.oidc.rpinitiated import EndSessionEndpoint, EndSessionRequest
from jose import JWTError, jwt
from sqlalchemy.ext.asyncio import AsyncSession

from parley.auth.errors import AuthenticationFailed
from parley.auth.local_issuer import ALGORITHM, LocalIssuer
from parley.auth.provider import grants
from parley.auth.provider.grants import CodeRequest, Grantee
from parley.auth.verifier import REFRESH_TOKEN_TYPE
from parley.config import OidcClient, Settings

T = TypeVar("T")

SUPPORTED_SCOPES = ("openid", "profile", "email")
MAX_NONCE_LENGTH = 255
ACCESS_TOKEN_TYPE = "Bearer"
ID_TOKEN_TYPE = "ID"


@dataclass
class Exchange:
    """One HTTP request's state for Authlib's hooks: the session and the clock."""

    session: AsyncSession
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    cookie_session_id: uuid.UUID | None = None
    # Set by the sign-out confirmation form: redirect even without an id_token_hint.
    confirmed: bool = False
    ended_session_ids: list[uuid.UUID] = field(default_factory=list)

    async def call(self, function: Callable[..., T], *args: Any) -> T:
        """Run a synchronous Authlib entry point in a worker thread."""
        return await anyio.to_thread.run_sync(partial(function, *args))

    def run(
        self, function: Callable[..., Coroutine[Any, Any, T]], *args: Any, **kw: Any
    ) -> T:
        """From inside `call`: await a coroutine function on the event loop."""
        return anyio.from_thread.run(partial(function, *args, **kw))


class _Payload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self._datalist: defaultdict[str, list[str]] = defaultdict(list)
        for key, value in pairs:
            self._datalist[key].append(value)
        self._data = {key: values[0] for key, values in self._datalist.items()}

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist


class ProviderRequest(OAuth2Request):  # type: ignore[misc]
    """An Authlib request built from a parsed query string or form body."""

    def __init__(
        self,
        *,
        method: str,
        uri: str,
        headers: Any,
        pairs: Iterable[tuple[str, str]],
        exchange: Exchange,
    ) -> None:
        super().__init__(method, uri, headers=headers)
        self.payload = _Payload(pairs)
        self.exchange = exchange

    @property
    def args(self) -> dict[str, str]:
        return self.payload.data

    @property
    def form(self) -> dict[str, str]:
        return self.payload.data


class ProviderClient(ClientMixin):  # type: ignore[misc]
    """A public client from PARLEY_OIDC_CLIENTS: PKCE, no secret."""

    def __init__(self, config: OidcClient) -> None:
        self.config = config
        self.client_id = config.client_id
        self.client_metadata = {
            "post_logout_redirect_uris": list(config.post_logout_redirect_uris)
        }

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        return None  # OpenID Connect: the request must name its redirect URI

    def get_allowed_scope(self, scope: str | None) -> str:
        requested = (scope or "").split()
        return " ".join(s for s in dict.fromkeys(requested) if s in SUPPORTED_SCOPES)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.config.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return False

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == "none"

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in ("authorization_code", "refresh_token")


class RequiredS256Challenge(CodeChallenge):  # type: ignore[misc]
    """PKCE with S256 for every authorization request (the plain method is refused)."""

    SUPPORTED_CODE_CHALLENGE_METHOD: ClassVar[list[str]] = ["S256"]

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError(
                "PKCE is required: send code_challenge with code_challenge_method=S256"
            )
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("code_challenge_method must be S256")
        nonce = data.get("nonce")
        if nonce is not None and (
            len(nonce) > MAX_NONCE_LENGTH or not nonce.isprintable()
        ):
            raise InvalidRequestError(
                f"nonce must be at most {MAX_NONCE_LENGTH} printable characters"
            )
        super().validate_code_challenge(grant, redirect_uri)


class CodeGrant(AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = ["none"]

    def save_authorization_code(self, code: str, request: ProviderRequest) -> None:
        data = request.payload.data
        exchange = request.exchange
        exchange.run(
            grants.store_code,
            exchange.session,
            code,
            grantee=request.user,
            request=CodeRequest(
                client_id=request.client.get_client_id(),
                redirect_uri=data["redirect_uri"],
                scope=request.scope or "",
                nonce=data.get("nonce") or None,
                code_challenge=data["code_challenge"],
                code_challenge_method=data["code_challenge_method"],
            ),
            now=exchange.now,
        )

    def query_authorization_code(
        self, code: str, client: ProviderClient
    ) -> grants.RedeemedCode | None:
        exchange: Exchange = self.request.exchange
        return exchange.run(
            grants.redeem_code,
            exchange.session,
            code,
            client_id=client.get_client_id(),
            now=exchange.now,
        )

    def delete_authorization_code(self, authorization_code: Any) -> None:
        """Nothing to do: `redeem_code` spent the code already."""

    def authenticate_user(self, authorization_code: grants.RedeemedCode) -> Grantee:
        return authorization_code.grantee


class RefreshGrant(RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = ["none"]
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotation: every refresh answers a new one

    def authenticate_refresh_token(
        self, refresh_token: str
    ) -> grants.RefreshCredential | None:
        provider: Provider = self.server.provider
        token_id = provider.refresh_token_id(refresh_token)
        if token_id is None:
            return None
        exchange: Exchange = self.request.exchange
        return exchange.run(
            grants.use_refresh_token,
            exchange.session,
            token_id,
            client_id=self.request.client.get_client_id(),
            now=exchange.now,
            reuse_leeway=provider.refresh_reuse_leeway,
        )

    def authenticate_user(self, credential: grants.RefreshCredential) -> Grantee:
        return credential.grantee

    def revoke_old_credential(self, credential: Any) -> None:
        """Nothing to do: `use_refresh_token` marked the old token used."""


@dataclass(frozen=True)
class _RevocableToken:
    token_id: uuid.UUID

    def check_client(self, client: object) -> bool:
        return True  # the family is matched to the client when it is revoked


class Revocation(RevocationEndpoint):  # type: ignore[misc]
    """RFC 7009 for refresh tokens: the whole family is revoked."""

    CLIENT_AUTH_METHODS: ClassVar[list[str]] = ["none"]
    SUPPORTED_TOKEN_TYPES = ("refresh_token",)

    def query_token(self, token_string: str, hint: str | None) -> Any:
        provider: Provider = self.server.provider
        token_id = provider.refresh_token_id(token_string, verify_exp=False)
        return None if token_id is None else _RevocableToken(token_id)

    def revoke_token(self, token: _RevocableToken, request: ProviderRequest) -> None:
        exchange = request.exchange
        exchange.run(
            grants.revoke_family_of,
            exchange.session,
            token.token_id,
            client_id=request.client.get_client_id(),
            now=exchange.now,
        )


class EndSession(EndSessionEndpoint):  # type: ignore[misc]
    """RP-initiated logout: ends the sign-in session named by the ID token and cookie."""

    def get_server_jwks(self) -> dict[str, Any]:
        provider: Provider = self.server.provider
        return provider.issuer.jwks()

    def get_algorithms(self) -> list[str]:
        return [ALGORITHM]

    def is_post_logout_redirect_uri_legitimate(
        self, request: ProviderRequest, uri: str, client: Any, hint: str | None
    ) -> bool:
        return request.exchange.confirmed

    def end_session(self, end_session_request: EndSessionRequest) -> None:
        request: ProviderRequest = end_session_request.request
        exchange = request.exchange
        session_ids = {exchange.cookie_session_id}
        claims = end_session_request.id_token_claims or {}
        with contextlib.suppress(ValueError):
            session_ids.add(uuid.UUID(str(claims.get("sid"))))
        for session_id in session_ids - {None}:
            assert session_id is not None
            exchange.run(grants.end_session, exchange.session, session_id, exchange.now)
            exchange.ended_session_ids.append(session_id)


class ProviderServer(AuthorizationServer):  # type: ignore[misc]
    def __init__(self, provider: Provider) -> None:
        super().__init__()
        self.provider = provider
        self._clients = {
            client_id: ProviderClient(config)
            for client_id, config in provider.clients.items()
        }
        self.register_token_generator("default", provider.generate_tokens)
        self.register_grant(CodeGrant, [RequiredS256Challenge(required=True)])
        self.register_grant(RefreshGrant)
        self.register_endpoint(Revocation)
        self.register_endpoint(EndSession)

    def query_client(self, client_id: str) -> ProviderClient | None:
        return self._clients.get(client_id)

    def save_token(self, token: dict[str, Any], request: ProviderRequest) -> None:
        exchange = request.exchange
        claims = jwt.get_unverified_claims(token["refresh_token"])
        code = request.authorization_code
        exchange.run(
            self.provider.store_refresh_token,
            exchange.session,
            grantee=request.user,
            client_id=request.client.get_client_id(),
            scope=token.get("scope", ""),
            code_id=code.id if code is not None else None,
            token_id=uuid.UUID(claims["jti"]),
            expires_at=datetime.fromtimestamp(claims["exp"], UTC),
            now=exchange.now,
        )

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None

    def create_oauth2_request(self, request: ProviderRequest) -> ProviderRequest:
        return request

    def handle_response(
        self, status: int, body: Any, headers: list[tuple[str, str]]
    ) -> tuple[int, Any, list[tuple[str, str]]]:
        return status, body, headers


class Provider:
    """The embedded provider's configuration and token minting."""

    def __init__(self, *, issuer: LocalIssuer, settings: Settings) -> None:
        self.issuer = issuer
        self.audience = settings.oidc_audience
        self.clients = {client.client_id: client for client in settings.oidc_clients}
        self.access_ttl = settings.oidc_access_token_ttl_seconds
        self.refresh_ttl = settings.oidc_refresh_token_ttl_seconds
        self.session_ttl = timedelta(seconds=settings.oidc_session_ttl_seconds)
        self.refresh_reuse_leeway = timedelta(
            seconds=settings.oidc_refresh_reuse_leeway_seconds
        )
        self.secure_cookies = issuer.issuer.startswith("https://")
        self.server = ProviderServer(self)

    def url(self, path: str) -> str:
        return f"{self.issuer.issuer}{path}"

    def client_origins(self) -> set[str]:
        return {origin for client in self.clients.values() for origin in client.origins}

    def generate_tokens(
        self,
        grant_type: str,
        client: ProviderClient,
        user: Grantee,
        scope: str | None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        """Access, refresh and (scope `openid`) ID token: all JWTs with `exp`.

        The web app reads the refresh token's `exp` to decide whether a session
        exists, and stores all three tokens after every refresh.
        """
        now = int(time.time())
        scope = scope or ""
        client_id = client.get_client_id()
        common = {"iss": self.issuer.issuer, "sub": user.identity.sub, "iat": now}
        session = {"sid": str(user.session_id), "azp": client_id}
        access: dict[str, Any] = {
            **common,
            "exp": now + self.access_ttl,
            "jti": str(uuid.uuid4()),
            "typ": ACCESS_TOKEN_TYPE,
            "scope": scope,
            **session,
            **user.identity.claims,
        }
        if self.audience:
            access["aud"] = self.audience
        access_token = self.issuer.sign(access)
        session_end = int(user.session_expires_at.timestamp())
        refresh_exp = min(now + self.refresh_ttl, session_end)
        refresh_token = self.issuer.sign(
            {
                **common,
                "aud": self.issuer.issuer,
                "exp": refresh_exp,
                "jti": str(uuid.uuid4()),
                "typ": REFRESH_TOKEN_TYPE,
                "scope": scope,
                **session,
            }
        )
        token: dict[str, Any] = {
            "token_type": "Bearer",
            "access_token": access_token,
            "expires_in": self.access_ttl,
            "refresh_token": refresh_token,
            "refresh_expires_in": max(0, refresh_exp - now),
            "scope": scope,
        }
        if "openid" in scope.split():
            token["id_token"] = self._id_token(user, client_id, access_token, now)
        return token

    def _id_token(
        self, user: Grantee, client_id: str, access_token: str, now: int
    ) -> str:
        audience = [client_id, *([self.audience] if self.audience else [])]
        claims: dict[str, Any] = {
            "iss": self.issuer.issuer,
            "sub": user.identity.sub,
            "aud": audience,
            "azp": client_id,
            "iat": now,
            "exp": now + self.access_ttl,
            "auth_time": int(user.auth_time.timestamp()),
            "sid": str(user.session_id),
            "typ": ID_TOKEN_TYPE,
            "at_hash": create_half_hash(access_token, ALGORITHM).decode(),
            "email_verified": True,  # the operator made the account for this address
            **user.identity.claims,
        }
        if user.nonce:
            claims["nonce"] = user.nonce
        return self.issuer.sign(claims)

    def refresh_token_id(
        self, token: str, *, verify_exp: bool = True
    ) -> uuid.UUID | None:
        """The `jti` of a refresh token this issuer signed, or None."""
        try:
            if verify_exp:
                claims = self.issuer.decode(token)
            else:
                claims = jwt.decode(
                    token,
                    self.issuer.public_jwk,
                    algorithms=[ALGORITHM],
                    issuer=self.issuer.issuer,
                    options={"verify_aud": False, "verify_exp": False},
                )
            if claims.get("typ") != REFRESH_TOKEN_TYPE:
                return None
            return uuid.UUID(str(claims.get("jti")))
        except (AuthenticationFailed, JWTError, ValueError):
            return None

    async def store_refresh_token(
        self,
        session: AsyncSession,
        *,
        grantee: Grantee,
        client_id: str,
        scope: str,
        code_id: uuid.UUID | None,
        token_id: uuid.UUID,
        expires_at: datetime,
        now: datetime,
    ) -> None:
        """Keep a new refresh token: in its family, or a new family for a new code."""
        grant_id = grantee.grant_id or await grants.start_grant(
            session,
            grantee=grantee,
            client_id=client_id,
            scope=scope,
            code_id=code_id,
            now=now,
        )
        await grants.store_refresh_token(
            session,
            token_id=token_id,
            grant_id=grant_id,
            expires_at=expires_at,
            now=now,
        )

    def discovery_document(self, paths: dict[str, str]) -> dict[str, Any]:
        """OpenID Provider Metadata (OpenID Connect Discovery 1.0, section 3)."""
        return {
            "issuer": self.issuer.issuer,
            **{name: self.url(path) for name, path in paths.items()},
            "scopes_supported": list(SUPPORTED_SCOPES),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [ALGORITHM],
            "token_endpoint_auth_methods_supported": ["none"],
            "revocation_endpoint_auth_methods_supported": ["none"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": [
                "iss",
                "sub",
                "aud",
                "exp",
                "iat",
                "auth_time",
                "nonce",
                "sid",
                "email",
                "email_verified",
                "name",
                "given_name",
                "family_name",
                "preferred_username",
            ],
        }
