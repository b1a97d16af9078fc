"""PARLEY_CORS_ORIGINS and PARLEY_OIDC_CLIENTS: bad values stop start-up with one line."""

from __future__ import annotations

import pytest

from parley.config import SettingsError, load_settings


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("PARLEY_CORS_ORIGINS", "https://a.example/path", "is not an origin"),
        ("PARLEY_CORS_ORIGINS", "meet.example.com", "is not an origin"),
        ("PARLEY_OIDC_CLIENTS", "not json", "must be a JSON list"),
        (
            "PARLEY_OIDC_CLIENTS",
            '[{"client_id": "x", "redirect_uris": []}]',
            "at least 1",
        ),
        (
            "PARLEY_OIDC_CLIENTS",
            '[{"client_id": "x", "redirect_uris": ["/relative"]}]',
            "absolute http(s) URL",
        ),
        (
            "PARLEY_OIDC_CLIENTS",
            '[{"client_id": "x", "redirect_uris": ["https://a.example/cb#x"]}]',
            "fragment",
        ),
        (
            "PARLEY_OIDC_CLIENTS",
            '[{"client_id": "x", "redirect_uris": ["https://a.example/cb"]},'
            ' {"client_id": "x", "redirect_uris": ["https://b.example/cb"]}]',
            "unique",
        ),
    ],
)
def test_bad_values_are_one_line(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert str(raised.value).startswith(f"invalid setting {name}:")
    assert message in str(raised.value)


def test_good_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARLEY_CORS_ORIGINS", "https://Meet.example.com/, *")
    monkeypatch.setenv(
        "PARLEY_OIDC_CLIENTS",
        '[{"client_id": "Frontend", "redirect_uris": ["http://localhost:3000/auth/callback"],'
        ' "post_logout_redirect_uris": ["https://app.example/dashboard"]}]',
    )
    settings = load_settings()
    assert settings.cors_origin_list == ["https://meet.example.com", "*"]
    assert settings.oidc_clients[0].origins == {
        "http://localhost:3000",
        "https://app.example",
    }
