"""What can go wrong talking to Janus."""

from __future__ import annotations


class JanusError(Exception):
    """Base of every Janus client failure."""


class JanusUnavailable(JanusError):
    """No connection to the Janus server (down, restarting, or the session expired)."""


class JanusTimeout(JanusError):
    """Janus did not answer a request in time."""


class JanusRequestFailed(JanusError):
    """Janus (the core or the VideoRoom plugin) refused a request."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"janus error {code}: {reason}")
        self.code = code
        self.reason = reason


class HandleGone(JanusError):
    """The handle no longer exists (detached, or its session was lost)."""
