"""Ticket and resumption tokens: 64 random alphanumeric characters (notes §1.2, §1.4)."""

from __future__ import annotations

import secrets
import string
from typing import Final

TOKEN_LENGTH: Final = 64
TOKEN_ALPHABET: Final = string.ascii_letters + string.digits


def _generate_token() -> str:
    # 62**64 ≈ 2**381 possibilities; `secrets` makes them unpredictable.
    return "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(TOKEN_LENGTH))


def generate_ticket() -> str:
    """A single-use websocket ticket, presented as ``ticket#<token>``."""
    return _generate_token()


def generate_resumption_token() -> str:
    """A token that lets a reconnecting client keep its participant id."""
    return _generate_token()


def is_well_formed_token(value: str) -> bool:
    """Whether ``value`` has the shape of a generated token.

    The reference handshake only checks the length; checking the alphabet as
    well keeps arbitrary bytes out of storage keys.
    """
    return len(value) == TOKEN_LENGTH and all(c in TOKEN_ALPHABET for c in value)
