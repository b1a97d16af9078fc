"""The recorder service's endpoints (service role `opentalk-recorder`).

POST /v1/services/recording/start    a signaling ticket for the recorder (404 without
                                     media; 403 recording_disabled for a room that may not be)
WS   /v1/services/recording/upload   upload a recording's render (?room_id=&filename=)

Authentication, the query and the quota are checked before the websocket upgrade, so
those failures are plain HTTP error responses (401, 400, 404, 403).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, WebSocket
from starlette.requests import HTTPConnection

from parley.auth.deps import require_service_role
from parley.config import Settings
from parley.db import Database, SessionDep
from parley.errors import ErrorBody, NotFound
from parley.recording import upload
from parley.rooms import service as rooms_service
from parley.schemas import RequestBody
from parley.signaling import start
from parley.signaling.hub import SignalingHub
from parley.signaling.schemas import RoomStartResponse

router = APIRouter(prefix="/services/recording", tags=["services"])

RecorderClaims = Annotated[
    dict[str, Any], Depends(require_service_role("opentalk-recorder"))
]


class RecordingNotConfigured(NotFound):
    default_message = "Recording is not available: no media server is configured"


class RecordingStartBody(RequestBody):
    room_id: uuid.UUID


@router.post(
    "/start",
    response_model=RoomStartResponse,
    responses={
        401: {"model": ErrorBody},
        403: {
            "model": ErrorBody,
            "description": "The room may not be recorded (made with recording off,"
            " or the owner's tariff disables it), or no storage is left",
        },
        404: {"model": ErrorBody},
        422: {"model": ErrorBody},
    },
)
async def start_recording(
    body: RecordingStartBody,
    _: RecorderClaims,
    request: Request,
    session: SessionDep,
) -> RoomStartResponse:
    """Start a signaling session for the recorder: it receives every stream of the room.

    403 recording_disabled for a room made with recording off; 404 when no media
    server (Janus) is configured: there is nothing to record.
    """
    room = await rooms_service.get_room(session, body.room_id)
    if room is not None:
        rooms_service.ensure_recording_allowed(room)
    settings: Settings = request.app.state.settings
    if not settings.media_enabled:
        raise RecordingNotConfigured()
    hub: SignalingHub = request.app.state.signaling
    return await start.start_recorder(session, hub.state, room_id=body.room_id)


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
