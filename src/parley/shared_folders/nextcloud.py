"""Shared folders on Nextcloud: WebDAV for the folder, the OCS share API for its links.

- Folder: ``MKCOL {url}/remote.php/dav/files/{user}/{base path}/parley-event-{id}``;
  a 409 (a parent is missing) makes the parents one by one and tries again.
- Links: ``POST {url}/ocs/v2.php/apps/files_sharing/api/v1/shares`` with
  ``shareType=3`` (public link), a generated password and permissions 1 (read) or
  15 (read, update, create, delete: read-write), as OpenTalk creates them.
- Deletion: ``DELETE`` of the folder over WebDAV (Nextcloud removes its links with
  it), then the links by id in case one outlived it.

Every request has the configured timeout; an unreachable server or a timeout
raises ProviderUnavailable (503), any unexpected answer ProviderFailed (502).
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx

from parley.config import Settings
from parley.http_client import async_client
from parley.shared_folders.errors import ProviderFailed, ProviderUnavailable
from parley.shared_folders.provider import ProvidedFolder, Share

logger = logging.getLogger(__name__)

FOLDER_PREFIX = "parley-event-"
PERMISSION_READ = 1
PERMISSION_READ_WRITE = 15  # read 1 + update 2 + create 4 + delete 8
_FILE_PERMISSIONS = 15  # Nextcloud may add re-share (16) to a link by itself
_PUBLIC_LINK = 3
_SHARES = "ocs/v2.php/apps/files_sharing/api/v1/shares"

# Nextcloud's ISecureRandom::CHAR_HUMAN_READABLE (no 0/O, 1/l/I, h, u, v) and a
# few symbols that survive being pasted from an e-mail.
_HUMAN_READABLE = "abcdefgijkmnopqrstwxyzABCDEFGHJKLMNPQRSTWXYZ23456789"
_SYMBOLS = "!#%+-.:=?@_"
PASSWORD_LENGTH = 20


def generate_password() -> str:
    """A share password made the way Nextcloud's password_policy generator makes one
    when every character class is enforced: one upper-case letter, one lower-case
    letter, one digit and one symbol, filled up with human-readable characters,
    then shuffled. So it passes any policy of up to 20 characters.
    """
    classes = (
        [c for c in _HUMAN_READABLE if c.isupper()],
        [c for c in _HUMAN_READABLE if c.islower()],
        [c for c in _HUMAN_READABLE if c.isdigit()],
        list(_SYMBOLS),
    )
    chars = [secrets.choice(group) for group in classes]
    chars += [
        secrets.choice(_HUMAN_READABLE) for _ in range(PASSWORD_LENGTH - len(chars))
    ]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


class NextcloudProvider:
    """Folders under one Nextcloud user's files, reached with an app password."""

    name = "Nextcloud"

    def __init__(
        self,
        *,
        url: str,
        user: str,
        app_password: str,
        base_path: str,
        timeout_seconds: float,
        expiry_days: int | None = None,
    ) -> None:
        self._url = url.rstrip("/") + "/"
        self._auth = httpx.BasicAuth(user, app_password)
        self._dav_root = f"remote.php/dav/files/{quote(user, safe='')}/"
        self._base_path = base_path.strip("/")
        self._timeout = httpx.Timeout(timeout_seconds)
        self._expiry_days = expiry_days

    @classmethod
    def from_settings(cls, settings: Settings) -> NextcloudProvider:
        assert settings.shared_folder_url is not None
        assert settings.shared_folder_user is not None
        assert settings.shared_folder_app_password is not None
        return cls(
            url=str(settings.shared_folder_url),
            user=settings.shared_folder_user,
            app_password=settings.shared_folder_app_password.get_secret_value(),
            base_path=settings.shared_folder_base_path,
            timeout_seconds=settings.shared_folder_timeout_seconds,
            expiry_days=settings.shared_folder_expiry_days,
        )

    def folder_path(self, event_id: uuid.UUID) -> str:
        """The event's folder, relative to the user's files."""
        name = f"{FOLDER_PREFIX}{event_id}"
        return f"{self._base_path}/{name}" if self._base_path else name

    def _client(self) -> httpx.AsyncClient:
        # OCS-APIRequest: Nextcloud refuses OCS calls without it (CSRF protection).
        return async_client(
            base_url=self._url,
            auth=self._auth,
            timeout=self._timeout,
            headers={"OCS-APIRequest": "true", "Accept": "application/json"},
        )

    def _dav_url(self, path: str) -> str:
        return self._dav_root + "/".join(
            quote(part, safe="") for part in path.split("/")
        )

    async def create_folder(self, event_id: uuid.UUID) -> ProvidedFolder:
        path = self.folder_path(event_id)
        async with self._client() as client:
            made_now = await self._make_folder(client, path)
            made_shares: list[str] = []
            try:
                read = await self._share(
                    client, path, PERMISSION_READ, "Parley read-only", made_shares
                )
                write = await self._share(
                    client,
                    path,
                    PERMISSION_READ_WRITE,
                    "Parley read-write",
                    made_shares,
                )
            except (ProviderFailed, ProviderUnavailable):
                # Nothing may stay behind that no reference points to.
                if made_now:
                    await self._delete_quietly(client, path)
                await self._delete_shares(client, made_shares)
                raise
        return ProvidedFolder(path=path, read=read, write=write)

    async def delete_folder(self, path: str, share_ids: Sequence[str]) -> None:
        if not path.strip("/"):
            # An empty path is the user's whole storage: never delete that.
            raise ProviderFailed("Refusing to delete the shared folder storage's root")
        async with self._client() as client:
            response = await self._send(client, "DELETE", self._dav_url(path))
            if response.status_code not in (200, 204, 404):
                raise _failure(response, "deleting the folder")
            await self._delete_shares(client, share_ids)

    async def delete_shares(self, share_ids: Sequence[str]) -> None:
        async with self._client() as client:
            await self._delete_shares(client, share_ids)

    async def _make_folder(self, client: httpx.AsyncClient, path: str) -> bool:
        """MKCOL the folder; True if made now, False if it was there already."""
        response = await self._mkcol(client, path)
        if response.status_code == 409:  # RFC 4918 9.3.1: a parent is missing
            parts = path.split("/")
            for depth in range(1, len(parts)):
                parent_path = "/".join(parts[:depth])
                parent = await self._mkcol(client, parent_path)
                # Another request may be making the same parent right now; what
                # matters is that it exists afterwards.
                if parent.status_code not in (201, 405) and not await self._exists(
                    client, parent_path
                ):
                    raise _failure(parent, "creating a parent folder")
            response = await self._mkcol(client, path)
        if response.status_code == 201:
            return True
        # 405: MKCOL on an existing collection; anything else may be a concurrent
        # request making it at this moment (WebDAV servers differ in what they say).
        if response.status_code == 405 or await self._exists(client, path):
            return False
        raise _failure(response, "creating the folder")

    async def _mkcol(self, client: httpx.AsyncClient, path: str) -> httpx.Response:
        return await self._send(client, "MKCOL", self._dav_url(path))

    async def _exists(self, client: httpx.AsyncClient, path: str) -> bool:
        response = await self._send(
            client, "PROPFIND", self._dav_url(path), headers={"Depth": "0"}
        )
        return response.status_code == 207  # Multi-Status: the resource is there

    async def _share(
        self,
        client: httpx.AsyncClient,
        path: str,
        permissions: int,
        label: str,
        made: list[str],
    ) -> Share:
        password = generate_password()
        form = {
            "path": "/" + path,
            "shareType": str(_PUBLIC_LINK),
            "permissions": str(permissions),
            "password": password,
            "label": label,
        }
        if self._expiry_days is not None:
            expires = datetime.now(UTC).date() + timedelta(days=self._expiry_days)
            form["expireDate"] = expires.isoformat()
        response = await self._send(client, "POST", _SHARES, data=form)
        data = _ocs_data(response, "creating a share link")
        share_id, url, granted = (
            data.get("id"),
            data.get("url"),
            data.get("permissions"),
        )
        if not isinstance(share_id, str | int) or not isinstance(url, str):
            raise ProviderFailed(
                "Nextcloud created a share link but did not say its id and URL"
            )
        made.append(str(share_id))
        if not isinstance(granted, int) or (granted & _FILE_PERMISSIONS) != permissions:
            # Nextcloud up to 25 ignores the permissions of a new link to a folder
            # (nextcloud/server#32611): set them again.
            update = await self._send(
                client,
                "PUT",
                f"{_SHARES}/{quote(str(share_id), safe='')}",
                data={"permissions": str(permissions)},
            )
            _ocs_data(update, "setting a share link's permissions")
        return Share(share_id=str(share_id), url=url, password=password)

    async def _delete_shares(
        self, client: httpx.AsyncClient, share_ids: Sequence[str]
    ) -> None:
        """Best effort: a link that cannot be deleted is logged, not raised."""
        for share_id in share_ids:
            try:
                response = await self._send(
                    client, "DELETE", f"{_SHARES}/{quote(share_id, safe='')}"
                )
            except ProviderUnavailable as exc:
                logger.warning("could not delete Nextcloud share %s: %s", share_id, exc)
                continue
            if response.status_code not in (200, 404):
                logger.warning(
                    "could not delete Nextcloud share %s: HTTP %d",
                    share_id,
                    response.status_code,
                )

    async def _delete_quietly(self, client: httpx.AsyncClient, path: str) -> None:
        try:
            response = await self._send(client, "DELETE", self._dav_url(path))
        except ProviderUnavailable as exc:
            logger.warning("could not remove Nextcloud folder %s: %s", path, exc)
            return
        if response.status_code not in (200, 204, 404):
            logger.warning(
                "could not remove Nextcloud folder %s: HTTP %d",
                path,
                response.status_code,
            )

    async def _send(
        self, client: httpx.AsyncClient, method: str, url: str, **kwargs: Any
    ) -> httpx.Response:
        try:
            return await client.request(method, url, **kwargs)
        except httpx.TimeoutException as exc:
            logger.warning("Nextcloud timed out on %s %s: %r", method, url, exc)
            raise ProviderUnavailable(
                "The shared folder storage (Nextcloud) did not answer in time"
            ) from exc
        except httpx.TransportError as exc:
            logger.warning("Nextcloud unreachable on %s %s: %r", method, url, exc)
            raise ProviderUnavailable(
                "The shared folder storage (Nextcloud) is unreachable"
            ) from exc


