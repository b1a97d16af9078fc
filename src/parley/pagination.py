"""Page-based pagination (`page`, `per_page`) with RFC 8288 Link headers (notes 5.1)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Query, Request, Response
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")


@dataclass(frozen=True)
class PageParams:
    page: int
    per_page: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


async def page_params(
    page: Annotated[
        int,
        Query(ge=1, le=1_000_000, description="Page number of the results to fetch."),
    ] = 1,
    per_page: Annotated[
        int, Query(ge=1, le=100, description="Results per page (max 100)")
    ] = 30,
) -> PageParams:
    return PageParams(page=page, per_page=per_page)


PageDep = Annotated[PageParams, Depends(page_params)]


def set_page_links(
    request: Request, response: Response, params: PageParams, total: int
) -> None:
    """Link: first/prev when past page 1, next/last when more pages follow."""
    last_page = max(1, math.ceil(total / params.per_page))
    links = []

    def link(page: int, rel: str) -> str:
        url = request.url.include_query_params(page=page, per_page=params.per_page)
        return f'<{url}>; rel="{rel}"'

    if params.page > 1:
        links += [link(1, "first"), link(min(params.page - 1, last_page), "prev")]
    if params.page < last_page:
        links += [link(params.page + 1, "next"), link(last_page, "last")]
    if links:
        response.headers["Link"] = ", ".join(links)


async def fetch_page(
    session: AsyncSession, statement: Select[T], params: PageParams
) -> tuple[list[T], int]:
    """One page of an ORM select (which must be ordered) and the unpaged row count."""
    return await fetch_slice(
        session, statement, offset=params.offset, limit=params.per_page
    )


async def fetch_slice(
    session: AsyncSession, statement: Select[T], *, offset: int, limit: int
) -> tuple[list[T], int]:
    """Rows [offset, offset + limit) of an ordered ORM select and the total count.

    For APIs paged by offset and limit rather than by page number.
    """
    count = select(func.count()).select_from(statement.order_by(None).subquery())
    total = await session.scalar(count) or 0
    rows = await session.scalars(statement.offset(offset).limit(limit))
    return list(rows.all()), total
