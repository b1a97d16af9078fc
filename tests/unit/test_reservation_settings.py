"""Settings of the reservation, API-key and Jitsi surfaces: defaults and one-line errors."""

from __future__ import annotations

import pytest

from parley.config import DialInNumber, SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir("/")  # no .env file
    for name in ("PARLEY_OIDC_ISSUER", "PARLEY_DATA_DIR", "PARLEY_API_TOKEN_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)


def test_defaults() -> None:
    settings = load_settings()
    assert settings.jitsi_prefix == "/jitsi"
    assert settings.jitsi_auth_header == "Authorization"
    assert settings.jitsi_auth_token is None
    assert settings.jitsi_adhoc_duration_seconds == 21_600
    assert settings.jitsi_dial_in_numbers == []
    assert settings.api_token_default_ttl_seconds == 86_400
    assert settings.api_token_max_ttl_seconds == 2_592_000
    assert settings.api_key_recheck_seconds == 10
    assert (
        settings.dial_in_max_failures_per_source,
        settings.dial_in_max_failures_per_id,
        settings.dial_in_failure_window_seconds,
    ) == (100, 5, 900)
    assert str(settings.api_token_key_path) == "data/api-token-signing-key.pem"


def test_values_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARLEY_JITSI_PREFIX", "/prosody/reservations")
    monkeypatch.setenv("PARLEY_JITSI_AUTH_HEADER", "X-Api-Key")
    monkeypatch.setenv("PARLEY_JITSI_AUTH_TOKEN", "s" * 32)
    monkeypatch.setenv(
        "PARLEY_JITSI_DIAL_IN_NUMBERS",
        '[{"countryCode": "DE", "formattedNumber": "+49 30 1234567", "tollFree": true}]',
    )
    monkeypatch.setenv("PARLEY_API_TOKEN_KEY_FILE", "/etc/parley/api.pem")
    settings = load_settings()
    assert settings.jitsi_prefix == "/prosody/reservations"
    assert settings.jitsi_auth_header == "X-Api-Key"
    assert settings.jitsi_auth_token is not None
    assert settings.jitsi_dial_in_numbers == [
        DialInNumber(countryCode="DE", formattedNumber="+49 30 1234567", tollFree=True)
    ]
    assert str(settings.api_token_key_path) == "/etc/parley/api.pem"


@pytest.mark.parametrize(
    ("name", "value", "mentions"),
    [
        ("PARLEY_JITSI_PREFIX", "jitsi", "PARLEY_JITSI_PREFIX"),
        ("PARLEY_JITSI_PREFIX", "/jitsi/", "PARLEY_JITSI_PREFIX"),
        ("PARLEY_JITSI_PREFIX", "/", "PARLEY_JITSI_PREFIX"),
        ("PARLEY_JITSI_AUTH_HEADER", "X Api Key", "PARLEY_JITSI_AUTH_HEADER"),
        ("PARLEY_JITSI_AUTH_TOKEN", "short", "PARLEY_JITSI_AUTH_TOKEN"),
        ("PARLEY_JITSI_ADHOC_DURATION_SECONDS", "10", "PARLEY_JITSI_ADHOC_DURATION"),
        ("PARLEY_JITSI_DIAL_IN_NUMBERS", "+49 30 1234", "PARLEY_JITSI_DIAL_IN_NUMBERS"),
        (
            "PARLEY_JITSI_DIAL_IN_NUMBERS",
            '[{"countryCode": "DE"}]',
            "PARLEY_JITSI_DIAL",
        ),
        ("PARLEY_API_KEY_RECHECK_SECONDS", "-1", "PARLEY_API_KEY_RECHECK_SECONDS"),
        (
            "PARLEY_DIAL_IN_MAX_FAILURES_PER_SOURCE",
            "0",
            "PARLEY_DIAL_IN_MAX_FAILURES_PER_SOURCE",
        ),
        ("PARLEY_API_TOKEN_DEFAULT_TTL_SECONDS", "9999999", "exceeds"),
    ],
)
def test_bad_values_stop_with_one_line(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, mentions: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    message = str(raised.value)
    assert mentions in message
    assert "\n" not in message
