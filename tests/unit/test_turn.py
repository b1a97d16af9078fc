"""TURN REST API credentials, checked against an independent HMAC-SHA1."""

from __future__ import annotations

import base64
import hashlib

import pytest

from parley.turn import turn_credentials, validate_stun_uri, validate_turn_uri


def _hmac_sha1(key: bytes, message: bytes) -> bytes:
    """RFC 2104 spelled out, so the test does not reuse the `hmac` module."""
    block_size = 64
    if len(key) > block_size:
        key = hashlib.sha1(key).digest()
    key = key.ljust(block_size, b"\0")
    inner = hashlib.sha1(bytes(k ^ 0x36 for k in key) + message).digest()
    return hashlib.sha1(bytes(k ^ 0x5C for k in key) + inner).digest()


def test_reference_hmac_matches_rfc_2202_test_case_2() -> None:
    digest = _hmac_sha1(b"Jefe", b"what do ya want for nothing?")

    assert digest.hex() == "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"


@pytest.mark.parametrize("secret", ["s3cret", "x" * 100, "ümlaut"])
def test_credentials_follow_the_turn_rest_api(secret: str) -> None:
    uris = ["turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:5349"]

    credentials = turn_credentials(
        uris=uris,
        secret=secret,
        ttl_seconds=86400,
        participant="user-1",
        now=1_700_000_000,
    )

    assert credentials["username"] == "1700086400:user-1"
    expected = base64.b64encode(
        _hmac_sha1(secret.encode(), b"1700086400:user-1")
    ).decode()
    assert credentials["password"] == expected
    assert credentials["ttl"] == "86400"
    assert credentials["uris"] == uris
    assert credentials["uris"] is not uris


def test_credentials_need_a_positive_ttl() -> None:
    with pytest.raises(ValueError, match="ttl"):
        turn_credentials(uris=[], secret="s", ttl_seconds=0, participant="p", now=0)


@pytest.mark.parametrize(
    "uri",
    [
        "turn:turn.example.org",
        "turn:turn.example.org:3478",
        "turn:192.0.2.1:3478?transport=udp",
        "turns:turn.example.org:5349?transport=tcp",
        "turn:[2001:db8::1]:3478",
        "TURN:Turn.Example.org",
    ],
)
def test_valid_turn_uris(uri: str) -> None:
    assert validate_turn_uri(uri) == uri


@pytest.mark.parametrize(
    "uri",
    [
        "turn://turn.example.org",
        "stun:turn.example.org",
        "turn:",
        "turn:host:0",
        "turn:host:70000",
        "turn:host?transport=sctp",
        "turn:ho st",
        "https://turn.example.org",
    ],
)
def test_invalid_turn_uris(uri: str) -> None:
    with pytest.raises(ValueError, match="TURN URI"):
        validate_turn_uri(uri)


@pytest.mark.parametrize(
    "uri", ["stun:stun.example.org", "stuns:stun.example.org:5349", "stun:[::1]:3478"]
)
def test_valid_stun_uris(uri: str) -> None:
    assert validate_stun_uri(uri) == uri


@pytest.mark.parametrize(
    "uri",
    [
        "stun://stun.example.org",
        "turn:stun.example.org",
        "stun:host?transport=udp",
        "stun:",
    ],
)
def test_invalid_stun_uris(uri: str) -> None:
    with pytest.raises(ValueError, match="STUN URI"):
        validate_stun_uri(uri)
