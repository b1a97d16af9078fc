"""Reservation errors, each with a stable code."""

from __future__ import annotations

from typing import Any

from parley.errors import BadRequest, Conflict, Forbidden, NotFound


class InvalidRoomName(BadRequest):
    code = "invalid_room_name"
    default_message = "The room name is invalid"


class InvalidTimezone(BadRequest):
    code = "invalid_timezone"
    default_message = "The time zone is not a known IANA time zone"


class InvalidStartTime(BadRequest):
    code = "invalid_start_time"
    default_message = "start_time must be a local wall time YYYY-MM-DDTHH:MM[:SS]"


class InvalidDuration(BadRequest):
    code = "invalid_duration"
    default_message = "duration must be a whole number of minutes"


class InvalidPin(BadRequest):
    code = "invalid_pin"
    default_message = "pin must be 4 to 10 digits"


class ReservationInPast(BadRequest):
    code = "reservation_in_past"
    default_message = "The reservation would end before now"


class RoomChoiceConflict(BadRequest):
    code = "bad_request"
    default_message = "Give room_id or create_room, not both"


class ReservationNotFound(NotFound):
    code = "reservation_not_found"
    default_message = "The reservation could not be found"


class ConferenceNotFound(NotFound):
    code = "conference_not_found"
    default_message = "No running conference matches"


class _WithConflictId(Conflict):
    """A 409 whose body names the conflicting reservation (`conflict_id`)."""

    def __init__(self, conflict_id: int, message: str | None = None) -> None:
        super().__init__(message)
        self.conflict_id = conflict_id

    def body(self) -> dict[str, Any]:
        return {"conflict_id": self.conflict_id, **super().body()}


class ReservationConflict(_WithConflictId):
    code = "reservation_conflict"
    default_message = "The room is already reserved for an overlapping time"


class ConferenceRunning(_WithConflictId):
    code = "conference_running"
    default_message = "A conference of this name is already running"


class ConferenceForbidden(Forbidden):
    code = "conference_forbidden"
    default_message = "This conference may not be started now"
