"""A participant that does not read its frames is closed with 1008 (policy)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from websockets.exceptions import ConnectionClosed

from tests.ws.live import Api, Peer, RawSocket

CHAT = "x" * 4000
FLOOD = 3000
"""Messages of ~4 KB: more than socket buffers, the server's write buffer and
the participant's 1,024 pending messages hold together."""


async def drain(peer: Peer, departures: dict[str, asyncio.Event]) -> None:
    """Keep reading the peer's frames (a client that keeps up), noting who left."""
    with contextlib.suppress(ConnectionClosed):
        while True:
            payload: dict[str, Any] = json.loads(await peer.connection.recv())[
                "payload"
            ]
            if payload.get("message") == "left" and payload["id"] in departures:
                departures[payload["id"]].set()


async def test_a_participant_too_slow_for_its_room_is_closed_with_1008(
    api: Api,
) -> None:
    owner = api.user("owner")
    room = await api.room(owner, waiting_room=False)
    host = await api.joined_user(owner, room, "Host")
    code = await api.invite(owner, room)
    ticket = (await api.start_guest(room, code))["ticket"]
    slow = await RawSocket.connect(api.server.port, ticket, receive_buffer=4096)
    join = {"namespace": "control", "payload": {"action": "join", "display_name": "S"}}
    await slow.send_text(json.dumps(join))
    slow_id = (await host.expect("control", "joined"))["id"]
    departures = {slow_id: asyncio.Event()}
    reading = asyncio.create_task(drain(host, departures))

    for _ in range(FLOOD):
        await host.send("chat", action="send_message", scope="global", content=CHAT)
    # Only now does the slow participant read: data, then its close frame.
    assert await asyncio.wait_for(slow.read_until_close(), 60) == 1008
    slow.close()

    # The room goes on without it: the others hear it left, and are still served.
    await asyncio.wait_for(departures[slow_id].wait(), 30)
    reading.cancel()
    await asyncio.gather(reading, return_exceptions=True)
    await host.send("echo", still="here")
    while (frame := await host.receive(within=30))["namespace"] != "echo":
        pass
    assert frame["payload"] == {"still": "here"}
