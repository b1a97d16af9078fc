"""User endpoints.

GET   /v1/users          all users (paged)
GET   /v1/users/me       the caller's profile
PATCH /v1/users/me       change the caller's settings
GET   /v1/users/find     search by name or e-mail
GET   /v1/users/{id}     one user's public profile
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from parley.auth.deps import CurrentPrincipal, CurrentUser
from parley.db import SessionDep
from parley.errors import ErrorBody, ValidationFailed
from parley.pagination import PageDep, set_page_links
from parley.users import service
from parley.users.models import User
from parley.users.schemas import (
    PatchUserBody,
    PrivateUserProfile,
    PublicUserProfile,
    UserFindResponseItem,
)

router = APIRouter(prefix="/users", tags=["users"])


@router.get("", response_model=list[PublicUserProfile])
async def get_users(
    request: Request,
    response: Response,
    page: PageDep,
    session: SessionDep,
    _: CurrentPrincipal,
) -> list[User]:
    """Get all users visible to the caller."""
    users, total = await service.list_users(session, page)
    set_page_links(request, response, page, total)
    return users


@router.get("/me", response_model=PrivateUserProfile)
async def get_users_me(user: CurrentUser, session: SessionDep) -> PrivateUserProfile:
    """Get the current user's profile."""
    return await service.private_profile(session, user)


@router.patch(
    "/me", response_model=PrivateUserProfile, responses={422: {"model": ErrorBody}}
)
async def patch_users_me(
    body: PatchUserBody, user: CurrentUser, session: SessionDep
) -> PrivateUserProfile:
    """Patch the current user's settings."""
    if not body.model_fields_set:
        raise ValidationFailed.missing_values()
    await service.update_user(session, user, body)
    return await service.private_profile(session, user)


@router.get(
    "/find",
    response_model=list[UserFindResponseItem],
    responses={400: {"model": ErrorBody}},
)
async def find_user(
    session: SessionDep,
    _: CurrentPrincipal,
    q: Annotated[
        str, Query(max_length=255, description="Matches name and e-mail")
    ] = "",
) -> list[UserFindResponseItem]:
    """Find users by name or e-mail, for autocomplete fields."""
    users = await service.find_users(session, q)
    return [UserFindResponseItem.model_validate(user) for user in users]


@router.get(
    "/{id}", response_model=PublicUserProfile, responses={404: {"model": ErrorBody}}
)
async def get_user(id: uuid.UUID, session: SessionDep, _: CurrentPrincipal) -> User:
    """Get a user's public profile."""
    return await service.get_user_or_raise(session, id)
