"""Shared folder settings (one-line errors) and generated share passwords."""

from __future__ import annotations

import string

import pytest

from parley.config import SettingsError, load_settings
from parley.shared_folders.nextcloud import PASSWORD_LENGTH, generate_password


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir("/")  # no .env file
    for name in ("PARLEY_OIDC_ISSUER", "PARLEY_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)


def test_shared_folders_are_off_by_default() -> None:
    settings = load_settings()
    assert settings.shared_folder_url is None
    assert settings.shared_folder_base_path == "parley"
    assert settings.shared_folder_timeout_seconds == 10.0
    assert settings.shared_folder_expiry_days is None


def test_a_complete_nextcloud_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARLEY_SHARED_FOLDER_URL", "https://cloud.example.com/nc")
    monkeypatch.setenv("PARLEY_SHARED_FOLDER_USER", "parley-bot")
    monkeypatch.setenv("PARLEY_SHARED_FOLDER_APP_PASSWORD", "aBcDe-fGhIj-kLmNo")
    monkeypatch.setenv("PARLEY_SHARED_FOLDER_BASE_PATH", "/Meetings//Parley/")
    monkeypatch.setenv("PARLEY_SHARED_FOLDER_EXPIRY_DAYS", "30")
    settings = load_settings()
    assert str(settings.shared_folder_url) == "https://cloud.example.com/nc"
    assert settings.shared_folder_base_path == "Meetings/Parley"
    assert settings.shared_folder_app_password is not None
    assert "aBcDe" not in repr(settings)  # a SecretStr
    assert settings.shared_folder_expiry_days == 30


def test_url_without_credentials_is_one_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PARLEY_SHARED_FOLDER_URL", "https://cloud.example.com")
    monkeypatch.setenv("PARLEY_SHARED_FOLDER_USER", "parley-bot")
    with pytest.raises(SettingsError, match="PARLEY_SHARED_FOLDER_APP_PASSWORD"):
        load_settings()


@pytest.mark.parametrize("path", ["a/../b", "./x", "a\\b", "a/\tb"])
def test_unsafe_base_paths_are_refused(
    monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    monkeypatch.setenv("PARLEY_SHARED_FOLDER_BASE_PATH", path)
    with pytest.raises(SettingsError, match="PARLEY_SHARED_FOLDER_BASE_PATH"):
        load_settings()


def test_passwords_have_every_character_class_and_differ() -> None:
    passwords = {generate_password() for _ in range(200)}
    assert len(passwords) == 200
    for password in passwords:
        assert len(password) == PASSWORD_LENGTH
        assert any(c in string.ascii_uppercase for c in password)
        assert any(c in string.ascii_lowercase for c in password)
        assert any(c in string.digits for c in password)
        assert any(not c.isalnum() for c in password)
        assert not set(password) & set("0O1lIhuv")  # human-readable only
