"""Wire format of the signaling messages: every tag round-trips through JSON."""

from __future__ import annotations

import json
import typing
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import pytest
from pydantic import BaseModel, ValidationError

from parley.signaling.messages import (
    COMMAND_ADAPTERS,
    EVENT_ADAPTERS,
    InvalidDisplayName,
    InvalidJson,
    InvalidModulePayload,
    UnknownNamespace,
    chat,
    control,
    echo,
    media,
    moderation,
    normalize_display_name,
    parse_command,
    parse_event,
    serialize_command,
    serialize_event,
)
from parley.signaling.messages.common import (
    ChatPeerData,
    ControlData,
    EventInfo,
    MediaPeerData,
    MediaSessionState,
    MediaSessionType,
    Participant,
    ParticipationKind,
    Role,
    WaitingRoomState,
    format_timestamp,
)

ALICE = UUID("4f6c5b1e-0000-4000-8000-000000000001")
BOB = UUID("9a1e7c2d-0000-4000-8000-000000000002")
MESSAGE_ID = UUID("c2d0aa00-0000-4000-8000-000000000003")
AT = datetime(2024, 4, 1, 10, 0, tzinfo=UTC)

BOB_CONTROL = ControlData(
    display_name="Bob",
    role=Role.GUEST,
    participation_kind=ParticipationKind.GUEST,
    hand_is_up=False,
    joined_at=AT,
    hand_updated_at=AT,
    is_room_owner=False,
)
BOB_PARTICIPANT = Participant(id=BOB, control=BOB_CONTROL)
STORED = chat.StoredMessage(
    id=MESSAGE_ID, source=ALICE, timestamp=AT, content="hi", scope=chat.ChatScope.GLOBAL
)
TARIFF = control.Tariff(
    id=UUID("00000000-0000-4000-8000-0000000000aa"),
    name="OpenTalkDefaultTariff",
    quotas={"room_participant_limit": 10},
    enabled_modules=["chat"],
    disabled_features=[],
    modules={"chat": control.TariffModule(features=[])},
)

VIDEO = MediaSessionType.VIDEO
SCREEN = MediaSessionType.SCREEN
CANDIDATE = media.TrickleCandidate(
    candidate="candidate:1 1 UDP 2122252543 192.0.2.1 50000 typ host",
    sdp_mline_index=1,
    sdp_mid="1",
)
CLIENT_STATE = media.ClientMediaSessionState(video=True, audio=False)
BOB_MEDIA = MediaPeerData(
    video=MediaSessionState(video=True, audio=True), is_presenter=True
)

