"""TURN REST API credentials (draft-uberti-behave-turn-rest-00, as coturn implements it).

The TURN server and this controller share a secret. The username is
``<expiry unix time>:<participant>`` and the password is
``base64(HMAC-SHA1(secret, username))``; coturn (``use-auth-secret``)
recomputes the password and rejects usernames whose expiry has passed, so no
per-user state is needed. Shape: spec schema ``TurnCredentials``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from typing import Final, TypedDict


class TurnCredentials(TypedDict):
    username: str
    password: str
    ttl: str
    uris: list[str]


def turn_credentials(
    *,
    uris: list[str],
    secret: str,
    ttl_seconds: int,
    participant: str,
    now: int,
) -> TurnCredentials:
    """Time-limited credentials for the TURN servers at ``uris``.

    ``now`` is the current unix time in seconds (passed in to keep this pure);
    the credentials stop working ``ttl_seconds`` later.
    """
    if ttl_seconds <= 0:
        raise ValueError("ttl_seconds must be positive")
    username = f"{now + ttl_seconds}:{participant}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return {
        "username": username,
        "password": base64.b64encode(digest).decode("ascii"),
        "ttl": str(ttl_seconds),
        "uris": list(uris),
    }


# RFC 7065 (turn:/turns:) and RFC 7064 (stun:/stuns:): scheme ":" host [":" port],
# TURN URIs optionally followed by "?transport=udp|tcp". No "//" after the scheme.
_HOST: Final = (
    r"(?:\[[0-9A-Fa-f:.]+\]"  # IPv6 literal
    r"|[A-Za-z0-9](?:[A-Za-z0-9.\-]*[A-Za-z0-9])?)"  # IPv4 or registered name
)
_PORT: Final = r"(?::(?P<port>[0-9]{1,5}))?"
_TURN_URI: Final = re.compile(
    rf"turns?:{_HOST}{_PORT}(?:\?transport=(?:udp|tcp))?", re.IGNORECASE
)
_STUN_URI: Final = re.compile(rf"stuns?:{_HOST}{_PORT}", re.IGNORECASE)


def _validate(uri: str, pattern: re.Pattern[str], kind: str) -> str:
    match = pattern.fullmatch(uri)
    if match is None:
        raise ValueError(f"not a valid {kind} URI: {uri!r}")
    port = match.group("port")
    if port is not None and not 0 < int(port) <= 65535:
        raise ValueError(f"port out of range in {kind} URI: {uri!r}")
    return uri


def validate_turn_uri(uri: str) -> str:
    """Return ``uri`` if it is a ``turn:``/``turns:`` URI (RFC 7065), else raise ValueError."""
    return _validate(uri, _TURN_URI, "TURN")


def validate_stun_uri(uri: str) -> str:
    """Return ``uri`` if it is a ``stun:``/``stuns:`` URI (RFC 7064), else raise ValueError."""
    return _validate(uri, _STUN_URI, "STUN")
