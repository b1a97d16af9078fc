"""POST /services/call_in/start: service role, id + PIN, brute-force limits."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from parley.db import Database
from parley.signaling.state import Participation
from parley.sip.models import SipConfig
from tests.api.rooms.test_rooms import create_room
from tests.api.signaling.test_start import take_ticket
from tests.api.tariffs.test_tariffs import TARIFFS, assign
from tests.conftest import AppClient
from tests.oidc_issuer import TestIssuer

INVALID = {
    "code": "invalid_credentials",
    "message": "The given call-in id and pin combination is not valid",
}


@pytest.fixture
def gateway(oidc_issuer: TestIssuer) -> dict[str, str]:
    """A call-in gateway's service token (no e-mail, a realm role)."""
    token = oidc_issuer.sign(
        oidc_issuer.claims_for(
            "gateway@services.example",
            email=None,
            azp="call-in-gateway",
            realm_access={"roles": ["OpenTalk-Call-In"]},
        )
    )
    return {"Authorization": f"Bearer {token}"}


async def sip_room(
    client: httpx.AsyncClient, headers: dict[str, str], database: Database
) -> SipConfig:
    room = await create_room(client, headers, enable_sip=True)
    async with database.sessionmaker() as session:
        config = await session.scalar(
            select(SipConfig).where(SipConfig.room_id == uuid.UUID(str(room["id"])))
        )
    assert config is not None
    return config


async def call_in(
    client: httpx.AsyncClient, headers: dict[str, str], **body: Any
) -> httpx.Response:
    return await client.post("/v1/services/call_in/start", json=body, headers=headers)


def other_pin(pin: str) -> str:
    return f"{(int(pin) + 1) % 10**10:010d}"


async def test_gateway_starts_a_sip_participant(
    app: FastAPI,
    client: httpx.AsyncClient,
    alice: dict[str, str],
    gateway: dict[str, str],
    database: Database,
) -> None:
    config = await sip_room(client, alice, database)

    response = await call_in(client, gateway, id=config.sip_id, pin=config.password)

    ticket = await take_ticket(app, response)
    assert ticket.participation == Participation.sip()
    assert ticket.room_id == config.room_id
    assert set(response.json()) == {"ticket", "resumption"}


async def test_wrong_pin_and_unknown_id_are_the_same_400(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    gateway: dict[str, str],
    database: Database,
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = await sip_room(client, alice, database)
    unknown_id = other_pin(config.sip_id)
    caplog.set_level(logging.WARNING, logger="parley.signaling.start")

    wrong_pin = await call_in(
        client, gateway, id=config.sip_id, pin=other_pin(config.password)
    )
    unknown = await call_in(client, gateway, id=unknown_id, pin=config.password)

    assert (wrong_pin.status_code, wrong_pin.json()) == (400, INVALID)
    assert (unknown.status_code, unknown.json()) == (400, INVALID)
    assert wrong_pin.headers.keys() == unknown.headers.keys()
    failures = [r.getMessage() for r in caplog.records]
    assert len(failures) == 2
    assert all("call-in failed" in line for line in failures)
    assert all(config.password not in line for line in failures)


async def test_user_tokens_without_the_role_get_401(
    client: httpx.AsyncClient, alice: dict[str, str], oidc_issuer: TestIssuer
) -> None:
    other_role = oidc_issuer.headers(
        "rec@services.example", realm_access={"roles": ["opentalk-recorder"]}
    )
    body = {"id": "0123456789", "pin": "0123456789"}

    for headers in (alice, other_role, {}):
        response = await call_in(client, headers, **body)
        assert response.status_code == 401
        assert response.json()["code"] == "unauthorized"


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"id": "123", "pin": "0123456789"}, ["id"]),
        ({"id": "0123456789", "pin": "01234567890"}, ["pin"]),
        ({"id": "01234abcde", "pin": "0123456789"}, ["id"]),
        ({"id": 123456789, "pin": "0123456789"}, ["id"]),
        ({"pin": "0123456789"}, ["id"]),
    ],
)
async def test_malformed_ids_and_pins_are_422(
    client: httpx.AsyncClient,
    gateway: dict[str, str],
    body: dict[str, Any],
    fields: list[str],
) -> None:
    response = await call_in(client, gateway, **body)

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == fields


@pytest.fixture
async def strict_client(client_with: AppClient) -> AsyncIterator[httpx.AsyncClient]:
    """An app allowing 3 failures per id and 5 per source within 60 seconds."""
    async with client_with(
        dial_in_max_failures_per_id=3,
        dial_in_max_failures_per_source=5,
        dial_in_failure_window_seconds=60,
    ) as http:
        yield http


