"""Addressing and queueing of room messages, independent of any backend."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from pydantic import BaseModel

from parley.signaling.messages import chat, control, moderation, parse_event
from parley.signaling.state import RoomMessage, Subscription, SubscriptionOverflow

AT = datetime(2024, 4, 1, 10, 0, tzinfo=UTC)
ALICE, BOB, CAROL = uuid4(), uuid4(), uuid4()


async def _no_detach(_: Subscription) -> None:
    return None


def test_room_message_addressing() -> None:
    to_room = RoomMessage.to_room(control.Left(id=ALICE), exclude=[ALICE])
    to_some = RoomMessage.to_participants([ALICE, BOB], moderation.Accepted())
    to_one = RoomMessage.to_participant(CAROL, moderation.Kicked())

    assert [to_room.is_for(p) for p in (ALICE, BOB, CAROL, None)] == [
        False,
        True,
        True,
        True,
    ]
    assert [to_some.is_for(p) for p in (ALICE, BOB, CAROL, None)] == [
        True,
        True,
        False,
        True,
    ]
    assert [to_one.is_for(p) for p in (ALICE, BOB, CAROL, None)] == [
        False,
        False,
        True,
        True,
    ]


def test_room_message_survives_the_inter_process_encoding() -> None:
    message = RoomMessage.to_participants(
        [ALICE, BOB],
        chat.MessageSent(id=uuid4(), source=CAROL, content="hé", scope="global"),
        timestamp=AT,
    )

    assert RoomMessage.model_validate_json(message.model_dump_json()) == message


def test_room_message_frame_uses_the_creation_timestamp() -> None:
    message = RoomMessage.to_room(
        moderation.SessionEnded(issued_by=ALICE), timestamp=AT
    )

    namespace, timestamp, event = parse_event(message.to_frame())

    assert (namespace, timestamp) == ("moderation", AT)
    assert event == moderation.SessionEnded(issued_by=ALICE)


def test_room_message_needs_a_namespace() -> None:
    class Plain(BaseModel):
        message: str = "x"

    with pytest.raises(TypeError):
        RoomMessage.to_room(Plain())
    assert RoomMessage.to_room(Plain(), namespace="echo").namespace == "echo"


async def test_closing_a_subscription_drops_what_was_queued() -> None:
    subscription = Subscription(uuid4(), BOB, detach=_no_detach)
    messages = [
        RoomMessage.to_room(control.Left(id=ALICE)),
        RoomMessage.to_participant(ALICE, moderation.Kicked()),
        RoomMessage.to_participant(BOB, moderation.Accepted()),
    ]

    for message in messages:
        subscription.deliver(message)
    await subscription.aclose()

    assert subscription.closed
    assert [m async for m in subscription] == []


async def test_subscription_yields_queued_messages_in_order() -> None:
    subscription = Subscription(uuid4(), BOB, detach=_no_detach)
    first = RoomMessage.to_room(control.Left(id=ALICE))
    second = RoomMessage.to_participant(BOB, moderation.Accepted())
    subscription.deliver(first)
    subscription.deliver(RoomMessage.to_participant(ALICE, moderation.Kicked()))
    subscription.deliver(second)

    assert [await anext(subscription), await anext(subscription)] == [first, second]
    await subscription.aclose()


async def test_slow_subscriber_is_cut_off_after_its_queue_drains() -> None:
    subscription = Subscription(uuid4(), None, detach=_no_detach, max_pending=3)
    messages = [RoomMessage.to_room(control.Left(id=uuid4())) for _ in range(5)]

    for message in messages:
        subscription.deliver(message)

    assert [await anext(subscription) for _ in range(3)] == messages[:3]
    with pytest.raises(SubscriptionOverflow):
        await anext(subscription)
    await subscription.aclose()


async def test_waiting_consumer_wakes_up_on_delivery_and_on_close() -> None:
    detached: list[Subscription] = []

    async def detach(subscription: Subscription) -> None:
        detached.append(subscription)

    subscription = Subscription(uuid4(), None, detach=detach)
    waiter = asyncio.create_task(anext(subscription))
    await asyncio.sleep(0)
    message = RoomMessage.to_room(control.RoomDeleted())
    subscription.deliver(message)
    assert await asyncio.wait_for(waiter, 1) == message

    ender = asyncio.create_task(anext(subscription))
    await asyncio.sleep(0)
    await subscription.aclose()
    await subscription.aclose()  # idempotent
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(ender, 1)
    assert detached == [subscription]
