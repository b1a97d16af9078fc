"""A Redis restart under a running instance: the next join just works."""

from __future__ import annotations

from tests.oidc_issuer import TestIssuer
from tests.redis_process import RedisProcess
from tests.ws.conftest import StartServer
from tests.ws.live import Api


async def test_the_next_join_after_a_redis_restart_works(
    start_server: StartServer, oidc_issuer: TestIssuer, own_redis: RedisProcess
) -> None:
    server = await start_server(redis_url=own_redis.url)
    api = Api(server, oidc_issuer)
    owner = api.user()
    room = await api.room(owner)
    before = await api.joined_user(owner, room, "Before")
    await before.close()

    own_redis.restart()

    after = await api.joined_user(owner, room, "After")
    await after.send("echo", still="here")
    assert (await after.receive())["payload"] == {"still": "here"}
    await after.close()
    await api.aclose()
