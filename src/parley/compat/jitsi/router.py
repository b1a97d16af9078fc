"""Jitsi's reservation and dial-in protocols, served under PARLEY_JITSI_PREFIX (/jitsi).

POST   {prefix}/conference              Prosody: may this room start? (form-encoded)
GET    {prefix}/conference/{id}         Prosody: the conference after a 409
DELETE {prefix}/conference/{id}         Prosody: the room is gone (idempotent)
GET    {prefix}/conferenceMapper        jitsi-meet / Jigasi: conference JID <-> numeric id
GET    {prefix}/phoneNumberList         jitsi-meet: the dial-in numbers

The /conference routes need the secret PARLEY_JITSI_AUTH_TOKEN in the header
PARLEY_JITSI_AUTH_HEADER (Prosody's `reservations_api_headers`), as `Bearer <token>`
or bare. The dial-in routes are public, as jitsi-meet calls them from the browser;
failed id lookups count against the dial-in brute-force limit (429 + Retry-After).
"""

from __future__ import annotations

import hmac
import json
from datetime import timedelta
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status

from parley.compat.jitsi import mapper
from parley.compat.jitsi.schemas import (
    ConferenceMapping,
    ConflictBody,
    JitsiConference,
    JitsiMessage,
    LegacyPhoneNumbers,
    PhoneNumber,
)
from parley.config import Settings
from parley.db import SessionDep
from parley.errors import BadRequest, Unauthorized
from parley.ratelimit import (
    DialInLimitsDep,
    FailureLimiterDep,
    client_address,
    dial_in_source_key,
    ensure_allowed,
)
from parley.reservations import conferences
from parley.reservations.timing import parse_utc_timestamp

MAX_FORM_BYTES = 8192
MAX_IDENTITY_LENGTH = 255  # reservations.mail_owner and conference_opened_by
MAPPING_MISSING = "No conference mapping was found"


class ProsodyUnauthorized(Unauthorized):
    default_message = "The reservation API credentials are missing or wrong"
    login_failure = "service_token"


class InvalidConferenceRequest(BadRequest):
    code = "invalid_conference_request"
    default_message = "The conference request is malformed"


async def require_prosody(request: Request) -> None:
    """Admit only callers presenting PARLEY_JITSI_AUTH_TOKEN in the configured header."""
    settings: Settings = request.app.state.settings
    if settings.jitsi_auth_token is None:
        raise ProsodyUnauthorized(
            "The Jitsi reservation API is off: PARLEY_JITSI_AUTH_TOKEN is not set"
        )
    presented = request.headers.get(settings.jitsi_auth_header, "").strip()
    scheme, _, rest = presented.partition(" ")
    if scheme.lower() == "bearer":
        presented = rest.strip()
    expected = settings.jitsi_auth_token.get_secret_value()
    if not hmac.compare_digest(presented.encode(), expected.encode()):
        raise ProsodyUnauthorized()


ConferenceId = Annotated[int, Path(ge=1, le=2**63 - 1)]
_PROSODY_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": JitsiMessage},
    401: {"model": JitsiMessage},
}
_FORM_SCHEMA = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "description": "Room name (JID node)"},
        "start_time": {"type": "string", "example": "2048-04-20T17:55:12.000Z"},
        "mail_owner": {"type": "string", "description": "The creator's identity"},
    },
}


async def _form_fields(request: Request) -> dict[str, str]:
    raw = await request.body()
    if len(raw) > MAX_FORM_BYTES:
        raise InvalidConferenceRequest("The request body is too large")
    try:
        text = raw.decode()
    except UnicodeDecodeError:
        raise InvalidConferenceRequest("The request body is not UTF-8") from None
    content_type = request.headers.get("content-type", "").split(";")[0].strip()
    if content_type.lower() == "application/json":
        try:
            data = json.loads(text or "{}")
        except ValueError:
            raise InvalidConferenceRequest("The request body is not JSON") from None
        if not isinstance(data, dict):
            raise InvalidConferenceRequest("The request body must be an object")
        return {str(k): v for k, v in data.items() if isinstance(v, str)}
    # Prosody and Jicofo send application/x-www-form-urlencoded.
    return {k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()}


