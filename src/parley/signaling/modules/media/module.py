"""``media``: WebRTC streams through Janus (media notes §2-6).

Per connection the module owns at most one Janus publisher per media session
type (:mod:`.publishing`) and one subscriber per (publisher, type)
(:mod:`.subscribing`). What others must see is in the participant's stored
state (:mod:`.streams`): completed publications, the presenter flag (everyone
by default, like the controller) and the last speaking state. Grants and
revocations of the presenter role arrive as room messages addressed to the
participant and are applied by its own connection.

Everything runs in the participant's loop, one item at a time: commands in
the order they arrived (so candidates never precede their handle), Janus
events handed into the loop by the handle listeners.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import ClassVar, Final

from pydantic import BaseModel, JsonValue

from parley.janus import Candidate
from parley.signaling import participants
from parley.signaling.context import Context
from parley.signaling.messages import (
    MediaPeerData,
    MediaSessionType,
    Role,
    format_timestamp,
    utc_now,
)
from parley.signaling.messages import control as control_messages
from parley.signaling.messages import media as msg
from parley.signaling.messages.media import MediaErrorCode as Code
from parley.signaling.modules.base import SignalingModule
from parley.signaling.modules.media.publishing import Publishing
from parley.signaling.modules.media.streams import (
    PRESENTER,
    SESSIONS,
    SPEAKER,
    peer_data,
    send_error,
    speaker_of,
    store,
)
from parley.signaling.modules.media.subscribing import Subscribing
from parley.signaling.state import Departure, JsonObject, RoomMessage

# A command that does not parse still gets its action's error (the controller drops it).
_ERROR_OF_ACTION: Final = {
    "publish": Code.INVALID_SDP_OFFER,
    "sdp_answer": Code.HANDLE_SDP_ANSWER,
    "sdp_candidate": Code.INVALID_CANDIDATE,
    "sdp_end_of_candidates": Code.INVALID_END_OF_CANDIDATES,
    "subscribe": Code.INVALID_REQUEST_OFFER,
    "resubscribe": Code.INVALID_REQUEST_OFFER,
    "configure": Code.INVALID_CONFIGURE_REQUEST,
}


class MediaModule(SignalingModule):
    """See the module docstring."""

    namespace: ClassVar[str] = msg.NAMESPACE

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        service = ctx.services.media
        assert service is not None, "available() checks that media is configured"
        self.publishing = Publishing(ctx, service)
        self.subscribing = Subscribing(ctx, service)

    @classmethod
    def available(cls, ctx: Context) -> bool:
        return ctx.services.media is not None and super().available(ctx)

    # What others see

    def initial_state(self) -> dict[str, JsonValue]:
        return {SESSIONS: {}, PRESENTER: self.publishing.is_presenter, SPEAKER: None}

    def peer_data(self, participant_id: uuid.UUID, state: JsonObject) -> MediaPeerData:
        return peer_data(state)

    async def join_data(self) -> msg.MediaJoinData:
        """The own presenter flag and the speaking states of those present."""
        ctx = self.ctx
        everyone = await ctx.state.list_participants(ctx.room_id)
        speakers = [
            speaker
            for pid, state in everyone.items()
            if pid != ctx.participant_id
            and participants.is_active(state)
            and (speaker := speaker_of(pid, state)) is not None
        ]
        return msg.MediaJoinData(
            is_presenter=self.publishing.is_presenter, speakers=speakers
        )

    # Commands

    async def handle(self, command: BaseModel) -> None:
        publishing, subscribing = self.publishing, self.subscribing
        match command:
            case msg.Publish():
                await publishing.publish(command)
            case msg.SdpAnswer() if command.target == self.ctx.participant_id:
                await send_error(self.ctx, Code.HANDLE_SDP_ANSWER)
            case msg.SdpAnswer():
                await subscribing.answer(command)
            case msg.SdpCandidate(candidate=candidate):
                trickled = Candidate(
                    candidate=candidate.candidate,
                    sdp_mline_index=candidate.sdp_mline_index,
                    sdp_mid=candidate.sdp_mid,
                )
                await self._trickle(command, trickled, Code.INVALID_CANDIDATE)
            case msg.SdpEndOfCandidates():
                await self._trickle(command, None, Code.INVALID_END_OF_CANDIDATES)
            case msg.PublishComplete(media_session_type=kind, media_session_state=new):
                await publishing.complete(kind, new.stored())
            case msg.UpdateMediaSession(
                media_session_type=kind, media_session_state=new
            ):
                if await publishing.update(kind, new.stored()):
                    await self._set_speaking(False)
            case msg.Unpublish(media_session_type=kind):
                await publishing.unpublish(kind)
            case msg.Subscribe():
                await subscribing.subscribe(command)
            case msg.Resubscribe():
                await subscribing.resubscribe(command)
            case msg.Configure():
                await subscribing.configure(command)
            case msg.ModeratorMute(targets=targets, force=force):
                issuer = self.ctx.participant_id
                await self._moderate(
                    targets, msg.RequestMute(issuer=issuer, force=force)
                )
            case msg.GrantPresenterRole(participant_ids=targets):
                await self._moderate(targets, msg.PresenterGranted())
            case msg.RevokePresenterRole(participant_ids=targets):
                await self._moderate(targets, msg.PresenterRevoked())
            case msg.UpdateSpeakingState(is_speaking=is_speaking):
                await self._set_speaking(is_speaking)

    async def on_invalid_command(self, payload: JsonValue) -> None:
        """Answer a malformed command with its action's error, if it has one."""
        action = payload.get("action") if isinstance(payload, dict) else None
        code = _ERROR_OF_ACTION.get(action) if isinstance(action, str) else None
        if code is not None:
            await send_error(self.ctx, code)

    async def _trickle(
        self,
        command: msg.SdpCandidate | msg.SdpEndOfCandidates,
        candidate: Candidate | None,
        code: Code,
    ) -> None:
        kind = command.media_session_type
        if command.target == self.ctx.participant_id:
            await self.publishing.trickle(kind, candidate, code)
        else:
            await self.subscribing.trickle(command.target, kind, candidate, code)

    async def _moderate(self, targets: list[uuid.UUID], event: BaseModel) -> None:
        """Moderators only: tell each target still in the room."""
        ctx = self.ctx
        if ctx.role is not Role.MODERATOR:
            await send_error(ctx, Code.PERMISSION_DENIED)
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
        """Store and tell everyone, the speaker included."""
        now = utc_now()
        speaker: dict[str, JsonValue] = {
            "is_speaking": is_speaking,
            "updated_at": format_timestamp(now),
        }
        await store(self.ctx, SPEAKER, speaker)
        event = msg.SpeakerUpdated(
            participant=self.ctx.participant_id, is_speaking=is_speaking, updated_at=now
        )
        await self.ctx.publish(RoomMessage.to_room(event, timestamp=now))

    # Room messages and leaving

    async def on_room_message(self, message: RoomMessage) -> bool:
        if message.namespace == msg.NAMESPACE and message.addressed:
            if message.kind == "presenter_granted":
                return await self.publishing.set_presenter(True)
            if message.kind == "presenter_revoked":
                return await self.publishing.set_presenter(False)
        elif message.namespace == control_messages.NAMESPACE and message.kind in (
            "update",
            "left",
        ):
            await self._follow(message)
        return True

    async def _follow(self, message: RoomMessage) -> None:
        """Drop subscriptions to streams another participant no longer publishes."""
        try:
            source = uuid.UUID(str(message.field("id")))
        except ValueError:
            return
        if source == self.ctx.participant_id:
            return
        media = message.field("media") if message.kind == "update" else None
        published = {
            kind
            for kind in MediaSessionType
            if isinstance(media, dict) and isinstance(media.get(kind.value), dict)
        }
        await self.subscribing.drop(source, published)

    async def on_leave(self, departure: Departure | None) -> None:
        """Leave nothing behind in Janus: rooms destroyed, handles detached."""
        forget = departure is not None and not departure.room_closed
        await asyncio.gather(
            self.subscribing.close_all(),
            self.publishing.close_all(forget_sessions=forget),
        )
