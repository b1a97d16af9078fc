"""``media``: WebRTC streams through Janus (media notes §2-6).

Per connection the module owns at most one Janus publisher per media
session type and one subscriber per (remote participant, type). The stored
participant state carries what others must see, written only by the
participant's own connection:

* ``media_sessions``: ``{"video"?: {video, audio}, "screen"?: {...}}``, set
  by ``publish_complete`` / ``update_media_session``, removed on
  ``unpublish``, when Janus hangs the publisher up, and on leaving;
* ``media_presenter``: the presenter flag (everyone by default, like the
  controller); grants and revocations arrive as room messages addressed to
  the participant and are applied here;
* ``media_speaker``: the last ``update_speaking_state``.

Where each stream lives (Janus server and room) is in the signaling state's
publisher registry, so a subscriber on another instance finds it.

Everything runs in the participant's loop, one item at a time: commands in
the order they arrived (so candidates never precede their handle), Janus
events scheduled into the loop by the handle listeners.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field
from typing import ClassVar, Final

from pydantic import BaseModel, JsonValue, ValidationError

from parley.janus import (
    Candidate,
    EventListener,
    Gone,
    HandleEvent,
    Hangup,
    JanusError,
    MediaReceiving,
    Publisher,
    SlowLink,
    Subscriber,
    TrickleCandidate,
    WebRtcUp,
)
from parley.signaling import participants
from parley.signaling.context import Context
from parley.signaling.messages import (
    MediaPeerData,
    MediaSessionState,
    MediaSessionType,
    ParticipationKind,
    Role,
    format_timestamp,
    utc_now,
)
from parley.signaling.messages import control as control_messages
from parley.signaling.messages import media as msg
from parley.signaling.messages.media import MediaErrorCode as Code
from parley.signaling.modules.base import SignalingModule
from parley.signaling.modules.media.service import MediaService
from parley.signaling.modules.updates import publish_update
from parley.signaling.state import (
    Departure,
    JsonObject,
    MediaPublisher,
    RoomMessage,
)

logger = logging.getLogger(__name__)

SESSIONS: Final = "media_sessions"
PRESENTER: Final = "media_presenter"
SPEAKER: Final = "media_speaker"

_ERROR_OF_ACTION: Final = {
    "publish": Code.INVALID_SDP_OFFER,
    "sdp_answer": Code.HANDLE_SDP_ANSWER,
    "sdp_candidate": Code.INVALID_CANDIDATE,
    "sdp_end_of_candidates": Code.INVALID_END_OF_CANDIDATES,
    "subscribe": Code.INVALID_REQUEST_OFFER,
    "resubscribe": Code.INVALID_REQUEST_OFFER,
    "configure": Code.INVALID_CONFIGURE_REQUEST,
}


@dataclass(eq=False)
class _Stream:
    """One Janus handle of this connection: a publisher (own id) or a subscription."""

    source: uuid.UUID
    kind: MediaSessionType
    publisher: Publisher | None = None
    subscriber: Subscriber | None = None
    state: MediaSessionState | None = field(default=None)


def sessions_of(state: JsonObject) -> dict[MediaSessionType, MediaSessionState]:
    """A participant's published streams, as stored."""
    raw = state.get(SESSIONS)
    if not isinstance(raw, dict):
        return {}
    sessions: dict[MediaSessionType, MediaSessionState] = {}
    for kind in MediaSessionType:
        try:
            sessions[kind] = MediaSessionState.model_validate(raw[kind.value])
        except (KeyError, ValidationError):
            continue
    return sessions


