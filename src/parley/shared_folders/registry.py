"""The shared folder provider of this process, installed by ``create_app``.

Nextcloud when PARLEY_SHARED_FOLDER_URL is set; otherwise none, and the feature
answers 403 ``feature_disabled``.
"""

from __future__ import annotations

from parley.config import Settings
from parley.shared_folders.errors import SharedFoldersDisabled
from parley.shared_folders.nextcloud import NextcloudProvider
from parley.shared_folders.provider import SharedFolderProvider

_provider: SharedFolderProvider | None = None


def configure_provider(settings: Settings) -> SharedFolderProvider | None:
    """Install the provider the settings describe (None: the feature is off)."""
    global _provider
    _provider = (
        NextcloudProvider.from_settings(settings)
        if settings.shared_folder_url is not None
        else None
    )
    return _provider


def get_provider() -> SharedFolderProvider | None:
    return _provider


def require_provider() -> SharedFolderProvider:
    """The configured provider; 403 ``feature_disabled`` when there is none."""
    if _provider is None:
        raise SharedFoldersDisabled()
    return _provider