COMMANDS: list[BaseModel] = [
    control.Join(display_name="Alice"),
    control.Join(),
    control.EnterRoom(),
    control.RaiseHand(),
    control.LowerHand(),
    control.GrantModeratorRole(target=BOB),
    control.RevokeModeratorRole(target=BOB),
    moderation.Accept(target=BOB),
    moderation.EnableWaitingRoom(),
    moderation.DisableWaitingRoom(),
    moderation.Kick(target=BOB),
    moderation.Ban(target=BOB),
    moderation.SendToWaitingRoom(target=BOB),
    moderation.Debrief(kick_scope=moderation.KickScope.USERS_AND_GUESTS),
    moderation.ChangeDisplayName(new_name="Robert", target=BOB),
    moderation.EnableRaiseHands(),
    moderation.DisableRaiseHands(),
    moderation.ResetRaisedHands(),
    chat.SendMessage(scope=chat.ChatScope.GLOBAL, content="hi"),
    chat.SendMessage(scope=chat.ChatScope.GROUP, target="admins", content="hi"),
    chat.SendMessage(scope=chat.ChatScope.PRIVATE, target=str(BOB), content="hi"),
    chat.EnableChat(),
    chat.DisableChat(),
    chat.ClearHistory(),
    chat.SetLastSeenTimestamp(scope=chat.ChatScope.GLOBAL, timestamp=AT),
    chat.SetLastSeenTimestamp(
        scope=chat.ChatScope.PRIVATE, target=str(BOB), timestamp=AT
    ),
    media.Publish(sdp="v=0", target=ALICE, media_session_type=VIDEO),
    media.SdpAnswer(sdp="v=0", target=BOB, media_session_type=SCREEN),
    media.SdpCandidate(target=BOB, media_session_type=VIDEO, candidate=CANDIDATE),
    media.SdpCandidate(
        target=ALICE,
        media_session_type=VIDEO,
        candidate=media.TrickleCandidate(candidate="candidate:2", sdp_mline_index=0),
    ),
    media.SdpEndOfCandidates(target=ALICE, media_session_type=VIDEO),
    media.PublishComplete(media_session_type=VIDEO, media_session_state=CLIENT_STATE),
    media.UpdateMediaSession(
        media_session_type=SCREEN, media_session_state=CLIENT_STATE
    ),
    media.Unpublish(media_session_type=SCREEN),
    media.Subscribe(target=BOB, media_session_type=VIDEO),
    media.Subscribe(target=BOB, media_session_type=VIDEO, without_video=True),
    media.Resubscribe(target=BOB, media_session_type=VIDEO),
    media.Configure(
        target=BOB,
        media_session_type=VIDEO,
        configuration=media.SubscriberConfiguration(video=True, substream=2),
    ),
    media.Configure(
        target=BOB,
        media_session_type=VIDEO,
        configuration=media.SubscriberConfiguration(video=False),
    ),
    media.ModeratorMute(targets=[BOB], force=True),
    media.GrantPresenterRole(participant_ids=[BOB]),
    media.RevokePresenterRole(participant_ids=[BOB, ALICE]),
    media.UpdateSpeakingState(is_speaking=True),
]

