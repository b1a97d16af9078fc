"""The Sec-WebSocket-Protocol header: protocol name and ticket (notes §1.3)."""

from __future__ import annotations

import pytest

from parley.errors import AppError
from parley.signaling.handshake import (
    PROTOCOL,
    Handshake,
    InvalidProtocol,
    InvalidTicket,
    MissingProtocol,
    MissingTicket,
    read_protocol_header,
)

TICKET = "A1b2" * 16


@pytest.mark.parametrize(
    "values",
    [
        [f"{PROTOCOL}, ticket#{TICKET}"],
        [f"ticket#{TICKET},{PROTOCOL}"],
        [f"  {PROTOCOL} ,  ticket#{TICKET}  "],
        [PROTOCOL, f"ticket#{TICKET}"],
        [f"other-protocol, {PROTOCOL}, ticket#{TICKET}"],
    ],
)
def test_protocol_and_ticket_are_found_in_any_order(values: list[str]) -> None:
    assert read_protocol_header(values) == Handshake(PROTOCOL, TICKET)


@pytest.mark.parametrize(
    ("values", "error", "status", "code"),
    [
        ([], MissingProtocol, 400, "missing_protocol"),
        ([f"ticket#{TICKET}"], InvalidProtocol, 400, "invalid_protocol"),
        ([f"k3k-signaling-json-v1.0, ticket#{TICKET}"], InvalidProtocol, 400, None),
        ([f"{PROTOCOL}x, ticket#{TICKET}"], InvalidProtocol, 400, None),
        ([PROTOCOL], MissingTicket, 401, "missing_ticket"),
        ([f"{PROTOCOL}, ticket {TICKET}"], MissingTicket, 401, None),
        ([f"{PROTOCOL}, ticket#{TICKET[:-1]}"], InvalidTicket, 401, "invalid_ticket"),
        ([f"{PROTOCOL}, ticket#{TICKET}A"], InvalidTicket, 401, None),
        ([f"{PROTOCOL}, ticket#{'é' * 64}"], InvalidTicket, 401, None),
        ([f"{PROTOCOL}, ticket#"], InvalidTicket, 401, None),
    ],
)
def test_handshake_errors_in_the_reference_order(
    values: list[str], error: type[AppError], status: int, code: str | None
) -> None:
    with pytest.raises(error) as raised:
        read_protocol_header(values)
    assert raised.value.status_code == status
    if code is not None:
        assert raised.value.code == code
