"""Booking endpoints (Aurinko's Booking API shapes).

POST   /v1/book/profiles                          create a profile (owner)
GET    /v1/book/profiles                          the caller's profiles {offset, totalSize, done, records}
GET    /v1/book/profiles/{profile_id}             one profile (owner)
PATCH  /v1/book/profiles/{profile_id}             change some fields (owner)
DELETE /v1/book/profiles/{profile_id}             delete it; booked meetings stay (owner)
GET    /v1/book/{client_id}/{profile_name}/meeting  free slots (public, rate-limited)
POST   /v1/book/{client_id}/{profile_name}/meeting  book a slot (public, rate-limited)
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, status

from parley.auth.deps import CurrentPrincipal
from parley.booking import book, profiles, scheduling
from parley.booking.models import BookingProfile
from parley.booking.ratelimit import PublicRateLimit
from parley.booking.schemas import (
    AvailabilityRead,
    BookingConfirmation,
    BookMeetingBody,
    ProfileCreate,
    ProfilePage,
    ProfileRead,
    ProfileUpdate,
    availability_read,
    profile_read,
)
from parley.db import SessionDep
from parley.errors import ErrorBody

router = APIRouter(prefix="/book", tags=["booking"])

ProfileIdPath = Annotated[uuid.UUID, Path(description="The id of the booking profile")]
ClientIdPath = Annotated[
    uuid.UUID, Path(description="The owner's booking namespace: the owner's user id")
]
ProfileNamePath = Annotated[
    str, Path(max_length=64, description="The profile's name, unique per owner")
]

_ERRORS: dict[int | str, dict[str, object]] = {
    400: {"model": ErrorBody},
    404: {"model": ErrorBody},
    409: {"model": ErrorBody},
    422: {"model": ErrorBody},
}
_PUBLIC_ERRORS: dict[int | str, dict[str, object]] = {
    **_ERRORS,
    429: {"model": ErrorBody, "description": "Too many requests; see Retry-After"},
}


def _base_url(request: Request) -> str:
    base: str = request.app.state.settings.base_url
    return base


async def get_owned_profile(
    principal: CurrentPrincipal, profile_id: ProfileIdPath, session: SessionDep
) -> BookingProfile:
    # The principal comes first: 401 before 404.
    return await profiles.get_owned_profile_or_raise(
        session, profile_id, principal.user_id
    )


OwnedProfile = Annotated[BookingProfile, Depends(get_owned_profile)]


@router.post(
    "/profiles",
    response_model=ProfileRead,
    status_code=status.HTTP_201_CREATED,
    responses=_ERRORS,
)
async def post_booking_profile(
    request: Request,
    body: ProfileCreate,
    principal: CurrentPrincipal,
    session: SessionDep,
) -> ProfileRead:
    """Create a booking profile owned by the caller."""
    profile = await profiles.create_profile(
        session, owner_id=principal.user_id, data=body
    )
    return profile_read(profile, base_url=_base_url(request))


@router.get("/profiles", response_model=ProfilePage, responses=_ERRORS)
async def get_booking_profiles(
    request: Request,
    principal: CurrentPrincipal,
    session: SessionDep,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> ProfilePage:
    """List the caller's booking profiles by name."""
    records, total = await profiles.list_profiles(
        session, principal.user_id, offset=offset, limit=limit
    )
    base_url = _base_url(request)
    return ProfilePage(
        offset=offset,
        total_size=total,
        done=offset + len(records) >= total,
        records=[profile_read(profile, base_url=base_url) for profile in records],
    )


@router.get("/profiles/{profile_id}", response_model=ProfileRead, responses=_ERRORS)
async def get_booking_profile(request: Request, profile: OwnedProfile) -> ProfileRead:
    """Get one of the caller's booking profiles."""
    return profile_read(profile, base_url=_base_url(request))


@router.patch("/profiles/{profile_id}", response_model=ProfileRead, responses=_ERRORS)
async def patch_booking_profile(
    request: Request, body: ProfileUpdate, profile: OwnedProfile, session: SessionDep
) -> ProfileRead:
    """Change some fields of a booking profile; the result must be valid as a whole."""
    profile = await profiles.update_profile(session, profile, body)
    return profile_read(profile, base_url=_base_url(request))


@router.delete(
    "/profiles/{profile_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=_ERRORS,
)
async def delete_booking_profile(profile: OwnedProfile, session: SessionDep) -> None:
    """Delete a booking profile; meetings already booked stay on the calendar."""
    await profiles.delete_profile(session, profile)


@router.get(
    "/{client_id}/{profile_name}/meeting",
    response_model=AvailabilityRead,
    responses=_PUBLIC_ERRORS,
    openapi_extra={"security": []},
)
async def get_booking_availability(
    _: PublicRateLimit,
    client_id: ClientIdPath,
    profile_name: ProfileNamePath,
    session: SessionDep,
) -> AvailabilityRead:
    """Free slots of a profile (UTC) and the fields a booking must fill in."""
    public = await scheduling.find_public_profile(session, client_id, profile_name)
    slots = await scheduling.available_slots(session, public, now=datetime.now(UTC))
    return availability_read(
        public.profile, owner_name=public.owner_name, fields=public.fields, slots=slots
    )


@router.post(
    "/{client_id}/{profile_name}/meeting",
    response_model=BookingConfirmation,
    responses=_PUBLIC_ERRORS,
    openapi_extra={"security": []},
)
async def book_meeting(
    request: Request,
    _: PublicRateLimit,
    client_id: ClientIdPath,
    profile_name: ProfileNamePath,
    body: BookMeetingBody,
    session: SessionDep,
) -> BookingConfirmation:
    """Book a free slot: creates the event on the owner's calendar and invites the booker."""
    booking = await book.book_meeting(
        session,
        client_id=client_id,
        profile_name=profile_name,
        data=body,
        public_url=_base_url(request),
    )
    assert booking.event_id is not None
    return BookingConfirmation(event_id=booking.event_id, booking_id=booking.id)