EVENTS: list[BaseModel] = [
    control.JoinSuccess(
        id=ALICE,
        display_name="Alice",
        avatar_url="https://avatar.example/a",
        role=Role.MODERATOR,
        closes_at=AT + timedelta(hours=1),
        tariff=TARIFF,
        participants=[
            BOB_PARTICIPANT,
            Participant(
                id=ALICE,
                control=BOB_CONTROL.model_copy(update={"left_at": AT}),
                chat=ChatPeerData(groups=["admins"]),
            ),
        ],
        event_info=EventInfo(
            id=MESSAGE_ID, room_id=ALICE, title="Standup", is_adhoc=False
        ),
        is_room_owner=True,
        moderation=moderation.ModerationJoinData(
            raise_hands_enabled=True,
            waiting_room_enabled=True,
            waiting_room_participants=[
                BOB_PARTICIPANT.model_copy(
                    update={"waiting_room_state": WaitingRoomState.WAITING}
                )
            ],
        ),
        chat=chat.ChatJoinData(
            room_history=[STORED],
            groups_history=[chat.GroupHistory(name="admins", history=[])],
            private_history=[chat.PrivateHistory(correspondent=BOB, history=[])],
            last_seen_timestamp_global=AT,
            last_seen_timestamps_private={BOB: AT},
            last_seen_timestamps_group={"admins": AT},
        ),
        media=media.MediaJoinData(
            is_presenter=True,
            speakers=[
                media.SpeakerState(participant=BOB, is_speaking=True, updated_at=AT)
            ],
        ),
        polls={"polls": []},  # a module without a model here
    ),
    control.JoinSuccess(
        id=ALICE,
        display_name="Alice",
        role=Role.GUEST,
        tariff=TARIFF,
        participants=[],
        is_room_owner=False,
    ),
    control.JoinBlocked(reason=control.JoinBlockedReason.PARTICIPANT_LIMIT_REACHED),
    control.Joined(id=BOB, control=BOB_CONTROL, chat=ChatPeerData(groups=[])),
    control.Joined(id=BOB, control=BOB_CONTROL, media=BOB_MEDIA),
    control.Update(id=BOB, control=BOB_CONTROL, media=BOB_MEDIA),
    control.Update(id=BOB, control=BOB_CONTROL.model_copy(update={"hand_is_up": True})),
    control.Left(id=BOB),
    control.TimeLimitQuotaElapsed(),
    control.HandRaised(),
    control.HandLowered(),
    control.RoleUpdated(new_role=Role.MODERATOR),
    control.RoomDeleted(),
    *[control.ControlError(error=code) for code in control.ControlErrorCode],
    moderation.InWaitingRoom(),
    moderation.JoinedWaitingRoom(id=BOB, control=BOB_CONTROL),
    moderation.LeftWaitingRoom(id=BOB),
    moderation.Accepted(),
    moderation.WaitingRoomEnabled(),
    moderation.WaitingRoomDisabled(),
    moderation.Kicked(),
    moderation.Banned(),
    moderation.SentToWaitingRoom(),
    moderation.SessionEnded(issued_by=ALICE),
    moderation.DebriefingStarted(issued_by=ALICE),
    moderation.RaiseHandsEnabled(issued_by=ALICE),
    moderation.RaiseHandsDisabled(issued_by=ALICE),
    moderation.RaisedHandResetByModerator(issued_by=ALICE),
    *[
        moderation.ModerationError(error=code)
        for code in moderation.ModerationErrorCode
    ],
    chat.MessageSent(
        id=MESSAGE_ID, source=ALICE, content="hi", scope=chat.ChatScope.GLOBAL
    ),
    chat.MessageSent(
        id=MESSAGE_ID,
        source=ALICE,
        content="hi",
        scope=chat.ChatScope.PRIVATE,
        target=str(BOB),
    ),
    chat.ChatEnabled(issued_by=ALICE),
    chat.ChatDisabled(issued_by=ALICE),
    chat.HistoryCleared(issued_by=ALICE),
    *[chat.ChatError(error=code) for code in chat.ChatErrorCode],
    media.SdpAnswerEvent(sdp="v=0", source=ALICE, media_session_type=VIDEO),
    media.SdpOffer(sdp="v=0", source=BOB, media_session_type=SCREEN),
    media.SdpCandidateEvent(source=BOB, media_session_type=VIDEO, candidate=CANDIDATE),
    media.SdpEndOfCandidatesEvent(source=BOB, media_session_type=VIDEO),
    media.WebrtcUp(source=ALICE, media_session_type=VIDEO),
    media.WebrtcDown(source=BOB, media_session_type=SCREEN),
    media.WebrtcSlow(
        source=ALICE,
        media_session_type=VIDEO,
        direction=media.LinkDirection.UPSTREAM,
    ),
    media.MediaStatus(
        source=ALICE, media_session_type=VIDEO, kind="audio", receiving=True
    ),
    media.RequestMute(issuer=ALICE, force=False),
    media.PresenterGranted(),
    media.PresenterRevoked(),
    media.SpeakerUpdated(participant=BOB, is_speaking=False, updated_at=AT),
    *[media.MediaError(error=code) for code in media.MediaErrorCode],
    media.MediaError(
        error=media.MediaErrorCode.INVALID_REQUEST_OFFER,
        source=BOB,
        media_session_type=VIDEO,
    ),
]


def _tag(message: BaseModel) -> str:
    payload = message.model_dump(mode="json")
    return (
        f"{type(message).namespace}.{payload.get('action') or payload.get('message')}"  # type: ignore[attr-defined]
    )


def _union_tags(adapter_type: Any, key: str) -> set[str]:
    annotated_union = typing.get_args(adapter_type)[0]
    return {
        member.model_fields[key].default for member in typing.get_args(annotated_union)
    }


@pytest.mark.parametrize("command", COMMANDS, ids=_tag)
def test_command_round_trips_through_a_client_frame(command: BaseModel) -> None:
    frame = serialize_command(command)

    namespace, parsed = parse_command(frame)

    assert namespace == type(command).namespace  # type: ignore[attr-defined]
    assert parsed == command
    assert json.loads(frame)["payload"] == command.model_dump(mode="json")


