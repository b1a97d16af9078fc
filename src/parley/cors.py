"""Cross-origin access for browser clients: Starlette's CORSMiddleware, one per policy.

Three policies, picked by the request path before routing (so a preflight
``OPTIONS`` is answered for every route, whatever methods the route has):

- the API (every path not named below): the origins in ``PARLEY_CORS_ORIGINS``
  (none by default);
- the public dial-in lookups jitsi-meet fetches from the meeting page
  (``{jitsi prefix}/conferenceMapper`` and ``/phoneNumberList``): any origin, GET;
- the embedded issuer's endpoints a browser app fetches (discovery, JWKS, token,
  userinfo, revocation): ``PARLEY_CORS_ORIGINS`` plus the origins of the registered
  clients' redirect and post-logout URIs, so registering the web app is enough for
  its sign-in to work.

No policy allows credentials: browsers send bearer tokens, never Parley cookies,
across origins.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

ALLOWED_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
ALLOWED_HEADERS = ("Authorization", "Content-Type", "X-Request-Id")
# What a browser client may read from a response: pagination, back-off, why a
# token was refused, the rate-limit budget, and the id to quote in a bug report.
EXPOSED_HEADERS = (
    "Link",
    "Retry-After",
    "WWW-Authenticate",
    "X-Rate-Limit-Limit",
    "X-Rate-Limit-Remaining",
    "X-Rate-Limit-Reset",
    "X-Request-Id",
)
PREFLIGHT_MAX_AGE_SECONDS = 600


def _policy(
    app: ASGIApp, origins: Iterable[str], methods: Iterable[str]
) -> CORSMiddleware:
    return CORSMiddleware(
        app,
        allow_origins=sorted(set(origins)),
        allow_methods=list(methods),
        allow_headers=list(ALLOWED_HEADERS),
        expose_headers=list(EXPOSED_HEADERS),
        allow_credentials=False,
        max_age=PREFLIGHT_MAX_AGE_SECONDS,
    )


class CorsPolicies:
    """Routes each HTTP request through the CORS policy of its path."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        api_origins: Collection[str],
        public_paths: Collection[str] = (),
        issuer_paths: Collection[str] = (),
        issuer_origins: Collection[str] = (),
    ) -> None:
        self.app = app
        self._api = _policy(app, api_origins, ALLOWED_METHODS)
        self._public_paths = frozenset(public_paths)
        self._public = _policy(app, ["*"], ["GET", "HEAD"])
        self._issuer_paths = frozenset(issuer_paths)
        self._issuer = _policy(
            app, {*api_origins, *issuer_origins}, ["GET", "HEAD", "POST"]
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if path in self._public_paths:
            await self._public(scope, receive, send)
        elif path in self._issuer_paths:
            await self._issuer(scope, receive, send)
        else:
            await self._api(scope, receive, send)
