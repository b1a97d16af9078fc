"""Shared folders of events against a real WebDAV server on loopback.

The folder really appears in (and disappears from) the directory wsgidav serves;
the links come from the share API stand-in (tests/nextcloud_standin.py).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from parley.db import Database
from parley.events import notifications
from parley.events import service as events_service
from parley.shared_folders import registry, service
from parley.shared_folders.provider import SharedFolderProvider
from tests.api.events.helpers import create_event, event_body, invite, me
from tests.api.shared_folders.conftest import BASE_PATH, provider_settings
from tests.conftest import AppClient
from tests.mail.helpers import eventually
from tests.nextcloud_standin import NextcloudStandIn, silent_port


def url(event_id: str, query: str = "") -> str:
    return f"/v1/events/{event_id}/shared_folder{query}"


def folder_of(nextcloud: NextcloudStandIn, event_id: str) -> Any:
    return nextcloud.files_path(f"{BASE_PATH}/parley-event-{event_id}")


async def put_folder(
    client: httpx.AsyncClient, headers: dict[str, str], event_id: str
) -> dict[str, Any]:
    response = await client.put(url(event_id), headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_put_makes_the_folder_and_a_read_and_a_read_write_link(
    shared: httpx.AsyncClient, alice: dict[str, str], nextcloud: NextcloudStandIn
) -> None:
    event = await create_event(shared, alice)
    assert not nextcloud.files_path(BASE_PATH).exists()

    body = await put_folder(shared, alice, event["id"])

    assert folder_of(nextcloud, event["id"]).is_dir()  # parents made on the way
    shares = {share.permissions: share for share in nextcloud.shares.values()}
    assert sorted(shares) == [1, 15]
    read, write = shares[1], shares[15]
    assert body == {
        "read": {"url": f"{nextcloud.url}/s/{read.token}", "password": read.password},
        "read_write": {
            "url": f"{nextcloud.url}/s/{write.token}",
            "password": write.password,
        },
    }
    path = f"/{BASE_PATH}/parley-event-{event['id']}"
    assert {share.path for share in shares.values()} == {path}
    assert {share.share_type for share in shares.values()} == {3}
    assert read.password != write.password
    assert {read.expire_date, write.expire_date} == {None}


async def test_second_put_returns_the_existing_folder_with_200(
    shared: httpx.AsyncClient, alice: dict[str, str], nextcloud: NextcloudStandIn
) -> None:
    event = await create_event(shared, alice)
    first = await put_folder(shared, alice, event["id"])
    requests = len(nextcloud.share_requests)

    again = await shared.put(url(event["id"]), headers=alice)

    assert again.status_code == 200
    assert again.json() == first
    assert len(nextcloud.shares) == 2
    assert len(nextcloud.share_requests) == requests  # the provider was not asked


async def test_readers_see_the_read_link_and_only_the_creator_the_read_write_link(
    shared: httpx.AsyncClient,
    alice: dict[str, str],
    bob: dict[str, str],
) -> None:
    bob_id = (await me(shared, bob))["id"]
    event = await create_event(shared, alice)
    await invite(shared, alice, event["id"], {"invitee": bob_id})
    folder = await put_folder(shared, alice, event["id"])

    as_alice = await shared.get(url(event["id"]), headers=alice)
    as_bob = await shared.get(url(event["id"]), headers=bob)

    assert (as_alice.status_code, as_alice.json()) == (200, folder)
    assert (as_bob.status_code, as_bob.json()) == (200, {"read": folder["read"]})
    # The event resource carries the same, one by one and in the calendar listing.
    for headers, expected in ((alice, folder), (bob, {"read": folder["read"]})):
        one = await shared.get(f"/v1/events/{event['id']}", headers=headers)
        assert one.json()["shared_folder"] == expected
        listing = await shared.get("/v1/events", headers=headers)
        assert [e.get("shared_folder") for e in listing.json()] == [expected]


async def test_event_without_folder_has_no_shared_folder_field_and_get_is_404(
    shared: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    event = await create_event(shared, alice)
    assert "shared_folder" not in event

    response = await shared.get(url(event["id"]), headers=alice)
    deleted = await shared.delete(url(event["id"]), headers=alice)

    assert response.status_code == 404
    assert response.json() == {
        "code": "not_found",
        "message": "The event has no shared folder",
    }
    assert (deleted.status_code, deleted.json()["code"]) == (404, "not_found")


async def test_only_the_creator_changes_it_and_strangers_cannot_read_it(
    shared: httpx.AsyncClient,
    alice: dict[str, str],
    bob: dict[str, str],
    carol: dict[str, str],
    nextcloud: NextcloudStandIn,
) -> None:
    bob_id = (await me(shared, bob))["id"]
    event = await create_event(shared, alice)
    await invite(shared, alice, event["id"], {"invitee": bob_id})
    await put_folder(shared, alice, event["id"])
    other = await create_event(shared, alice)

    answers = [
        await shared.delete(url(event["id"]), headers=bob),
        await shared.put(url(other["id"]), headers=bob),
        await shared.get(url(event["id"]), headers=carol),
    ]

    assert [(r.status_code, r.json()["code"]) for r in answers] == [
        (403, "forbidden")
    ] * 3
    assert folder_of(nextcloud, event["id"]).is_dir()
    assert not folder_of(nextcloud, other["id"]).exists()
    assert len(nextcloud.shares) == 2


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
async def test_unknown_event_is_404(
    shared: httpx.AsyncClient, alice: dict[str, str], method: str
) -> None:
    response = await shared.request(method, url(str(uuid.uuid4())), headers=alice)
    assert response.status_code == 404
    assert response.json() == {
        "code": "not_found",
        "message": "The event could not be found",
    }


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
async def test_unauthenticated_is_401(shared: httpx.AsyncClient, method: str) -> None:
    response = await shared.request(method, url(str(uuid.uuid4())))
    assert (response.status_code, response.json()["code"]) == (401, "unauthorized")


async def test_delete_removes_the_folder_its_links_and_the_reference(
    shared: httpx.AsyncClient, alice: dict[str, str], nextcloud: NextcloudStandIn
) -> None:
    event = await create_event(shared, alice)
    await put_folder(shared, alice, event["id"])
    (folder_of(nextcloud, event["id"]) / "notes.txt").write_text("minutes")

    response = await shared.delete(url(event["id"]), headers=alice)

    assert response.status_code == 204
    assert not folder_of(nextcloud, event["id"]).exists()
    assert nextcloud.files_path(BASE_PATH).is_dir()  # only the event's folder goes
    assert nextcloud.shares == {}
    assert (await shared.get(url(event["id"]), headers=alice)).status_code == 404
    one = await shared.get(f"/v1/events/{event['id']}", headers=alice)
    assert "shared_folder" not in one.json()


async def test_put_while_the_storage_is_down_is_503_and_changes_nothing(
    shared: httpx.AsyncClient, alice: dict[str, str], nextcloud: NextcloudStandIn
) -> None:
    event = await create_event(shared, alice)
    nextcloud.stop()

    response = await shared.put(url(event["id"]), headers=alice)

    assert response.status_code == 503
    assert response.json() == {
        "code": "service_unavailable",
        "message": "The shared folder storage (Nextcloud) is unreachable",
    }
    nextcloud.start()
    assert (await shared.get(url(event["id"]), headers=alice)).status_code == 404
    assert not folder_of(nextcloud, event["id"]).exists()
    # Once the storage is back, the same request works.
    await put_folder(shared, alice, event["id"])


async def test_delete_while_the_storage_is_down_is_503_and_keeps_everything(
    shared: httpx.AsyncClient, alice: dict[str, str], nextcloud: NextcloudStandIn
) -> None:
    event = await create_event(shared, alice)
    folder = await put_folder(shared, alice, event["id"])
    nextcloud.stop()

    response = await shared.delete(url(event["id"]), headers=alice)

    assert (response.status_code, response.json()["code"]) == (
        503,
        "service_unavailable",
    )
    still = await shared.get(url(event["id"]), headers=alice)
    assert (still.status_code, still.json()) == (200, folder)
    nextcloud.start()
    assert folder_of(nextcloud, event["id"]).is_dir()
    assert len(nextcloud.shares) == 2


async def test_forced_delete_forgets_the_folder_although_the_storage_is_down(
    shared: httpx.AsyncClient, alice: dict[str, str], nextcloud: NextcloudStandIn
) -> None:
    event = await create_event(shared, alice)
    await put_folder(shared, alice, event["id"])
    nextcloud.stop()

    response = await shared.delete(
        url(
            event["id"], "?force_delete_reference_if_shared_folder_deletion_fails=true"
        ),
        headers=alice,
    )

    assert response.status_code == 204
    assert (await shared.get(url(event["id"]), headers=alice)).status_code == 404
    nextcloud.start()
    # The storage never heard of it: the folder is left there.
    assert folder_of(nextcloud, event["id"]).is_dir()


async def test_forced_delete_still_deletes_on_a_working_storage(
    shared: httpx.AsyncClient, alice: dict[str, str], nextcloud: NextcloudStandIn
) -> None:
    event = await create_event(shared, alice)
    await put_folder(shared, alice, event["id"])

    response = await shared.delete(
        url(
            event["id"], "?force_delete_reference_if_shared_folder_deletion_fails=true"
        ),
        headers=alice,
    )

    assert response.status_code == 204
    assert not folder_of(nextcloud, event["id"]).exists()


async def test_share_api_errors_are_502_and_leave_no_folder_behind(
    shared: httpx.AsyncClient, alice: dict[str, str], nextcloud: NextcloudStandIn
) -> None:
    event = await create_event(shared, alice)
    nextcloud.share_api_status = 500

    response = await shared.put(url(event["id"]), headers=alice)

    assert response.status_code == 502
    assert response.json() == {
        "code": "bad_gateway",
        "message": "The shared folder storage (Nextcloud) answered HTTP 500 "
        "when creating a share link: Broken",
    }
    assert not folder_of(nextcloud, event["id"]).exists()
    assert (await shared.get(url(event["id"]), headers=alice)).status_code == 404


async def test_a_refused_read_write_link_removes_the_read_link_and_the_folder(
    shared: httpx.AsyncClient, alice: dict[str, str], nextcloud: NextcloudStandIn
) -> None:
    nextcloud.public_upload_allowed = False
    event = await create_event(shared, alice)

    response = await shared.put(url(event["id"]), headers=alice)

    assert response.status_code == 502
    assert response.json() == {
        "code": "bad_gateway",
        "message": "The shared folder storage (Nextcloud) answered HTTP 403 "
        "when creating a share link: Public upload disabled by the administrator",
    }
    assert [m for m, _ in nextcloud.share_requests] == ["POST", "POST", "DELETE"]
    assert nextcloud.shares == {}
    assert not folder_of(nextcloud, event["id"]).exists()


async def test_a_refused_app_password_is_502_naming_the_credentials(
    client_with: AppClient, alice: dict[str, str], nextcloud: NextcloudStandIn
) -> None:
    nextcloud.app_password = "rotated"
    settings = provider_settings(nextcloud)
    nextcloud.app_password = "app-pass"  # what the server still expects
    async with client_with(**settings) as http:
        event = await create_event(http, alice)
        response = await http.put(url(event["id"]), headers=alice)

    assert response.status_code == 502
    assert response.json() == {
        "code": "bad_gateway",
        "message": "The shared folder storage (Nextcloud) answered HTTP 401 "
        "when creating the folder: it refused Parley's credentials",
    }
    assert not nextcloud.files_path(BASE_PATH).exists()


async def test_a_storage_that_never_answers_is_503_after_the_timeout(
    client_with: AppClient, alice: dict[str, str], nextcloud: NextcloudStandIn
) -> None:
    listener, port = silent_port()
    settings = provider_settings(
        nextcloud,
        shared_folder_url=f"http://127.0.0.1:{port}",
        shared_folder_timeout_seconds=0.3,
    )
    try:
        async with client_with(**settings) as http:
            event = await create_event(http, alice)
            response = await http.put(url(event["id"]), headers=alice)
            after = await http.get(url(event["id"]), headers=alice)
    finally:
        listener.close()

    assert response.status_code == 503
    assert response.json() == {
        "code": "service_unavailable",
        "message": "The shared folder storage (Nextcloud) did not answer in time",
    }
    assert after.status_code == 404


async def test_links_get_their_permissions_on_nextcloud_up_to_25(
    shared: httpx.AsyncClient, alice: dict[str, str], nextcloud: NextcloudStandIn
) -> None:
    # nextcloud/server#32611: new links to folders got read permission only.
    nextcloud.ignore_permissions_on_create = True
    event = await create_event(shared, alice)

    await put_folder(shared, alice, event["id"])

    assert sorted(s.permissions for s in nextcloud.shares.values()) == [1, 15]
    assert [m for m, _ in nextcloud.share_requests].count("PUT") == 1


async def test_links_expire_after_the_configured_days(
    client_with: AppClient, alice: dict[str, str], nextcloud: NextcloudStandIn
) -> None:
    async with client_with(
        **provider_settings(nextcloud, shared_folder_expiry_days=7)
    ) as http:
        event = await create_event(http, alice)
        await put_folder(http, alice, event["id"])

    expected = (datetime.now(UTC).date() + timedelta(days=7)).isoformat()
    assert {s.expire_date for s in nextcloud.shares.values()} == {expected}


# ---- with events ---------------------------------------------------------------


async def test_event_created_with_has_shared_folder_gets_one(
    shared: httpx.AsyncClient, alice: dict[str, str], nextcloud: NextcloudStandIn
) -> None:
    event = await create_event(shared, alice, body=event_body(has_shared_folder=True))

    assert folder_of(nextcloud, event["id"]).is_dir()
    fetched = await shared.get(url(event["id"]), headers=alice)
    assert event["shared_folder"] == fetched.json()
    assert set(event["shared_folder"]) == {"read", "read_write"}


async def test_event_create_with_folder_while_the_storage_is_down_creates_nothing(
    shared: httpx.AsyncClient, alice: dict[str, str], nextcloud: NextcloudStandIn
) -> None:
    nextcloud.stop()

    response = await shared.post(
        "/v1/events", json=event_body(has_shared_folder=True), headers=alice
    )

    assert (response.status_code, response.json()["code"]) == (
        503,
        "service_unavailable",
    )
    assert (await shared.get("/v1/events", headers=alice)).json() == []


class _Abandoned(Exception):
    """Raised to roll a transaction back."""


async def test_a_folder_whose_transaction_rolls_back_is_removed_again(
    shared: httpx.AsyncClient,
    alice: dict[str, str],
    nextcloud: NextcloudStandIn,
    database: Database,
) -> None:
    event = await create_event(shared, alice)
    provider = registry.get_provider()
    assert provider is not None
    made_on_storage = await _make_folder_then_roll_back(
        database, provider, nextcloud, uuid.UUID(event["id"])
    )

    assert made_on_storage
    await eventually(
        lambda: _folder_state(nextcloud, event["id"]),
        lambda state: state == (False, 0),
    )
    fetched = await shared.get(url(event["id"]), headers=alice)
    assert fetched.status_code == 404


async def _make_folder_then_roll_back(
    database: Database,
    provider: SharedFolderProvider,
    nextcloud: NextcloudStandIn,
    event_id: uuid.UUID,
) -> bool:
    """Whether the folder was on the storage before the transaction rolled back."""
    made_on_storage = False
    try:
        async with database.sessionmaker() as session, session.begin():
            event = await events_service.get_event_or_raise(session, event_id)
            await service.put_shared_folder(
                session, provider, event, actor_id=event.created_by_id, notify=False
            )
            made_on_storage = folder_of(nextcloud, str(event_id)).is_dir()
            raise _Abandoned  # e.g. the commit fails after the folder was made
    except _Abandoned:
        pass
    return made_on_storage


async def _folder_state(nextcloud: NextcloudStandIn, event_id: str) -> tuple[bool, int]:
    return folder_of(nextcloud, event_id).exists(), len(nextcloud.shares)


async def test_deleting_an_event_deletes_its_folder(
    shared: httpx.AsyncClient, alice: dict[str, str], nextcloud: NextcloudStandIn
) -> None:
    event = await create_event(shared, alice, body=event_body(has_shared_folder=True))

    response = await shared.delete(f"/v1/events/{event['id']}", headers=alice)

    assert response.status_code == 204
    assert not folder_of(nextcloud, event["id"]).exists()
    assert nextcloud.shares == {}


async def test_deleting_an_event_succeeds_while_the_storage_is_down(
    shared: httpx.AsyncClient, alice: dict[str, str], nextcloud: NextcloudStandIn
) -> None:
    event = await create_event(shared, alice, body=event_body(has_shared_folder=True))
    nextcloud.stop()

    response = await shared.delete(f"/v1/events/{event['id']}", headers=alice)

    assert response.status_code == 204
    gone = await shared.get(f"/v1/events/{event['id']}", headers=alice)
    assert gone.status_code == 404
    nextcloud.start()
    assert folder_of(nextcloud, event["id"]).is_dir()  # left behind, logged


# ---- notifications -------------------------------------------------------------


@pytest.fixture
def updates(monkeypatch: pytest.MonkeyPatch) -> list[frozenset[str]]:
    """The changes handed to the mail hook (its body belongs to the mail package)."""
    seen: list[frozenset[str]] = []

    async def record(
        *args: Any, change: notifications.EventChange, **kwargs: Any
    ) -> None:
        seen.append(change.fields)

    monkeypatch.setattr(notifications, "notify_updated", record)
    return seen


async def test_changes_notify_invitees_unless_suppressed(
    shared: httpx.AsyncClient,
    alice: dict[str, str],
    updates: list[frozenset[str]],
) -> None:
    event = await create_event(shared, alice)
    quiet = await create_event(shared, alice)

    await put_folder(shared, alice, event["id"])
    await shared.put(url(event["id"]), headers=alice)  # nothing changes: no mail
    await shared.delete(url(event["id"]), headers=alice)
    suppress = "?suppress_email_notification=true"
    assert (
        await shared.put(url(quiet["id"], suppress), headers=alice)
    ).status_code == 201
    assert (
        await shared.delete(url(quiet["id"], suppress), headers=alice)
    ).status_code == 204

    assert updates == [frozenset({"shared_folder"})] * 2


# ---- without a provider ----------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
async def test_without_a_provider_the_endpoints_answer_feature_disabled(
    client: httpx.AsyncClient, alice: dict[str, str], method: str
) -> None:
    event = await create_event(client, alice)
    for event_id in (event["id"], str(uuid.uuid4())):
        response = await client.request(method, url(event_id), headers=alice)
        assert response.status_code == 403
        assert response.json() == {
            "code": "feature_disabled",
            "message": "Shared folders are disabled: "
            "this server has no shared folder storage",
        }


async def test_without_a_provider_has_shared_folder_is_refused_and_creates_nothing(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    response = await client.post(
        "/v1/events", json=event_body(has_shared_folder=True), headers=alice
    )

    assert (response.status_code, response.json()["code"]) == (403, "feature_disabled")
    assert (await client.get("/v1/events", headers=alice)).json() == []
