"""The OpenAPI document: FastAPI's, plus the spec's security schemes."""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi


def install_openapi(app: FastAPI) -> None:
    """Declare BearerAuth globally; routes with `security: []` opt out, as in the spec."""

    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
        schemes["BearerAuth"] = {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
        }
        schemes["InviteCode"] = {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "InviteCode",
        }
        schemes["RoomAccessToken"] = {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "A room access token (Videsk accessToken): admits a guest",
        }
        schemes["EasyCalendarKey"] = {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "api_key:api_secret of an easycalendar API key",
        }
        schemes["EasyCalendarBasic"] = {"type": "http", "scheme": "basic"}
        schemes["VideskApiToken"] = {
            "type": "http",
            "scheme": "bearer",
            "description": "The secret of a videsk API key (api-token)",
        }
        schemes["MetricsToken"] = {
            "type": "http",
            "scheme": "bearer",
            "description": "PARLEY_METRICS_TOKEN",
        }
        schema["security"] = [{"BearerAuth": []}]
        app.openapi_schema = schema
        return schema

    app.openapi = build  # type: ignore[method-assign]


def render(app: FastAPI) -> str:
    """The document as committed under openapi/: stable key order, trailing newline."""
    return (
        json.dumps(app.openapi(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    )
