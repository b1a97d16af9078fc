"""The embedded OpenID provider's endpoints (mounted only without PARLEY_OIDC_ISSUER).

GET      /.well-known/openid-configuration   discovery (OpenID Connect Discovery 1.0)
GET      /oidc/jwks                          the signing key
GET      /oidc/auth                          authorization endpoint: the sign-in page, or
                                             a code at once for a signed-in browser
POST     /oidc/auth                          the sign-in form
POST     /oidc/token                         authorization_code and refresh_token grants
GET|POST /oidc/userinfo                      the claims of an access token's user
POST     /oidc/revoke                        revoke a refresh token's family (RFC 7009)
GET|POST /oidc/logout                        end the session (RP-initiated logout 1.0)
GET      /oidc/assets/signin.css             the pages' style sheet

OAuth endpoints answer errors in their own shape (RFC 6749 5.2:
`{"error", "error_description"}`); the pages answer HTML.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from authlib.oauth2 import OAuth2Error
from authlib.oidc.core.errors import LoginRequiredError
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection

from parley import metrics
from parley.auth.deps import Authenticator, AuthenticatorDep, bearer_token
from parley.auth.errors import AuthenticationFailed
from parley.auth.provider import accounts, grants, pages
from parley.auth.provider.pages import SignInForm
from parley.auth.provider.server import (
    ID_TOKEN_TYPE,
    Exchange,
    Provider,
    ProviderRequest,
)
from parley.config import Settings
from parley.db import SessionDep, WriteSessionDep
from parley.errors import AppError, ErrorBody
from parley.ratelimit import (
    FailureLimiterDep,
    TooManyAttempts,
    client_address,
    ensure_allowed,
)
from parley.users import service as users_service

SESSION_COOKIE = "parley_oidc_session"
CSRF_COOKIE = "parley_oidc_csrf"
COOKIE_PATH = "/oidc"
MAX_FORM_BYTES = 16 * 1024
MAX_FORM_FIELDS = 50
SIGN_IN_FIELDS = frozenset({"email", "password", "csrf_token"})
AUTHORIZATION_PARAMETERS = frozenset(
    {
        "response_type",
        "client_id",
        "redirect_uri",
        "scope",
        "state",
        "nonce",
        "code_challenge",
        "code_challenge_method",
        "prompt",
        "login_hint",
        "response_mode",
        "ui_locales",
    }
)
PATHS = {
    "authorization_endpoint": "/oidc/auth",
    "token_endpoint": "/oidc/token",
    "userinfo_endpoint": "/oidc/userinfo",
    "revocation_endpoint": "/oidc/revoke",
    "end_session_endpoint": "/oidc/logout",
    "jwks_uri": "/oidc/jwks",
}
DISCOVERY_PATH = "/.well-known/openid-configuration"
# What browser apps fetch from their own origin (parley.cors).
CORS_PATHS = (
    DISCOVERY_PATH,
    PATHS["jwks_uri"],
    PATHS["token_endpoint"],
    PATHS["userinfo_endpoint"],
    PATHS["revocation_endpoint"],
)

WRONG_CREDENTIALS = (
    "The e-mail address or the password is not correct. Check both and try again."
)
ACCOUNT_DISABLED = (
    "This account is disabled. Ask the operator of this Parley to enable it."
)
FORM_EXPIRED = (
    "The sign-in form expired. Please enter your e-mail address and password again."
)


class FormError(Exception):
    """The body is not a small UTF-8 urlencoded form."""


@dataclass(frozen=True)
class SignInLimits:
    """Failed sign-ins allowed per account (typed address) and per client address."""

    max_failures_per_account: int
    max_failures_per_source: int
    window_seconds: float

    @classmethod
    def from_settings(cls, settings: Settings) -> SignInLimits:
        return cls(
            max_failures_per_account=settings.sign_in_max_failures_per_account,
            max_failures_per_source=settings.sign_in_max_failures_per_source,
            window_seconds=settings.sign_in_failure_window_seconds,
        )

    def keys(self, email: str, address: str) -> tuple[str, str, dict[str, int]]:
        # The address is hashed: no e-mail addresses in Redis keys.
        digest = hashlib.sha256(accounts.normalise_email(email).encode()).hexdigest()
        account_key = f"sign-in:account:{digest[:32]}"
        source_key = f"sign-in:source:{address}"
        return (
            account_key,
            source_key,
            {
                account_key: self.max_failures_per_account,
                source_key: self.max_failures_per_source,
            },
        )


class TokenResponse(BaseModel):
    """A successful token response (RFC 6749 5.1, OpenID Connect Core 3.1.3.3)."""

    token_type: str
    access_token: str
    expires_in: int
    refresh_token: str
    refresh_expires_in: int
    id_token: str | None = None
    scope: str


class OAuthErrorBody(BaseModel):
    """An OAuth error (RFC 6749 5.2)."""

    error: str
    error_description: str | None = None


class UserInfo(BaseModel):
    """Claims about the token's user (OpenID Connect Core 5.3)."""

    sub: str
    email: str | None = None
    email_verified: bool | None = None
    name: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    preferred_username: str | None = None