@pytest.mark.parametrize("event", EVENTS, ids=_tag)
def test_event_round_trips_through_a_server_frame(event: BaseModel) -> None:
    frame = serialize_event(event, timestamp=AT)

    namespace, timestamp, parsed = parse_event(frame)

    assert namespace == type(event).namespace  # type: ignore[attr-defined]
    assert timestamp == AT
    assert parsed == event
    assert json.loads(frame)["timestamp"] == "2024-04-01T10:00:00Z"


@pytest.mark.parametrize(
    ("namespace", "union", "key", "samples"),
    [
        ("control", control.ControlCommand, "action", COMMANDS),
        ("moderation", moderation.ModerationCommand, "action", COMMANDS),
        ("chat", chat.ChatCommand, "action", COMMANDS),
        ("media", media.MediaCommand, "action", COMMANDS),
        ("control", control.ControlEvent, "message", EVENTS),
        ("moderation", moderation.ModerationEvent, "message", EVENTS),
        ("chat", chat.ChatEvent, "message", EVENTS),
        ("media", media.MediaEvent, "message", EVENTS),
    ],
)
def test_every_tag_of_every_union_is_covered(
    namespace: str, union: Any, key: str, samples: list[BaseModel]
) -> None:
    covered = {
        s.model_dump(mode="json")[key]
        for s in samples
        if type(s).namespace == namespace  # type: ignore[attr-defined]
    }
    assert covered == _union_tags(union, key)


def test_registries_cover_the_five_namespaces() -> None:
    assert (
        set(COMMAND_ADAPTERS)
        == set(EVENT_ADAPTERS)
        == {"control", "moderation", "chat", "media", "echo"}
    )


def test_candidates_keep_the_browsers_camel_case_keys() -> None:
    frame = serialize_event(
        media.SdpCandidateEvent(
            source=BOB,
            media_session_type=VIDEO,
            candidate=media.TrickleCandidate(candidate="c", sdp_mline_index=0),
        ),
        timestamp=AT,
    )

    assert json.loads(frame)["payload"] == {
        "message": "sdp_candidate",
        "source": str(BOB),
        "media_session_type": "video",
        "candidate": {"candidate": "c", "sdpMLineIndex": 0},
    }


def test_the_web_apps_extra_keys_are_accepted_and_not_kept() -> None:
    frame = json.dumps(
        {
            "namespace": "media",
            "payload": {
                "action": "publish_complete",
                "media_session_type": "video",
                "media_session_state": {
                    "audio": True,
                    "video": False,
                    "video_settings": 2,
                },
            },
        }
    )

    command = parse_command(frame).command

    assert isinstance(command, media.PublishComplete)
    assert command.media_session_state.stored().model_dump() == {
        "video": False,
        "audio": True,
    }


def test_a_participants_media_key_is_flat() -> None:
    update = control.Update(id=BOB, control=BOB_CONTROL, media=BOB_MEDIA)

    assert update.model_dump(mode="json")["media"] == {
        "video": {"video": True, "audio": True},
        "is_presenter": True,
    }


@pytest.mark.parametrize(
    "payload",
    [{"action": "anything", "n": [1, 2.5, None]}, [1, "two"], "text", 3, None],
)
def test_echo_payload_is_returned_unchanged(payload: Any) -> None:
    frame = json.dumps({"namespace": "echo", "payload": payload})

    namespace, command = parse_command(frame)
    reply = serialize_event(command, timestamp=AT)

    assert namespace == "echo"
    assert command == echo.EchoPayload(payload)
    assert json.loads(reply) == {
        "namespace": "echo",
        "timestamp": "2024-04-01T10:00:00Z",
        "payload": payload,
    }


def test_commands_ignore_unknown_keys_like_the_reference() -> None:
    frame = '{"namespace":"control","payload":{"action":"join","display_name":"A","x":1},"y":2}'

    assert parse_command(frame).command == control.Join(display_name="A")


