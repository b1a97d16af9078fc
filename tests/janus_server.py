"""A real Janus for the media tests (and bench/media.py), from deploy/janus.

The repository's configuration is copied to a scratch folder with a free
loopback port for the websocket API and, for the tests only, Janus's admin
API on another loopback port with a random secret: the tests ask Janus itself
which sessions, handles and rooms exist. Media ports come from a random range
so parallel runs do not collide. The process dies with its parent
(``PR_SET_PDEATHSIG``) and is stopped by :meth:`JanusServer.stop`.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any, Final

from websockets.asyncio.client import connect

CONFIG_DIR: Final = Path(__file__).resolve().parents[1] / "deploy" / "janus"
ADMIN_PROTOCOL: Final = "janus-admin-protocol"
START_TIMEOUT: Final = 20.0


def janus_binary() -> str | None:
    return shutil.which("janus") or (
        "/usr/bin/janus" if Path("/usr/bin/janus").exists() else None
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:
    # Linux: SIGTERM to Janus when the test process dies, however it dies.
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class JanusServer:
    """One Janus process; :meth:`start` / :meth:`stop` / :meth:`restart`."""

    def __init__(
        self,
        workdir: Path,
        *,
        admin: bool = True,
        session_timeout: int = 60,
        rtp_ports: int = 200,
    ) -> None:
        self.workdir = workdir
        self.session_timeout = session_timeout
        self.port = free_port()
        self.admin_port = free_port() if admin else None
        self.admin_secret = secrets.token_hex(16)
        base = random.randrange(30000, 64000 - rtp_ports, 200)
        self.rtp_ports = f"{base}-{base + rtp_ports - 1}"
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = workdir / "janus.log"
        self._write_config()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def admin_url(self) -> str:
        return f"ws://127.0.0.1:{self.admin_port}"

    def _write_config(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        for source in CONFIG_DIR.glob("*.jcfg"):
            shutil.copy(source, self.workdir / source.name)
        transport = self.workdir / "janus.transport.websockets.jcfg"
        text = re.sub(r"ws_port = \d+", f"ws_port = {self.port}", transport.read_text())
        if self.admin_port is not None:
            text = text.replace(
                "admin_ws = false",
                f'admin_ws = true\n\tadmin_ws_ip = "127.0.0.1"\n'
                f"\tadmin_ws_port = {self.admin_port}",
            )
        transport.write_text(text)
        core = self.workdir / "janus.jcfg"
        text = core.read_text().replace(
            "general: {", f'general: {{\n\tadmin_secret = "{self.admin_secret}"', 1
        )
        text = re.sub(
            r"session_timeout = \d+", f"session_timeout = {self.session_timeout}", text
        )
        core.write_text(text)

    def start(self) -> JanusServer:
        binary = janus_binary()
        if binary is None:
            raise RuntimeError("janus is not installed (apt-get install janus)")
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                binary,
                "-F",
                str(self.workdir),
                "-C",
                str(self.workdir / "janus.jcfg"),
                "-r",
                self.rtp_ports,
                "-o",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        )
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while not self._accepting():
            if self.process.poll() is not None:
                raise RuntimeError(f"janus exited: see {self.log_path}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"janus did not start: see {self.log_path}")
            time.sleep(0.05)
        return self

    def _accepting(self) -> bool:
        ports = [self.port] + ([self.admin_port] if self.admin_port else [])
        for port in ports:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) != 0:
                    return False
        return True

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def restart(self) -> None:
        self.stop()
        self.start()

    def pause(self) -> None:
        """Freeze the process (it stops answering without closing anything)."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)

    # Janus's own listings (admin API)

    async def admin(self, command: str, **fields: Any) -> dict[str, Any]:
        assert self.admin_port is not None, "started without the admin API"
        async with connect(
            self.admin_url,
            subprotocols=[ADMIN_PROTOCOL],
            proxy=None,  # type: ignore[list-item]
        ) as ws:
            await ws.send(
                json.dumps(
                    {
                        "janus": command,
                        "transaction": secrets.token_hex(8),
                        "admin_secret": self.admin_secret,
                        **fields,
                    }
                )
            )
            reply: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert reply.get("janus") == "success", reply
        return reply

    async def sessions(self) -> list[int]:
        return list((await self.admin("list_sessions"))["sessions"])

    async def handles(self) -> list[int]:
        """Every handle of every session."""
        handles: list[int] = []
        for session in await self.sessions():
            reply = await self.admin("list_handles", session_id=session)
            handles.extend(reply["handles"])
        return handles

    async def rooms(self) -> list[dict[str, Any]]:
        """The VideoRoom's rooms (Parley creates one per published stream)."""
        reply = await self.admin(
            "message_plugin",
            plugin="janus.plugin.videoroom",
            request={"request": "list"},
        )
        return list(reply["response"]["list"])
