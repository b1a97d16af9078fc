"""The signaling websocket's ``Sec-WebSocket-Protocol`` header (notes §1.3).

The header carries two comma-separated parts: the protocol name
(``opentalk-signaling-json-v1.0``) and ``ticket#<ticket>``. Failures are
answered as plain HTTP errors before the upgrade.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final, NamedTuple

from parley.errors import BadRequest, Unauthorized
from parley.signaling.tokens import is_well_formed_token

PROTOCOL: Final = "opentalk-signaling-json-v1.0"
ALLOWED_PROTOCOLS: Final = (PROTOCOL,)
TICKET_PREFIX: Final = "ticket#"

_NEW_TICKET_HINT: Final = "Please request a new ticket from /v1/rooms/<room_id>/start"


class MissingProtocol(BadRequest):
    code = "missing_protocol"
    default_message = "Missing sec-websocket-protocol header"


class InvalidProtocol(BadRequest):
    code = "invalid_protocol"
    default_message = f"Missing valid protocol, expected {PROTOCOL}"


class MissingTicket(Unauthorized):
    code = "missing_ticket"
    default_message = f"Missing ticket. {_NEW_TICKET_HINT}"


class InvalidTicket(Unauthorized):
    code = "invalid_ticket"
    default_message = f"Invalid or expired ticket. {_NEW_TICKET_HINT}"
    login_failure = "signaling_ticket"


class Handshake(NamedTuple):
    protocol: str
    ticket: str


def read_protocol_header(values: Iterable[str]) -> Handshake:
    """Find the protocol and the ticket in the header's values (one or several).

    Raises the pre-upgrade errors in the reference's order: no header, no
    allowed protocol, no ticket part, malformed ticket.
    """
    parts = [part.strip() for value in values for part in value.split(",")]
    if not parts:
        raise MissingProtocol()
    protocol = next((part for part in parts if part in ALLOWED_PROTOCOLS), None)
    if protocol is None:
        raise InvalidProtocol()
    ticket = next(
        (
            part[len(TICKET_PREFIX) :]
            for part in parts
            if part.startswith(TICKET_PREFIX)
        ),
        None,
    )
    if ticket is None:
        raise MissingTicket()
    # The reference checks the length only; the alphabet check keeps arbitrary
    # bytes out of storage keys.
    if not is_well_formed_token(ticket):
        raise InvalidTicket()
    return Handshake(protocol, ticket)