def jitsi_router(prefix: str) -> APIRouter:
    """The Jitsi surface at the configured prefix."""
    router = APIRouter(prefix=prefix, tags=["jitsi"])
    prosody = [Depends(require_prosody)]

    @router.post(
        "/conference",
        dependencies=prosody,
        response_model=JitsiConference,
        response_model_exclude_none=True,
        responses={
            201: {"model": JitsiConference, "description": "Ad hoc allocation"},
            403: {"model": JitsiMessage},
            409: {"model": ConflictBody},
            **_PROSODY_ERRORS,
        },
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/x-www-form-urlencoded": {"schema": _FORM_SCHEMA}
                },
            }
        },
    )
    async def post_conference(
        request: Request, response: Response, session: SessionDep
    ) -> JitsiConference:
        """Allocate a conference: a started reservation (200) or ad hoc (201)."""
        fields = await _form_fields(request)
        name = fields.get("name", "")
        if not name.strip():
            raise InvalidConferenceRequest("name is required")
        if fields.get("start_time"):
            parse_utc_timestamp(fields["start_time"])  # Jitsi's clock; ours decides
        mail_owner = fields.get("mail_owner", "")
        if len(mail_owner.strip()) > MAX_IDENTITY_LENGTH:
            raise InvalidConferenceRequest(
                f"mail_owner is longer than {MAX_IDENTITY_LENGTH} characters"
            )
        settings: Settings = request.app.state.settings
        allocation = await conferences.allocate_conference(
            session,
            name=name,
            mail_owner=mail_owner,
            adhoc_duration=timedelta(seconds=settings.jitsi_adhoc_duration_seconds),
            opener_rule=settings.jitsi_opener,
        )
        if allocation.created:
            response.status_code = status.HTTP_201_CREATED
        return JitsiConference.of(allocation.conference, name=name)

    @router.get(
        "/conference/{conference_id}",
        dependencies=prosody,
        response_model=JitsiConference,
        response_model_exclude_none=True,
        responses={404: {"model": JitsiMessage}, **_PROSODY_ERRORS},
    )
    async def get_conference(
        conference_id: ConferenceId, session: SessionDep
    ) -> JitsiConference:
        """Read a conference, e.g. the `conflict_id` of a 409."""
        return JitsiConference.of(
            await conferences.get_conference_or_raise(session, conference_id)
        )

    @router.delete(
        "/conference/{conference_id}",
        dependencies=prosody,
        status_code=status.HTTP_204_NO_CONTENT,
        responses={404: {"model": JitsiMessage}, **_PROSODY_ERRORS},
    )
    async def delete_conference(
        conference_id: ConferenceId, session: SessionDep
    ) -> None:
        """End a conference; repeating it, or sending it late, changes nothing more."""
        await conferences.end_conference(session, conference_id)

    @router.get(
        "/conferenceMapper",
        response_model=ConferenceMapping,
        response_model_exclude_none=True,
        responses={400: {"model": JitsiMessage}, 429: {"model": JitsiMessage}},
        openapi_extra={"security": []},
    )
    async def conference_mapper(
        request: Request,
        session: SessionDep,
        limiter: FailureLimiterDep,
        limits: DialInLimitsDep,
        conference: Annotated[str | None, Query(max_length=512)] = None,
        mapping_id: Annotated[str | None, Query(alias="id", max_length=32)] = None,
    ) -> ConferenceMapping:
        """Map a conference JID to its numeric dial-in id (created on demand), or back."""
        sip_domain = request.app.state.settings.jitsi_sip_domain
        if conference:
            mapping = await mapper.mapping_for_conference(session, conference)
            # A GET that creates: commit explicitly (GETs use autocommit sessions).
            await session.commit()
            return ConferenceMapping.found(mapping, sip_domain)
        if not mapping_id:
            raise BadRequest("conference or id is required")
        key = dial_in_source_key(client_address(request))
        await ensure_allowed(limiter, {key: limits.max_failures_per_source})
        digits = mapping_id.strip()
        if not (digits.isascii() and digits.isdigit()):
            raise BadRequest("id must be digits")
        found = await mapper.mapping_for_id(session, int(digits))
        if found is None:
            await limiter.record_failure(key, limits.window_seconds)
            return ConferenceMapping(
                message=MAPPING_MISSING, id=int(digits), conference=False
            )
        return ConferenceMapping.found(found, sip_domain)

    @router.get(
        "/phoneNumberList",
        response_model=list[PhoneNumber] | LegacyPhoneNumbers,
        openapi_extra={"security": []},
    )
    async def phone_number_list(
        request: Request,
        number_format: Annotated[
            Literal["array", "legacy"],
            Query(
                alias="format",
                description="array (current) or legacy ({numbers, numbersEnabled})",
            ),
        ] = "array",
    ) -> list[PhoneNumber] | LegacyPhoneNumbers:
        """The configured dial-in numbers, in the current or the older form."""
        settings: Settings = request.app.state.settings
        numbers = [
            PhoneNumber.model_validate(number.model_dump())
            for number in settings.jitsi_dial_in_numbers
        ]
        if number_format == "array":
            return numbers
        grouped: dict[str, list[str]] = {}
        for number in numbers:
            grouped.setdefault(number.countryCode, []).append(number.formattedNumber)
        return LegacyPhoneNumbers(
            message="Phone numbers available." if numbers else "No phone numbers.",
            numbers=grouped,
            numbersEnabled=bool(numbers),
        )

    return router
