"""Janus's asynchronous messages → handle events → the client's media events."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from pydantic import BaseModel

from parley.janus import (
    Candidate,
    Gone,
    HandleEvent,
    Hangup,
    MediaReceiving,
    SlowLink,
    TrickleCandidate,
    WebRtcUp,
)
from parley.janus.events import parse_handle_event
from parley.janus.videoroom import Publisher, Subscriber
from parley.signaling.messages import MediaSessionType
from parley.signaling.messages import media as msg
from parley.signaling.modules.media.streams import Stream, wire_event

ALICE = uuid.UUID("4f6c5b1e-0000-4000-8000-000000000001")
VIDEO = MediaSessionType.VIDEO


@pytest.mark.parametrize(
    ("message", "event"),
    [
        ({"janus": "webrtcup", "sender": 1}, WebRtcUp()),
        (
            {
                "janus": "media",
                "sender": 1,
                "mid": "1",
                "type": "video",
                "receiving": True,
            },
            MediaReceiving(kind="video", receiving=True),
        ),
        (
            {"janus": "media", "type": "audio", "receiving": False},
            MediaReceiving("audio", False),
        ),
        ({"janus": "media", "type": "data", "receiving": True}, None),
        (
            {"janus": "slowlink", "uplink": True, "media": "video", "lost": 9},
            SlowLink(True),
        ),
        ({"janus": "hangup", "reason": "Close PC"}, Hangup("Close PC")),
        ({"janus": "detached", "sender": 1}, Gone("detached by janus")),
        (
            {"janus": "trickle", "candidate": {"completed": True}},
            TrickleCandidate(None),
        ),
        (
            {
                "janus": "trickle",
                "candidate": {"candidate": "c", "sdpMLineIndex": 1, "sdpMid": "1"},
            },
            TrickleCandidate(Candidate("c", 1, "1")),
        ),
        ({"janus": "trickle", "candidate": "nonsense"}, None),
        ({"janus": "event", "plugindata": {"data": {"videoroom": "destroyed"}}}, None),
        ({"janus": "ack"}, None),
    ],
)
def test_janus_messages_become_handle_events(
    message: dict[str, Any], event: HandleEvent | None
) -> None:
    assert parse_handle_event(message) == event


def publisher_stream() -> Stream:
    return Stream(source=ALICE, kind=VIDEO, publisher=object.__new__(Publisher))


def subscriber_stream() -> Stream:
    return Stream(source=ALICE, kind=VIDEO, subscriber=object.__new__(Subscriber))


@pytest.mark.parametrize(
    ("stream", "event", "expected"),
    [
        (
            publisher_stream(),
            WebRtcUp(),
            msg.WebrtcUp(source=ALICE, media_session_type=VIDEO),
        ),
        (
            subscriber_stream(),
            WebRtcUp(),
            msg.WebrtcUp(source=ALICE, media_session_type=VIDEO),
        ),
        (
            publisher_stream(),
            MediaReceiving("audio", True),
            msg.MediaStatus(
                source=ALICE, media_session_type=VIDEO, kind="audio", receiving=True
            ),
        ),
        (subscriber_stream(), MediaReceiving("audio", True), None),
        (
            publisher_stream(),
            SlowLink(uplink=True),
            msg.WebrtcSlow(
                source=ALICE,
                media_session_type=VIDEO,
                direction=msg.LinkDirection.UPSTREAM,
            ),
        ),
        (
            subscriber_stream(),
            SlowLink(uplink=False),
            msg.WebrtcSlow(
                source=ALICE,
                media_session_type=VIDEO,
                direction=msg.LinkDirection.DOWNSTREAM,
            ),
        ),
        (
            subscriber_stream(),
            TrickleCandidate(Candidate("c", 0, "0")),
            msg.SdpCandidateEvent(
                source=ALICE,
                media_session_type=VIDEO,
                candidate=msg.TrickleCandidate(
                    candidate="c", sdp_mline_index=0, sdp_mid="0"
                ),
            ),
        ),
        (
            subscriber_stream(),
            TrickleCandidate(None),
            msg.SdpEndOfCandidatesEvent(source=ALICE, media_session_type=VIDEO),
        ),
        (publisher_stream(), Hangup("x"), None),  # webrtc_down, with more to do
        (subscriber_stream(), Gone("lost"), None),
    ],
)
def test_handle_events_become_client_events(
    stream: Stream, event: HandleEvent, expected: BaseModel | None
) -> None:
    assert wire_event(stream, event) == expected
