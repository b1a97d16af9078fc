"""Several Redis state objects in one test = several instances of the controller."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from redis.asyncio import Redis
from state_helpers import FAST_TIMINGS, list_keys, receive, receive_none

from parley.signaling.messages import control, moderation
from parley.signaling.state import (
    LivenessTimings,
    MemorySignalingState,
    ParticipantLimit,
    Participation,
    PresenceStatus,
    RedisSignalingState,
    RoomFlag,
    RoomMessage,
    StateUnavailable,
    Subscription,
    TicketData,
    create_state,
)
from parley.signaling.tokens import generate_resumption_token, generate_ticket

StateFactory = Callable[..., Awaitable[RedisSignalingState]]

AT = datetime(2024, 4, 1, 10, 0, tzinfo=UTC)
UNREACHABLE = "redis://127.0.0.1:1/0"


def control_state(name: str, kind: str = "guest") -> dict[str, Any]:
    return {
        "display_name": name,
        "role": "guest",
        "participation_kind": kind,
        "hand_is_up": False,
        "joined_at": "2024-04-01T10:00:00Z",
        "left_at": None,
        "hand_updated_at": "2024-04-01T10:00:00Z",
        "is_room_owner": False,
    }


async def test_message_published_on_one_instance_reaches_another(
    make_redis_state: StateFactory,
) -> None:
    a, b = await make_redis_state("instance-a"), await make_redis_state("instance-b")
    room, alice = uuid4(), uuid4()
    on_b = await b.subscribe(room, participant_id=alice)
    message = RoomMessage.to_participant(alice, moderation.Kicked())

    await a.publish(room, message)

    assert await receive(on_b) == message
    await on_b.aclose()


async def test_ticket_put_by_one_instance_is_taken_by_another_once(
    make_redis_state: StateFactory,
) -> None:
    a, b = await make_redis_state("instance-a"), await make_redis_state("instance-b")
    ticket = generate_ticket()
    data = TicketData(
        participant_id=uuid4(),
        resuming=False,
        participation=Participation.guest(),
        room_id=uuid4(),
        resumption=generate_resumption_token(),
    )
    await a.put_ticket(ticket, data)

    assert await b.take_ticket(ticket) == data
    assert await a.take_ticket(ticket) is None


async def test_runner_lock_is_seen_by_every_instance(
    make_redis_state: StateFactory,
) -> None:
    a, b = await make_redis_state("instance-a"), await make_redis_state("instance-b")
    participant = uuid4()

    lock = await a.acquire_participant_lock(participant)

    assert lock is not None
    assert lock.startswith("instance-a:")
    assert await b.is_participant_connected(participant)
    assert await b.acquire_participant_lock(participant) is None


async def _collect(
    subscription: Subscription, count: int, within: float
) -> list[RoomMessage]:
    return [await receive(subscription, within) for _ in range(count)]


async def test_crashed_instance_participants_are_reported_left_within_the_bound(
    make_redis_state: StateFactory,
) -> None:
    a = await make_redis_state("instance-a", FAST_TIMINGS)
    b = await make_redis_state("instance-b", FAST_TIMINGS)
    room, alice, bob, recorder, carol = uuid4(), uuid4(), uuid4(), uuid4(), uuid4()
    lock = await a.acquire_participant_lock(alice)
    await a.join_room(room, alice, control_state("Alice"))
    await a.join_room(room, recorder, control_state("Recorder", "recorder"))
    await a.enter_waiting_room(room, bob, control_state("Bob"))
    await b.join_room(room, carol, control_state("Carol"))
    observer = await b.subscribe(room, participant_id=carol)

    crashed_at = time.monotonic()
    await a.aclose(release_participants=False)
    messages = await _collect(observer, 2, within=FAST_TIMINGS.detection_bound + 2)
    elapsed = time.monotonic() - crashed_at

    assert elapsed <= FAST_TIMINGS.detection_bound + 1
    assert sorted(m.payload["message"] for m in messages) == [
        "left",
        "left_waiting_room",
    ]  # type: ignore[index]
    assert {m.payload["id"] for m in messages} == {str(alice), str(bob)}  # type: ignore[index]
    await receive_none(
        observer, 3 * FAST_TIMINGS.sweep_interval
    )  # nothing for the recorder
    participants = await b.list_participants(room)
    assert participants[alice]["left_at"] is not None
    assert participants[carol]["left_at"] is None
    assert await b.list_waiting_room(room) == []
    assert lock is not None
    assert not await b.is_participant_connected(alice)
    await observer.aclose()


@pytest.mark.slow
async def test_crash_is_reported_within_ten_seconds_with_default_timings(
    make_redis_state: StateFactory,
) -> None:
    a, b = await make_redis_state("instance-a"), await make_redis_state("instance-b")
    assert b.timings.detection_bound <= 10
    room, alice = uuid4(), uuid4()
    await a.join_room(room, alice, control_state("Alice"))
    observer = await b.subscribe(room)

    crashed_at = time.monotonic()
    await a.aclose(release_participants=False)
    message = await receive(observer, within=12)

    assert time.monotonic() - crashed_at <= 10
    assert message.payload == {"message": "left", "id": str(alice)}
    await observer.aclose()


async def test_graceful_close_reports_remaining_participants_at_once(
    make_redis_state: StateFactory, redis_client: Redis, key_prefix: str
) -> None:
    a, b = await make_redis_state("instance-a"), await make_redis_state("instance-b")
    room, alice = uuid4(), uuid4()
    await a.join_room(room, alice, control_state("Alice"))
    observer = await b.subscribe(room)

    await a.aclose()

    assert (await receive(observer, within=1)).payload == {
        "message": "left",
        "id": str(alice),
    }
    assert await redis_client.smembers(f"{key_prefix}instances") == {"instance-b"}
    await observer.aclose()


async def test_concurrent_sweepers_report_each_participant_once(
    make_redis_state: StateFactory,
) -> None:
    a = await make_redis_state("instance-a", FAST_TIMINGS)
    b = await make_redis_state("instance-b", FAST_TIMINGS)
    c = await make_redis_state("instance-c", FAST_TIMINGS)
    room = uuid4()
    participants = [uuid4() for _ in range(20)]
    for participant in participants:
        await a.join_room(room, participant, control_state("P"))
    on_b, on_c = await b.subscribe(room), await c.subscribe(room)

    await a.aclose(release_participants=False)
    seen_by_b = await _collect(on_b, 20, within=FAST_TIMINGS.detection_bound + 2)
    seen_by_c = await _collect(on_c, 20, within=1)

    for seen in (seen_by_b, seen_by_c):
        assert sorted(m.payload["id"] for m in seen) == sorted(map(str, participants))  # type: ignore[index]
    await receive_none(on_b, 3 * FAST_TIMINGS.sweep_interval)
    await on_b.aclose()
    await on_c.aclose()


async def test_instances_racing_for_the_last_seat_admit_exactly_one(
    make_redis_state: StateFactory,
) -> None:
    instances = [await make_redis_state(f"instance-{n}") for n in range(3)]
    room = uuid4()
    limit = ParticipantLimit(3)
    await instances[0].join_room(room, uuid4(), control_state("A"))
    await instances[1].enter_waiting_room(room, uuid4(), control_state("W"))
    contenders = [(instances[n % 3], uuid4()) for n in range(12)]

    joined, waiting = await asyncio.gather(
        asyncio.gather(
            *(
                instance.join_room(room, pid, control_state("C"), limit=limit)
                for instance, pid in contenders[:6]
            )
        ),
        asyncio.gather(
            *(
                instance.enter_waiting_room(room, pid, control_state("C"), limit=limit)
                for instance, pid in contenders[6:]
            )
        ),
    )

    assert sum(o.admitted for o in joined) + sum(waiting) == 1
    seated = len(await instances[2].list_participants(room)) + len(
        await instances[2].list_waiting_room(room)
    )
    assert seated == 3


async def test_participant_resumed_elsewhere_survives_the_old_instance(
    make_redis_state: StateFactory,
) -> None:
    a = await make_redis_state("instance-a", FAST_TIMINGS)
    b = await make_redis_state("instance-b", FAST_TIMINGS)
    room, alice = uuid4(), uuid4()
    await a.join_room(room, alice, control_state("Alice"))
    await b.join_room(room, alice, control_state("Alice"))  # resumed through b
    observer = await b.subscribe(room)

    assert (
        await a.leave_room(room, alice, left_at=AT)
    ).previous is PresenceStatus.ABSENT
    await a.aclose(release_participants=False)
    await receive_none(observer, FAST_TIMINGS.detection_bound + 0.5)

    departure = await b.leave_room(room, alice, left_at=AT)
    assert departure.previous is PresenceStatus.JOINED
    assert departure.room_closed
    await observer.aclose()


async def test_closing_a_room_leaves_no_room_keys(
    make_redis_state: StateFactory, redis_client: Redis, key_prefix: str
) -> None:
    a, b = await make_redis_state("instance-a"), await make_redis_state("instance-b")
    room, alice, bob, carol = uuid4(), uuid4(), uuid4(), uuid4()
    await a.join_room(room, alice, control_state("Alice"))
    await b.join_room(room, bob, control_state("Bob"))
    await b.enter_waiting_room(room, carol, control_state("Carol"))
    await a.set_room_flag(room, RoomFlag.WAITING_ROOM_ENABLED, True)
    await a.ban_user(room, uuid4())
    assert any(str(room) in key for key in await list_keys(redis_client, key_prefix))

    await a.leave_room(room, alice, left_at=AT)
    await b.leave_room(room, carol, left_at=AT)
    assert (await b.leave_room(room, bob, left_at=AT)).room_closed

    remaining = await list_keys(redis_client, key_prefix)
    assert not [key for key in remaining if str(room) in key]
    assert not await redis_client.smembers(
        f"{key_prefix}instance:instance-a:participants"
    )


async def test_lost_pubsub_connection_ends_subscriptions_then_recovers(
    make_redis_state: StateFactory, redis_client: Redis
) -> None:
    a = await make_redis_state("instance-a")
    room = uuid4()
    subscription = await a.subscribe(room)
    await a.publish(room, RoomMessage.to_room(control.RoomDeleted()))
    name = f"parley-pubsub-{a.instance_id}"
    [connection] = [c for c in await redis_client.client_list() if c["name"] == name]

    await redis_client.client_kill_filter(_id=connection["id"])

    assert (await receive(subscription)).payload == {"message": "room_deleted"}
    with pytest.raises(StateUnavailable):
        await receive(subscription)
    await subscription.aclose()
    again = await a.subscribe(room)
    await a.publish(room, RoomMessage.to_room(control.RoomDeleted()))
    assert (await receive(again)).payload == {"message": "room_deleted"}
    await again.aclose()


STATE_OPERATIONS: list[
    tuple[str, Callable[[RedisSignalingState], Awaitable[object]]]
] = [
    ("take_ticket", lambda s: s.take_ticket("t")),
    (
        "put_ticket",
        lambda s: s.put_ticket(
            "t",
            TicketData(
                participant_id=uuid4(),
                resuming=False,
                participation=Participation.sip(),
                room_id=uuid4(),
                resumption="r",
            ),
        ),
    ),
    ("consume_resumption", lambda s: s.consume_resumption("r")),
    ("acquire_participant_lock", lambda s: s.acquire_participant_lock(uuid4())),
    ("is_participant_connected", lambda s: s.is_participant_connected(uuid4())),
    ("join_room", lambda s: s.join_room(uuid4(), uuid4(), {"display_name": "x"})),
    ("list_participants", lambda s: s.list_participants(uuid4())),
    ("leave_room", lambda s: s.leave_room(uuid4(), uuid4(), left_at=AT)),
    ("list_waiting_room", lambda s: s.list_waiting_room(uuid4())),
    (
        "set_room_flag_if_absent",
        lambda s: s.set_room_flag_if_absent(
            uuid4(), RoomFlag.WAITING_ROOM_ENABLED, True
        ),
    ),
    ("get_chat_history", lambda s: s.get_chat_history(uuid4())),
    (
        "publish",
        lambda s: s.publish(uuid4(), RoomMessage.to_room(control.RoomDeleted())),
    ),
    ("subscribe", lambda s: s.subscribe(uuid4())),
    ("sweep_dead_instances", lambda s: s.sweep_dead_instances()),
]


@pytest.mark.parametrize(
    "operation",
    [op for _, op in STATE_OPERATIONS],
    ids=[name for name, _ in STATE_OPERATIONS],
)
async def test_unreachable_redis_raises_state_unavailable_quickly(
    operation: Callable[[RedisSignalingState], Awaitable[object]],
) -> None:
    state = RedisSignalingState(UNREACHABLE, key_prefix="parley-test-unreachable:")
    await state.start()  # does not fail: the heartbeat keeps retrying
    try:
        started = time.monotonic()
        with pytest.raises(StateUnavailable):
            await operation(state)
        assert time.monotonic() - started < 1.5
    finally:
        await state.aclose()


async def test_factory_picks_the_implementation(
    redis_url: str, key_prefix: str
) -> None:
    memory = create_state(None, instance_id="one")
    shared = create_state(redis_url, key_prefix=key_prefix, instance_id="two")

    assert isinstance(memory, MemorySignalingState)
    assert isinstance(shared, RedisSignalingState)
    assert (memory.instance_id, shared.instance_id) == ("one", "two")
    await memory.aclose()
    await shared.aclose()


@pytest.mark.parametrize("instance_id", ["", "a:b", "a/b", "a b", "x" * 129])
def test_instance_ids_that_would_break_key_names_are_rejected(instance_id: str) -> None:
    with pytest.raises(ValueError, match="instance id"):
        MemorySignalingState(instance_id=instance_id)


def test_liveness_timings_are_validated() -> None:
    assert LivenessTimings().detection_bound == 8.0
    with pytest.raises(ValueError, match="heartbeat_interval"):
        LivenessTimings(heartbeat_interval=6.0, heartbeat_ttl=6.0)
    with pytest.raises(ValueError, match="sweep_interval"):
        LivenessTimings(sweep_interval=0)
