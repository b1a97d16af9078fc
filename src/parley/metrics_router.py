"""GET /metrics: the Prometheus metrics (parley.metrics), behind PARLEY_METRICS_TOKEN."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from parley.config import Settings
from parley.errors import AppError, ErrorBody, NotFound
from parley.metrics import exposition_registry


class MetricsUnauthorized(AppError):
    status_code = 401
    code = "unauthorized"
    default_message = "A valid metrics token is required"

    def __init__(self) -> None:
        super().__init__(headers={"WWW-Authenticate": 'Bearer realm="metrics"'})


class MetricsNotServed(NotFound):
    default_message = "Metrics are not served on this port"


async def require_metrics_token(request: Request) -> None:
    """The bearer token of PARLEY_METRICS_TOKEN; 404 when none is configured."""
    settings: Settings = request.app.state.settings
    if settings.metrics_token is None:
        raise MetricsNotServed()
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    expected = settings.metrics_token.get_secret_value()
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        presented.strip().encode(), expected.encode()
    ):
        raise MetricsUnauthorized()


router = APIRouter(tags=["operations"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {
            "description": "Prometheus text exposition format",
            "content": {
                CONTENT_TYPE_LATEST.split(";")[0]: {"schema": {"type": "string"}}
            },
        },
        401: {
            "model": ErrorBody,
            "description": "The metrics token is missing or wrong",
        },
        404: {
            "model": ErrorBody,
            "description": "PARLEY_METRICS_TOKEN is not set (metrics may be served "
            "on PARLEY_METRICS_ADDRESS instead)",
        },
    },
    openapi_extra={"security": [{"MetricsToken": []}]},
)
async def metrics(_token: Annotated[None, Depends(require_metrics_token)]) -> Response:
    """Prometheus metrics of this instance (of all its workers)."""
    # Reading every worker's files takes a few milliseconds: not on the event loop.
    body = await run_in_threadpool(generate_latest, exposition_registry())
    return Response(body, media_type=CONTENT_TYPE_LATEST)
