"""Settings: environment variables with prefix PARLEY_ (and an optional .env file)."""

from __future__ import annotations

import json
import re
from email.utils import getaddresses
from functools import lru_cache
from ipaddress import ip_network
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from parley.turn import validate_stun_uri, validate_turn_uri

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./parley.db"

# Requests per credential and window (PARLEY_EASYCALENDAR_RATE_LIMIT_WINDOW_SECONDS)
# of each EasyCalendar endpoint; PARLEY_EASYCALENDAR_RATE_LIMITS overrides them.
EASYCALENDAR_DEFAULT_RATE_LIMITS: dict[str, int] = {
    "meetings/new": 300,
    "meetings/update": 300,
    "meetings/list": 900,
    "meetings/get": 900,
    "meetings/delete": 300,
    "application/rate_limit_status": 180,
}


class SettingsError(Exception):
    """A setting has a bad value; the message is one line naming it."""


class DialInNumber(BaseModel):
    """One entry of PARLEY_JITSI_DIAL_IN_NUMBERS, in Jitsi's phoneNumberList shape."""

    countryCode: str = Field(min_length=1, max_length=8)
    formattedNumber: str = Field(min_length=1, max_length=64)
    tollFree: bool = False
    default: bool = False


class OidcClient(BaseModel):
    """One entry of PARLEY_OIDC_CLIENTS: a public client of the embedded issuer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    client_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9._~:@-]{1,255}$")]
    redirect_uris: Annotated[list[str], Field(min_length=1, max_length=50)]
    post_logout_redirect_uris: Annotated[list[str], Field(max_length=50)] = []

    @field_validator("redirect_uris", "post_logout_redirect_uris")
    @classmethod
    def _absolute_urls(cls, uris: list[str]) -> list[str]:
        for uri in uris:
            parts = urlsplit(uri)
            if parts.scheme not in {"http", "https"} or not parts.hostname:
                raise ValueError(f"{uri!r} is not an absolute http(s) URL")
            if parts.fragment or "#" in uri:
                raise ValueError(f"{uri!r} has a fragment (RFC 6749 3.1.2)")
        return uris

    @property
    def origins(self) -> set[str]:
        """The origins of its redirect and post-logout URIs (where its pages run)."""
        return {
            url_origin(uri)
            for uri in [*self.redirect_uris, *self.post_logout_redirect_uris]
        }


def url_origin(url: str) -> str:
    """`scheme://host[:port]` of an absolute URL, as a browser sends it in Origin."""
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{(parts.netloc or '').lower()}"


_ORIGIN = re.compile(
    r"https?://[a-z0-9.-]+(:[0-9]{1,5})?|https?://\[[0-9a-f:.]+\](:[0-9]{1,5})?"
)
_PATH_PREFIX = re.compile(r"(/[A-Za-z0-9._~-]+)+")
_HEADER_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+")
_SIP_DOMAIN = re.compile(
    r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?(?::\d{1,5})?"
)
_UNSAFE_PATH_CHARACTER = re.compile(r"[\\\x00-\x1f\x7f]")


class Settings(BaseSettings):
    """Every setting Parley reads. Documented one by one in the README."""

    model_config = SettingsConfigDict(
        env_prefix="PARLEY_", env_file=".env", extra="ignore", frozen=True
    )

    database_url: str = DEFAULT_DATABASE_URL
    db_pool_size: Annotated[int, Field(ge=1, le=1000)] = 20
    db_max_overflow: Annotated[int, Field(ge=0, le=1000)] = 0
    redis_url: str | None = None
    redis_key_prefix: Annotated[str, Field(pattern=r"^[A-Za-z0-9._:-]{1,64}$")] = (
        "parley:"
    )
    oidc_issuer: AnyHttpUrl | None = None
    oidc_audience: str | None = None
    oidc_leeway_seconds: Annotated[int, Field(ge=0, le=600)] = 30
    oidc_clients: Annotated[list[OidcClient], NoDecode] = []
    # The web app refreshes 30 s before the access token expires: keep it well above.
    oidc_access_token_ttl_seconds: Annotated[int, Field(ge=60, le=86_400)] = 300
    oidc_refresh_token_ttl_seconds: Annotated[int, Field(ge=60, le=31_536_000)] = 86_400
    oidc_session_ttl_seconds: Annotated[int, Field(ge=60, le=31_536_000)] = 1_209_600
    oidc_refresh_reuse_leeway_seconds: Annotated[int, Field(ge=0, le=300)] = 30
    sign_in_max_failures_per_account: Annotated[int, Field(ge=1, le=1000)] = 5
    sign_in_max_failures_per_source: Annotated[int, Field(ge=1, le=100_000)] = 50
    sign_in_failure_window_seconds: Annotated[int, Field(ge=1, le=86_400)] = 900
    cors_origins: str = ""
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 11311
    public_url: AnyHttpUrl | None = None
    workers: Annotated[int, Field(ge=1, le=64)] = 1
    auto_migrate: bool = True
    data_dir: Path = Path("./data")
    log_level: str = "info"
    local_token_ttl_seconds: Annotated[int, Field(ge=60, le=31_536_000)] = 86_400
    turn_uris: str = ""
    turn_secret: SecretStr | None = None
    turn_ttl_seconds: Annotated[int, Field(ge=60, le=31_536_000)] = 86_400
    stun_uris: str = ""
    asset_dir: Path | None = None
    tariffs_file: Path | None = None
    default_tariff: Annotated[str, Field(min_length=1, max_length=255)] = (
        "OpenTalkDefaultTariff"
    )
    dial_in_max_failures_per_id: Annotated[int, Field(ge=1, le=1000)] = 5
    dial_in_max_failures_per_source: Annotated[int, Field(ge=1, le=100_000)] = 100
    dial_in_failure_window_seconds: Annotated[int, Field(ge=1, le=86_400)] = 900
    ws_ping_interval_seconds: Annotated[float, Field(gt=0, le=300)] = 15.0
    ws_ping_timeout_seconds: Annotated[float, Field(gt=0, le=300)] = 20.0
    bench_endpoints: bool = False
    max_body_bytes: Annotated[int, Field(ge=1024, le=1_073_741_824)] = 1_048_576
    request_header_timeout_seconds: Annotated[float, Field(gt=0, le=600)] = 10.0
    request_body_timeout_seconds: Annotated[float, Field(gt=0, le=3600)] = 30.0
    trusted_proxies: str = ""
    shutdown_grace_seconds: Annotated[int, Field(ge=1, le=3600)] = 10
    log_format: Literal["text", "json"] = "text"
    access_log: bool = True
    metrics_token: SecretStr | None = None
    metrics_address: str | None = None
    api_token_key_file: Path | None = None
    api_token_default_ttl_seconds: Annotated[int, Field(ge=60, le=31_536_000)] = 86_400
    api_token_max_ttl_seconds: Annotated[int, Field(ge=60, le=31_536_000)] = 2_592_000
    api_key_recheck_seconds: Annotated[int, Field(ge=0, le=3600)] = 10
    jitsi_prefix: str = "/jitsi"
    jitsi_auth_header: str = "Authorization"
    jitsi_auth_token: SecretStr | None = None
    jitsi_adhoc_duration_seconds: Annotated[int, Field(ge=60, le=604_800)] = 21_600
    jitsi_dial_in_numbers: Annotated[list[DialInNumber], NoDecode] = []
    jitsi_opener: Literal["anyone", "owner"] = "anyone"
    jitsi_sip_domain: str | None = None
    booking_rate_limit_per_minute: Annotated[int, Field(ge=0, le=100_000)] = 60
    smtp_host: str | None = None
    smtp_port: Annotated[int, Field(ge=1, le=65535)] | None = None
    smtp_tls: Literal["none", "starttls", "tls"] = "starttls"
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str | None = None
    smtp_timeout_seconds: Annotated[float, Field(gt=0, le=600)] = 30.0
    mail_max_attempts: Annotated[int, Field(ge=1, le=100)] = 12
    mail_retry_base_seconds: Annotated[float, Field(gt=0, le=86_400)] = 30.0
    mail_retry_max_seconds: Annotated[float, Field(gt=0, le=604_800)] = 3600.0
    mail_poll_seconds: Annotated[float, Field(gt=0, le=3600)] = 15.0
    mail_keep_days: Annotated[int, Field(ge=0, le=3650)] = 30
    calendar_feed_past_days: Annotated[int, Field(ge=0, le=3650)] = 90
    calendar_feed_max_events: Annotated[int, Field(ge=1, le=10_000)] = 1000
    shared_folder_url: AnyHttpUrl | None = None
    shared_folder_user: str | None = None
    shared_folder_app_password: SecretStr | None = None
    shared_folder_base_path: str = "parley"
    shared_folder_timeout_seconds: Annotated[float, Field(gt=0, le=300)] = 10.0
    shared_folder_expiry_days: Annotated[int | None, Field(ge=1, le=36_500)] = None
    easycalendar_rate_limiting: bool = True
    easycalendar_rate_limit_window_seconds: Annotated[int, Field(ge=1, le=86_400)] = (
        3600
    )
    easycalendar_rate_limits: Annotated[dict[str, int], NoDecode] = {}
    videsk_default_window_seconds: Annotated[int, Field(ge=60, le=31_536_000)] = 10_800
    videsk_max_window_seconds: Annotated[int, Field(ge=60, le=31_536_000)] = 604_800
    janus_urls: Annotated[list[str], NoDecode] = []
    janus_api_secret: SecretStr | None = None
    janus_request_timeout_seconds: Annotated[float, Field(gt=0, le=120)] = 10.0
    janus_keepalive_seconds: Annotated[float, Field(gt=0, le=50)] = 10.0
    media_video_bitrate: Annotated[int, Field(ge=32_000, le=100_000_000)] = 1_500_000
    media_screen_bitrate: Annotated[int, Field(ge=32_000, le=100_000_000)] = 8_000_000
    media_session_types: Annotated[
        list[Literal["video", "screen"]], NoDecode, Field(min_length=1)
    ] = ["video", "screen"]
    media_screen_share_requires_permission: bool = False

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        scheme = urlsplit(value).scheme
        if scheme not in {"sqlite+aiosqlite", "postgresql+asyncpg"}:
            raise ValueError(
                "must start with sqlite+aiosqlite:// or postgresql+asyncpg://"
            )
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if urlsplit(value).scheme not in {"redis", "rediss", "unix"}:
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @field_validator("turn_uris")
    @classmethod
    def _turn_uris(cls, value: str) -> str:
        for uri in _split_list(value):
            validate_turn_uri(uri)
        return value

    @field_validator("stun_uris")
    @classmethod
    def _stun_uris(cls, value: str) -> str:
        for uri in _split_list(value):
            validate_stun_uri(uri)
        return value

    @model_validator(mode="after")
    def _turn_needs_secret(self) -> Settings:
        if self.turn_uri_list and self.turn_secret is None:
            raise ValueError(
                "PARLEY_TURN_URIS is set, so PARLEY_TURN_SECRET is required"
            )
        return self

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        levels = {"critical", "error", "warning", "info", "debug", "trace"}
        if value.lower() not in levels:
            raise ValueError(f"must be one of {', '.join(sorted(levels))}")
        return value.lower()

    @field_validator(
        "oidc_issuer",
        "oidc_audience",
        "public_url",
        "turn_secret",
        "asset_dir",
        "tariffs_file",
        "api_token_key_file",
        "jitsi_auth_token",
        "metrics_token",
        "metrics_address",
        "jitsi_sip_domain",
        "smtp_host",
        "smtp_port",
        "smtp_user",
        "smtp_password",
        "smtp_from",
        "shared_folder_url",
        "shared_folder_user",
        "shared_folder_app_password",
        "shared_folder_expiry_days",
        "janus_api_secret",
        mode="before",
    )
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("jitsi_dial_in_numbers", "oidc_clients", mode="before")
    @classmethod
    def _json_list(cls, value: object) -> object:
        # Decoded here rather than by pydantic-settings, whose JSON errors are not
        # ValidationErrors and would escape the one-line report.
        if not isinstance(value, str):
            return value
        if not value.strip():
            return []
        try:
            return json.loads(value)
        except ValueError:
            raise ValueError("must be a JSON list") from None

    @field_validator("oidc_clients")
    @classmethod
    def _unique_clients(cls, clients: list[OidcClient]) -> list[OidcClient]:
        ids = [client.client_id for client in clients]
        if len(ids) != len(set(ids)):
            raise ValueError("client ids must be unique")
        return clients

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, value: str) -> str:
        for origin in _split_list(value):
            if origin != "*" and not _ORIGIN.fullmatch(origin.lower().rstrip("/")):
                raise ValueError(
                    f"{origin!r} is not an origin like https://app.example.com "
                    "(scheme, host and port only) or *"
                )
        return value

    @field_validator("easycalendar_rate_limits", mode="before")
    @classmethod
    def _rate_limits(cls, value: object) -> object:
        # {"meetings/list": 900, ...}: limits per endpoint, over the defaults.
        if isinstance(value, str):
            if not value.strip():
                return {}
            try:
                value = json.loads(value)
            except ValueError:
                raise ValueError(
                    'must be a JSON object like {"meetings/list": 900}'
                ) from None
        if not isinstance(value, dict):
            raise ValueError('must be a JSON object like {"meetings/list": 900}')
        unknown = sorted(set(value) - set(EASYCALENDAR_DEFAULT_RATE_LIMITS))
        if unknown:
            raise ValueError(
                f"unknown endpoint {unknown[0]!r}; known: "
                + ", ".join(EASYCALENDAR_DEFAULT_RATE_LIMITS)
            )
        for name, limit in value.items():
            if (
                isinstance(limit, bool)
                or not isinstance(limit, int)
                or not (1 <= limit <= 1_000_000)
            ):
                raise ValueError(f"the limit of {name} must be 1 to 1000000")
        return value

    @model_validator(mode="after")
    def _videsk_windows(self) -> Settings:
        if self.videsk_default_window_seconds > self.videsk_max_window_seconds:
            raise ValueError(
                "PARLEY_VIDESK_DEFAULT_WINDOW_SECONDS exceeds "
                "PARLEY_VIDESK_MAX_WINDOW_SECONDS"
            )
        return self

    @field_validator("janus_urls", "media_session_types", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        return _split_list(value) if isinstance(value, str) else value

    @field_validator("janus_urls")
    @classmethod
    def _websocket_urls(cls, value: list[str]) -> list[str]:
        for url in value:
            parts = urlsplit(url)
            if parts.scheme not in {"ws", "wss"} or not parts.hostname:
                raise ValueError(f"{url!r} is not a ws:// or wss:// URL")
        return list(dict.fromkeys(value))

    @field_validator("jitsi_prefix")
    @classmethod
    def _path_prefix(cls, value: str) -> str:
        if _PATH_PREFIX.fullmatch(value) is None:
            raise ValueError("must be a path like /jitsi (leading /, no trailing /)")
        return value

    @field_validator("jitsi_auth_header")
    @classmethod
    def _header_name(cls, value: str) -> str:
        if _HEADER_NAME.fullmatch(value) is None:
            raise ValueError("must be an HTTP header name")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_networks(cls, value: str) -> str:
        for item in _split_list(value):
            try:
                ip_network(item, strict=False)
            except ValueError:
                raise ValueError(
                    f"{item!r} is not an IP address or network (e.g. 10.0.0.0/8)"
                ) from None
        return value

    @field_validator("metrics_address")
    @classmethod
    def _host_and_port(cls, value: str | None) -> str | None:
        if value is not None:
            split_host_port(value)
        return value

    @field_validator("jitsi_sip_domain")
    @classmethod
    def _sip_domain(cls, value: str | None) -> str | None:
        if value is not None and _SIP_DOMAIN.fullmatch(value) is None:
            raise ValueError("must be a host name like sip.example.com (port optional)")
        return value

    @field_validator("jitsi_auth_token", "metrics_token")
    @classmethod
    def _strong_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError("must be at least 16 characters long")
        return value

    @field_validator("smtp_from")
    @classmethod
    def _mail_address(cls, value: str | None) -> str | None:
        if value is not None:
            parse_mail_address(value)
        return value

    @model_validator(mode="after")
    def _smtp_complete(self) -> Settings:
        if self.smtp_host is None:
            return self
        if self.smtp_from is None:
            raise ValueError("PARLEY_SMTP_HOST is set, so PARLEY_SMTP_FROM is required")
        if (self.smtp_user is None) != (self.smtp_password is None):
            raise ValueError("PARLEY_SMTP_USER and PARLEY_SMTP_PASSWORD go together")
        return self

    @field_validator("shared_folder_base_path")
    @classmethod
    def _folder_path(cls, value: str) -> str:
        segments = [segment for segment in value.split("/") if segment]
        for segment in segments:
            if segment in {".", ".."} or _UNSAFE_PATH_CHARACTER.search(segment):
                raise ValueError(
                    "must be a folder path like Meetings/Parley "
                    "(no . or .. segments, backslashes or control characters)"
                )
        return "/".join(segments)

    @model_validator(mode="after")
    def _shared_folder_complete(self) -> Settings:
        # A half-configured provider would only fail at the first request.
        if self.shared_folder_url is not None and (
            not self.shared_folder_user or self.shared_folder_app_password is None
        ):
            raise ValueError(
                "PARLEY_SHARED_FOLDER_URL is set, so PARLEY_SHARED_FOLDER_USER and "
                "PARLEY_SHARED_FOLDER_APP_PASSWORD are required"
            )
        return self

    @model_validator(mode="after")
    def _token_lifetimes(self) -> Settings:
        if self.api_token_default_ttl_seconds > self.api_token_max_ttl_seconds:
            raise ValueError(
                "PARLEY_API_TOKEN_DEFAULT_TTL_SECONDS exceeds "
                "PARLEY_API_TOKEN_MAX_TTL_SECONDS"
            )
        return self

    @property
    def turn_uri_list(self) -> list[str]:
        """The configured TURN URIs (``turn:``/``turns:``), in order."""
        return _split_list(self.turn_uris)

    @property
    def cors_origin_list(self) -> list[str]:
        """The origins allowed to call the API from a browser (lower-case; ``*``: any)."""
        return [origin.lower().rstrip("/") for origin in _split_list(self.cors_origins)]

    @property
    def stun_uri_list(self) -> list[str]:
        """The configured STUN URIs (``stun:``/``stuns:``), in order."""
        return _split_list(self.stun_uris)

    @property
    def trusted_proxy_list(self) -> list[str]:
        """Addresses and networks whose X-Forwarded-For/-Proto headers are believed."""
        return _split_list(self.trusted_proxies)

    @property
    def metrics_listener(self) -> tuple[str, int] | None:
        """(host, port) of the separate metrics listener, if one is configured."""
        return (
            None
            if self.metrics_address is None
            else split_host_port(self.metrics_address)
        )

    @property
    def media_enabled(self) -> bool:
        """Whether the `media` signaling module is on (a Janus is configured)."""
        return bool(self.janus_urls)

    @property
    def uses_local_issuer(self) -> bool:
        """True when Parley is its own OIDC issuer (no external issuer configured)."""
        return self.oidc_issuer is None

    @property
    def base_url(self) -> str:
        """The URL clients reach this server at, without a trailing slash."""
        if self.public_url is not None:
            return str(self.public_url).rstrip("/")
        return f"http://{self.host}:{self.port}"

    @property
    def issuer_url(self) -> str:
        """The issuer tokens must carry in `iss` (the local issuer is the base URL)."""
        if self.oidc_issuer is not None:
            return str(self.oidc_issuer).rstrip("/")
        return self.base_url

    @property
    def asset_path(self) -> Path:
        """Where asset files live: PARLEY_ASSET_DIR, else <data_dir>/assets."""
        return (
            self.asset_dir if self.asset_dir is not None else self.data_dir / "assets"
        )

    @property
    def mail_enabled(self) -> bool:
        """Whether e-mail notifications are queued and sent (an SMTP host is set)."""
        return self.smtp_host is not None

    @property
    def smtp_port_or_default(self) -> int:
        """PARLEY_SMTP_PORT, else the usual port of the TLS mode (25, 587, 465)."""
        if self.smtp_port is not None:
            return self.smtp_port
        return {"none": 25, "starttls": 587, "tls": 465}[self.smtp_tls]

    @property
    def easycalendar_limits(self) -> dict[str, int]:
        """Requests per window of each EasyCalendar endpoint (defaults, then overrides)."""
        return {**EASYCALENDAR_DEFAULT_RATE_LIMITS, **self.easycalendar_rate_limits}

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith("postgresql")

    @property
    def api_token_key_path(self) -> Path:
        """Where the API-token signing key lives (created on first use)."""
        from parley.apikeys.signing import KEY_FILE_NAME

        return self.api_token_key_file or self.data_dir / KEY_FILE_NAME


def parse_mail_address(value: str) -> tuple[str, str]:
    """(display name, address) of `addr@example.com` or `Name <addr@example.com>`."""
    if "\r" in value or "\n" in value:
        raise ValueError("must be one line")
    addresses = getaddresses([value])
    if len(addresses) != 1:
        raise ValueError("must be one e-mail address")
    name, address = addresses[0]
    try:
        # Internal domains are fine: only the syntax is checked.
        validate_email(address, check_deliverability=False, globally_deliverable=False)
    except EmailNotValidError:
        raise ValueError("must be an e-mail address, optionally with a name") from None
    return name, address


def split_host_port(value: str) -> tuple[str, int]:
    """``host:port`` or ``[v6 address]:port`` as (host, port); ValueError otherwise."""
    host, separator, port = value.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not separator or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError("must be HOST:PORT, e.g. 127.0.0.1:9464")
    return host, int(port)


def _split_list(value: str) -> list[str]:
    """A comma-separated setting as a list, blanks dropped."""
    return [item.strip() for item in value.split(",") if item.strip()]


def load_settings() -> Settings:
    """Read settings from the environment, turning validation errors into one line."""
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "PARLEY_" + str(first["loc"][0]).upper() if first["loc"] else "settings"
        raise SettingsError(f"invalid setting {name}: {first['msg']}") from None


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (tests build their own Settings instead)."""
    return load_settings()
