"""Booking errors: field errors of the pure helpers, and the API's AppErrors.

Codes: invalid_booking_profile (400), not_found (404), booking_profile_name_taken
(409), slot_not_offered (422), slot_taken (409), too_many_requests (429).
"""

from __future__ import annotations

from typing import Any

from parley.errors import (
    AppError,
    BadRequest,
    Conflict,
    FieldError,
    NotFound,
    ValidationFailed,
)


class BookingFieldError(ValueError):
    """A booking value is invalid.

    ``field`` names the offending value the way the profile JSON spells it
    (``workHours.daySchedules[0].workingIntervals[1]``), so the HTTP layer
    can turn it into a 422 pointing at the right input without parsing text.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    def __reduce__(self) -> tuple[Any, ...]:
        # The default reduce replays ``args`` (the joined text) into __init__,
        # which takes two arguments; keep pickling (e.g. across processes) working.
        return (type(self), (self.field, self.message))


class BookingProfileInvalid(BadRequest):
    """A profile value is semantically wrong (zone, step, duration, interval, ...)."""

    code = "invalid_booking_profile"
    default_message = "The booking profile is invalid"

    @classmethod
    def for_field(cls, field: str, message: str) -> BookingProfileInvalid:
        return cls(
            f"{field}: {message}",
            errors=[FieldError(field=field, code="invalid_value", message=message)],
        )


class BookingProfileNotFound(NotFound):
    default_message = "The booking profile could not be found"


class BookingProfileNameTaken(Conflict):
    code = "booking_profile_name_taken"
    default_message = "You already have a booking profile with this name"


class SlotNotOffered(ValidationFailed):
    """The requested time is not a slot of this profile (grid, hours, window)."""

    code = "slot_not_offered"
    default_message = "The requested time is not one of this profile's slots"


class SlotTaken(Conflict):
    code = "slot_taken"
    default_message = "The requested time is no longer available"


class RateLimited(AppError):
    status_code = 429
    code = "too_many_requests"
    default_message = "Too many requests from this address, try again later"
