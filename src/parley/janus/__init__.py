"""A small Janus client over Janus's websocket API, for the VideoRoom plugin.

The signaling ``media`` module uses only what is exported here; Janus's JSON
stays inside this package.
"""

from parley.janus.connection import JanusConnection, JanusTimings
from parley.janus.errors import (
    HandleGone,
    JanusError,
    JanusRequestFailed,
    JanusTimeout,
    JanusUnavailable,
)
from parley.janus.events import (
    Candidate,
    EventListener,
    Gone,
    HandleEvent,
    Hangup,
    MediaReceiving,
    SlowLink,
    TrickleCandidate,
    WebRtcUp,
)
from parley.janus.pool import JanusPool, LoadBook, LocalLoadBook
from parley.janus.videoroom import Publisher, Subscriber

__all__ = [
    "Candidate",
    "EventListener",
    "Gone",
    "HandleEvent",
    "HandleGone",
    "Hangup",
    "JanusConnection",
    "JanusError",
    "JanusPool",
    "JanusRequestFailed",
    "JanusTimeout",
    "JanusTimings",
    "JanusUnavailable",
    "LoadBook",
    "LocalLoadBook",
    "MediaReceiving",
    "Publisher",
    "SlowLink",
    "Subscriber",
    "TrickleCandidate",
    "WebRtcUp",
]
