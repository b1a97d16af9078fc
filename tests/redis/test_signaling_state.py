"""Behaviour of SignalingState, run against the memory and the Redis implementation."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from state_helpers import receive, receive_none
from tests.redis_process import RedisProcess

from parley.signaling.messages import (
    ControlData,
    chat,
    control,
    moderation,
    parse_event,
)
from parley.signaling.messages.common import (
    MediaSessionType,
    ParticipationKind,
    WaitingRoomState,
)
from parley.signaling.state import (
    Departure,
    JoinOutcome,
    MediaPublisher,
    ParticipantLimit,
    Participation,
    PresenceStatus,
    RedisSignalingState,
    ResumptionData,
    RoomFlag,
    RoomMessage,
    SignalingState,
    StateUnavailable,
    TicketData,
    WaitingParticipant,
)
from parley.signaling.tokens import generate_resumption_token, generate_ticket

AT = datetime(2024, 4, 1, 10, 0, tzinfo=UTC)
VIDEO, SCREEN = MediaSessionType.VIDEO, MediaSessionType.SCREEN


def control_state(name: str, kind: str = "guest", **overrides: Any) -> dict[str, Any]:
    return {
        "display_name": name,
        "role": "guest",
        "participation_kind": kind,
        "hand_is_up": False,
        "joined_at": "2024-04-01T10:00:00Z",
        "left_at": None,
        "hand_updated_at": "2024-04-01T10:00:00Z",
        "is_room_owner": False,
        **overrides,
    }


def ticket_data(**overrides: Any) -> TicketData:
    fields: dict[str, Any] = {
        "participant_id": uuid4(),
        "resuming": False,
        "participation": Participation.user(uuid4()),
        "room_id": uuid4(),
        "breakout_room": None,
        "resumption": generate_resumption_token(),
    }
    return TicketData(**(fields | overrides))


def resumption_data() -> ResumptionData:
    return ResumptionData(
        participant_id=uuid4(), participation=Participation.guest(), room_id=uuid4()
    )


def stored_message(n: int) -> chat.StoredMessage:
    return chat.StoredMessage(
        id=uuid4(),
        source=uuid4(),
        timestamp=AT + timedelta(seconds=n),
        content=f"message {n}",
        scope=chat.ChatScope.GLOBAL,
    )


# Tickets


async def test_ticket_can_be_taken_once(state: SignalingState) -> None:
    ticket, data = generate_ticket(), ticket_data(breakout_room=uuid4(), resuming=True)
    await state.put_ticket(ticket, data)

    assert await state.take_ticket(ticket) == data
    assert await state.take_ticket(ticket) is None


async def test_ticket_expires_after_its_ttl(state: SignalingState) -> None:
    ticket = generate_ticket()
    await state.put_ticket(ticket, ticket_data(), ttl=0.5)

    await asyncio.sleep(0.6)

    assert await state.take_ticket(ticket) is None


async def test_unknown_ticket_is_none(state: SignalingState) -> None:
    assert await state.take_ticket(generate_ticket()) is None


async def test_concurrent_takes_of_one_ticket_yield_it_once(
    state: SignalingState,
) -> None:
    ticket = generate_ticket()
    await state.put_ticket(ticket, ticket_data())

    results = await asyncio.gather(*(state.take_ticket(ticket) for _ in range(10)))

    assert sum(result is not None for result in results) == 1


@pytest.mark.parametrize(
    "participation",
    [
        Participation.user(UUID("00000000-0000-4000-8000-000000000001")),
        Participation.guest(),
        Participation.sip(),
        Participation.recorder(),
    ],
)
async def test_ticket_keeps_the_participation(
    state: SignalingState, participation: Participation
) -> None:
    ticket = generate_ticket()
    await state.put_ticket(ticket, ticket_data(participation=participation))

    taken = await state.take_ticket(ticket)

    assert taken is not None
    assert taken.participation == participation


def test_participation_requires_user_id_exactly_for_users() -> None:
    with pytest.raises(ValueError, match="user_id"):
        Participation(kind=ParticipationKind.USER)
    with pytest.raises(ValueError, match="user_id"):
        Participation(kind=ParticipationKind.GUEST, user_id=uuid4())


# Resumption


async def test_resumption_is_stored_once_and_consumed_once(
    state: SignalingState,
) -> None:
    token, data = generate_resumption_token(), resumption_data()

    assert await state.put_resumption(token, data)
    assert not await state.put_resumption(token, resumption_data())
    assert await state.consume_resumption(token) == data
    assert await state.consume_resumption(token) is None


async def test_resumption_can_be_read_without_consuming_it(
    state: SignalingState,
) -> None:
    token, data = generate_resumption_token(), resumption_data()
    assert await state.get_resumption(token) is None
    await state.put_resumption(token, data)

    assert await state.get_resumption(token) == data
    assert await state.get_resumption(token) == data
    assert await state.refresh_resumption(token, data)
    assert await state.consume_resumption(token) == data
    assert await state.get_resumption(token) is None


async def test_resumption_refresh_fails_once_consumed(state: SignalingState) -> None:
    token, data = generate_resumption_token(), resumption_data()
    await state.put_resumption(token, data)

    assert await state.refresh_resumption(token, data)
    await state.consume_resumption(token)

    assert not await state.refresh_resumption(token, data)
    assert await state.consume_resumption(token) is None


async def test_resumption_refresh_extends_and_rewrites(state: SignalingState) -> None:
    token, data = generate_resumption_token(), resumption_data()
    await state.put_resumption(token, data, ttl=0.5)
    moved = data.model_copy(update={"breakout_room": uuid4()})

    await asyncio.sleep(0.3)
    assert await state.refresh_resumption(token, moved, ttl=1.0)
    await asyncio.sleep(0.4)

    assert await state.consume_resumption(token) == moved


async def test_resumption_expires(state: SignalingState) -> None:
    token = generate_resumption_token()
    await state.put_resumption(token, resumption_data(), ttl=0.5)

    await asyncio.sleep(0.6)

    assert await state.consume_resumption(token) is None


# Participant runner lock


async def test_participant_lock_is_exclusive(state: SignalingState) -> None:
    participant = uuid4()

    lock = await state.acquire_participant_lock(participant)

    assert lock is not None
    assert await state.is_participant_connected(participant)
    assert await state.acquire_participant_lock(participant) is None


async def test_participant_lock_refresh_and_release_need_the_token(
    state: SignalingState,
) -> None:
    participant = uuid4()
    lock = await state.acquire_participant_lock(participant)
    assert lock is not None

    assert await state.refresh_participant_lock(participant, lock)
    assert not await state.refresh_participant_lock(participant, "someone-else")
    await state.release_participant_lock(participant, "someone-else")
    assert await state.is_participant_connected(participant)

    await state.release_participant_lock(participant, lock)

    assert not await state.is_participant_connected(participant)
    assert not await state.refresh_participant_lock(participant, lock)


async def test_participant_lock_expires_without_refresh(state: SignalingState) -> None:
    participant = uuid4()
    lock = await state.acquire_participant_lock(participant, ttl=0.5)
    assert lock is not None

    await asyncio.sleep(0.6)

    assert not await state.is_participant_connected(participant)
    assert not await state.refresh_participant_lock(participant, lock)
    assert await state.acquire_participant_lock(participant) is not None


async def test_participant_lock_waits_for_the_previous_runner(
    state: SignalingState,
) -> None:
    participant = uuid4()
    first = await state.acquire_participant_lock(participant)
    assert first is not None

    async def release_soon() -> None:
        await asyncio.sleep(0.3)
        await state.release_participant_lock(participant, first)

    releaser = asyncio.create_task(release_soon())
    second = await state.acquire_participant_lock(participant, wait=2.0)
    await releaser

    assert second is not None
    assert second != first


# Waiting-room bypass


async def test_waiting_room_bypass_lifecycle(state: SignalingState) -> None:
    participant = uuid4()
    assert not await state.has_waiting_room_bypass(participant)
    assert not await state.refresh_waiting_room_bypass(participant)

    await state.set_waiting_room_bypass(participant, ttl=0.5)
    assert await state.has_waiting_room_bypass(participant)
    assert await state.refresh_waiting_room_bypass(participant)

    await state.clear_waiting_room_bypass(participant)
    assert not await state.has_waiting_room_bypass(participant)


# Presence


async def test_participants_are_listed_in_join_order_with_their_state(
    state: SignalingState,
) -> None:
    room, alice, bob = uuid4(), uuid4(), uuid4()
    alice_state = control_state(
        "Alice", "user", avatar_url="https://a", extra={"k": [1]}
    )

    await state.join_room(room, alice, alice_state)
    await state.join_room(room, bob, control_state("Bob"))

    participants = await state.list_participants(room)
    assert list(participants) == [alice, bob]
    assert participants[alice] == alice_state
    assert await state.get_participant(room, bob) == control_state("Bob")


async def test_join_order_is_exact_even_within_one_millisecond(
    state: SignalingState,
) -> None:
    room = uuid4()
    joined = [uuid4() for _ in range(12)]
    waiting = [uuid4() for _ in range(12)]

    for participant in joined:
        await state.join_room(room, participant, control_state("P"))
    for participant in waiting:
        await state.enter_waiting_room(room, participant, control_state("W"))

    assert list(await state.list_participants(room)) == joined
    assert [w.participant_id for w in await state.list_waiting_room(room)] == waiting


async def test_update_merges_into_known_participants_only(
    state: SignalingState,
) -> None:
    room, alice = uuid4(), uuid4()
    await state.join_room(room, alice, control_state("Alice"))

    assert await state.update_participant(room, alice, {"hand_is_up": True, "new": "x"})
    assert not await state.update_participant(room, uuid4(), {"hand_is_up": True})

    assert await state.get_participant(room, alice) == control_state(
        "Alice", hand_is_up=True, new="x"
    )
    assert list(await state.list_participants(room)) == [alice]


async def test_left_participants_stay_listed_until_the_room_closes(
    state: SignalingState,
) -> None:
    room, alice, bob = uuid4(), uuid4(), uuid4()
    await state.join_room(room, alice, control_state("Alice", "user"))
    await state.join_room(room, bob, control_state("Bob"))

    departure = await state.leave_room(room, alice, left_at=AT)

    assert departure == Departure(PresenceStatus.JOINED, ParticipationKind.USER, False)
    participants = await state.list_participants(room)
    assert participants[alice]["left_at"] == "2024-04-01T10:00:00Z"
    assert participants[bob]["left_at"] is None


async def test_last_leave_tears_the_room_down(state: SignalingState) -> None:
    room, alice, bob = uuid4(), uuid4(), uuid4()
    await state.join_room(room, alice, control_state("Alice"))
    await state.join_room(room, bob, control_state("Bob"))
    await state.set_room_flag(room, RoomFlag.CHAT_ENABLED, False)
    await state.ban_user(room, uuid4())
    await state.add_chat_message(room, stored_message(1))
    await state.add_private_chat_message(room, private_message(1, alice, bob))
    await state.leave_room(room, alice, left_at=AT)

    departure = await state.leave_room(room, bob, left_at=AT)

    assert departure.room_closed
    assert await state.list_participants(room) == {}
    assert await state.get_room_flag(room, RoomFlag.CHAT_ENABLED) is None
    assert await state.get_chat_history(room) == []
    assert await state.get_private_chat_history(room, bob) == []


async def test_rejoin_replaces_the_state_and_keeps_the_position(
    state: SignalingState,
) -> None:
    room, alice, bob = uuid4(), uuid4(), uuid4()
    await state.join_room(room, alice, control_state("Alice"))
    await state.join_room(room, bob, control_state("Bob"))
    await state.leave_room(room, alice, left_at=AT)

    await state.join_room(room, alice, control_state("Alice again"))

    participants = await state.list_participants(room)
    assert list(participants) == [alice, bob]
    assert participants[alice] == control_state("Alice again")


async def test_leaving_twice_or_unknown_is_absent(state: SignalingState) -> None:
    room, alice, bob = uuid4(), uuid4(), uuid4()
    await state.join_room(room, alice, control_state("Alice"))
    await state.join_room(room, bob, control_state("Bob"))
    await state.leave_room(room, alice, left_at=AT)

    again = await state.leave_room(room, alice, left_at=AT + timedelta(hours=1))
    unknown = await state.leave_room(uuid4(), uuid4(), left_at=AT)

    assert again == Departure(PresenceStatus.ABSENT, None, False)
    assert unknown == Departure(PresenceStatus.ABSENT, None, False)
    participants = await state.list_participants(room)
    assert participants[alice]["left_at"] == "2024-04-01T10:00:00Z"


async def test_removed_participants_are_not_listed(state: SignalingState) -> None:
    room, alice, bob = uuid4(), uuid4(), uuid4()
    await state.join_room(room, alice, control_state("Alice"))
    await state.join_room(room, bob, control_state("Bob", "recorder"))

    departure = await state.remove_participant(room, bob)

    assert departure == Departure(
        PresenceStatus.JOINED, ParticipationKind.RECORDER, False
    )
    assert list(await state.list_participants(room)) == [alice]
    assert await state.get_participant(room, bob) is None


# Waiting room


async def test_waiting_room_lists_waiting_then_accepted(state: SignalingState) -> None:
    room, bob, carol, dave = uuid4(), uuid4(), uuid4(), uuid4()
    await state.enter_waiting_room(room, bob, control_state("Bob"))
    await state.enter_waiting_room(room, carol, control_state("Carol"))
    await state.enter_waiting_room(room, dave, control_state("Dave"))

    assert await state.accept_waiting(room, bob)
    assert not await state.accept_waiting(room, bob)
    assert not await state.accept_waiting(room, uuid4())

    assert await state.list_waiting_room(room) == [
        WaitingParticipant(carol, WaitingRoomState.WAITING, control_state("Carol")),
        WaitingParticipant(dave, WaitingRoomState.WAITING, control_state("Dave")),
        WaitingParticipant(bob, WaitingRoomState.ACCEPTED, control_state("Bob")),
    ]
    assert await state.waiting_status(room, bob) is WaitingRoomState.ACCEPTED
    assert await state.waiting_status(room, carol) is WaitingRoomState.WAITING
    assert await state.waiting_status(room, uuid4()) is None
    assert await state.list_participants(room) == {}


async def test_entering_the_room_leaves_the_waiting_room(state: SignalingState) -> None:
    room, bob = uuid4(), uuid4()
    await state.enter_waiting_room(room, bob, control_state("Bob"))
    await state.accept_waiting(room, bob)

    await state.join_room(room, bob, control_state("Bob"))

    assert await state.list_waiting_room(room) == []
    assert await state.waiting_status(room, bob) is None
    assert list(await state.list_participants(room)) == [bob]


async def test_a_waiting_participant_keeps_the_room_alive(
    state: SignalingState,
) -> None:
    room, alice, bob = uuid4(), uuid4(), uuid4()
    await state.join_room(room, alice, control_state("Alice"))
    await state.enter_waiting_room(room, bob, control_state("Bob"))

    alice_left = await state.leave_room(room, alice, left_at=AT)
    bob_left = await state.leave_room(room, bob, left_at=AT)

    assert alice_left == Departure(
        PresenceStatus.JOINED, ParticipationKind.GUEST, False
    )
    assert bob_left == Departure(PresenceStatus.WAITING, None, True)
    assert await state.list_waiting_room(room) == []


# Participant limit and closing time (tariff quotas)


async def test_a_full_room_refuses_a_join_and_changes_nothing(
    state: SignalingState,
) -> None:
    room, alice, bob, carol = uuid4(), uuid4(), uuid4(), uuid4()
    two = ParticipantLimit(2)
    assert (await state.join_room(room, alice, control_state("A"), limit=two)).admitted
    assert (await state.join_room(room, bob, control_state("B"), limit=two)).admitted

    refused = await state.join_room(room, carol, control_state("C"), limit=two)

    assert refused == JoinOutcome(admitted=False, closes_at=None)
    assert list(await state.list_participants(room)) == [alice, bob]
    assert await state.get_participant(room, carol) is None
    # A participant who left frees the seat.
    await state.leave_room(room, bob, left_at=AT)
    assert (await state.join_room(room, carol, control_state("C"), limit=two)).admitted
    assert list(await state.list_participants(room)) == [alice, bob, carol]


async def test_waiting_participants_take_seats(state: SignalingState) -> None:
    room, alice, bob, carol, dave = uuid4(), uuid4(), uuid4(), uuid4(), uuid4()
    two = ParticipantLimit(2)
    await state.join_room(room, alice, control_state("Alice"))
    assert await state.enter_waiting_room(room, bob, control_state("Bob"), limit=two)
    await state.accept_waiting(room, bob)

    assert not await state.enter_waiting_room(
        room, carol, control_state("Carol"), limit=two
    )
    assert not (
        await state.join_room(room, dave, control_state("Dave"), limit=two)
    ).admitted
    assert [w.participant_id for w in await state.list_waiting_room(room)] == [bob]
    # Entering from the waiting room takes no new seat.
    assert (await state.join_room(room, bob, control_state("Bob"))).admitted


async def test_a_participant_rejoining_does_not_count_itself(
    state: SignalingState,
) -> None:
    room, alice = uuid4(), uuid4()
    one = ParticipantLimit(1)
    await state.join_room(room, alice, control_state("Alice"), limit=one)

    assert (await state.join_room(room, alice, control_state("A"), limit=one)).admitted


async def test_recorders_take_no_seat(state: SignalingState) -> None:
    room, recorder, alice, bob = uuid4(), uuid4(), uuid4(), uuid4()
    one = ParticipantLimit(1)
    await state.join_room(room, recorder, control_state("Rec", "recorder"))

    assert (await state.join_room(room, alice, control_state("A"), limit=one)).admitted
    assert not (
        await state.join_room(room, bob, control_state("B"), limit=one)
    ).admitted


async def test_a_moderator_gets_into_a_full_room_without_another_moderator(
    state: SignalingState,
) -> None:
    room, guest, first, second = uuid4(), uuid4(), uuid4(), uuid4()
    waived = ParticipantLimit(1, waived_without_moderator=True)
    await state.join_room(room, guest, control_state("Guest"))

    first_in = await state.join_room(
        room, first, control_state("M1", "user", role="moderator"), limit=waived
    )
    second_in = await state.join_room(
        room, second, control_state("M2", "user", role="moderator"), limit=waived
    )
    await state.leave_room(room, first, left_at=AT)
    second_later = await state.join_room(
        room, second, control_state("M2", "user", role="moderator"), limit=waived
    )

    assert (first_in.admitted, second_in.admitted) == (True, False)
    assert second_later.admitted
    # A third moderator finds the second one in: the waiver no longer applies.
    assert not (
        await state.join_room(
            room, uuid4(), control_state("M3", "user", role="moderator"), limit=waived
        )
    ).admitted


async def test_concurrent_joins_for_the_last_seat_admit_exactly_one(
    state: SignalingState,
) -> None:
    room, alice = uuid4(), uuid4()
    two = ParticipantLimit(2)
    await state.join_room(room, alice, control_state("Alice"))
    contenders = [uuid4() for _ in range(10)]

    outcomes = await asyncio.gather(
        *(state.join_room(room, c, control_state("C"), limit=two) for c in contenders)
    )

    assert sum(outcome.admitted for outcome in outcomes) == 1
    assert len(await state.list_participants(room)) == 2


async def test_the_join_that_starts_the_room_sets_its_closing_time(
    state: SignalingState,
) -> None:
    room, alice, bob, carol = uuid4(), uuid4(), uuid4(), uuid4()
    first, later = AT + timedelta(minutes=30), AT + timedelta(hours=2)

    alice_in = await state.join_room(room, alice, control_state("A"), closes_at=first)
    bob_in = await state.join_room(room, bob, control_state("B"), closes_at=later)
    carol_in = await state.join_room(room, carol, control_state("C"))
    refused = await state.join_room(
        room, uuid4(), control_state("D"), limit=ParticipantLimit(0)
    )

    assert [o.closes_at for o in (alice_in, bob_in, carol_in, refused)] == [first] * 4
    # A new session after everyone left starts a new time limit.
    for participant in (alice, bob, carol):
        await state.leave_room(room, participant, left_at=AT)
    again = await state.join_room(room, alice, control_state("A"), closes_at=later)
    assert again.closes_at == later


async def test_a_room_started_without_a_time_limit_keeps_running(
    state: SignalingState,
) -> None:
    room, alice, bob = uuid4(), uuid4(), uuid4()
    await state.join_room(room, alice, control_state("Alice"))

    outcome = await state.join_room(
        room, bob, control_state("Bob"), closes_at=AT + timedelta(minutes=1)
    )

    assert outcome == JoinOutcome(admitted=True, closes_at=None)


async def test_microseconds_of_the_closing_time_survive(
    state: SignalingState,
) -> None:
    closes_at = AT + timedelta(seconds=5, microseconds=123456)

    outcome = await state.join_room(
        uuid4(), uuid4(), control_state("A"), closes_at=closes_at
    )

    assert outcome.closes_at == closes_at


# Flags and bans


async def test_flag_set_if_absent_keeps_the_first_value(state: SignalingState) -> None:
    room = uuid4()
    assert await state.get_room_flag(room, RoomFlag.WAITING_ROOM_ENABLED) is None

    assert await state.set_room_flag_if_absent(
        room, RoomFlag.WAITING_ROOM_ENABLED, True
    )
    assert await state.set_room_flag_if_absent(
        room, RoomFlag.WAITING_ROOM_ENABLED, False
    )
    assert await state.get_room_flag(room, RoomFlag.WAITING_ROOM_ENABLED) is True

    await state.set_room_flag(room, RoomFlag.WAITING_ROOM_ENABLED, False)
    assert await state.get_room_flag(room, RoomFlag.WAITING_ROOM_ENABLED) is False
    assert not await state.set_room_flag_if_absent(
        room, RoomFlag.WAITING_ROOM_ENABLED, True
    )


async def test_flags_are_independent(state: SignalingState) -> None:
    room = uuid4()
    await state.set_room_flag(room, RoomFlag.RAISE_HANDS_ENABLED, False)
    await state.set_room_flag(room, RoomFlag.CHAT_ENABLED, True)

    assert await state.get_room_flag(room, RoomFlag.RAISE_HANDS_ENABLED) is False
    assert await state.get_room_flag(room, RoomFlag.CHAT_ENABLED) is True
    assert await state.get_room_flag(room, RoomFlag.WAITING_ROOM_ENABLED) is None
    assert await state.get_room_flag(uuid4(), RoomFlag.CHAT_ENABLED) is None


async def test_banned_users_are_per_room(state: SignalingState) -> None:
    room, user = uuid4(), uuid4()

    await state.ban_user(room, user)

    assert await state.is_user_banned(room, user)
    assert not await state.is_user_banned(room, uuid4())
    assert not await state.is_user_banned(uuid4(), user)


# Chat


async def test_chat_history_is_newest_first_and_bounded(state: SignalingState) -> None:
    room = uuid4()
    messages = [stored_message(n) for n in range(7)]

    for message in messages:
        await state.add_chat_message(room, message, limit=5)

    assert await state.get_chat_history(room) == messages[:1:-1]


async def test_chat_history_default_bound_is_100(state: SignalingState) -> None:
    room = uuid4()
    for n in range(105):
        await state.add_chat_message(room, stored_message(n))

    history = await state.get_chat_history(room)

    assert len(history) == 100
    assert history[0].content == "message 104"


async def test_chat_history_can_be_cleared(state: SignalingState) -> None:
    room = uuid4()
    await state.add_chat_message(room, stored_message(1))

    await state.clear_chat_history(room)

    assert await state.get_chat_history(room) == []


def private_message(n: int, source: UUID, target: UUID) -> chat.StoredMessage:
    return chat.StoredMessage(
        id=uuid4(),
        source=source,
        timestamp=AT + timedelta(seconds=n),
        content=f"private {n}",
        scope=chat.ChatScope.PRIVATE,
        target=str(target),
    )


async def test_private_history_holds_what_a_participant_sent_or_received(
    state: SignalingState,
) -> None:
    room, alice, bob, carol = uuid4(), uuid4(), uuid4(), uuid4()
    to_bob = private_message(1, alice, bob)
    to_alice = private_message(2, bob, alice)
    to_carol = private_message(3, bob, carol)
    for message in (to_bob, to_alice, to_carol):
        await state.add_private_chat_message(room, message)

    assert await state.get_private_chat_history(room, alice) == [to_alice, to_bob]
    assert await state.get_private_chat_history(room, bob) == [
        to_carol,
        to_alice,
        to_bob,
    ]
    assert await state.get_private_chat_history(room, carol) == [to_carol]
    assert await state.get_private_chat_history(uuid4(), alice) == []


async def test_private_history_is_bounded_and_survives_clearing_the_global_one(
    state: SignalingState,
) -> None:
    room, alice, bob = uuid4(), uuid4(), uuid4()
    for n in range(4):
        await state.add_private_chat_message(
            room, private_message(n, alice, bob), limit=3
        )

    await state.clear_chat_history(room)

    history = await state.get_private_chat_history(room, alice)
    assert [m.content for m in history] == ["private 3", "private 2", "private 1"]


# Teardown


async def test_teardown_forgets_everything_about_the_room(
    state: SignalingState,
) -> None:
    room, alice, bob = uuid4(), uuid4(), uuid4()
    await state.join_room(room, alice, control_state("Alice"))
    await state.enter_waiting_room(room, bob, control_state("Bob"))
    await state.set_room_flag(room, RoomFlag.WAITING_ROOM_ENABLED, True)
    await state.ban_user(room, alice)
    await state.add_chat_message(room, stored_message(1))
    await state.add_private_chat_message(room, private_message(1, alice, bob))
    await state.put_media_publisher(
        room, alice, VIDEO, MediaPublisher(server="ws://j", room=1)
    )

    await state.teardown_room(room)

    assert await state.list_participants(room) == {}
    assert await state.list_waiting_room(room) == []
    assert await state.get_room_flag(room, RoomFlag.WAITING_ROOM_ENABLED) is None
    assert not await state.is_user_banned(room, alice)
    assert await state.get_chat_history(room) == []
    assert await state.get_private_chat_history(room, alice) == []
    assert await state.get_media_publisher(room, alice, VIDEO) is None
    # Runners still attached find nothing left to detach.
    assert (
        await state.leave_room(room, alice, left_at=AT)
    ).previous is PresenceStatus.ABSENT


# Media


async def test_media_publishers_are_registered_per_room_participant_and_type(
    state: SignalingState,
) -> None:
    room, other_room, alice = uuid4(), uuid4(), uuid4()
    await state.join_room(room, alice, control_state("Alice"))
    video = MediaPublisher(server="ws://janus-a:8188", room=2**53 + 7)
    screen = MediaPublisher(server="ws://janus-b:8188", room=42)

    await state.put_media_publisher(room, alice, VIDEO, video)
    await state.put_media_publisher(room, alice, SCREEN, screen)

    assert await state.get_media_publisher(room, alice, VIDEO) == video
    assert await state.get_media_publisher(room, alice, SCREEN) == screen
    assert await state.get_media_publisher(other_room, alice, VIDEO) is None
    await state.delete_media_publisher(room, alice, VIDEO)
    assert await state.get_media_publisher(room, alice, VIDEO) is None
    assert await state.get_media_publisher(room, alice, SCREEN) == screen
    await state.delete_media_publisher(other_room, alice, VIDEO)  # nothing there: fine

    await state.leave_room(room, alice, left_at=AT)  # the last one: torn down
    assert await state.get_media_publisher(room, alice, SCREEN) is None


async def test_media_server_loads_count_streams_and_never_go_below_zero(
    state: SignalingState,
) -> None:
    a, b = f"ws://a-{uuid4().hex}", f"ws://b-{uuid4().hex}"
    await state.adjust_media_server_load(a, 1)
    await state.adjust_media_server_load(a, 1)
    await state.adjust_media_server_load(b, 1)
    await state.adjust_media_server_load(b, -1)
    await state.adjust_media_server_load(b, -1)

    assert await state.get_media_server_loads([a, b, "ws://unknown"]) == {
        a: 2,
        b: 0,
        "ws://unknown": 0,
    }
    await state.adjust_media_server_load(b, 1)
    assert (await state.get_media_server_loads([b]))[b] == 1
    assert await state.get_media_server_loads([]) == {}


# Fan-out


async def test_messages_reach_the_addressed_participants(state: SignalingState) -> None:
    room, alice, bob, carol = uuid4(), uuid4(), uuid4(), uuid4()
    subs = {
        p: await state.subscribe(room, participant_id=p) for p in (alice, bob, carol)
    }
    observer = await state.subscribe(room)
    other_room = await state.subscribe(uuid4(), participant_id=alice)
    joined = RoomMessage.to_room(
        control.Joined(
            id=alice, control=ControlData.model_validate(control_state("Alice"))
        ),
        exclude=[alice],
    )
    private = RoomMessage.to_participant(
        bob,
        chat.MessageSent(
            id=uuid4(), source=alice, content="psst", scope="private", target=str(bob)
        ),
    )
    accepted = RoomMessage.to_participants([alice, carol], moderation.Accepted())

    for message in (joined, private, accepted):
        await state.publish(room, message)

    assert [await receive(subs[alice])] == [accepted]
    assert [await receive(subs[bob]), await receive(subs[bob])] == [joined, private]
    assert [await receive(subs[carol]), await receive(subs[carol])] == [
        joined,
        accepted,
    ]
    assert [await receive(observer) for _ in range(3)] == [joined, private, accepted]
    for subscription in (*subs.values(), observer, other_room):
        await receive_none(subscription)
        await subscription.aclose()


async def test_closed_subscription_ends_and_receives_nothing(
    state: SignalingState,
) -> None:
    room = uuid4()
    subscription = await state.subscribe(room)
    still_open = await state.subscribe(room)

    await subscription.aclose()
    await state.publish(room, RoomMessage.to_room(control.RoomDeleted()))

    assert [message async for message in subscription] == []
    assert (await receive(still_open)).payload == {"message": "room_deleted"}
    await still_open.aclose()


async def test_published_message_becomes_the_same_frame_everywhere(
    state: SignalingState,
) -> None:
    room, alice = uuid4(), uuid4()
    subscription = await state.subscribe(room, participant_id=alice)
    message = RoomMessage.to_room(control.Left(id=uuid4()), timestamp=AT)

    await state.publish(room, message)
    frame = (await receive(subscription)).to_frame()

    assert frame == message.to_frame()
    assert parse_event(frame) == (
        "control",
        AT,
        control.Left.model_validate(message.payload),
    )
    await subscription.aclose()


async def test_subscribing_right_after_a_redis_restart_reconnects(
    own_redis: RedisProcess,
) -> None:
    state = RedisSignalingState(own_redis.url, key_prefix="restart:")
    await state.start()
    try:
        before = await state.subscribe(uuid4(), participant_id=uuid4())
        own_redis.restart()  # blocking: the pub/sub reader has not noticed yet
        room = uuid4()
        after = await state.subscribe(room, participant_id=uuid4())
        message = RoomMessage.to_room(control.Left(id=uuid4()), timestamp=AT)
        await state.publish(room, message)
        assert await receive(after, within=5) == message
        # What the old connection carried may be lost: its subscription ends.
        with pytest.raises(StateUnavailable):
            await receive(before, within=5)
        await after.aclose()
    finally:
        await state.aclose()