def _ocs_message(response: httpx.Response) -> str | None:
    try:
        message = response.json()["ocs"]["meta"]["message"]
    except (ValueError, KeyError, TypeError):
        return None
    return message if isinstance(message, str) and message else None


def _failure(response: httpx.Response, doing: str) -> ProviderFailed:
    """The error for an answer Parley cannot work with, saying what Nextcloud said."""
    detail = _ocs_message(response)
    if response.status_code == 401:
        detail = "it refused Parley's credentials"
        logger.error(
            "Nextcloud refused the credentials: check PARLEY_SHARED_FOLDER_USER "
            "and PARLEY_SHARED_FOLDER_APP_PASSWORD"
        )
    message = (
        f"The shared folder storage (Nextcloud) answered HTTP "
        f"{response.status_code} when {doing}"
    )
    logger.warning("%s %s: %s", response.request.method, response.request.url, message)
    return ProviderFailed(f"{message}: {detail}" if detail else message)


def _ocs_data(response: httpx.Response, doing: str) -> dict[str, Any]:
    """The ``ocs.data`` object of a successful OCS v2 answer."""
    if response.status_code != 200:
        raise _failure(response, doing)
    try:
        data = response.json()["ocs"]["data"]
    except (ValueError, KeyError, TypeError):
        data = None
    if not isinstance(data, dict):
        raise ProviderFailed(
            f"The shared folder storage (Nextcloud) sent an unexpected answer when {doing}"
        )
    return data
