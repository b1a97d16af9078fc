"""Event invites (by user and by e-mail), answers, pending count and favorites."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.api.events.helpers import create_event, invite, me
from tests.oidc_issuer import TestIssuer


async def invitees(
    client: httpx.AsyncClient, headers: dict[str, str], event_id: str, **params: Any
) -> httpx.Response:
    response = await client.get(
        f"/v1/events/{event_id}/invites", params=params, headers=headers
    )
    assert response.status_code == 200, response.text
    return response


async def pending(client: httpx.AsyncClient, headers: dict[str, str]) -> int:
    response = await client.get("/v1/users/me/pending_invites", headers=headers)
    assert response.status_code == 200
    return int(response.json()["total_pending_invites"])


async def test_invite_accept_decline(
    client: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    event = await create_event(client, alice)
    bob_profile = await me(client, bob)
    await invite(client, alice, event["id"], {"invitee": bob_profile["id"]})
    await invite(client, alice, event["id"], {"invitee": bob_profile["id"]}, 204)
    alice_id = (await me(client, alice))["id"]
    await invite(client, alice, event["id"], {"invitee": alice_id}, 204)  # the creator
    assert await pending(client, bob) == 1
    listed = (await client.get("/v1/events", headers=bob)).json()
    assert [(e["id"], e["invite_status"]) for e in listed] == [(event["id"], "pending")]
    url = f"/v1/events/{event['id']}/invite"
    assert (await client.patch(url, headers=bob)).status_code == 204
    assert await pending(client, bob) == 0
    shown = (await invitees(client, alice, event["id"])).json()
    assert shown == [
        {
            "profile": {
                "kind": "registered",
                "id": bob_profile["id"],
                "email": "bob@example.com",
                "title": "",
                "firstname": "Bob",
                "lastname": "Berg",
                "display_name": bob_profile["display_name"],
                "avatar_url": bob_profile["avatar_url"],
                "role": "user",
            },
            "status": "accepted",
        }
    ]
    assert (await client.delete(url, headers=bob)).status_code == 204
    event_for_bob = await client.get(f"/v1/events/{event['id']}", headers=bob)
    assert event_for_bob.json()["invite_status"] == "declined"
    not_invited = await client.patch(url, headers=alice)
    assert (not_invited.status_code, not_invited.json()["code"]) == (404, "not_found")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"invitee": "not-a-uuid"}, "invitee"),
        ({"invitee": str(uuid.uuid4()), "role": "guest"}, "role"),
        ({"email": "not-an-address"}, "email"),
        ({"email": "x@example.com", "role": "user"}, "role"),
        ({}, "invitee"),
    ],
)
async def test_invalid_invite_bodies(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    body: dict[str, Any],
    field: str,
) -> None:
    event = await create_event(client, alice)
    response = await client.post(
        f"/v1/events/{event['id']}/invites", json=body, headers=alice
    )
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_failed"
    assert field in {
        e.get("field", "").split(".")[-1] for e in response.json()["errors"]
    }


async def test_invite_unknown_user_is_404(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    event = await create_event(client, alice)
    response = await client.post(
        f"/v1/events/{event['id']}/invites",
        json={"invitee": str(uuid.uuid4())},
        headers=alice,
    )
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


async def test_email_invite_converts_when_the_user_signs_in(
    client: httpx.AsyncClient, alice: dict[str, str], oidc_issuer: TestIssuer
) -> None:
    event = await create_event(client, alice)
    await invite(
        client, alice, event["id"], {"email": "Dave@Example.com", "role": "moderator"}
    )
    await invite(client, alice, event["id"], {"email": "dave@example.com"}, 204)
    shown = (await invitees(client, alice, event["id"])).json()
    assert shown == [
        {
            "profile": {
                "kind": "email",
                "email": "dave@example.com",
                "avatar_url": shown[0]["profile"]["avatar_url"],
            },
            "status": "pending",
        }
    ]
    assert shown[0]["profile"]["avatar_url"].startswith(
        "https://seccdn.libravatar.org/avatar/"
    )
    dave = oidc_issuer.headers("dave@example.com", given_name="Dave")
    assert await pending(client, dave) == 1
    listed = (await client.get("/v1/events", headers=dave)).json()
    assert [e["id"] for e in listed] == [event["id"]]
    converted = (await invitees(client, alice, event["id"])).json()
    assert [(i["profile"]["kind"], i["profile"]["role"]) for i in converted] == [
        ("registered", "moderator")
    ]
    room = await client.get(f"/v1/rooms/{event['room']['id']}", headers=dave)
    assert room.status_code == 200


async def test_email_invite_of_registered_user_maps_guest_to_user(
    client: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    event = await create_event(client, alice)
    await me(client, bob)
    await invite(
        client, alice, event["id"], {"email": "BOB@example.com", "role": "guest"}
    )
    shown = (await invitees(client, alice, event["id"])).json()
    assert [(i["profile"]["kind"], i["profile"]["role"]) for i in shown] == [
        ("registered", "user")
    ]
    await invite(client, alice, event["id"], {"email": "bob@example.com"}, 204)


async def test_only_the_creator_manages_invites(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    bob: dict[str, str],
    oidc_issuer: TestIssuer,
) -> None:
    carol = oidc_issuer.headers("carol@example.com")
    event = await create_event(client, alice)
    bob_id = (await me(client, bob))["id"]
    carol_id = (await me(client, carol))["id"]
    await invite(client, alice, event["id"], {"invitee": bob_id})
    base = f"/v1/events/{event['id']}/invites"
    for headers in (bob, carol):
        attempts = [
            await client.post(base, json={"invitee": carol_id}, headers=headers),
            await client.patch(
                f"{base}/{bob_id}", json={"role": "moderator"}, headers=headers
            ),
            await client.delete(f"{base}/{bob_id}", headers=headers),
            await client.patch(
                f"{base}/email", json={"email": "x@example.com"}, headers=headers
            ),
            await client.request(
                "DELETE",
                f"{base}/email",
                json={"email": "x@example.com"},
                headers=headers,
            ),
        ]
        assert [r.status_code for r in attempts] == [403] * 5
    # Invitees may read the invitee list; strangers may not.
    assert (await client.get(base, headers=bob)).status_code == 200
    assert (await client.get(base, headers=carol)).status_code == 403


async def test_update_and_delete_invites(
    client: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    event = await create_event(client, alice)
    bob_id = (await me(client, bob))["id"]
    base = f"/v1/events/{event['id']}/invites"
    await invite(client, alice, event["id"], {"invitee": bob_id})
    await invite(client, alice, event["id"], {"email": "erin@example.com"})
    role = await client.patch(
        f"{base}/{bob_id}", json={"role": "moderator"}, headers=alice
    )
    assert role.status_code == 204
    email_role = await client.patch(
        f"{base}/email",
        json={"email": "ERIN@example.com", "role": "moderator"},
        headers=alice,
    )
    assert email_role.status_code == 204
    shown = (await invitees(client, alice, event["id"])).json()
    assert [i["profile"].get("role") for i in shown] == ["moderator", None]
    unknown = await client.patch(
        f"{base}/{uuid.uuid4()}", json={"role": "user"}, headers=alice
    )
    assert (unknown.status_code, unknown.json()["code"]) == (404, "not_found")
    unknown_email = await client.patch(
        f"{base}/email", json={"email": "nobody@example.com"}, headers=alice
    )
    assert unknown_email.status_code == 404
    bad_role = await client.patch(
        f"{base}/{bob_id}", json={"role": "guest"}, headers=alice
    )
    assert bad_role.status_code == 422

    assert (await client.delete(f"{base}/{bob_id}", headers=alice)).status_code == 204
    assert (
        await client.get(f"/v1/events/{event['id']}", headers=bob)
    ).status_code == 403
    assert (await client.delete(f"{base}/{bob_id}", headers=alice)).status_code == 404
    removed = await client.request(
        "DELETE", f"{base}/email", json={"email": "erin@example.com"}, headers=alice
    )
    assert removed.status_code == 204
    assert (await invitees(client, alice, event["id"])).json() == []
    again = await client.request(
        "DELETE", f"{base}/email", json={"email": "erin@example.com"}, headers=alice
    )
    assert again.status_code == 404


async def test_email_delete_withdraws_registered_users_too(
    client: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    event = await create_event(client, alice)
    bob_id = (await me(client, bob))["id"]
    await invite(client, alice, event["id"], {"invitee": bob_id})
    response = await client.request(
        "DELETE",
        f"/v1/events/{event['id']}/invites/email",
        json={"email": "bob@example.com"},
        headers=alice,
    )
    assert response.status_code == 204
    assert await pending(client, bob) == 0


async def test_invitee_list_pages_and_filters(
    client: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    event = await create_event(client, alice)
    bob_id = (await me(client, bob))["id"]
    await invite(client, alice, event["id"], {"invitee": bob_id})
    await client.patch(f"/v1/events/{event['id']}/invite", headers=bob)
    for n in range(3):
        await invite(client, alice, event["id"], {"email": f"guest{n}@example.com"})
    first = await invitees(client, alice, event["id"], per_page=2)
    assert [i["profile"]["email"] for i in first.json()] == [
        "bob@example.com",
        "guest0@example.com",
    ]
    assert 'rel="next"' in first.headers["link"]
    assert 'rel="last"' in first.headers["link"]
    second = await invitees(client, alice, event["id"], per_page=2, page=2)
    assert [i["profile"]["email"] for i in second.json()] == [
        "guest1@example.com",
        "guest2@example.com",
    ]
    accepted = await invitees(client, alice, event["id"], status="accepted")
    assert [i["profile"]["email"] for i in accepted.json()] == ["bob@example.com"]
    waiting = await invitees(client, alice, event["id"], status="pending")
    assert len(waiting.json()) == 3
    bad = await client.get(
        f"/v1/events/{event['id']}/invites", params={"status": "maybe"}, headers=alice
    )
    assert bad.status_code == 400


async def test_favorites(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    bob: dict[str, str],
    oidc_issuer: TestIssuer,
) -> None:
    event = await create_event(client, alice)
    url = f"/v1/users/me/event_favorites/{event['id']}"
    assert (await client.put(url, headers=alice)).status_code == 201
    assert (await client.put(url, headers=alice)).status_code == 204
    fetched = await client.get(f"/v1/events/{event['id']}", headers=alice)
    assert fetched.json()["is_favorite"] is True
    assert (await client.put(url, headers=bob)).status_code == 403
    unknown = await client.put(
        f"/v1/users/me/event_favorites/{uuid.uuid4()}", headers=alice
    )
    assert unknown.status_code == 404
    assert (await client.delete(url, headers=alice)).status_code == 204
    gone = await client.delete(url, headers=alice)
    assert (gone.status_code, gone.json()["code"]) == (404, "not_found")
    assert (await client.delete(url)).status_code == 401
    refetched = await client.get(f"/v1/events/{event['id']}", headers=alice)
    assert refetched.json()["is_favorite"] is False


async def test_invitee_sees_updates_to_listing_keys(
    client: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    event = await create_event(client, alice)
    bob_id = (await me(client, bob))["id"]
    await invite(client, alice, event["id"], {"invitee": bob_id})
    march = {"time_min": "2030-03-01T00:00:00Z", "time_max": "2030-04-01T00:00:00Z"}
    assert (await client.get("/v1/events", params=march, headers=bob)).json() == []
    moved = await client.patch(
        f"/v1/events/{event['id']}",
        json={
            "starts_at": {"datetime": "2030-03-05T08:00:00Z", "timezone": "UTC"},
            "ends_at": {"datetime": "2030-03-05T09:00:00Z", "timezone": "UTC"},
        },
        headers=alice,
    )
    assert moved.status_code == 200
    listed = (await client.get("/v1/events", params=march, headers=bob)).json()
    assert [e["id"] for e in listed] == [event["id"]]


async def test_notification_hooks_and_their_suppression(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    bob: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from parley.events import notifications

    calls: list[tuple[str, list[str], object]] = []

    def recorder(kind: str) -> Any:
        async def record(session: object, event: object, **kwargs: Any) -> None:
            emails = [r.email for r in kwargs["recipients"]]
            calls.append((kind, emails, kwargs.get("change")))

        return record

    for kind in ("invited", "uninvited", "updated", "deleted"):
        monkeypatch.setattr(notifications, f"notify_{kind}", recorder(kind))
    event = await create_event(client, alice, pattern=["RRULE:FREQ=DAILY;COUNT=3"])
    bob_id = (await me(client, bob))["id"]
    base = f"/v1/events/{event['id']}"
    quiet = {"suppress_email_notification": "true"}
    await client.post(f"{base}/invites", json={"invitee": bob_id}, headers=alice)
    await client.post(
        f"{base}/invites", json={"email": "x@example.com"}, params=quiet, headers=alice
    )
    await client.patch(base, json={"title": "New"}, headers=alice)
    await client.patch(base, json={"title": "Newer"}, params=quiet, headers=alice)
    await client.patch(
        f"{base}/instances/20300108T080000Z",
        json={"status": "cancelled"},
        headers=alice,
    )
    await client.delete(f"{base}/invites/{bob_id}", headers=alice)
    await client.delete(base, headers=alice)
    assert [(kind, emails) for kind, emails, _ in calls] == [
        ("invited", ["bob@example.com"]),
        ("updated", ["bob@example.com", "x@example.com"]),
        ("updated", ["bob@example.com", "x@example.com"]),
        ("uninvited", ["bob@example.com"]),
        ("deleted", ["x@example.com"]),
    ]
    change = calls[2][2]
    assert change == notifications.EventChange(
        fields=frozenset({"status"}),
        instance_start=datetime(2030, 1, 8, 8, tzinfo=UTC),
        cancelled=True,
    )


async def test_email_invite_converts_when_a_user_changes_to_that_address(
    client: httpx.AsyncClient, alice: dict[str, str], oidc_issuer: TestIssuer
) -> None:
    before = oidc_issuer.headers("erin.old@example.com", sub="erin")
    await me(client, before)
    event = await create_event(client, alice)
    await invite(client, alice, event["id"], {"email": "erin@example.com"})
    after = oidc_issuer.headers("erin@example.com", sub="erin")
    assert (await me(client, after))["email"] == "erin@example.com"
    assert await pending(client, after) == 1
    shown = (await invitees(client, alice, event["id"])).json()
    assert [i["profile"]["kind"] for i in shown] == ["registered"]
