"""No secret reaches a log line: requests carrying each kind of credential, right
and wrong, in headers, bodies and paths, with every logger at DEBUG."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from parley.db import Database
from tests.api.calendar.test_endpoints import new_feed
from tests.api.reservations.helpers import make_api_key
from tests.api.rooms.test_rooms import create_room
from tests.api.signaling.test_call_in import call_in, other_pin, sip_room
from tests.api.signaling.test_start import new_invite, start_invited, user_id
from tests.conftest import CapturedLogs
from tests.oidc_issuer import TestIssuer

JITSI_TOKEN = "jitsi-secret-6b1e0c4f9a"
METRICS_TOKEN = "metrics-secret-0f3a9d27c1"
ROOM_PASSWORD = "room-secret-4e8d1a"
WRONG_PASSWORD = "wrong-secret-7c2b95"


async def test_no_secret_reaches_the_logs(
    make_app: Callable[..., FastAPI],
    captured_logs: CapturedLogs,
    oidc_issuer: TestIssuer,
    database: Database,
) -> None:
    app = make_app(
        jitsi_auth_token=SecretStr(JITSI_TOKEN),
        metrics_token=SecretStr(METRICS_TOKEN),
    )
    secrets = [JITSI_TOKEN, METRICS_TOKEN, ROOM_PASSWORD, WRONG_PASSWORD]
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test"
        ) as http,
    ):
        alice = oidc_issuer.headers("secrets@example.com", given_name="Alice")
        gateway = oidc_issuer.headers(
            "gateway@services.example",
            email=None,
            realm_access={"roles": ["OpenTalk-Call-In"]},
        )
        access_token = alice["Authorization"].removeprefix("Bearer ")
        forged = access_token[:-10] + "AAAAAAAAAA"
        secrets += [access_token, forged, gateway["Authorization"][7:]]
        assert (await http.get("/v1/users/me", headers=alice)).status_code == 200
        bad = await http.get(
            "/v1/users/me", headers={"Authorization": f"Bearer {forged}"}
        )
        assert bad.status_code == 401

        # Room password and invite code: right and wrong, in bodies and paths.
        room = await create_room(http, alice, password=ROOM_PASSWORD)
        code = await new_invite(http, alice, room["id"])
        unknown_code = str(uuid.uuid4())
        secrets += [code, unknown_code]
        wrong = await start_invited(
            http, room["id"], invite_code=code, password=WRONG_PASSWORD
        )
        assert wrong.json()["code"] == "wrong_room_password"
        started = await start_invited(
            http, room["id"], invite_code=code, password=ROOM_PASSWORD
        )
        assert started.status_code == 200, started.text
        secrets += [started.json()["ticket"], started.json()["resumption"]]
        assert (
            await http.get(f"/v1/rooms/{room['id']}/invites/{code}", headers=alice)
        ).status_code == 200
        for presented in (code, unknown_code):
            await http.post("/v1/invite/verify", json={"invite_code": presented})
            await http.get(
                "/v1/turn", headers={"Authorization": f"InviteCode {presented}"}
            )

        # Call-in id and PIN.
        config = await sip_room(http, alice, database)
        secrets += [config.password, other_pin(config.password)]
        refused = await call_in(
            http, gateway, id=config.sip_id, pin=other_pin(config.password)
        )
        assert refused.status_code == 400
        admitted = await call_in(http, gateway, id=config.sip_id, pin=config.password)
        assert admitted.status_code == 200, admitted.text
        secrets.append(admitted.json()["ticket"])

        # API key secrets and the tokens they mint.
        api_secret = await make_api_key(database, await user_id(http, alice))
        minted = await http.post(
            "/api/v1/misc/generate-token", json={"apiKey": api_secret}
        )
        assert minted.status_code == 200, minted.text
        wrong_key = "prly_" + "x" * 40
        await http.post("/api/v1/misc/generate-token", json={"apiKey": wrong_key})
        api_token = minted.json()["token"]
        secrets += [api_secret, wrong_key, api_token]
        own = await http.get(
            "/v1/users/me", headers={"Authorization": f"Bearer {api_token}"}
        )
        assert own.status_code == 200

        # The calendar feed's token is in its path.
        feed = await new_feed(http, alice)
        secrets.append(feed.removeprefix("/v1/calendar/feeds/").removesuffix(".ics"))
        assert (await http.get(feed)).status_code == 200

        # Service tokens in headers.
        for token in (JITSI_TOKEN, WRONG_PASSWORD):
            await http.get(
                "/jitsi/conference/1", headers={"Authorization": f"Bearer {token}"}
            )
            await http.get("/metrics", headers={"Authorization": f"Bearer {token}"})
        metrics = await http.get(
            "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
        )
        assert metrics.status_code == 200

    logged = captured_logs.text()
    # The capture works: every request left its line.
    assert len(captured_logs.access()) >= 25
    leaked = [secret for secret in secrets if secret in logged]
    assert leaked == []


async def test_database_errors_do_not_show_statement_parameters(
    engine: AsyncEngine,
) -> None:
    # An error's text ends up in logs (a 5xx logs it): the parameters stay out.
    with pytest.raises(DBAPIError) as failure:
        async with engine.connect() as connection:
            await connection.execute(
                text("SELECT * FROM no_such_table WHERE pin = :pin"),
                {"pin": ROOM_PASSWORD},
            )
    assert "no_such_table" in str(failure.value)
    assert ROOM_PASSWORD not in str(failure.value)
