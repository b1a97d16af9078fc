"""SIP config endpoints.

GET    /v1/rooms/{room_id}/sip    the room's call-in credentials (owner or invitee)
PUT    /v1/rooms/{room_id}/sip    create (201) or change (200) them (owner)
DELETE /v1/rooms/{room_id}/sip    remove them; call-in stops working (owner)

All three need call-in in the room owner's tariff (403 feature_disabled_by_tariff).
"""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from parley.db import SessionDep
from parley.errors import ErrorBody, ValidationFailed
from parley.rooms.deps import AccessibleRoom, OwnedRoom
from parley.sip import service
from parley.sip.models import SipConfig
from parley.sip.schemas import PutSipConfig, SipConfigRead

router = APIRouter(prefix="/rooms/{room_id}/sip", tags=["sip"])

_ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorBody},
    403: {"model": ErrorBody},
    404: {"model": ErrorBody},
}


@router.get("", response_model=SipConfigRead, responses=_ERRORS)
async def get_sip(room: AccessibleRoom, session: SessionDep) -> SipConfig:
    """Get the room's SIP config; 404 when it has none."""
    await service.require_call_in(session, room)
    return await service.get_sip_config_or_raise(session, room)


@router.put(
    "",
    response_model=SipConfigRead,
    responses={
        201: {"model": SipConfigRead, "description": "A new SIP config was created"},
        422: {"model": ErrorBody},
        **_ERRORS,
    },
)
async def put_sip(
    body: PutSipConfig, room: OwnedRoom, session: SessionDep, response: Response
) -> SipConfig:
    """Create the room's SIP config (201) or change the existing one (200)."""
    if body.password is None and body.lobby is None:
        raise ValidationFailed.missing_values()
    await service.require_call_in(session, room)
    config, created = await service.put_sip_config(
        session, room, password=body.password, lobby=body.lobby
    )
    if created:
        response.status_code = status.HTTP_201_CREATED
    return config


@router.delete("", status_code=status.HTTP_204_NO_CONTENT, responses=_ERRORS)
async def delete_sip(room: OwnedRoom, session: SessionDep) -> None:
    """Delete the room's SIP config; phone participants can no longer call in."""
    await service.require_call_in(session, room)
    await service.delete_sip_config(session, room)
