"""The public booking page in headless Chromium against a real server.

A phone-sized browser in New York opens the page, sees the free times grouped by
day in its own zone, picks one with the keyboard, fills in the form, books, and
reads the confirmation; the owner then finds the meeting on their calendar.

Needs Debian's chromium (/usr/bin/chromium) and Playwright for Python (never
`playwright install`): `.ci/run` installs both. Without them the test is
skipped locally and fails under CI.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import mint_token

CHROMIUM = os.environ.get("PARLEY_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
VISITOR_ZONE = "America/New_York"


def _browser_or_skip() -> Any:
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        async_playwright = None
    missing = []
    if async_playwright is None:
        missing.append("playwright (pip)")
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        missing.append(f"chromium at {CHROMIUM} (apt-get install chromium)")
    if missing:
        message = "end-to-end browser test needs " + " and ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return async_playwright


def _profile() -> dict[str, Any]:
    every_day = (
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    )
    return {
        "name": "consult",
        "durationMinutes": 30,
        "availabilityStep": 60,
        "timeAvailableFor": "P3D",
        "minimumNoticeMinutes": 60,
        "subject": "Consultation with {{name}}",
        "description": "Topic: {{topic}}. Phone: {{phone=not given}}",
        "workHours": {
            "timezone": "Europe/Berlin",
            "daySchedules": [
                {
                    "dayOfWeek": day,
                    "workingIntervals": [{"start": "00:00", "end": "24:00"}],
                }
                for day in every_day
            ],
        },
        "startConference": True,
    }


async def _event_seen_by_owner(
    base: str, headers: dict[str, str], event_id: str
) -> dict[str, Any]:
    """The booked event as the owner's calendar lists it (GET /v1/events)."""
    async with httpx.AsyncClient(base_url=base, headers=headers) as client:
        listing = await client.get("/v1/events", params={"invitees_max": 10})
    assert listing.status_code == 200, listing.text
    for event in listing.json():
        if event["id"] == event_id:
            return dict(event)
    pytest.fail(f"event {event_id} not in GET /v1/events: {listing.text}")


async def test_book_a_meeting_in_a_browser(
    embedded_server: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    async_playwright = _browser_or_skip()
    base, env = embedded_server
    headers = {
        "Authorization": f"Bearer {mint_token(env, tmp_path, 'owner@example.com')}"
    }
    async with httpx.AsyncClient(base_url=base, headers=headers) as api:
        created = await api.post("/v1/book/profiles", json=_profile())
    assert created.status_code == 201, created.text
    page_url = created.json()["schedulerLink"]

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        try:
            context = await browser.new_context(
                viewport=PHONE, timezone_id=VISITOR_ZONE, locale="en-US", is_mobile=True
            )
            page = await context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            await page.goto(page_url)

            assert await page.locator("h1").inner_text() == "Consultation with you"
            assert await page.locator("#visitor-zone").inner_text() == VISITOR_ZONE
            first_slot = page.locator('input[name="slot"]').first
            await first_slot.wait_for(state="attached")
            days = page.locator("details.day")
            assert (
                await days.count() >= 2
            )  # three days ahead, grouped by the visitor's days
            assert await page.locator("details.day[open]").count() == 1
            # Nothing spills sideways on a phone.
            assert await page.evaluate(
                "document.documentElement.scrollWidth <= window.innerWidth"
            )

            # Booking without a time says so, in the live region.
            await page.locator("#booking-form button[type=submit]").click()
            assert "choose a time" in await page.locator("#result").inner_text()

            # Keyboard only: focus the first time, select it, fill the form, press Enter.
            await first_slot.focus()
            await page.keyboard.press("Space")
            assert await first_slot.is_checked()
            chosen_label = await page.locator(
                f'label[for="{await first_slot.get_attribute("id")}"]'
            ).inner_text()
            assert chosen_label in await page.locator("#chosen-slot").inner_text()
            await page.get_by_label("Name").fill("Erin Visitor")
            await page.get_by_label("E-mail").fill("erin@example.com")
            assert await page.get_by_label("phone (optional)").count() == 1
            await page.get_by_label("topic").fill("roadmap")
            async with page.expect_response(
                lambda response: response.request.method == "POST"
            ) as booked:
                await page.get_by_label("topic").press("Enter")
            response = await booked.value
            assert response.status == 200
            event_id = (await response.json())["eventId"]

            result = page.locator("#result")
            await result.filter(has_text="Booked!").wait_for()
            text = await result.inner_text()
            assert VISITOR_ZONE in text
            assert "erin@example.com" in text
            assert await result.get_attribute("aria-live") == "polite"
            assert await page.locator("#booking-form").is_hidden()
            assert errors == []
        finally:
            await browser.close()

    event = await _event_seen_by_owner(base, headers, event_id)
    assert event["title"] == "Consultation with Erin Visitor"
    assert event["description"].startswith("Topic: roadmap. Phone: not given")
    assert "Join the meeting: " in event["description"]
    assert "erin@example.com" in json.dumps(event["invitees"])
