"""Shared helpers of the EasyCalendar and Videsk API tests: keys of a kind, doc bodies."""

from __future__ import annotations

import base64
import uuid

import httpx

from parley.apikeys import service as apikeys_service
from parley.db import Database
from parley.users import service as users_service
from tests.api.reservations.helpers import user_id

API = "/api/v1"
# curl --data labels its body so; EasyCalendar's bodies are JSON all the same.
FORM = "application/x-www-form-urlencoded"


async def make_key(
    database: Database, owner_id: uuid.UUID, kind: str
) -> tuple[str, str]:
    """A committed API key of the kind: (key id, secret)."""
    async with database.sessionmaker() as session:
        owner = await users_service.get_user_or_raise(session, owner_id)
        key, secret = await apikeys_service.create_api_key(
            session, owner=owner, name=f"{kind} test", kind=kind
        )
        await session.commit()
    return str(key.id), secret


async def easycalendar_headers(
    client: httpx.AsyncClient, database: Database, user: dict[str, str]
) -> dict[str, str]:
    """`Authorization: {api_key}:{api_secret}` of a new key of the user, as the document."""
    key_id, secret = await make_key(
        database, await user_id(client, user), "easycalendar"
    )
    return {"Accept": "application/json", "Authorization": f"{key_id}:{secret}"}


def basic(credentials: str) -> str:
    return "Basic " + base64.b64encode(credentials.encode()).decode()


# The document's sample bodies, character for character (two of them are not
# quite JSON: the "Sample Object" lacks its last brace, the update a comma).
SAMPLE_OBJECT = """{

"firstname":"James",
"lastname":"harden",
"email":"james.harden@gmail.com",
"title":"Meeting with James and Lakshya",
"starttime":"2020-11-18T09:15:00Z",
"endtime":"2020-11-18T10:16:10Z",
"attendees":
{
"0":"lakshya@easycalendar.com",
"1":"kartikay@hotmail.com",
"3":"arunav@gmail.com"
},
"description":"Discuss invoice status of customers",
"google_calendar_log":true,
"google_calendar":
{
"name":"help@easycalendar.com"
}"""

CREATE_SAMPLE = """{
"firstname":"James",
"lastname":"harden",
"email":"james.harden@gmail.com",
"title":"Meeting with James and Lakshya",
"starttime":"2020-11-18T09:15:00Z",
"endtime":"2020-11-18T10:16:10Z",
"attendees":
{
"0":"lakshya@easycalendar.com",
"1":"kartikay@easycalendar.com",
"2":"arunav@easycalendar.com",
"3":"testjim@hotmail.com"
},
"description":"Discuss invoice status of customers",
"google_calendar_log":true,
"google_calendar":
{
"name":"test@easycalendar.com"
}
}"""

UPDATE_SAMPLE = """{
"firstname":"Jimmy",
"lastname":"harden",
"title":"Meeting with James and Lakshya",
"starttime":"2020-11-18T09:15:00Z",
"endtime":"2020-11-18T10:16:10Z",
"attendees":{
"0":"lakshya@easycalendar.com",
"1":"kartikay@easycalendar.com",
"2":"arunav@easycalendar.com",
"3":"testjim@hotmail.com"
}
"description":"Discuss invoice status of customers"
}"""

LIST_SAMPLE = """{
"start":2469,
"limit":2,
"starttime":"2020-11-19T07:15:00Z",
"endtime":"2020-11-19T23:00:00Z"
}"""
