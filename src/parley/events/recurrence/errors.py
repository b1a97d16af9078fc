"""The one exception type the recurrence engine raises for bad input."""


class RecurrenceError(ValueError):
    """A recurrence pattern, date value or instance id is invalid.

    The message names the offending line and rule part so the API can return it
    verbatim in a 422 response. Caller bugs (naive datetimes, a non-positive
    limit) raise plain ``ValueError`` instead, so they surface as server errors.
    """
