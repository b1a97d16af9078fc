"""The public booking page: server-rendered HTML, plus the script and style it loads.

GET /book/assets/{name}                 booking.js or booking.css
GET /book/{client_id}/{profile_name}    the page (public, rate-limited)

The page carries no data of its own beyond the profile's title; its script
asks the availability endpoint for slots and posts the booking to the API.
"""

from __future__ import annotations

import html
import uuid
from importlib import resources
from string import Template
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path
from fastapi.responses import HTMLResponse, Response

from parley.booking.errors import BookingProfileNotFound
from parley.booking.ratelimit import PublicRateLimit
from parley.booking.scheduling import PublicProfile, find_public_profile
from parley.booking.template import render_template
from parley.db import SessionDep

router = APIRouter(prefix="/book", tags=["booking"], include_in_schema=False)

_STATIC = resources.files("parley.booking") / "static"
_PAGE = Template((_STATIC / "page.html").read_text(encoding="utf-8"))
_ASSETS = {
    "booking.js": ("text/javascript; charset=utf-8", "booking.js"),
    "booking.css": ("text/css; charset=utf-8", "booking.css"),
}
_ASSET_BODIES = {
    name: (media_type, (_STATIC / file).read_bytes())
    for name, (media_type, file) in _ASSETS.items()
}
# Scripts and styles only from this origin, no inline code, API calls only here.
_PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; "
        "connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
_NOT_FOUND_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Booking page not found</title></head>
<body><main><h1>This booking page does not exist</h1>
<p>Please check the link you were given.</p></main></body></html>
"""


@router.get("/assets/{name}")
async def booking_asset(name: str) -> Response:
    """The booking page's script or style sheet."""
    if name not in _ASSET_BODIES:
        return Response(status_code=404)
    media_type, body = _ASSET_BODIES[name]
    return Response(
        body,
        media_type=media_type,
        headers={
            "Cache-Control": "public, max-age=300",
            "X-Content-Type-Options": "nosniff",
        },
    )


def render_page(public: PublicProfile, *, client_id: uuid.UUID) -> str:
    """The page's HTML; every profile value is escaped."""
    profile = public.profile
    title = profile.subject or profile.name
    location = f"<li>{html.escape(profile.location)}</li>" if profile.location else ""
    availability_url = f"/v1/book/{client_id}/{quote(profile.name, safe='')}/meeting"
    return _PAGE.substitute(
        # "Call with {{name}}" reads "Call with you" to the person booking.
        title=html.escape(
            render_template(title, {"name": "you"}).strip() or profile.name
        ),
        owner=html.escape(public.owner_name),
        duration=profile.duration_minutes,
        location=location,
        availability_url=html.escape(availability_url),
        assets="/book/assets",
    )


@router.get("/{client_id}/{profile_name}", response_class=HTMLResponse)
async def booking_page(
    _: PublicRateLimit,
    client_id: Annotated[str, Path(max_length=64)],
    profile_name: Annotated[str, Path(max_length=64)],
    session: SessionDep,
) -> HTMLResponse:
    """The public page where anyone can book a meeting of this profile."""
    try:
        owner_id = uuid.UUID(client_id)
        public = await find_public_profile(session, owner_id, profile_name)
    except (ValueError, BookingProfileNotFound):
        return HTMLResponse(_NOT_FOUND_PAGE, status_code=404, headers=_PAGE_HEADERS)
    return HTMLResponse(render_page(public, client_id=owner_id), headers=_PAGE_HEADERS)