async def test_repeated_failures_for_one_id_lock_it_out_with_retry_after(
    strict_client: httpx.AsyncClient,
    alice: dict[str, str],
    gateway: dict[str, str],
    database: Database,
) -> None:
    config = await sip_room(strict_client, alice, database)
    other = await sip_room(strict_client, alice, database)
    wrong = other_pin(config.password)
    for _ in range(3):
        response = await call_in(strict_client, gateway, id=config.sip_id, pin=wrong)
        assert response.status_code == 400

    # Even the right PIN is refused now: guessing on cannot reveal it.
    locked = await call_in(
        strict_client, gateway, id=config.sip_id, pin=config.password
    )
    elsewhere = await call_in(
        strict_client, gateway, id=other.sip_id, pin=other.password
    )

    assert locked.status_code == 429
    assert locked.json() == {
        "code": "too_many_attempts",
        "message": "Too many failed attempts, try again later",
    }
    assert 0 < int(locked.headers["retry-after"]) <= 60
    assert elsewhere.status_code == 200


async def test_failures_across_ids_lock_out_the_calling_source(
    strict_client: httpx.AsyncClient,
    alice: dict[str, str],
    gateway: dict[str, str],
    database: Database,
) -> None:
    config = await sip_room(strict_client, alice, database)
    for n in range(5):
        guess = f"{9_000_000_000 + n:010d}"
        response = await call_in(strict_client, gateway, id=guess, pin=guess)
        assert response.status_code == 400

    locked = await call_in(
        strict_client, gateway, id=config.sip_id, pin=config.password
    )

    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) > 0


MAPPER = "/jitsi/conferenceMapper"


async def test_call_in_and_the_conference_mapper_share_one_budget(
    strict_client: httpx.AsyncClient,
    alice: dict[str, str],
    gateway: dict[str, str],
    database: Database,
) -> None:
    """Guesses at either dial-in surface count against the same per-address budget."""
    config = await sip_room(strict_client, alice, database)
    for n in range(3):
        miss = await strict_client.get(MAPPER, params={"id": f"{8_000_000_000 + n}"})
        assert miss.json()["conference"] is False
    for n in range(2):
        guess = f"{9_100_000_000 + n:010d}"
        assert (
            await call_in(strict_client, gateway, id=guess, pin=guess)
        ).status_code == 400

    # 5 failures in all: both surfaces now refuse, even right answers.
    locked = await call_in(
        strict_client, gateway, id=config.sip_id, pin=config.password
    )
    mapper = await strict_client.get(MAPPER, params={"id": "8000000000"})

    assert locked.status_code == 429
    assert mapper.status_code == 429
    assert mapper.json()["code"] == "too_many_attempts"
    assert 0 < int(mapper.headers["retry-after"]) <= 60


async def test_success_clears_the_failures_of_the_id(
    strict_client: httpx.AsyncClient,
    alice: dict[str, str],
    gateway: dict[str, str],
    database: Database,
) -> None:
    config = await sip_room(strict_client, alice, database)
    wrong = other_pin(config.password)
    for attempt in (wrong, wrong, config.password, wrong, wrong, config.password):
        response = await call_in(strict_client, gateway, id=config.sip_id, pin=attempt)
        assert response.status_code == (200 if attempt == config.password else 400)


@pytest.fixture
async def basic_client(
    client_with: AppClient, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    """Everyone is on tariff Basic (no call-in) unless assigned Premium."""
    path = tmp_path / "tariffs.toml"
    path.write_text(TARIFFS)
    async with client_with(tariffs_file=path, default_tariff="Basic") as http:
        yield http


async def test_call_in_on_a_tariff_without_it_is_403_only_with_the_right_pin(
    basic_client: httpx.AsyncClient,
    alice: dict[str, str],
    gateway: dict[str, str],
    database: Database,
) -> None:
    await basic_client.get("/v1/users/me", headers=alice)
    await assign(database, "alice@example.com", "Premium")
    config = await sip_room(basic_client, alice, database)
    await assign(database, "alice@example.com", None)  # downgraded to Basic

    right = await call_in(basic_client, gateway, id=config.sip_id, pin=config.password)
    wrong = await call_in(
        basic_client, gateway, id=config.sip_id, pin=other_pin(config.password)
    )
    unknown = await call_in(
        basic_client, gateway, id=other_pin(config.sip_id), pin=config.password
    )

    assert right.status_code == 403
    assert right.json() == {
        "code": "feature_disabled_by_tariff",
        "message": "The room owner's tariff does not include core::call_in",
    }
    # Without the PIN nothing tells the id apart from an unknown one.
    assert (wrong.status_code, wrong.json()) == (400, INVALID)
    assert (unknown.status_code, unknown.json()) == (400, INVALID)
    await assign(database, "alice@example.com", "Premium")
    again = await call_in(basic_client, gateway, id=config.sip_id, pin=config.password)
    assert again.status_code == 200
