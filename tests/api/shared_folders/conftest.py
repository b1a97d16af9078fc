"""A Nextcloud on loopback (wsgidav + the share API stand-in) and clients using it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from tests.conftest import AppClient
from tests.nextcloud_standin import NextcloudStandIn
from tests.oidc_issuer import TestIssuer

BASE_PATH = "Meetings/Parley"


def provider_settings(nextcloud: NextcloudStandIn, **extra: Any) -> dict[str, Any]:
    """Settings overrides that point Parley at the stand-in."""
    return {
        "shared_folder_url": nextcloud.url,
        "shared_folder_user": nextcloud.user,
        "shared_folder_app_password": SecretStr(nextcloud.app_password),
        "shared_folder_base_path": BASE_PATH,
        "shared_folder_timeout_seconds": 5.0,
        **extra,
    }


@pytest.fixture
def nextcloud(tmp_path: Any) -> Iterator[NextcloudStandIn]:
    standin = NextcloudStandIn(tmp_path / "nextcloud").start()
    yield standin
    standin.stop()


@pytest.fixture
async def shared(
    client_with: AppClient, nextcloud: NextcloudStandIn
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app whose shared folders live on the stand-in."""
    async with client_with(**provider_settings(nextcloud)) as http:
        yield http


@pytest.fixture
def carol(oidc_issuer: TestIssuer) -> dict[str, str]:
    return oidc_issuer.headers("carol@example.com", given_name="Carol")