class MediaModule(SignalingModule):
    """See the module docstring."""

    namespace: ClassVar[str] = msg.NAMESPACE

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        service = ctx.services.media
        assert service is not None, "available() checks that media is configured"
        self.service: MediaService = service
        self._publishers: dict[MediaSessionType, _Stream] = {}
        self._subscribers: dict[tuple[uuid.UUID, MediaSessionType], _Stream] = {}
        self._sessions: dict[MediaSessionType, MediaSessionState] = {}
        # A publisher lost to a failure (Janus restart, ICE): when the client
        # publishes that type again, its state comes back without another
        # publish_complete (the web app does not send one again, notes §6).
        self._recoverable: dict[MediaSessionType, MediaSessionState] = {}
        self._is_presenter = not self.service.settings.screen_share_requires_permission

    @classmethod
    def available(cls, ctx: Context) -> bool:
        return ctx.services.media is not None and super().available(ctx)

    # Participant state

    def initial_state(self) -> dict[str, JsonValue]:
        return {SESSIONS: {}, PRESENTER: self._is_presenter, SPEAKER: None}

    def peer_data(self, participant_id: uuid.UUID, state: JsonObject) -> MediaPeerData:
        sessions = sessions_of(state)
        return MediaPeerData(
            video=sessions.get(MediaSessionType.VIDEO),
            screen=sessions.get(MediaSessionType.SCREEN),
            is_presenter=state.get(PRESENTER) is True,
        )

    async def join_data(self) -> msg.MediaJoinData:
        everyone = await self.ctx.state.list_participants(self.ctx.room_id)
        speakers = [
            speaker
            for pid, state in everyone.items()
            if pid != self.ctx.participant_id
            and participants.is_active(state)
            and (speaker := _speaker(pid, state)) is not None
        ]
        return msg.MediaJoinData(is_presenter=self._is_presenter, speakers=speakers)

    async def _store(self, field: str, value: JsonValue) -> None:
        ctx = self.ctx
        await ctx.state.update_participant(
            ctx.room_id, ctx.participant_id, {field: value}
        )

    async def _store_sessions(self) -> None:
        sessions: dict[str, JsonValue] = {
            kind.value: state.model_dump(mode="json")
            for kind, state in self._sessions.items()
        }
        await self._store(SESSIONS, sessions)

    async def _tell_others(self) -> None:
        await publish_update(self.ctx, self.ctx.participant_id)

    # Commands

    async def handle(self, command: BaseModel) -> None:
        match command:
            case msg.Publish():
                await self._publish(command)
            case msg.SdpAnswer():
                await self._sdp_answer(command)
            case msg.SdpCandidate(candidate=candidate):
                await self._trickle(
                    command,
                    Candidate(
                        candidate=candidate.candidate,
                        sdp_mline_index=candidate.sdp_mline_index,
                        sdp_mid=candidate.sdp_mid,
                    ),
                    Code.INVALID_CANDIDATE,
                )
            case msg.SdpEndOfCandidates():
                await self._trickle(command, None, Code.INVALID_END_OF_CANDIDATES)
            case msg.PublishComplete(media_session_type=kind, media_session_state=new):
                await self._publish_complete(kind, new.stored())
            case msg.UpdateMediaSession(
                media_session_type=kind, media_session_state=new
            ):
                await self._update_media_session(kind, new.stored())
            case msg.Unpublish(media_session_type=kind):
                if kind in self._publishers:
                    await self._end_publisher(self._publishers[kind])
            case msg.Subscribe():
                await self._subscribe(command)
            case msg.Resubscribe():
                await self._resubscribe(command)
            case msg.Configure():
                await self._configure(command)
            case msg.ModeratorMute(targets=targets, force=force):
                issuer = self.ctx.participant_id
                event = msg.RequestMute(issuer=issuer, force=force)
                await self._moderate(targets, event)
            case msg.GrantPresenterRole(participant_ids=targets):
                await self._moderate(targets, msg.PresenterGranted())
            case msg.RevokePresenterRole(participant_ids=targets):
                await self._moderate(targets, msg.PresenterRevoked())
            case msg.UpdateSpeakingState(is_speaking=is_speaking):
                await self._set_speaking(is_speaking)

    async def on_invalid_command(self, payload: JsonValue) -> None:
        """Answer a malformed command with the error of its action, where it has one.

        The controller drops such frames; an error lets the client see why
        (the web app shows it), and changes nothing.
        """
        action = payload.get("action") if isinstance(payload, dict) else None
        code = _ERROR_OF_ACTION.get(action) if isinstance(action, str) else None
        if code is not None:
            await self._error(code)

    async def _error(
        self,
        code: Code,
        source: uuid.UUID | None = None,
        kind: MediaSessionType | None = None,
    ) -> None:
        await self.ctx.send(
            msg.MediaError(error=code, source=source, media_session_type=kind)
        )

    def _may_publish(self, kind: MediaSessionType) -> bool:
        """Types the server allows; screens only for presenters and moderators."""
        if kind not in self.service.settings.session_types:
            return False
        if self.ctx.admission.kind is ParticipationKind.RECORDER:
            return False  # the recorder only receives
        if kind is MediaSessionType.SCREEN:
            return self._is_presenter or self.ctx.role is Role.MODERATOR
        return True

    async def _publish(self, command: msg.Publish) -> None:
        me, kind = self.ctx.participant_id, command.media_session_type
        if command.target != me:
            await self._error(Code.INVALID_SDP_OFFER)
            return
        if not self._may_publish(kind):
            await self._error(Code.PERMISSION_DENIED)
            return
        stream = self._publishers.get(kind)
        created = stream is None
        try:
            if stream is None:
                stream = await self._new_publisher(kind)
            assert stream.publisher is not None
            answer = await stream.publisher.publish(command.sdp)
        except JanusError as exc:
            logger.info("participant %s: publish %s failed: %s", me, kind, exc)
            if created and stream is not None:
                await self._end_publisher(
                    stream
                )  # a failed first offer changes nothing
            await self._error(Code.INVALID_SDP_OFFER)
            return
        await self.ctx.send(
            msg.SdpAnswerEvent(sdp=answer, source=me, media_session_type=kind)
        )

    async def _new_publisher(self, kind: MediaSessionType) -> _Stream:
        ctx = self.ctx
        stream = _Stream(source=ctx.participant_id, kind=kind)
        publisher = await self.service.create_publisher(
            ctx.participant_id, kind, self._listener(stream)
        )
        stream.publisher = publisher
        self._publishers[kind] = stream
        record = MediaPublisher(server=publisher.server, room=publisher.room)
        await ctx.state.put_media_publisher(
            ctx.room_id, ctx.participant_id, kind, record
        )
        return stream

    def _handle_of(
        self, target: uuid.UUID, kind: MediaSessionType
    ) -> Publisher | Subscriber | None:
        if target == self.ctx.participant_id:
            stream = self._publishers.get(kind)
            return None if stream is None else stream.publisher
        stream = self._subscribers.get((target, kind))
        return None if stream is None else stream.subscriber

    async def _trickle(
        self,
        command: msg.SdpCandidate | msg.SdpEndOfCandidates,
        candidate: Candidate | None,
        code: Code,
    ) -> None:
        handle = self._handle_of(command.target, command.media_session_type)
        if handle is None:
            await self._error(code)
            return
        try:
            await handle.trickle(candidate)
        except JanusError as exc:
            logger.info("trickle to %s failed: %s", command.target, exc)
            await self._error(code)

    async def _publish_complete(
        self, kind: MediaSessionType, new: MediaSessionState
    ) -> None:
        stream = self._publishers.get(kind)
        if stream is None:
            logger.debug("publish_complete without a %s publisher", kind)
            return
        self._recoverable.pop(kind, None)
        await self._set_session(stream, new)

    async def _set_session(self, stream: _Stream, new: MediaSessionState) -> None:
        """Store a published stream's state, tell the others, mute in Janus if it changed."""
        previous = self._sessions.get(stream.kind)
        self._sessions[stream.kind] = new
        await self._store_sessions()
        await self._tell_others()
        if previous != new and stream.publisher is not None:
            try:
                await stream.publisher.configure(audio=new.audio, video=new.video)
            except JanusError as exc:
                logger.info("configure of %s failed: %s", stream.kind, exc)

    async def _update_media_session(
        self, kind: MediaSessionType, new: MediaSessionState
    ) -> None:
        if kind is MediaSessionType.SCREEN and not self._may_publish(kind):
            await self._error(Code.PERMISSION_DENIED)
            return
        stream = self._publishers.get(kind)
        previous = self._sessions.get(kind)
        if stream is None or previous is None:
            return  # only a completed publication is updated
        await self._set_session(stream, new)
        if previous.audio and not new.audio:
            await self._set_speaking(False)

    async def _subscribe(self, command: msg.Subscribe) -> None:
        ctx = self.ctx
        target, kind = command.target, command.media_session_type
        record = None
        if target != ctx.participant_id:
            stored = await ctx.state.get_participant(ctx.room_id, target)
            if stored is not None and participants.is_active(stored):
                record = await ctx.state.get_media_publisher(ctx.room_id, target, kind)
        if record is None:
            await self._error(Code.INVALID_REQUEST_OFFER, target, kind)
            return
        old = self._subscribers.pop((target, kind), None)
        if old is not None:
            await _close(old)  # a new subscription replaces the old one
        stream = _Stream(source=target, kind=kind)
        try:
            stream.subscriber, offer = await self.service.create_subscriber(
                record,
                kind,
                without_video=command.without_video,
                listener=self._listener(stream),
            )
        except JanusError as exc:
            logger.info("subscribe to %s %s failed: %s", target, kind, exc)
            await self._error(Code.INVALID_REQUEST_OFFER, target, kind)
            return
        self._subscribers[target, kind] = stream
        await ctx.send(msg.SdpOffer(sdp=offer, source=target, media_session_type=kind))

    async def _sdp_answer(self, command: msg.SdpAnswer) -> None:
        target, kind = command.target, command.media_session_type
        stream = self._subscribers.get((target, kind))
        if stream is None or stream.subscriber is None:
            await self._error(Code.HANDLE_SDP_ANSWER)
            return
        try:
            await stream.subscriber.start(command.sdp)
        except JanusError as exc:
            logger.info("start of %s %s failed: %s", target, kind, exc)
            await self._error(Code.HANDLE_SDP_ANSWER)

    async def _resubscribe(self, command: msg.Resubscribe) -> None:
        target, kind = command.target, command.media_session_type
        stream = self._subscribers.get((target, kind))
        try:
            if stream is None or stream.subscriber is None:
                raise LookupError("no such subscription")
            offer = await stream.subscriber.restart()
        except (JanusError, LookupError) as exc:
            logger.info("resubscribe to %s %s failed: %s", target, kind, exc)
            await self._error(Code.INVALID_REQUEST_OFFER, target, kind)
            return
        await self.ctx.send(
            msg.SdpOffer(sdp=offer, source=target, media_session_type=kind)
        )

    async def _configure(self, command: msg.Configure) -> None:
        target, kind = command.target, command.media_session_type
        stream = self._subscribers.get((target, kind))
        if stream is None or stream.subscriber is None:
            return  # the controller ignores it too
        configuration = command.configuration
        try:
            await stream.subscriber.configure(
                video=configuration.video, substream=configuration.substream
            )
        except JanusError as exc:
            logger.info("configure of %s %s failed: %s", target, kind, exc)
            await self._error(Code.INVALID_CONFIGURE_REQUEST, target, kind)

    async def _moderate(self, targets: list[uuid.UUID], event: BaseModel) -> None:
        """Moderators only: tell each target still in the room."""
        ctx = self.ctx
        if ctx.role is not Role.MODERATOR:
            await self._error(Code.PERMISSION_DENIED)
            return
        everyone = await ctx.state.list_participants(ctx.room_id)
        present = [
            target
            for target in dict.fromkeys(targets)
            if (state := everyone.get(target)) is not None
            and participants.is_active(state)
        ]
        if present:
            await ctx.publish(RoomMessage.to_participants(present, event))

    async def _set_speaking(self, is_speaking: bool) -> None:
        now = utc_now()
        speaker: dict[str, JsonValue] = {
            "is_speaking": is_speaking,
            "updated_at": format_timestamp(now),
        }
        await self._store(SPEAKER, speaker)
        event = msg.SpeakerUpdated(
            participant=self.ctx.participant_id, is_speaking=is_speaking, updated_at=now
        )
        await self.ctx.publish(RoomMessage.to_room(event, timestamp=now))

    # Room messages

    async def on_room_message(self, message: RoomMessage) -> bool:
        if message.namespace == msg.NAMESPACE and message.addressed:
            if message.kind == "presenter_granted":
                return await self._set_presenter(True)
            if message.kind == "presenter_revoked":
                return await self._set_presenter(False)
        elif message.namespace == control_messages.NAMESPACE:
            if message.kind == "left":
                await self._drop_subscriptions(message.field("id"), set())
            elif message.kind == "update":
                media = message.field("media")
                published = (
                    {
                        kind
                        for kind in MediaSessionType
                        if isinstance(media.get(kind.value), dict)
                    }
                    if isinstance(media, dict)
                    else set()
                )
                await self._drop_subscriptions(message.field("id"), published)
        return True

    async def _drop_subscriptions(
        self, raw_id: JsonValue, kept: set[MediaSessionType]
    ) -> None:
        """Detach subscriptions to a participant whose stream of that type ended."""
        try:
            source = uuid.UUID(str(raw_id))
        except ValueError:
            return
        if source == self.ctx.participant_id:
            return
        for kind in MediaSessionType:
            if kind not in kept and (
                stream := self._subscribers.pop((source, kind), None)
            ):
                await _close(stream)

    async def _set_presenter(self, granted: bool) -> bool:
        """Apply a grant or revocation; unchanged flags are not announced."""
        if self._is_presenter == granted:
            return False
        self._is_presenter = granted
        await self._store(PRESENTER, granted)
        screen = self._publishers.get(MediaSessionType.SCREEN)
        if not granted and screen is not None and self.ctx.role is not Role.MODERATOR:
            await self._end_publisher(screen)  # tells the others too
        else:
            await self._tell_others()
        return True

    # Janus events, in the participant's loop

    def _listener(self, stream: _Stream) -> EventListener:
        def listen(event: HandleEvent) -> None:
            self.ctx.schedule(lambda: self._on_janus_event(stream, event))

        return listen

    def _current(self, stream: _Stream) -> bool:
        if stream.publisher is not None:
            return self._publishers.get(stream.kind) is stream
        return self._subscribers.get((stream.source, stream.kind)) is stream

    async def _on_janus_event(self, stream: _Stream, event: HandleEvent) -> None:
        if not self._current(stream):
            return  # a handle this connection has already let go
        source, kind = stream.source, stream.kind
        match event:
            case WebRtcUp():
                await self.ctx.send(
                    msg.WebrtcUp(source=source, media_session_type=kind)
                )
            case MediaReceiving(kind=medium, receiving=receiving) if stream.publisher:
                await self.ctx.send(
                    msg.MediaStatus(
                        source=source,
                        media_session_type=kind,
                        kind="audio" if medium == "audio" else "video",
                        receiving=receiving,
                    )
                )
                recovered = self._recoverable.pop(kind, None)
                if receiving and recovered is not None and kind not in self._sessions:
                    await self._set_session(stream, recovered)
            case SlowLink(uplink=uplink):
                direction = (
                    msg.LinkDirection.UPSTREAM
                    if uplink
                    else msg.LinkDirection.DOWNSTREAM
                )
                await self.ctx.send(
                    msg.WebrtcSlow(
                        source=source, media_session_type=kind, direction=direction
                    )
                )
            case TrickleCandidate(candidate=None):
                await self.ctx.send(
                    msg.SdpEndOfCandidatesEvent(source=source, media_session_type=kind)
                )
            case TrickleCandidate(candidate=Candidate() as candidate):
                trickled = msg.TrickleCandidate(
                    candidate=candidate.candidate,
                    sdp_mline_index=candidate.sdp_mline_index or 0,
                    sdp_mid=candidate.sdp_mid,
                )
                await self.ctx.send(
                    msg.SdpCandidateEvent(
                        source=source, media_session_type=kind, candidate=trickled
                    )
                )
            case Hangup() | Gone():
                await self._on_down(stream)

    async def _on_down(self, stream: _Stream) -> None:
        """The handle's connection ended: ``webrtc_down``, then let the handle go."""
        await self.ctx.send(
            msg.WebrtcDown(source=stream.source, media_session_type=stream.kind)
        )
        if stream.publisher is not None:
            state = self._sessions.get(stream.kind)
            if state is not None:
                self._recoverable[stream.kind] = state
            await self._end_publisher(stream)
        else:
            self._subscribers.pop((stream.source, stream.kind), None)
            await _close(stream)

    async def _end_publisher(self, stream: _Stream) -> None:
        """Destroy the stream in Janus, unregister it and tell the others."""
        ctx = self.ctx
        self._publishers.pop(stream.kind, None)
        await _close(stream)
        await ctx.state.delete_media_publisher(
            ctx.room_id, ctx.participant_id, stream.kind
        )
        if self._sessions.pop(stream.kind, None) is not None:
            await self._store_sessions()
            await self._tell_others()

    # Leaving

    async def on_leave(self, departure: Departure | None) -> None:
        """Leave nothing behind in Janus: rooms destroyed, handles detached."""
        ctx = self.ctx
        publishers = list(self._publishers.values())
        subscribers = list(self._subscribers.values())
        self._publishers.clear()
        self._subscribers.clear()
        await asyncio.gather(
            *(_close(stream) for stream in (*subscribers, *publishers)),
            return_exceptions=True,
        )
        for stream in publishers:
            await ctx.state.delete_media_publisher(
                ctx.room_id, ctx.participant_id, stream.kind
            )
        if self._sessions and departure is not None and not departure.room_closed:
            # Those who join later see a participant who left with nothing published.
            self._sessions.clear()
            await self._store_sessions()


async def _close(stream: _Stream) -> None:
    if stream.publisher is not None:
        await stream.publisher.destroy()
    if stream.subscriber is not None:
        await stream.subscriber.detach()


def _speaker(participant_id: uuid.UUID, state: JsonObject) -> msg.SpeakerState | None:
    raw = state.get(SPEAKER)
    if not isinstance(raw, dict):
        return None
    try:
        return msg.SpeakerState.model_validate({"participant": participant_id, **raw})
    except ValidationError:
        return None
