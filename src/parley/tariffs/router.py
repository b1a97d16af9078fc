"""Tariff endpoints.

GET /v1/users/me/tariff          the caller's tariff
GET /v1/rooms/{room_id}/tariff   the tariff of the room's creator (room access)
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from parley.auth.deps import CurrentPrincipal
from parley.db import SessionDep
from parley.errors import ErrorBody
from parley.rooms.deps import AccessibleRoom
from parley.tariffs import service
from parley.tariffs.modules import offered_modules
from parley.tariffs.schemas import TariffRead

router = APIRouter(tags=["tariff"])


@router.get("/users/me/tariff", response_model=TariffRead)
async def get_me_tariff(
    principal: CurrentPrincipal, session: SessionDep, request: Request
) -> TariffRead:
    """Get the current user's tariff."""
    tariff = await service.tariff_for_user(session, principal.user_id)
    return service.tariff_resource(tariff, offered_modules(request.app.state.settings))


@router.get(
    "/rooms/{room_id}/tariff",
    response_model=TariffRead,
    responses={403: {"model": ErrorBody}, 404: {"model": ErrorBody}},
)
async def get_room_tariff(
    room: AccessibleRoom, session: SessionDep, request: Request
) -> TariffRead:
    """Get the tariff a room runs on: its creator's."""
    tariff = await service.tariff_for_room(session, room)
    return service.tariff_resource(tariff, offered_modules(request.app.state.settings))
