"""The application factory: settings, database, auth, routers, error handlers."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from parley import __version__, input_guard, metrics
from parley.apikeys.auth import ApiKeyTokens
from parley.apikeys.router import router as apikeys_router
from parley.apikeys.signing import TokenSigner
from parley.assets.router import router as assets_router
from parley.assets.storage import (
    STALE_UPLOAD_SECONDS,
    AssetStorage,
    configure_storage,
)
from parley.auth.deps import Authenticator
from parley.auth.keys import KeySource, RemoteJwks
from parley.auth.local_issuer import LocalIssuer
from parley.auth.provider.router import CORS_PATHS as ISSUER_CORS_PATHS
from parley.auth.provider.router import SignInLimits, provider_router
from parley.auth.provider.server import Provider
from parley.auth.router import router as auth_router
from parley.auth.verifier import TokenVerifier
from parley.booking.page import router as booking_page_router
from parley.booking.router import router as booking_router
from parley.calendar import ics as calendar_ics
from parley.calendar.router import router as calendar_router
from parley.compat.easycalendar.router import router as easycalendar_router
from parley.compat.jitsi.router import jitsi_router
from parley.compat.videsk.router import router as videsk_router
from parley.config import Settings, get_settings
from parley.cors import CorsPolicies
from parley.db import Database, create_engine
from parley.errors import install_error_handlers
from parley.events.invites_router import router as event_invites_router
from parley.events.router import router as events_router
from parley.health import router as health_router
from parley.input_guard import refuse_nul_characters
from parley.invites.router import router as invites_router
from parley.mail import notify as mail_notify
from parley.mail.worker import MailWorker
from parley.metrics_router import router as metrics_router
from parley.middleware import BodySizeLimit, RequestObserver
from parley.openapi import install_openapi
from parley.ratelimit import DialInLimits, create_failure_limiter
from parley.recording.router import router as recording_router
from parley.request_budgets import BudgetLimiter
from parley.reservations.router import router as reservations_router
from parley.rooms import access_tokens
from parley.rooms.router import router as rooms_router
from parley.shared_folders.registry import configure_provider
from parley.shared_folders.router import router as shared_folders_router
from parley.signaling.hub import SignalingHub
from parley.signaling.router import router as signaling_router
from parley.signaling.router import websocket_router as signaling_websocket_router
from parley.signaling.state import SignalingState
from parley.sip.router import router as sip_router
from parley.streaming.router import router as streaming_router
from parley.tariffs import service as tariffs_service
from parley.tariffs.config import TariffCatalogue
from parley.tariffs.router import router as tariffs_router
from parley.turn_router import router as turn_router
from parley.users.router import router as users_router
from parley.wiring import wire

logger = logging.getLogger(__name__)

API_DESCRIPTION = (
    "Parley's primary API: a clone of the OpenTalk controller frontend API (version 1). "
    "Errors are `{code, message}` bodies; 422 bodies add `errors`."
)


def api_v1_router() -> APIRouter:
    """Every /v1 route, mounted in one place."""
    v1 = APIRouter(prefix="/v1")
    for router in (
        auth_router,
        rooms_router,
        invites_router,
        users_router,
        streaming_router,
        assets_router,
        tariffs_router,
        recording_router,
        events_router,
        event_invites_router,
        shared_folders_router,
        booking_router,
        calendar_router,
        signaling_router,
        sip_router,
        turn_router,
    ):
        v1.include_router(router)
    return v1


def _key_source(settings: Settings, local_issuer: LocalIssuer | None) -> KeySource:
    if local_issuer is not None:
        return local_issuer
    return RemoteJwks(settings.issuer_url)


async def _start_mail_worker(
    database: Database, settings: Settings
) -> MailWorker | None:
    """Deliver queued mail in the background; without SMTP nothing is queued."""
    if not settings.mail_enabled:
        logger.info("e-mail notifications are off: PARLEY_SMTP_HOST is not set")
        return None
    worker = MailWorker(database, settings)
    await worker.start()
    return worker


def _configure_process(settings: Settings) -> AssetStorage:
    """The process-wide services the settings describe (one app runs per process)."""
    tariffs_service.install_catalogue(TariffCatalogue.from_settings(settings))
    calendar_ics.configure(base_url=settings.base_url)
    configure_provider(settings)
    mail_notify.configure(settings)
    return configure_storage(settings)


def _install_middleware(
    app: FastAPI, settings: Settings, provider: Provider | None
) -> None:
    """The request pipeline; each one added wraps those before it.

    From the outside in: forwarded headers (the client address everything
    after it sees), the observer (request id, log line, metrics: it sees every
    answer, preflights too), CORS (every preflight answered before routing;
    parley.cors), the body limit.
    """
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(
        CorsPolicies,
        api_origins=settings.cors_origin_list,
        public_paths={
            f"{settings.jitsi_prefix}/conferenceMapper",
            f"{settings.jitsi_prefix}/phoneNumberList",
        },
        issuer_paths=ISSUER_CORS_PATHS if provider is not None else (),
        issuer_origins=provider.client_origins() if provider is not None else (),
    )
    app.add_middleware(RequestObserver)
    if settings.trusted_proxy_list:
        # The one place the client address is decided (parley.ratelimit.client_address
        # reads what it leaves in the scope); without trusted proxies the headers
        # are ignored.
        app.add_middleware(
            ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxy_list
        )


def create_app(
    settings: Settings | None = None,
    database: Database | None = None,
    signaling_state: SignalingState | None = None,
) -> FastAPI:
    """Build the app. Without arguments it reads the environment (uvicorn --factory).

    Tests pass a ``database`` and a ``signaling_state`` to share them between
    app instances; otherwise both are created from the settings at start-up.
    ``app.state.provided_database`` may be replaced before the next start (tests
    reuse one app with each test's database).
    """
    settings = settings or get_settings()
    wire()
    local_issuer = (
        LocalIssuer.from_data_dir(
            issuer=settings.issuer_url,
            data_dir=settings.data_dir,
            audience=settings.oidc_audience,
        )
        if settings.uses_local_issuer
        else None
    )
    _configure_process(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Again at each start: an app built earlier may be started after another
        # app (tests reuse apps) reconfigured these process-wide services.
        asset_storage = _configure_process(settings)
        provided: Database | None = app.state.provided_database
        app.state.database = provided or Database.from_engine(create_engine(settings))
        verifier = TokenVerifier(
            _key_source(settings, local_issuer),
            issuer=settings.issuer_url,
            audience=settings.oidc_audience,
            leeway_seconds=settings.oidc_leeway_seconds,
        )
        signer = TokenSigner.from_file(
            settings.api_token_key_path,
            base_url=settings.base_url,
            leeway_seconds=settings.oidc_leeway_seconds,
        )
        app.state.api_token_signer = signer
        app.state.room_token_signer = access_tokens.token_signer(
            settings.api_token_key_path.read_bytes(),
            base_url=settings.base_url,
            leeway_seconds=settings.oidc_leeway_seconds,
        )
        app.state.authenticator = Authenticator.create(
            verifier,
            ApiKeyTokens(signer, recheck_seconds=settings.api_key_recheck_seconds),
        )
        swept = await asset_storage.sweep_stale_uploads(STALE_UPLOAD_SECONDS)
        if swept:
            logger.info("deleted %d abandoned asset uploads", swept)
        hub = SignalingHub.from_settings(settings, state=signaling_state)
        await hub.start()
        app.state.signaling = hub
        # Shared by the dial-in surfaces (conference mapper, call-in): parley.ratelimit.
        app.state.failure_limiter = create_failure_limiter(
            settings.redis_url, key_prefix=settings.redis_key_prefix
        )
        # Request budgets (EasyCalendar's rate limits): parley.request_budgets.
        app.state.budget_limiter = BudgetLimiter.create(
            settings.redis_url, key_prefix=settings.redis_key_prefix
        )
        mail_worker = await _start_mail_worker(app.state.database, settings)
        try:
            yield
        finally:
            # Sessions first (1001, `left` to the others), while the state still works.
            await hub.aclose()
            if mail_worker is not None:
                await mail_worker.aclose()
            await app.state.failure_limiter.aclose()
            await app.state.budget_limiter.aclose()
            await verifier.aclose()
            if provided is None:
                await app.state.database.dispose()
            metrics.forget_this_process()

    app = FastAPI(
        title="Parley",
        version=__version__,
        description=API_DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs",
        openapi_url="/openapi.json",
        # Every route, whatever router it comes from: text PostgreSQL cannot store.
        dependencies=[Depends(refuse_nul_characters)],
    )
    app.state.settings = settings
    app.state.provided_database = database
    app.state.local_issuer = local_issuer
    app.state.dial_in_limits = DialInLimits.from_settings(settings)
    install_error_handlers(app)
    input_guard.install(app)
    install_openapi(app)
    provider = (
        Provider(issuer=local_issuer, settings=settings)
        if local_issuer is not None
        else None
    )
    _install_middleware(app, settings, provider)
    app.include_router(health_router)
    app.include_router(metrics_router)
    app.include_router(api_v1_router())
    app.include_router(apikeys_router)
    app.include_router(reservations_router)
    app.include_router(jitsi_router(settings.jitsi_prefix))
    app.include_router(easycalendar_router)
    app.include_router(videsk_router)
    app.include_router(booking_page_router)
    app.include_router(signaling_websocket_router)
    if provider is not None:
        app.include_router(
            provider_router(provider, SignInLimits.from_settings(settings))
        )
    if settings.bench_endpoints and settings.is_postgres:
        from parley import bench_reference

        bench_reference.install(app, settings)
    return app