def test_binary_frames_are_accepted() -> None:
    frame = b'{"namespace":"control","payload":{"action":"raise_hand"}}'

    assert parse_command(frame).command == control.RaiseHand()


@pytest.mark.parametrize(
    "frame",
    [
        b"\xff\xfe",
        "",
        "not json",
        "[]",
        '{"payload": {"action": "join"}}',
        '{"namespace": "control"}',
        '{"namespace": 5, "payload": {}}',
        '{"namespace": "control", "payload": {"action": "fly"}}',
        '{"namespace": "control", "payload": {"display_name": "no action"}}',
        '{"namespace": "control", "payload": "join"}',
        '{"namespace": "control", "payload": {"action": "grant_moderator_role"}}',
        '{"namespace": "control", "payload": {"action": "grant_moderator_role", "target": "x"}}',
        '{"namespace": "control", "payload": {"action": "join", "display_name": 7}}',
    ],
)
def test_unparseable_envelope_or_control_payload_is_invalid_json(
    frame: str | bytes,
) -> None:
    with pytest.raises(InvalidJson) as caught:
        parse_command(frame)

    assert caught.value.control_error is control.ControlErrorCode.INVALID_JSON


@pytest.mark.parametrize(
    ("frame", "namespace"),
    [
        ('{"namespace": "moderation", "payload": {"action": "kick"}}', "moderation"),
        ('{"namespace": "chat", "payload": {"action": "shout"}}', "chat"),
        (
            '{"namespace": "chat", "payload": {"action": "send_message", "scope": "group", "content": "x"}}',
            "chat",
        ),
        (
            '{"namespace": "chat", "payload": {"action": "send_message", "scope": "private", "target": "bob", "content": "x"}}',
            "chat",
        ),
        (
            '{"namespace": "chat", "payload": {"action": "send_message", "scope": "global", "target": "x", "content": "x"}}',
            "chat",
        ),
        ('{"namespace": "media", "payload": {"action": "publish"}}', "media"),
        (
            '{"namespace": "media", "payload": {"action": "publish", "sdp": 5, "target": "x", "media_session_type": "video"}}',
            "media",
        ),
        (
            '{"namespace": "media", "payload": {"action": "subscribe", "target": "4f6c5b1e-0000-4000-8000-000000000001", "media_session_type": "audio"}}',
            "media",
        ),
        (
            '{"namespace": "media", "payload": {"action": "sdp_candidate", "target": "4f6c5b1e-0000-4000-8000-000000000001", "media_session_type": "video", "candidate": {"candidate": "c", "sdpMLineIndex": -1}}}',
            "media",
        ),
    ],
)
def test_bad_module_payload_is_reported_apart_from_invalid_json(
    frame: str, namespace: str
) -> None:
    with pytest.raises(InvalidModulePayload) as caught:
        parse_command(frame)

    assert not isinstance(caught.value, InvalidJson)
    assert caught.value.namespace == namespace
    assert caught.value.payload == json.loads(frame)["payload"]


def test_unknown_namespace_is_reported_with_its_name() -> None:
    with pytest.raises(UnknownNamespace) as caught:
        parse_command('{"namespace": "polls", "payload": {"action": "start"}}')

    assert caught.value.namespace == "polls"
    assert caught.value.control_error is control.ControlErrorCode.INVALID_NAMESPACE


def test_namespaces_can_be_narrowed_to_the_loaded_modules() -> None:
    frame = '{"namespace": "chat", "payload": {"action": "enable_chat"}}'

    with pytest.raises(UnknownNamespace):
        parse_command(frame, namespaces=frozenset({"control", "echo"}))


def test_private_chat_target_is_stored_in_canonical_uuid_form() -> None:
    command = chat.SendMessage(scope="private", target=str(BOB).upper(), content="x")

    assert command.target == str(BOB)


