"""A participant's subscriptions: one Janus subscriber per (publisher, media type).

The publisher may be on any instance: its Janus server and room come from the
signaling state's publisher registry, and this connection joins that room
through its own session on the same server. Subscriptions end when the
publisher's ``update`` no longer has the stream, when it leaves, when Janus
hangs up, or when the subscriber subscribes again (the web app has no
unsubscribe command; it re-subscribes after closing an idle connection).
"""

from __future__ import annotations

import logging
import uuid

from parley.janus import Candidate, Gone, HandleEvent, Hangup, JanusError
from parley.signaling import participants
from parley.signaling.context import Context
from parley.signaling.messages import MediaSessionType
from parley.signaling.messages import media as msg
from parley.signaling.messages.media import MediaErrorCode as Code
from parley.signaling.modules.media.service import MediaService
from parley.signaling.modules.media.streams import (
    Stream,
    listen,
    send_error,
    wire_event,
)

logger = logging.getLogger(__name__)

Key = tuple[uuid.UUID, MediaSessionType]


class Subscribing:
    """The subscribing half of the media module, for one connection."""

    def __init__(self, ctx: Context, service: MediaService) -> None:
        self.ctx = ctx
        self.service = service
        self.streams: dict[Key, Stream] = {}

    async def subscribe(self, command: msg.Subscribe) -> None:
        """Join the publisher's room; Janus's offer goes to the client."""
        ctx = self.ctx
        target, kind = command.target, command.media_session_type
        record = None
        if target != ctx.participant_id:
            stored = await ctx.state.get_participant(ctx.room_id, target)
            if stored is not None and participants.is_active(stored):
                record = await ctx.state.get_media_publisher(ctx.room_id, target, kind)
        if record is None:
            await send_error(ctx, Code.INVALID_REQUEST_OFFER, target, kind)
            return
        old = self.streams.pop((target, kind), None)
        if old is not None:
            await old.close()  # a new subscription replaces the old one
        stream = Stream(source=target, kind=kind)
        try:
            stream.subscriber, offer = await self.service.create_subscriber(
                record,
                kind,
                without_video=command.without_video,
                listener=listen(ctx, stream, self.on_event),
            )
        except JanusError as exc:
            logger.info("subscribe to %s %s: %s", target, kind, exc)
            await send_error(ctx, Code.INVALID_REQUEST_OFFER, target, kind)
            return
        self.streams[target, kind] = stream
        await ctx.send(msg.SdpOffer(sdp=offer, source=target, media_session_type=kind))

    def _subscriber(self, target: uuid.UUID, kind: MediaSessionType) -> Stream | None:
        stream = self.streams.get((target, kind))
        return stream if stream is not None and stream.subscriber is not None else None

    async def answer(self, command: msg.SdpAnswer) -> None:
        """The client's answer to Janus's offer: media starts."""
        stream = self._subscriber(command.target, command.media_session_type)
        try:
            if stream is None or stream.subscriber is None:
                raise LookupError("no such subscription")
            await stream.subscriber.start(command.sdp)
        except (JanusError, LookupError) as exc:
            logger.info("answer for %s: %s", command.target, exc)
            await send_error(self.ctx, Code.HANDLE_SDP_ANSWER)

    async def resubscribe(self, command: msg.Resubscribe) -> None:
        """An ICE restart: Janus offers again."""
        target, kind = command.target, command.media_session_type
        stream = self._subscriber(target, kind)
        try:
            if stream is None or stream.subscriber is None:
                raise LookupError("no such subscription")
            offer = await stream.subscriber.restart()
        except (JanusError, LookupError) as exc:
            logger.info("resubscribe to %s %s: %s", target, kind, exc)
            await send_error(self.ctx, Code.INVALID_REQUEST_OFFER, target, kind)
            return
        await self.ctx.send(
            msg.SdpOffer(sdp=offer, source=target, media_session_type=kind)
        )

    async def configure(self, command: msg.Configure) -> None:
        """Quality (simulcast layer) or video off; ignored without a subscription."""
        target, kind = command.target, command.media_session_type
        stream = self._subscriber(target, kind)
        if stream is None or stream.subscriber is None:
            return  # the controller ignores it too
        configuration = command.configuration
        try:
            await stream.subscriber.configure(
                video=configuration.video, substream=configuration.substream
            )
        except JanusError as exc:
            logger.info("configure of %s %s: %s", target, kind, exc)
            await send_error(self.ctx, Code.INVALID_CONFIGURE_REQUEST, target, kind)

    async def trickle(
        self,
        target: uuid.UUID,
        kind: MediaSessionType,
        candidate: Candidate | None,
        code: Code,
    ) -> None:
        stream = self._subscriber(target, kind)
        try:
            if stream is None or stream.subscriber is None:
                raise LookupError("no such subscription")
            await stream.subscriber.trickle(candidate)
        except (JanusError, LookupError) as exc:
            logger.info("trickle to the subscription of %s: %s", target, exc)
            await send_error(self.ctx, code)

    async def drop(self, source: uuid.UUID, kept: set[MediaSessionType]) -> None:
        """End subscriptions to ``source`` whose stream is no longer announced."""
        for kind in MediaSessionType:
            if kind not in kept and (stream := self.streams.pop((source, kind), None)):
                await stream.close()

    async def on_event(self, stream: Stream, event: HandleEvent) -> None:
        """A Janus event of one of this connection's subscribers, in its loop."""
        key = (stream.source, stream.kind)
        if self.streams.get(key) is not stream:
            return  # a subscription already let go
        forwarded = wire_event(stream, event)
        if forwarded is not None:
            await self.ctx.send(forwarded)
        if isinstance(event, Hangup | Gone):
            await self.ctx.send(
                msg.WebrtcDown(source=stream.source, media_session_type=stream.kind)
            )
            del self.streams[key]
            await stream.close()

    async def close_all(self) -> None:
        streams = list(self.streams.values())
        self.streams.clear()
        for stream in streams:
            await stream.close()
