"""Password hashing with Argon2id (argon2-cffi), off the event loop."""

from __future__ import annotations

import secrets
from functools import lru_cache

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 8
MAX_LENGTH = 1024

_hasher = PasswordHasher()


class WeakPassword(ValueError):
    """The new password breaks a rule; the message says which."""


def check_new_password(password: str) -> None:
    """Length limits only (NIST SP 800-63B): no composition rules."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"the password must have at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"the password must have at most {MAX_LENGTH} characters")
    if "\x00" in password:
        raise WeakPassword("the password must not contain NUL characters")


def hash_password(password: str) -> str:
    """An Argon2id hash of a password that passed `check_new_password`."""
    check_new_password(password)
    return _hasher.hash(password)


@lru_cache(maxsize=1)
def _stand_in_hash() -> str:
    # Verified against when the account does not exist, so an unknown address
    # costs as long as a wrong password (no enumeration by timing).
    return _hasher.hash(secrets.token_urlsafe(16))


def _verify(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _stand_in_hash(), password) and (
            stored_hash is not None
        )
    except (VerificationError, InvalidHashError):
        return False


async def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether the password matches; ``None`` (no account) costs the same and is False."""
    return await anyio.to_thread.run_sync(_verify, stored_hash, password)


def rehash(password: str) -> str:
    """A hash with today's parameters of a password that was just verified."""
    return _hasher.hash(password)


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(stored_hash)
