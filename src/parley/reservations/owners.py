"""Who may open a reserved room: the reservation's owner (an e-mail address) against
the identity Prosody sends as `mail_owner` (the XMPP JID of whoever creates the room).

Pure, no I/O. Used when PARLEY_JITSI_OPENER is `owner`; with `anyone` a reservation
only decides when its room may run.
"""

from __future__ import annotations

from typing import Literal

OpenerRule = Literal["anyone", "owner"]

# XEP-0106 (JID Escaping): how a node writes characters JIDs forbid, e.g. an e-mail
# address used as a Prosody user name is the node `alice\40example.com`.
_JID_ESCAPES = {
    "\\20": " ",
    "\\22": '"',
    "\\26": "&",
    "\\27": "'",
    "\\2f": "/",
    "\\3a": ":",
    "\\3c": "<",
    "\\3e": ">",
    "\\40": "@",
    "\\5c": "\\",
}


def bare_jid(identity: str) -> str:
    """`node@domain/resource` → `node@domain`, trimmed and lower-cased."""
    return identity.strip().split("/", 1)[0].lower()


def _unescape_node(node: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(node):
        escape = node[index : index + 3]
        if escape in _JID_ESCAPES:
            out.append(_JID_ESCAPES[escape])
            index += 3
        else:
            out.append(node[index])
            index += 1
    return "".join(out)


def opener_is_owner(opener: str, owner: str) -> bool:
    """Whether the identity Prosody sent is the reservation's owner.

    Matches when the bare JID is the owner's address (a user `alice@example.com` on
    a virtual host of that domain), or when the JID's node, unescaped, is the
    address (`alice\\40example.com@meet.example.com`). Case-insensitive, as Parley
    compares e-mail addresses everywhere. The resource is ignored.
    """
    wanted = owner.strip().lower()
    if not wanted:
        return False
    bare = bare_jid(opener)
    if bare == wanted:
        return True
    node, at, _ = bare.rpartition("@")
    return bool(at) and _unescape_node(node) == wanted


def may_open(rule: OpenerRule, opener: str, owner: str) -> bool:
    """The operator's rule (PARLEY_JITSI_OPENER) applied to one opener."""
    return rule == "anyone" or opener_is_owner(opener, owner)
