"""The recorder's upload websocket: frames in, one asset out.

Binary (and text) frames are appended to a temporary upload. When the recorder closes
the connection normally (close code 1000) the upload becomes an asset of the room
(namespace `recording`, kind `recording-render`) in one short unit of work; any other
end (a dropped connection, another close code, server shutdown) discards it. A message
over 1 MB closes the connection with 1009, an upload beyond the room owner's storage
quota with 1008 `storage_exceeded`; both discard what was received. Keep-alive pings
come from the server (`parley serve`: every 15 s, 20 s to answer).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from fastapi import WebSocket
from starlette.requests import HTTPConnection

from parley.assets import service as assets_service
from parley.assets.files import filename_problem
from parley.assets.storage import PendingUpload, get_storage
from parley.db import Database
from parley.errors import BadRequest
from parley.rooms import service as rooms_service

logger = logging.getLogger(__name__)

MAX_MESSAGE_SIZE = 1_000_000
NAMESPACE = "recording"
KIND = "recording-render"

CLOSE_NORMAL = 1000
CLOSE_POLICY_VIOLATION = 1008
CLOSE_MESSAGE_TOO_BIG = 1009
CLOSE_INTERNAL_ERROR = 1011


@dataclass(frozen=True)
class UploadTarget:
    """What an accepted upload will become: whose room, which name, how much fits."""

    room_id: uuid.UUID
    filename: str
    remaining: int | None


def upload_query(connection: HTTPConnection) -> tuple[uuid.UUID, str]:
    """`room_id` and `filename` from the query string, or 400 before the upgrade."""
    raw_room = connection.query_params.get("room_id")
    filename = connection.query_params.get("filename")
    if not raw_room:
        raise BadRequest("The query parameter room_id is required")
    try:
        room_id = uuid.UUID(raw_room)
    except ValueError:
        raise BadRequest("The query parameter room_id must be a UUID") from None
    if filename is None:
        raise BadRequest("The query parameter filename is required")
    problem = filename_problem(filename)
    if problem is not None:
        raise BadRequest(f"The query parameter filename {problem}")
    return room_id, filename


async def prepare_upload(
    database: Database, room_id: uuid.UUID, filename: str
) -> UploadTarget:
    """404 for an unknown room, 403 recording_disabled for a room that may not be
    recorded, 403 storage_exceeded when no quota is left."""
    async with database.read_sessionmaker() as session:
        room = await rooms_service.get_room_or_raise(session, room_id)
        rooms_service.ensure_recording_allowed(room)
        remaining = await assets_service.ensure_storage_left(session, room)
    return UploadTarget(room_id=room_id, filename=filename, remaining=remaining)


async def _receive(
    websocket: WebSocket, upload: PendingUpload, remaining: int | None
) -> int | None:
    """Append frames until the client leaves (its close code) or we close (None)."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return int(message.get("code") or 1005)
        data = message.get("bytes")
        if data is None:
            data = (message.get("text") or "").encode()
        if len(data) > MAX_MESSAGE_SIZE:
            await websocket.close(
                CLOSE_MESSAGE_TOO_BIG,
                f"messages are limited to {MAX_MESSAGE_SIZE} bytes",
            )
            return None
        if remaining is not None and upload.size + len(data) > remaining:
            await websocket.close(CLOSE_POLICY_VIOLATION, "storage_exceeded")
            return None
        await upload.write(data)


async def receive_upload(
    websocket: WebSocket, target: UploadTarget, database: Database
) -> None:
    """Run one upload connection to its end (see the module docstring)."""
    await websocket.accept()
    async with get_storage().begin_upload() as upload:
        try:
            code = await _receive(websocket, upload, target.remaining)
        except OSError as exc:
            logger.error("recording upload for room %s failed: %s", target.room_id, exc)
            await websocket.close(CLOSE_INTERNAL_ERROR, "upload_failed")
            return
        if code != CLOSE_NORMAL:
            logger.info(
                "recording upload for room %s discarded (%s, %d bytes received)",
                target.room_id,
                "closed by the server" if code is None else f"close code {code}",
                upload.size,
            )
            return
        await _commit(database, target, upload)


async def _commit(
    database: Database, target: UploadTarget, upload: PendingUpload
) -> None:
    try:
        async with database.sessionmaker() as session, session.begin():
            room = await rooms_service.get_room(session, target.room_id)
            if room is None:
                logger.info("room %s went away during its upload", target.room_id)
                return
            asset = await assets_service.publish_upload(
                session,
                room=room,
                upload=upload,
                filename=target.filename,
                namespace=NAMESPACE,
                kind=KIND,
            )
    except assets_service.StorageExceeded as exc:
        logger.warning(
            "recording upload for room %s discarded: %s", target.room_id, exc.message
        )
        return
    except Exception:
        # The recorder has gone already; the log is the only place to say so.
        logger.exception("could not store the recording upload for %s", target.room_id)
        return
    logger.info(
        "stored recording %s (%d bytes) for room %s", asset.id, asset.size, room.id
    )
