"""Sariska scheduler endpoints (bearer token: OIDC, or a JWT from generate-token).

GET    /api/v1/scheduler/reservation              the caller's current and upcoming reservations
POST   /api/v1/scheduler/reservation              reserve a room for a window (409 on overlap)
GET    /api/v1/scheduler/reservation/{id}         one reservation
DELETE /api/v1/scheduler/reservation/{id}         delete it; answers the deleted reservation
GET    /api/v1/scheduler/reservation/room/{name}  the room's current, else next, reservation
GET    /api/v1/scheduler/conference               the caller's running conferences
GET    /api/v1/scheduler/conference/{id}          one running conference
GET    /api/v1/scheduler/conference/room/{name}   the room's running conference
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response, status

from parley.auth.deps import CurrentPrincipal, CurrentUser
from parley.db import SessionDep
from parley.errors import ErrorBody
from parley.pagination import PageDep, set_page_links
from parley.reservations import service
from parley.reservations.schemas import ReservationCreate, ReservationRead

router = APIRouter(prefix="/api/v1/scheduler", tags=["scheduler"])

ReservationId = Annotated[int, Path(ge=1, le=2**63 - 1, description="Reservation id")]
RoomName = Annotated[str, Path(max_length=512, description="Room name, any case")]

_ERRORS: dict[int | str, dict[str, object]] = {
    400: {"model": ErrorBody},
    401: {"model": ErrorBody},
    404: {"model": ErrorBody},
}


def _now() -> datetime:
    return datetime.now(UTC)


@router.get("/reservation", response_model=list[ReservationRead])
async def get_reservations(
    user: CurrentUser,
    request: Request,
    response: Response,
    page: PageDep,
    session: SessionDep,
) -> list[ReservationRead]:
    """List the caller's reservations that are not over yet, earliest first."""
    rows, total = await service.list_reservations(session, user, now=_now(), page=page)
    set_page_links(request, response, page, total)
    return [ReservationRead.of(row) for row in rows]


@router.post(
    "/reservation",
    response_model=ReservationRead,
    status_code=status.HTTP_201_CREATED,
    responses={
        **_ERRORS,
        403: {"model": ErrorBody},
        409: {"model": ErrorBody, "description": "Overlap; `conflict_id` names it"},
        422: {"model": ErrorBody},
    },
)
async def post_reservation(
    principal: CurrentPrincipal, body: ReservationCreate, session: SessionDep
) -> ReservationRead:
    """Reserve a room for a window; windows of one room never overlap."""
    reservation = await service.create_reservation(
        session, creator_id=principal.user_id, data=body, now=_now()
    )
    return ReservationRead.of(reservation)


@router.get(
    "/reservation/room/{name}", response_model=ReservationRead, responses=_ERRORS
)
async def get_room_reservation(
    user: CurrentUser, name: RoomName, session: SessionDep
) -> ReservationRead:
    """Get the caller's current reservation of a room, else its next one."""
    return ReservationRead.of(
        await service.reservation_for_room(session, name, user, now=_now())
    )


@router.get(
    "/reservation/{reservation_id}", response_model=ReservationRead, responses=_ERRORS
)
async def get_reservation(
    user: CurrentUser, reservation_id: ReservationId, session: SessionDep
) -> ReservationRead:
    """Get a reservation by id."""
    return ReservationRead.of(
        await service.get_reservation_or_raise(session, reservation_id, user)
    )


@router.delete(
    "/reservation/{reservation_id}", response_model=ReservationRead, responses=_ERRORS
)
async def delete_reservation(
    user: CurrentUser, reservation_id: ReservationId, session: SessionDep
) -> ReservationRead:
    """Delete a reservation; the response shows what was deleted."""
    reservation = await service.get_reservation_or_raise(session, reservation_id, user)
    shown = ReservationRead.of(reservation)
    await service.delete_reservation(session, reservation)
    return shown


@router.get("/conference", response_model=list[ReservationRead])
async def get_conferences(
    user: CurrentUser,
    request: Request,
    response: Response,
    page: PageDep,
    session: SessionDep,
) -> list[ReservationRead]:
    """List the caller's running conferences (reservations whose window contains now)."""
    rows, total = await service.list_running_conferences(
        session, user, now=_now(), page=page
    )
    set_page_links(request, response, page, total)
    return [ReservationRead.of(row) for row in rows]


@router.get(
    "/conference/room/{name}", response_model=ReservationRead, responses=_ERRORS
)
async def get_room_conference(
    user: CurrentUser, name: RoomName, session: SessionDep
) -> ReservationRead:
    """Get the running conference of a room."""
    return ReservationRead.of(
        await service.running_conference_for_room(session, name, user, now=_now())
    )


@router.get(
    "/conference/{conference_id}", response_model=ReservationRead, responses=_ERRORS
)
async def get_conference(
    user: CurrentUser,
    conference_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    session: SessionDep,
) -> ReservationRead:
    """Get a running conference by id."""
    return ReservationRead.of(
        await service.get_running_conference_or_raise(
            session, conference_id, user, now=_now()
        )
    )
