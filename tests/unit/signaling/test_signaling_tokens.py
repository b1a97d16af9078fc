"""Ticket and resumption tokens."""

from __future__ import annotations

import string

import pytest

from parley.signaling.tokens import (
    TOKEN_LENGTH,
    generate_resumption_token,
    generate_ticket,
    is_well_formed_token,
)


@pytest.mark.parametrize("generate", [generate_ticket, generate_resumption_token])
def test_tokens_are_64_alphanumeric_characters(generate: object) -> None:
    tokens = {generate() for _ in range(200)}  # type: ignore[operator]

    assert len(tokens) == 200
    for token in tokens:
        assert len(token) == TOKEN_LENGTH == 64
        assert set(token) <= set(string.ascii_letters + string.digits)
        assert is_well_formed_token(token)


@pytest.mark.parametrize(
    "value", ["", "a" * 63, "a" * 65, "a" * 63 + "-", "a" * 63 + "é", "a" * 63 + " "]
)
def test_malformed_tokens_are_recognised(value: str) -> None:
    assert not is_well_formed_token(value)
