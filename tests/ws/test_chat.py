"""The chat namespace: global and private messages, history, switch, clearing."""

from __future__ import annotations

import uuid

from tests.ws.live import Api, Peer, guest_peer, host_and_guest


async def say(peer: Peer, content: str, **extra: str) -> None:
    await peer.send(
        "chat",
        action="send_message",
        scope=extra.pop("scope", "global"),
        content=content,
        **extra,
    )


async def test_global_messages_reach_everyone_and_stay_in_history(api: Api) -> None:
    room, owner, host, guest = await host_and_guest(api)

    await say(guest, "hello")
    await say(host, "welcome")

    sent = await guest.expect("chat", "message_sent")
    uuid.UUID(sent["id"])
    assert sent == {
        "message": "message_sent",
        "id": sent["id"],
        "source": guest.id,
        "content": "hello",
        "scope": "global",
    }
    assert await host.expect("chat", "message_sent") == sent
    assert (await host.expect("chat", "message_sent"))["content"] == "welcome"
    assert (await guest.expect("chat", "message_sent"))["content"] == "welcome"

    late = await guest_peer(api, owner, room)
    history = (await late.join("Late"))["chat"]["room_history"]
    assert [(m["content"], m["source"], m["scope"]) for m in history] == [
        ("welcome", host.id, "global"),
        ("hello", guest.id, "global"),
    ]
    assert history[1]["id"] == sent["id"]
    assert str(history[0]["timestamp"]).endswith("Z")


async def test_empty_messages_are_dropped_and_long_ones_cut(api: Api) -> None:
    _, _, host, guest = await host_and_guest(api)

    await say(guest, "")
    await say(guest, "ä" * 3000)

    sent = await host.expect("chat", "message_sent")
    assert sent["content"] == "ä" * 2048  # 4096 bytes, cut on a character boundary


async def test_private_messages_reach_only_the_pair(api: Api) -> None:
    room, owner, host, guest = await host_and_guest(api)
    code = await api.invite(owner, room)
    start = await api.start_guest(room, code)
    third = await api.connect(start["ticket"])
    await third.join("Third")
    await host.expect("control", "joined")
    await guest.expect("control", "joined")

    await say(third, "psst", scope="private", target=str(guest.id))

    expected = {
        "message": "message_sent",
        "source": third.id,
        "content": "psst",
        "scope": "private",
        "target": guest.id,
    }
    for peer in (guest, third):
        sent = await peer.expect("chat", "message_sent")
        assert {k: v for k, v in sent.items() if k != "id"} == expected
    await host.nothing()

    # The conversation comes back in join_success after resuming.
    await third.close()
    resumed = await api.connect(
        (await api.start_guest(room, code, resumption=start["resumption"]))["ticket"]
    )
    chat = (await resumed.join("Third"))["chat"]
    assert chat["room_history"] == []
    assert [
        (c["correspondent"], [m["content"] for m in c["history"]])
        for c in chat["private_history"]
    ] == [(guest.id, ["psst"])]


async def test_group_messages_are_dropped(api: Api) -> None:
    _, _, host, guest = await host_and_guest(api)

    await say(guest, "team", scope="group", target="staff")

    await guest.nothing()
    await host.nothing()


async def test_disabled_chat_refuses_everyone_and_needs_a_moderator(api: Api) -> None:
    _, _, host, guest = await host_and_guest(api)

    await guest.send("chat", action="disable_chat")
    assert await guest.expect("chat", "error") == {
        "message": "error",
        "error": "insufficient_permissions",
    }
    await host.send("chat", action="disable_chat")
    for peer in (host, guest):
        assert await peer.expect("chat", "chat_disabled") == {
            "message": "chat_disabled",
            "issued_by": host.id,
        }
    for peer in (host, guest):
        await say(peer, "anyone?")
        assert (await peer.expect("chat", "error"))["error"] == "chat_disabled"

    await host.send("chat", action="enable_chat")
    await guest.expect("chat", "chat_enabled")
    await say(guest, "back")
    await guest.expect("chat", "message_sent")


async def test_clear_history(api: Api) -> None:
    room, owner, host, guest = await host_and_guest(api)
    await say(guest, "to be forgotten")
    await guest.expect("chat", "message_sent")
    await host.expect("chat", "message_sent")

    await guest.send("chat", action="clear_history")
    assert (await guest.expect("chat", "error"))["error"] == "insufficient_permissions"
    await host.send("chat", action="clear_history")

    for peer in (host, guest):
        assert await peer.expect("chat", "history_cleared") == {
            "message": "history_cleared",
            "issued_by": host.id,
        }
    late = await guest_peer(api, owner, room)
    assert (await late.join("Late"))["chat"]["room_history"] == []