_FORM_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {"type": "object", "additionalProperties": {"type": "string"}}
            }
        },
    },
    "security": [],
}


async def read_form(request: Request) -> list[tuple[str, str]]:
    """The fields of an urlencoded body, bounded in size and count; FormError else."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip()
    if content_type.lower() != "application/x-www-form-urlencoded":
        raise FormError("the body must be application/x-www-form-urlencoded")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise FormError(f"the body must be at most {MAX_FORM_BYTES} bytes")
    try:
        pairs = parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            strict_parsing=False,
            max_num_fields=MAX_FORM_FIELDS,
        )
    except (UnicodeDecodeError, ValueError):
        raise FormError("the body is not a valid form") from None
    if any("\x00" in name or "\x00" in value for name, value in pairs):
        raise FormError("the form must not contain NUL characters")
    return pairs


def _oauth_error(description: str, error: str = "invalid_request") -> JSONResponse:
    return JSONResponse(
        {"error": error, "error_description": description},
        status_code=400,
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )


def refuse_nul(connection: HTTPConnection, refusal: AppError) -> Response | None:
    """Parley's NUL refusal (parley.input_guard) in the provider's shapes: an HTML
    page for the browser pages, an RFC 6749 error for the OAuth endpoints; None for
    routes that are not the provider's."""
    if "oidc" not in getattr(connection.scope.get("route"), "tags", ()):
        return None
    if connection.url.path in (
        PATHS["authorization_endpoint"],
        PATHS["end_session_endpoint"],
    ):
        return pages.page(
            pages.error_page("The request was not understood", refusal.message),
            status_code=400,
        )
    return _oauth_error(refusal.message)


def _response(status: int, body: Any, headers: list[tuple[str, str]]) -> Response:
    """An Authlib (status, body, headers) triple as a Starlette response."""
    if isinstance(body, dict):
        return JSONResponse(body, status_code=status, headers=dict(headers))
    return Response(body or None, status_code=status, headers=dict(headers))