def test_always_present_keys_are_sent_as_null() -> None:
    event = control.JoinSuccess(
        id=ALICE,
        display_name="Alice",
        role=Role.GUEST,
        tariff=TARIFF,
        participants=[BOB_PARTICIPANT],
        is_room_owner=False,
        chat=chat.ChatJoinData(),
    )

    payload = json.loads(serialize_event(event))["payload"]

    assert payload["event_info"] is None
    assert payload["is_room_owner"] is False
    assert payload["participants"][0]["control"]["left_at"] is None
    assert payload["chat"] == {
        "enabled": True,
        "room_history": [],
        "groups_history": [],
        "private_history": [],
        "last_seen_timestamp_global": None,
        "last_seen_timestamps_private": {},
        "last_seen_timestamps_group": {},
    }


def test_unset_optional_keys_are_omitted() -> None:
    event = control.JoinSuccess(
        id=ALICE,
        display_name="Alice",
        role=Role.GUEST,
        tariff=TARIFF,
        participants=[BOB_PARTICIPANT],
        is_room_owner=False,
    )

    payload = json.loads(serialize_event(event))["payload"]

    for omitted in ("avatar_url", "closes_at", "moderation", "chat"):
        assert omitted not in payload
    participant = payload["participants"][0]
    assert set(participant) == {"id", "control"}
    assert "avatar_url" not in participant["control"]


def test_non_moderators_get_only_the_raise_hands_flag() -> None:
    data = moderation.ModerationJoinData(raise_hands_enabled=False)

    assert data.model_dump(mode="json") == {"raise_hands_enabled": False}


def test_event_tag_comes_first_on_the_wire() -> None:
    payload = json.loads(serialize_event(control.Joined(id=BOB, control=BOB_CONTROL)))[
        "payload"
    ]

    assert next(iter(payload)) == "message"


def test_global_message_sent_has_no_target_key() -> None:
    event = chat.MessageSent(id=MESSAGE_ID, source=ALICE, content="hi", scope="global")

    assert "target" not in json.loads(serialize_event(event))["payload"]


def test_timestamps_are_converted_to_utc_with_z_suffix() -> None:
    berlin = timezone(timedelta(hours=2))

    assert (
        format_timestamp(datetime(2024, 4, 1, 12, 0, tzinfo=berlin))
        == "2024-04-01T10:00:00Z"
    )
    assert format_timestamp(datetime(2024, 4, 1, 10, 1, 0, 500000, tzinfo=UTC)) == (
        "2024-04-01T10:01:00.500000Z"
    )


def test_naive_timestamps_are_rejected() -> None:
    data = BOB_CONTROL.model_dump(mode="json") | {"joined_at": "2024-04-01T10:00:00"}

    with pytest.raises(ValidationError):
        ControlData.model_validate(data)


def test_serialize_event_needs_a_namespace_for_plain_models() -> None:
    class Plain(BaseModel):
        message: str = "x"

    with pytest.raises(TypeError):
        serialize_event(Plain())
    assert (
        json.loads(serialize_event(Plain(), namespace="custom"))["namespace"]
        == "custom"
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Alice", "Alice"),
        ("  First Last", "First Last"),
        ("First Last  ", "First Last"),
        ("First   Last", "First Last"),
        ("\tFirst \n\u00a0 Last\r\n", "First Last"),
        ("a" * 100, "a" * 100),
        ("ä" * 50, "ä" * 50),  # 100 bytes in UTF-8
        ("  " + "b" * 100 + "  ", "b" * 100),
    ],
)
def test_display_name_normalisation(raw: str, expected: str) -> None:
    assert normalize_display_name(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [None, "", "   ", "\t\n", "a" * 101, "ä" * 51, "  " + "x " * 51],
)
def test_display_name_empty_or_too_long_is_invalid(raw: str | None) -> None:
    with pytest.raises(InvalidDisplayName):
        normalize_display_name(raw)


def test_clip_content_cuts_on_a_character_boundary() -> None:
    assert chat.clip_content("short") == "short"
    clipped = chat.clip_content("a" + "€" * 2000)  # 1 + 3 * 2000 bytes

    assert len(clipped.encode()) <= chat.MAX_CONTENT_BYTES
    assert clipped == "a" + "€" * 1365
