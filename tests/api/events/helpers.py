"""Builders for event API tests."""

from __future__ import annotations

from typing import Any

import httpx

ZONE = "Europe/Berlin"


def dt(text: str, zone: str = ZONE) -> dict[str, str]:
    """A DateTimeTZ body value."""
    return {"datetime": text, "timezone": zone}


def event_body(
    start: str | None = "2030-01-07T08:00:00Z",
    end: str | None = "2030-01-07T09:00:00Z",
    *,
    zone: str = ZONE,
    pattern: list[str] | None = None,
    all_day: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Planning",
        "description": "Quarterly planning",
        "is_time_independent": start is None,
    }
    if start is not None and end is not None:
        body.update(
            is_all_day=all_day, starts_at=dt(start, zone), ends_at=dt(end, zone)
        )
    if pattern is not None:
        body["recurrence_pattern"] = pattern
    body.update(extra)
    return body


async def create_event(
    client: httpx.AsyncClient, headers: dict[str, str], **kwargs: Any
) -> dict[str, Any]:
    body = kwargs.pop("body", None) or event_body(**kwargs)
    response = await client.post("/v1/events", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def me(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    response = await client.get("/v1/users/me", headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def public(profile: dict[str, Any]) -> dict[str, Any]:
    """The PublicUserProfile part of a private profile."""
    keys = (
        "id",
        "email",
        "title",
        "firstname",
        "lastname",
        "display_name",
        "avatar_url",
    )
    return {key: profile[key] for key in keys}


async def invite(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    event_id: str,
    body: dict[str, Any],
    expected: int = 201,
) -> None:
    response = await client.post(
        f"/v1/events/{event_id}/invites", json=body, headers=headers
    )
    assert response.status_code == expected, response.text


def registered_invitee(
    profile: dict[str, Any], *, role: str = "user", status: str = "pending"
) -> dict[str, Any]:
    """An EventInvitee entry of a registered user, from their /users/me profile."""
    return {
        "profile": {"kind": "registered", **public(profile), "role": role},
        "status": status,
    }
