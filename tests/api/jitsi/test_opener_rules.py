"""Who may open a reserved room, as Prosody's mod_reservations asks (PARLEY_JITSI_OPENER).

Prosody sends the XMPP JID of whoever creates the room as `mail_owner`; scheduler
reservations name an e-mail owner. By default (`anyone`) the reservation decides
when the room may run; `owner` also requires the opener to be its owner.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from tests.api.jitsi.test_reservation_protocol import PROSODY, TOKEN, allocate
from tests.api.reservations.helpers import (
    SCHEDULER,
    app_client,
    reserve,
    unique_room,
    utc_wall,
)

# What a real Prosody sends: a random node for anonymous or token logins.
ANONYMOUS_JID = "8c2a4e1f-0b9d-4f3a-9e51-6d0f2b7c1a33@guest.meet.example.com"


@pytest.fixture
async def strict(make_app: Callable[..., FastAPI]) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(
        make_app, jitsi_auth_token=SecretStr(TOKEN), jitsi_opener="owner"
    ) as client:
        yield client


@pytest.fixture
async def default(make_app: Callable[..., FastAPI]) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(make_app, jitsi_auth_token=SecretStr(TOKEN)) as client:
        yield client


async def test_by_default_anyone_opens_a_reservation_inside_its_window(
    default: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    name = unique_room("Standup")
    reservation = await reserve(default, alice, name=name, start_time=utc_wall(-5))
    opened = await allocate(default, name, f"{ANONYMOUS_JID}/resource-1")
    assert opened.status_code == 200, opened.text
    assert (opened.json()["id"], opened.json()["mail_owner"]) == (
        reservation["id"],
        "alice@example.com",
    )
    # The opener is recorded and shown to the owner while the conference runs.
    shown = await default.get(f"{SCHEDULER}/conference/room/{name}", headers=alice)
    assert shown.json()["opened_by"] == f"{ANONYMOUS_JID}/resource-1"
    # A second Prosody (or a restarted one) gets the 409 and recovers the conference.
    again = await allocate(default, name, "someone@meet.example.com")
    assert (again.status_code, again.json()["conflict_id"]) == (409, reservation["id"])
    # Ended: the opener is cleared with the conference.
    await default.delete(f"/jitsi/conference/{reservation['id']}", headers=PROSODY)
    ended = await default.get(
        f"{SCHEDULER}/reservation/{reservation['id']}", headers=alice
    )
    assert ended.json()["opened_by"] is None


async def test_by_default_the_window_still_decides_when(
    default: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    name = unique_room()
    await reserve(default, alice, name=name, start_time=utc_wall(60))
    early = await allocate(default, name, ANONYMOUS_JID)
    assert early.status_code == 403
    assert early.json()["code"] == "conference_forbidden"
    assert "has not started yet" in early.json()["message"]


@pytest.mark.parametrize(
    "opener",
    [
        "alice@example.com",
        "Alice@Example.com/web-7f3a",  # the resource does not matter, nor the case
        "alice\\40example.com@meet.example.com",  # XEP-0106: e-mail as the user name
        "ALICE\\40EXAMPLE.COM@meet.example.com/phone",
    ],
)
async def test_strict_mode_opens_for_the_owner(
    strict: httpx.AsyncClient, alice: dict[str, str], opener: str
) -> None:
    name = unique_room()
    reservation = await reserve(strict, alice, name=name, start_time=utc_wall(-5))
    opened = await allocate(strict, name, opener)
    assert (opened.status_code, opened.json()["id"]) == (200, reservation["id"])


@pytest.mark.parametrize(
    "opener",
    [
        ANONYMOUS_JID,
        "mallory@example.com",
        "alice@meet.example.com",  # same local part, another address
        "alice\\40example.com.evil@meet.example.com",
        "",
    ],
)
async def test_strict_mode_refuses_everyone_else(
    strict: httpx.AsyncClient, alice: dict[str, str], opener: str
) -> None:
    name = unique_room()
    reservation = await reserve(strict, alice, name=name, start_time=utc_wall(-5))
    refused = await allocate(strict, name, opener)
    assert refused.status_code == 403
    assert refused.json() == {
        "code": "conference_forbidden",
        "message": f"{name} is reserved by someone else",
    }
    shown = await strict.get(
        f"{SCHEDULER}/reservation/{reservation['id']}", headers=alice
    )
    assert shown.json()["opened_by"] is None


async def test_strict_refusal_is_not_bypassed_by_the_409_path(
    strict: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    """The owner's conference runs; a stranger's POST must not get its conflict_id.

    A 409 makes Prosody GET /conference/{conflict_id} and let the creator in, which
    would admit someone the rule refuses.
    """
    name = unique_room()
    reservation = await reserve(strict, alice, name=name, start_time=utc_wall(-5))
    assert (await allocate(strict, name, "alice@example.com")).status_code == 200
    stranger = await allocate(strict, name, "mallory@example.com")
    assert stranger.status_code == 403
    assert "conflict_id" not in stranger.json()
    assert stranger.json()["code"] == "conference_forbidden"
    # The owner (a restarted Prosody) still recovers the running conference.
    owner_again = await allocate(strict, name, "alice@example.com/other-device")
    assert (owner_again.status_code, owner_again.json()["conflict_id"]) == (
        409,
        reservation["id"],
    )


async def test_strict_mode_leaves_ad_hoc_conferences_open(
    strict: httpx.AsyncClient,
) -> None:
    """Ad hoc allocations have no owner: a restarted Prosody recovers them (409)."""
    name = unique_room()
    created = await allocate(strict, name, ANONYMOUS_JID)
    assert created.status_code == 201
    other = await allocate(strict, name, "someone-else@guest.meet.example.com")
    assert (other.status_code, other.json()["conflict_id"]) == (
        409,
        created.json()["id"],
    )


async def test_an_overlong_identity_is_a_400(default: httpx.AsyncClient) -> None:
    response = await allocate(default, unique_room(), "x" * 256 + "@meet.example.com")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_conference_request"
    assert "mail_owner" in response.json()["message"]
