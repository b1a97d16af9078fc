"""Room names: one normalisation, validated."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parley.reservations.errors import InvalidRoomName
from parley.reservations.names import display_room_name, normalize_room_name


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("myroom123", "myroom123"),
        ("  MyRoom123 ", "myroom123"),
        ("Team-Sync_2.0~a", "team-sync_2.0~a"),
        ("[Tenant]Daily", "[tenant]daily"),
        ("Café", "café"),
        ("Cafe\u0301", "café"),  # combining accent composes (NFKC)
        ("\uff32\uff2f\uff2f\uff2d", "room"),  # fullwidth ROOM folds (NFKC)
        ("caf%C3%A9", "caf%c3%a9"),
        ("x" * 128, "x" * 128),
    ],
)
def test_normalises(raw: str, key: str) -> None:
    assert normalize_room_name(raw) == key


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "must not be empty"),
        ("   ", "must not be empty"),
        ("x" * 129, "at most 128"),
        ("my room", "letters, digits"),
        ("room@conference", "letters, digits"),
        ("a/b", "letters, digits"),
        ("a?b", "letters, digits"),
        ("tab\there", "letters, digits"),
        ("emoji🙂", "letters, digits"),
    ],
)
def test_rejects(raw: str, message: str) -> None:
    with pytest.raises(InvalidRoomName, match=message) as raised:
        normalize_room_name(raw)
    assert raised.value.status_code == 400
    assert raised.value.code == "invalid_room_name"


def test_display_name_keeps_case() -> None:
    assert display_room_name("  MyRoom ") == "MyRoom"


@given(st.text(max_size=40))
def test_normalisation_is_idempotent(raw: str) -> None:
    try:
        key = normalize_room_name(raw)
    except InvalidRoomName:
        return
    assert normalize_room_name(key) == key


@given(st.from_regex(r"[A-Za-z0-9_.~-]{1,40}", fullmatch=True))
def test_ascii_names_are_case_insensitive(raw: str) -> None:
    assert normalize_room_name(raw.upper()) == normalize_room_name(raw.lower())