def provider_router(provider: Provider, limits: SignInLimits) -> APIRouter:
    """The provider's routes, bound to one Provider."""
    router = APIRouter(tags=["oidc"])
    form_targets = provider.client_origins()

    def oauth_request(
        request: Request, pairs: list[tuple[str, str]], exchange: Exchange
    ) -> ProviderRequest:
        return ProviderRequest(
            method=request.method,
            uri=provider.url(request.url.path),
            headers=request.headers,
            pairs=pairs,
            exchange=exchange,
        )

    def error_page(error: OAuth2Error) -> Response:
        """An authorization error: back to the client if its redirect URI is known."""
        status, body, headers = error()
        if status == 302:
            return _response(status, body, headers)
        return pages.page(
            pages.error_page(
                "This sign-in link does not work",
                f"{error.description or error.error} Go back to the application "
                "and try again; if it keeps happening, tell its operator.",
            ),
            status_code=400,
        )

    def csrf_token(request: Request) -> str:
        existing = request.cookies.get(CSRF_COOKIE, "")
        return existing if 20 <= len(existing) <= 64 else secrets.token_urlsafe(24)

    def csrf_ok(request: Request, submitted: str | None) -> bool:
        expected = request.cookies.get(CSRF_COOKIE)
        return bool(
            expected and submitted and secrets.compare_digest(expected, submitted)
        )

    def with_cookies(
        response: Response, *, csrf: str | None = None, session: str | None = None
    ) -> Response:
        options: dict[str, Any] = {
            "path": COOKIE_PATH,
            "httponly": True,
            "secure": provider.secure_cookies,
            "samesite": "lax",
        }
        if csrf is not None:
            response.set_cookie(CSRF_COOKIE, csrf, **options)
        if session is not None:
            max_age = int(provider.session_ttl.total_seconds())
            response.set_cookie(SESSION_COOKIE, session, max_age=max_age, **options)
        return response

    def sign_in_page(
        request: Request,
        form: SignInForm,
        *,
        status_code: int = 200,
        headers: dict[str, str] | None = None,
    ) -> Response:
        return with_cookies(
            pages.page(
                form.render(),
                status_code=status_code,
                form_targets=form_targets,
                headers=headers,
            ),
            csrf=form.csrf_token,
        )

    def client_name(pairs: list[tuple[str, str]]) -> str | None:
        client_id = dict(pairs).get("client_id")
        return client_id if client_id in provider.clients else None

    async def issue_code(
        exchange: Exchange, request: ProviderRequest, grant: Any, signed_in: Any
    ) -> Response:
        triple = await exchange.call(
            provider.server.create_authorization_response,
            request,
            signed_in.grantee(),
            grant,
        )
        return _response(*triple)

    def consent(request: ProviderRequest) -> tuple[Any, Response | None]:
        try:
            return provider.server.get_consent_grant(request), None
        except OAuth2Error as error:
            return None, error_page(error)

    @router.get(
        DISCOVERY_PATH, response_model=dict[str, Any], openapi_extra={"security": []}
    )
    async def openid_configuration() -> dict[str, Any]:
        """The embedded issuer's OpenID Provider Metadata."""
        return provider.discovery_document(PATHS)

    @router.get(
        PATHS["jwks_uri"], response_model=dict[str, Any], openapi_extra={"security": []}
    )
    async def jwks() -> dict[str, Any]:
        """The public key tokens are signed with (JWK Set)."""
        return provider.issuer.jwks()

    @router.get(PATHS["authorization_endpoint"], include_in_schema=False)
    async def authorize(request: Request, session: WriteSessionDep) -> Response:
        """Sign in (or, signed in already, go straight back with a code)."""
        exchange = Exchange(session)
        signed_in = await grants.current_session(
            session, request.cookies.get(SESSION_COOKIE), exchange.now
        )
        pairs = list(request.query_params.multi_items())
        if not pairs:
            if signed_in is not None:
                return with_cookies(
                    pages.page(
                        pages.signed_in_page(
                            signed_in.account.email, csrf := csrf_token(request)
                        )
                    ),
                    csrf=csrf,
                )
            return sign_in_page(request, SignInForm(csrf_token(request)))
        try:
            oauth = oauth_request(request, pairs, exchange)
        except OAuth2Error as error:
            return error_page(error)
        grant, refused = consent(oauth)
        if refused is not None:
            return refused
        prompts = set(oauth.payload.data.get("prompt", "").split())
        if signed_in is not None and "login" not in prompts:
            return await issue_code(exchange, oauth, grant, signed_in)
        if "none" in prompts:
            return error_page(
                LoginRequiredError(
                    redirect_uri=grant.redirect_uri, state=oauth.payload.state
                )
            )
        form = SignInForm(
            csrf_token(request),
            request_fields=[(k, v) for k, v in pairs if k in AUTHORIZATION_PARAMETERS],
            client_name=client_name(pairs),
            email=oauth.payload.data.get("login_hint", "")[:320],
        )
        return sign_in_page(request, form)

    @router.post(PATHS["authorization_endpoint"], include_in_schema=False)
    async def sign_in(
        request: Request, session: WriteSessionDep, limiter: FailureLimiterDep
    ) -> Response:
        """Check the sign-in form; on success, continue the authorization request."""
        try:
            fields = await read_form(request)
        except FormError as exc:
            return pages.page(
                pages.error_page("The sign-in form was not understood", str(exc)),
                status_code=400,
            )
        values = dict(fields)
        request_fields = [(k, v) for k, v in fields if k in AUTHORIZATION_PARAMETERS]
        exchange = Exchange(session)
        oauth, grant = None, None
        if request_fields:
            try:
                oauth = oauth_request(request, request_fields, exchange)
            except OAuth2Error as error:
                return error_page(error)
            grant, refused = consent(oauth)
            if refused is not None:
                return refused
        email = values.get("email", "").strip()[:320]
        password = values.get("password", "")
        form = SignInForm(
            csrf_token(request),
            request_fields=request_fields,
            client_name=client_name(request_fields),
            email=email,
        )
        if not csrf_ok(request, values.get("csrf_token")):
            form.error = FORM_EXPIRED
            return sign_in_page(request, form, status_code=400)
        if not email:
            form.field_errors["email"] = "Enter your e-mail address."
        if not password:
            form.field_errors["password"] = "Enter your password."
        if form.field_errors:
            return sign_in_page(request, form, status_code=400)
        account_key, _, keys = limits.keys(email, client_address(request))
        try:
            await ensure_allowed(limiter, keys)
        except TooManyAttempts as exc:
            minutes = max(1, round(exc.retry_after / 60))
            form.error = (
                "Too many failed sign-in attempts. Wait "
                f"{minutes} minute{'s' if minutes != 1 else ''} and try again."
            )
            return sign_in_page(
                request,
                form,
                status_code=429,
                headers={"Retry-After": str(exc.retry_after)},
            )
        try:
            account = await accounts.authenticate(
                session, email=email, password=password, now=exchange.now
            )
        except accounts.WrongCredentials:
            metrics.LOGIN_FAILURES.labels("password").inc()
            for key in keys:
                await limiter.record_failure(key, limits.window_seconds)
            form.error = WRONG_CREDENTIALS
            return sign_in_page(request, form, status_code=400)
        except accounts.AccountDisabled:
            form.error = ACCOUNT_DISABLED
            return sign_in_page(request, form, status_code=403)
        await limiter.clear(account_key)
        previous = await grants.session_id_for(
            session, request.cookies.get(SESSION_COOKIE)
        )
        if previous is not None:
            await grants.end_session(session, previous, exchange.now)
        await grants.prune(session, exchange.now)
        signed_in, secret = await grants.start_session(
            session, account, now=exchange.now, ttl=provider.session_ttl
        )
        if oauth is None:
            response: Response = pages.page(
                pages.signed_in_page(account.email, form.csrf_token)
            )
        else:
            response = await issue_code(exchange, oauth, grant, signed_in)
        return with_cookies(response, csrf=form.csrf_token, session=secret)

    @router.post(
        PATHS["token_endpoint"],
        response_model=TokenResponse,
        responses={400: {"model": OAuthErrorBody}, 401: {"model": OAuthErrorBody}},
        openapi_extra=_FORM_BODY,
    )
    async def token(request: Request, session: WriteSessionDep) -> Response:
        """Exchange a code (with its PKCE verifier) or a refresh token for tokens."""
        try:
            pairs = await read_form(request)
        except FormError as exc:
            return _oauth_error(str(exc))
        exchange = Exchange(session)
        try:
            oauth = oauth_request(request, pairs, exchange)
        except OAuth2Error as error:
            return _response(*error())
        triple = await exchange.call(provider.server.create_token_response, oauth)
        return _response(*triple)

    async def user_info(
        request: Request, authenticator: Authenticator, session: AsyncSession
    ) -> UserInfo:
        claims = await authenticator.verifier.verify(bearer_token(request))
        if claims.get("typ") == ID_TOKEN_TYPE:
            raise AuthenticationFailed("An ID token is not an access token")
        user = await users_service.get_user_by_sub(session, str(claims["sub"]))
        account = await accounts.get_account(session, user.email) if user else None
        if user is None or (account is not None and account.is_disabled):
            raise AuthenticationFailed("The token's user is unknown or disabled")
        scopes = set(str(claims.get("scope", "openid profile email")).split())
        info = UserInfo(sub=user.oidc_sub)
        if "email" in scopes:
            info.email, info.email_verified = user.email, account is not None
        if "profile" in scopes:
            info.name = user.display_name or None
            info.given_name = user.firstname
            info.family_name = user.lastname
            info.preferred_username = user.email
        return info

    userinfo_responses: dict[int | str, dict[str, Any]] = {401: {"model": ErrorBody}}

    @router.get(
        PATHS["userinfo_endpoint"],
        response_model=UserInfo,
        response_model_exclude_none=True,
        responses=userinfo_responses,
    )
    async def get_userinfo(
        request: Request, authenticator: AuthenticatorDep, session: SessionDep
    ) -> UserInfo:
        """The signed-in user's claims, for an access token."""
        return await user_info(request, authenticator, session)

    @router.post(
        PATHS["userinfo_endpoint"],
        response_model=UserInfo,
        response_model_exclude_none=True,
        responses=userinfo_responses,
    )
    async def post_userinfo(
        request: Request, authenticator: AuthenticatorDep, session: SessionDep
    ) -> UserInfo:
        """The signed-in user's claims, for an access token (POST form)."""
        return await user_info(request, authenticator, session)

    @router.post(
        PATHS["revocation_endpoint"],
        response_model=dict[str, Any],
        responses={400: {"model": OAuthErrorBody}},
        openapi_extra=_FORM_BODY,
    )
    async def revoke(request: Request, session: WriteSessionDep) -> Response:
        """Revoke a refresh token and every token rotated from the same sign-in."""
        try:
            pairs = await read_form(request)
        except FormError as exc:
            return _oauth_error(str(exc))
        exchange = Exchange(session)
        try:
            oauth = oauth_request(request, pairs, exchange)
        except OAuth2Error as error:
            return _response(*error())
        triple = await exchange.call(
            provider.server.create_endpoint_response, "revocation", oauth
        )
        return _response(*triple)

    @router.api_route(
        PATHS["end_session_endpoint"], methods=["GET", "POST"], include_in_schema=False
    )
    async def end_session(request: Request, session: WriteSessionDep) -> Response:
        """Sign out, then back to the client's registered post-logout URI."""
        confirmed = False
        if request.method == "POST":
            try:
                pairs = await read_form(request)
            except FormError as exc:
                return pages.page(
                    pages.error_page("The sign-out form was not understood", str(exc)),
                    status_code=400,
                )
            values = dict(pairs)
            confirmed = values.get("confirm") == "yes" and csrf_ok(
                request, values.get("csrf_token")
            )
            pairs = [(k, v) for k, v in pairs if k not in ("confirm", "csrf_token")]
        else:
            pairs = list(request.query_params.multi_items())
        exchange = Exchange(
            session,
            cookie_session_id=await grants.session_id_for(
                session, request.cookies.get(SESSION_COOKIE)
            ),
            confirmed=confirmed,
        )
        try:
            oauth = oauth_request(request, pairs, exchange)
            validated = provider.server.validate_endpoint_request("end_session", oauth)
        except OAuth2Error as error:
            return confirm_sign_out(
                request,
                [],
                problem=f"The sign-out link is not valid ({error.description}).",
            )
        if validated.needs_confirmation and not confirmed:
            kept = [
                (k, v)
                for k, v in pairs
                if k in ("client_id", "post_logout_redirect_uri", "state")
            ]
            return confirm_sign_out(request, kept)
        triple = await exchange.call(
            provider.server.create_endpoint_response, "end_session", validated
        )
        response = (
            _response(*triple)
            if triple is not None
            else pages.page(pages.signed_out_page())
        )
        response.delete_cookie(
            SESSION_COOKIE,
            path=COOKIE_PATH,
            secure=provider.secure_cookies,
            httponly=True,
            samesite="lax",
        )
        return response

    def confirm_sign_out(
        request: Request, fields: list[tuple[str, str]], problem: str | None = None
    ) -> Response:
        token = csrf_token(request)
        body = pages.sign_out_page(fields, token, problem=problem)
        return with_cookies(
            pages.page(
                body, status_code=400 if problem else 200, form_targets=form_targets
            ),
            csrf=token,
        )

    @router.get("/oidc/assets/signin.css", include_in_schema=False)
    async def stylesheet() -> Response:
        return pages.stylesheet()

    return router
