"""Errors of the signaling start endpoints and the websocket handshake.

Codes are the reference controller's (notes §1.1, §3, §6) where it has one.
"""

from __future__ import annotations

from parley.errors import BadRequest, Forbidden, Unauthorized


class BannedFromRoom(Forbidden):
    code = "banned_from_room"
    default_message = "You have been banned from this room"


class NoBreakoutRooms(BadRequest):
    code = "no_breakout_rooms"
    default_message = "This room has no breakout rooms"


class WrongRoomPassword(Unauthorized):
    code = "wrong_room_password"
    default_message = "The room password is wrong"
    login_failure = "room_password"


class RoomIdMismatch(BadRequest):
    # The reference answers the generic code with this exact message.
    default_message = "Room id mismatch"


class SessionRunning(BadRequest):
    code = "session_running"
    default_message = "The session of the given resumption token is still running"


class InvalidCredentials(BadRequest):
    code = "invalid_credentials"
    default_message = "The given call-in id and pin combination is not valid"
    login_failure = "call_in"
