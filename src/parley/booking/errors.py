"""Errors shared by the pure booking helpers."""

from __future__ import annotations

from typing import Any


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
