"""POST /v1/services/recording/start: recorder role required; no media server → 404.

With a Janus configured it gives the recorder a ticket (tests/media/test_recorder.py).
"""

from __future__ import annotations

import uuid

import httpx

from tests.oidc_issuer import TestIssuer

RECORDER_ROLES = {"realm_access": {"roles": ["opentalk-recorder"]}}


async def test_start_without_a_media_server_is_404(
    client: httpx.AsyncClient, oidc_issuer: TestIssuer
) -> None:
    headers = oidc_issuer.headers("recorder@example.com", **RECORDER_ROLES)
    response = await client.post(
        "/v1/services/recording/start",
        json={"room_id": str(uuid.uuid4())},
        headers=headers,
    )
    assert response.status_code == 404
    assert response.json() == {
        "code": "not_found",
        "message": "Recording is not available: no media server is configured",
    }


async def test_start_needs_the_recorder_role(
    client: httpx.AsyncClient, oidc_issuer: TestIssuer, alice: dict[str, str]
) -> None:
    body = {"room_id": str(uuid.uuid4())}
    call_in = oidc_issuer.headers(
        "gateway@example.com", realm_access={"roles": ["opentalk-call-in"]}
    )
    for headers in ({}, alice, call_in):
        response = await client.post(
            "/v1/services/recording/start", json=body, headers=headers
        )
        assert response.status_code == 401
        assert response.json()["code"] == "unauthorized"


async def test_start_validates_its_body(
    client: httpx.AsyncClient, oidc_issuer: TestIssuer
) -> None:
    headers = oidc_issuer.headers("recorder@example.com", **RECORDER_ROLES)
    for body, field in (
        ({}, "room_id"),
        ({"room_id": "x"}, "room_id"),
    ):
        response = await client.post(
            "/v1/services/recording/start", json=body, headers=headers
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == field
