"""The recorder service's endpoints (service role `opentalk-recorder`).

POST /v1/services/recording/start    start recording a room (no recorder queue: 404;
                                     403 recording_disabled for a room that may not be)
WS   /v1/services/recording/upload   upload a recording's render (?room_id=&filename=)

Authentication, the query and the quota are checked before the websocket upgrade, so
those failures are plain HTTP error responses (401, 400, 404, 403).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, WebSocket, status
from starlette.requests import HTTPConnection

from parley.auth.deps import require_service_role
from parley.db import Database, SessionDep
from parley.errors import ErrorBody, NotFound
from parley.recording import upload
from parley.rooms import service as rooms_service
from parley.schemas import RequestBody

router = APIRouter(prefix="/services/recording", tags=["services"])

RecorderClaims = Annotated[
    dict[str, Any], Depends(require_service_role("opentalk-recorder"))
]


class RecordingNotConfigured(NotFound):
    default_message = "Recording is not available: no recording service is configured"


class RecordingStartBody(RequestBody):
    room_id: uuid.UUID


@router.post(
    "/start",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={
        401: {"model": ErrorBody},
        403: {"model": ErrorBody},
        404: {"model": ErrorBody},
        422: {"model": ErrorBody},
    },
)
async def start_recording(
    body: RecordingStartBody, _: RecorderClaims, session: SessionDep
) -> None:
    """Ask the recorder to record a room. Parley has no recorder queue: 404 (but
    403 recording_disabled for a room made with recording off)."""
    room = await rooms_service.get_room(session, body.room_id)
    if room is not None:
        rooms_service.ensure_recording_allowed(room)
    raise RecordingNotConfigured()


async def upload_target(
    connection: HTTPConnection, _: RecorderClaims
) -> upload.UploadTarget:
    room_id, filename = upload.upload_query(connection)
    database: Database = connection.app.state.database
    return await upload.prepare_upload(database, room_id, filename)


@router.websocket("/upload")
async def upload_websocket(
    websocket: WebSocket,
    target: Annotated[upload.UploadTarget, Depends(upload_target)],
) -> None:
    """Receive a recording's render as websocket frames and store it as an asset."""
    await upload.receive_upload(websocket, target, websocket.app.state.database)
