"""A Nextcloud for tests, on loopback: real WebDAV plus a stand-in share API.

One cheroot server in a background thread serves, under ``/nextcloud`` (installed
in a subdirectory, as Nextcloud often is)
- ``/remote.php/dav/files/{user}/``: wsgidav over a real directory (basic auth),
  so MKCOL and DELETE really create and remove directories on disk;
- ``/ocs/v2.php/apps/files_sharing/api/v1/shares``: a minimal WSGI stand-in for
  Nextcloud's sharing app (wsgidav has no share API). It checks what Nextcloud
  checks that matters here (basic auth, the OCS-APIRequest header, that the path
  exists, public links only, a password) and answers in Nextcloud's OCS v2 JSON
  shape. It is the one part not tested against a real Nextcloud.
"""

from __future__ import annotations

import base64
import json
import secrets
import socket
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from cheroot import wsgi
from wsgidav.wsgidav_app import WsgiDAVApp

PREFIX = "/nextcloud"
SHARES_PATH = "/v2.php/apps/files_sharing/api/v1/shares"

StartResponse = Any
Environ = dict[str, Any]


@dataclass
class StoredShare:
    id: str
    path: str
    share_type: int
    permissions: int
    password: str
    label: str
    expire_date: str | None
    token: str


class NextcloudStandIn:
    """Start with ``start()``; ``stop()`` makes it unreachable, ``start()`` again
    brings it back on the same port with the same files and shares."""

    __test__ = False

    def __init__(
        self, root: Path, *, user: str = "parley", app_password: str = "app-pass"
    ) -> None:
        self.root = root
        self.user = user
        self.app_password = app_password
        self.shares: dict[str, StoredShare] = {}
        self.share_requests: list[tuple[str, str]] = []
        # Behave like Nextcloud up to 25: new folder links get read permission only.
        self.ignore_permissions_on_create = False
        # Nextcloud's "Allow public uploads" (read-write links need it).
        self.public_upload_allowed = True
        # Make the share API fail with this HTTP status (None: work normally).
        self.share_api_status: int | None = None
        self._next_id = 1
        self._lock = threading.Lock()
        self._port = 0
        self._server: wsgi.Server | None = None
        self._thread: threading.Thread | None = None
        root.mkdir(parents=True, exist_ok=True)
        self._dav = WsgiDAVApp(
            {
                "provider_mapping": {
                    f"{PREFIX}/remote.php/dav/files/{user}": str(root)
                },
                "simple_dc": {
                    "user_mapping": {"*": {user: {"password": app_password}}}
                },
                "http_authenticator": {
                    "accept_basic": True,
                    "accept_digest": False,
                    "default_to_digest": False,
                },
                "verbose": 1,
                "logging": {"enable": False},
            }
        )

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    @property
    def url(self) -> str:
        """Nextcloud's base URL (what PARLEY_SHARED_FOLDER_URL names)."""
        return self.origin + PREFIX

    def files_path(self, path: str) -> Path:
        """Where a path of the user's files lives on disk."""
        return self.root / path.strip("/")

    def start(self) -> NextcloudStandIn:
        dispatcher = wsgi.PathInfoDispatcher(
            {f"{PREFIX}/ocs": self._ocs, "/": self._dav}
        )
        server = wsgi.Server(("127.0.0.1", self._port), dispatcher, numthreads=4)
        server.prepare()
        self._port = server.bind_addr[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    # ---- the share API stand-in ---------------------------------------------

    def _ocs(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if not self._authorized(environ):
            return _ocs_answer(start_response, 401, "Unauthorised")
        if environ.get("HTTP_OCS_APIREQUEST") != "true":
            return _ocs_answer(start_response, 401, "CSRF check failed")
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        self.share_requests.append((method, path))
        if self.share_api_status is not None:
            return _ocs_answer(start_response, self.share_api_status, "Broken")
        form = _form(environ)
        with self._lock:
            if path == SHARES_PATH and method == "POST":
                return self._create(start_response, form)
            share_id = path.removeprefix(SHARES_PATH + "/")
            if path.startswith(SHARES_PATH + "/") and method == "PUT":
                return self._update(start_response, share_id, form)
            if path.startswith(SHARES_PATH + "/") and method == "DELETE":
                if self.shares.pop(share_id, None) is None:
                    return _ocs_answer(
                        start_response, 404, "Wrong share ID, share does not exist"
                    )
                return _ocs_answer(start_response, 200, "OK", [])
        return _ocs_answer(start_response, 404, "Invalid query")

    def _authorized(self, environ: Environ) -> bool:
        expected = base64.b64encode(f"{self.user}:{self.app_password}".encode())
        return environ.get("HTTP_AUTHORIZATION") == f"Basic {expected.decode()}"

    def _create(
        self, start_response: StartResponse, form: dict[str, str]
    ) -> Iterable[bytes]:
        path = form.get("path", "")
        if not path or not self.files_path(path).exists():
            return _ocs_answer(
                start_response, 404, "Wrong path, file/folder does not exist"
            )
        if form.get("shareType") != "3":
            return _ocs_answer(start_response, 400, "Only public links here")
        if not form.get("password"):
            return _ocs_answer(
                start_response, 403, "Passwords are enforced for link and mail shares"
            )
        permissions = int(form.get("permissions", "1"))
        if permissions & ~1 and not self.public_upload_allowed:
            return _ocs_answer(
                start_response, 403, "Public upload disabled by the administrator"
            )
        share = StoredShare(
            id=str(self._next_id),
            path=path,
            share_type=3,
            permissions=1 if self.ignore_permissions_on_create else permissions,
            password=form["password"],
            label=form.get("label", ""),
            expire_date=form.get("expireDate"),
            token=secrets.token_urlsafe(10),
        )
        self._next_id += 1
        self.shares[share.id] = share
        return _ocs_answer(start_response, 200, "OK", self._data(share))

    def _update(
        self, start_response: StartResponse, share_id: str, form: dict[str, str]
    ) -> Iterable[bytes]:
        share = self.shares.get(share_id)
        if share is None:
            return _ocs_answer(
                start_response, 404, "Wrong share ID, share does not exist"
            )
        if "permissions" in form:
            share.permissions = int(form["permissions"])
        return _ocs_answer(start_response, 200, "OK", self._data(share))

    def _data(self, share: StoredShare) -> dict[str, Any]:
        return {
            "id": share.id,
            "share_type": share.share_type,
            "permissions": share.permissions,
            "path": share.path,
            "label": share.label,
            "expiration": f"{share.expire_date} 00:00:00"
            if share.expire_date
            else None,
            "token": share.token,
            "url": f"{self.url}/s/{share.token}",
        }


def _form(environ: Environ) -> dict[str, str]:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length).decode() if length else ""
    return {key: values[-1] for key, values in parse_qs(body).items()}


def _ocs_answer(
    start_response: StartResponse, status: int, message: str, data: Any = None
) -> Iterable[bytes]:
    """An OCS v2 answer: the HTTP status mirrors ``meta.statuscode``."""
    body = json.dumps(
        {
            "ocs": {
                "meta": {
                    "status": "ok" if status == 200 else "failure",
                    "statuscode": status,
                    "message": message,
                },
                "data": data if data is not None else [],
            }
        }
    ).encode()
    reasons = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden"}
    start_response(
        f"{status} {reasons.get(status, 'Error')}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
    )
    return [body]


def silent_port() -> tuple[socket.socket, int]:
    """A listening socket that accepts connections and never answers (for timeouts)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    return listener, listener.getsockname()[1]
