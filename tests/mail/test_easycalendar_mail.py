"""An EasyCalendar meeting mails its invitee and attendees like any event's invitees."""

from __future__ import annotations

import httpx

from parley.db import Database
from tests.api.easycalendar.helpers import API, FORM, easycalendar_headers
from tests.mail.conftest import DOMAIN, SmtpServer
from tests.mail.helpers import invitation

BODY = f"""{{
"firstname":"James",
"lastname":"harden",
"email":"james@{DOMAIN}",
"title":"Meeting with James and Lakshya",
"starttime":"2031-11-18T09:15:00Z",
"endtime":"2031-11-18T10:16:10Z",
"attendees":
{{
"0":"lakshya@{DOMAIN}",
"1":"kartikay@{DOMAIN}"
}},
"description":"Discuss invoice status of customers"
}}"""


async def test_the_invitee_and_attendees_get_an_invitation_and_a_cancel(
    http: httpx.AsyncClient,
    organizer: dict[str, str],
    live_database: Database,
    smtp_server: SmtpServer,
) -> None:
    headers = await easycalendar_headers(http, live_database, organizer)

    created = await http.post(
        f"{API}/meetings/new",
        content=BODY.encode(),
        headers={**headers, "Content-Type": FORM},
    )
    assert created.status_code == 200, created.text
    received = await smtp_server.wait_for(3)

    assert sorted(r.recipients[0] for r in received) == sorted(
        [f"james@{DOMAIN}", f"lakshya@{DOMAIN}", f"kartikay@{DOMAIN}"]
    )
    for mail in received:
        assert mail.message["Subject"] == "Invitation: Meeting with James and Lakshya"
        assert invitation(mail.message)[0] == "REQUEST"

    deleted = await http.delete(
        f"{API}/meetings/delete/{created.json()['meeting_id']}", headers=headers
    )
    assert deleted.status_code == 200, deleted.text
    cancels = (await smtp_server.wait_for(6))[3:]
    assert {invitation(mail.message)[0] for mail in cancels} == {"CANCEL"}
