"""Errors raised by the signaling state layer."""


class StateError(Exception):
    """Base of the errors raised by the state layer."""


class StateUnavailable(StateError):
    """The backing store cannot be reached; the HTTP layer answers 503."""


class SubscriptionOverflow(StateError):
    """A subscriber fell too far behind and its subscription was ended."""
