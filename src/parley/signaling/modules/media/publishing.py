"""A participant's own streams: at most one Janus publisher per media session type.

A stream is announced to the others (``update`` with ``media.video`` or
``media.screen``) once the client says ``publish_complete``, and withdrawn
when it unpublishes, when Janus hangs the publisher up or is lost, and when
a revoked presenter's screen share ends.
"""

from __future__ import annotations

import logging

from parley.janus import (
    Candidate,
    Gone,
    HandleEvent,
    Hangup,
    JanusError,
    MediaReceiving,
)
from parley.signaling.context import Context
from parley.signaling.messages import (
    MediaSessionState,
    MediaSessionType,
    ParticipationKind,
    Role,
)
from parley.signaling.messages import media as msg
from parley.signaling.messages.media import MediaErrorCode as Code
from parley.signaling.modules.media.service import MediaService
from parley.signaling.modules.media.streams import (
    PRESENTER,
    SESSIONS,
    Stream,
    listen,
    send_error,
    sessions_value,
    store,
    wire_event,
)
from parley.signaling.modules.updates import publish_update
from parley.signaling.state import MediaPublisher

logger = logging.getLogger(__name__)


class Publishing:
    """The publishing half of the media module, for one connection."""

    def __init__(self, ctx: Context, service: MediaService) -> None:
        self.ctx = ctx
        self.service = service
        self.streams: dict[MediaSessionType, Stream] = {}
        self.sessions: dict[MediaSessionType, MediaSessionState] = {}
        # A publisher lost to a failure (Janus restart, ICE): when the client
        # publishes that type again, its state comes back without another
        # publish_complete, which the web app does not repeat (media notes §6).
        self._recoverable: dict[MediaSessionType, MediaSessionState] = {}
        self.is_presenter = not service.settings.screen_share_requires_permission

    def may_publish(self, kind: MediaSessionType) -> bool:
        """Types the server allows; screens for presenters and moderators; not recorders."""
        if kind not in self.service.settings.session_types:
            return False
        if self.ctx.admission.kind is ParticipationKind.RECORDER:
            return False  # the recorder only receives
        if kind is MediaSessionType.SCREEN:
            return self.is_presenter or self.ctx.role is Role.MODERATOR
        return True

    async def publish(self, command: msg.Publish) -> None:
        """Offer → Janus → answer; the first offer of a type creates its room."""
        ctx, kind = self.ctx, command.media_session_type
        if command.target != ctx.participant_id:
            await send_error(ctx, Code.INVALID_SDP_OFFER)
            return
        if not self.may_publish(kind):
            await send_error(ctx, Code.PERMISSION_DENIED)
            return
        stream = self.streams.get(kind)
        created = stream is None
        try:
            if stream is None:
                stream = await self._new_publisher(kind)
            assert stream.publisher is not None
            answer = await stream.publisher.publish(command.sdp)
        except JanusError as exc:
            logger.info("participant %s: publish %s: %s", ctx.participant_id, kind, exc)
            if created and stream is not None:
                await self.end(stream)  # a refused first offer leaves nothing
            await send_error(ctx, Code.INVALID_SDP_OFFER)
            return
        await ctx.send(
            msg.SdpAnswerEvent(
                sdp=answer, source=ctx.participant_id, media_session_type=kind
            )
        )

    async def _new_publisher(self, kind: MediaSessionType) -> Stream:
        ctx = self.ctx
        stream = Stream(source=ctx.participant_id, kind=kind)
        publisher = await self.service.create_publisher(
            ctx.participant_id, kind, listen(ctx, stream, self.on_event)
        )
        stream.publisher = publisher
        self.streams[kind] = stream
        record = MediaPublisher(server=publisher.server, room=publisher.room)
        await ctx.state.put_media_publisher(
            ctx.room_id, ctx.participant_id, kind, record
        )
        return stream

    async def trickle(
        self, kind: MediaSessionType, candidate: Candidate | None, code: Code
    ) -> None:
        stream = self.streams.get(kind)
        if stream is None or stream.publisher is None:
            await send_error(self.ctx, code)
            return
        try:
            await stream.publisher.trickle(candidate)
        except JanusError as exc:
            logger.info("trickle to own %s publisher: %s", kind, exc)
            await send_error(self.ctx, code)

    async def complete(self, kind: MediaSessionType, new: MediaSessionState) -> None:
        """``publish_complete``: the stream is announced to the others."""
        stream = self.streams.get(kind)
        if stream is None:
            logger.debug("publish_complete without a %s publisher", kind)
            return
        self._recoverable.pop(kind, None)
        await self._set_session(stream, new)

    async def update(self, kind: MediaSessionType, new: MediaSessionState) -> bool:
        """``update_media_session``; ``True`` when it muted the microphone."""
        if kind is MediaSessionType.SCREEN and not self.may_publish(kind):
            await send_error(self.ctx, Code.PERMISSION_DENIED)
            return False
        stream, previous = self.streams.get(kind), self.sessions.get(kind)
        if stream is None or previous is None:
            return False  # only a completed publication is updated
        await self._set_session(stream, new)
        return previous.audio and not new.audio

    async def _set_session(self, stream: Stream, new: MediaSessionState) -> None:
        """Store the state, tell the others, and relay or stop media in Janus."""
        previous = self.sessions.get(stream.kind)
        self.sessions[stream.kind] = new
        await store(self.ctx, SESSIONS, sessions_value(self.sessions))
        await publish_update(self.ctx, self.ctx.participant_id)
        if previous != new and stream.publisher is not None:
            try:
                await stream.publisher.configure(audio=new.audio, video=new.video)
            except JanusError as exc:
                logger.info("configure of %s: %s", stream.kind, exc)

    async def unpublish(self, kind: MediaSessionType) -> None:
        stream = self.streams.get(kind)
        if stream is not None:
            await self.end(stream)

    async def set_presenter(self, granted: bool) -> bool:
        """Apply a grant or revocation; ``False`` when the flag did not change."""
        if self.is_presenter == granted:
            return False
        self.is_presenter = granted
        await store(self.ctx, PRESENTER, granted)
        screen = self.streams.get(MediaSessionType.SCREEN)
        if not granted and screen is not None and self.ctx.role is not Role.MODERATOR:
            await self.end(screen)  # tells the others too
        else:
            await publish_update(self.ctx, self.ctx.participant_id)
        return True

    async def on_event(self, stream: Stream, event: HandleEvent) -> None:
        """A Janus event of one of this connection's publishers, in its loop."""
        if self.streams.get(stream.kind) is not stream:
            return  # a publisher this connection has let go already
        forwarded = wire_event(stream, event)
        if forwarded is not None:
            await self.ctx.send(forwarded)
        match event:
            case MediaReceiving(receiving=True):
                recovered = self._recoverable.pop(stream.kind, None)
                if recovered is not None and stream.kind not in self.sessions:
                    await self._set_session(stream, recovered)
            case Hangup() | Gone():
                ctx = self.ctx
                await ctx.send(
                    msg.WebrtcDown(source=stream.source, media_session_type=stream.kind)
                )
                state = self.sessions.get(stream.kind)
                if state is not None:
                    self._recoverable[stream.kind] = state
                await self.end(stream)

    async def end(self, stream: Stream) -> None:
        """Destroy the stream in Janus, unregister it and tell the others."""
        ctx = self.ctx
        self.streams.pop(stream.kind, None)
        await stream.close()
        await ctx.state.delete_media_publisher(
            ctx.room_id, ctx.participant_id, stream.kind
        )
        if self.sessions.pop(stream.kind, None) is not None:
            await store(ctx, SESSIONS, sessions_value(self.sessions))
            await publish_update(ctx, ctx.participant_id)

    async def close_all(self, *, forget_sessions: bool) -> None:
        """Leaving: every room destroyed and unregistered, nobody told (``left`` is)."""
        ctx = self.ctx
        streams = list(self.streams.values())
        self.streams.clear()
        for stream in streams:
            await stream.close()
            await ctx.state.delete_media_publisher(
                ctx.room_id, ctx.participant_id, stream.kind
            )
        if self.sessions and forget_sessions:
            # Those joining later see a participant who left with nothing published.
            self.sessions.clear()
            await store(ctx, SESSIONS, {})
