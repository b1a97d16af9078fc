"""Matching Prosody's opener (an XMPP JID) against a reservation's e-mail owner."""

from __future__ import annotations

import pytest

from parley.reservations.owners import bare_jid, may_open, opener_is_owner


@pytest.mark.parametrize(
    ("identity", "bare"),
    [
        ("alice@example.com/res", "alice@example.com"),
        ("  Alice@Example.com  ", "alice@example.com"),
        ("node@host/a/b", "node@host"),
        ("host.only", "host.only"),
    ],
)
def test_bare_jid(identity: str, bare: str) -> None:
    assert bare_jid(identity) == bare


@pytest.mark.parametrize(
    ("opener", "owner", "matches"),
    [
        ("alice@example.com", "alice@example.com", True),
        ("alice@example.com/x", "ALICE@example.com", True),
        ("alice\\40example.com@meet.example.com", "alice@example.com", True),
        ("o\\27brien\\40example.com@meet", "o'brien@example.com", True),
        ("alice\\40example.com@meet.example.com", "bob@example.com", False),
        ("alice@meet.example.com", "alice@example.com", False),
        ("alice\\4", "alice@example.com", False),
        ("", "alice@example.com", False),
        ("alice@example.com", "", False),
    ],
)
def test_opener_is_owner(opener: str, owner: str, matches: bool) -> None:
    assert opener_is_owner(opener, owner) is matches


def test_rule_anyone_admits_every_opener() -> None:
    assert may_open("anyone", "random@guest.example.com", "alice@example.com")
    assert not may_open("owner", "random@guest.example.com", "alice@example.com")
