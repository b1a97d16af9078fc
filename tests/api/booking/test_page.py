"""The public booking page's HTML and assets (the browser test is tests/e2e)."""

from __future__ import annotations

import uuid

import httpx

from tests.api.booking.helpers import create_profile


async def test_page_renders_the_profile_escaped(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    profile = await create_profile(
        client,
        alice,
        name="demo_1",
        subject="<b>Demo</b> for {{name}} & {{company}}",
        location='Room "7" <east>',
    )
    response = await client.get(f"/book/{profile['clientId']}/demo_1")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    page = response.text
    assert "<h1>&lt;b&gt;Demo&lt;/b&gt; for you &amp;</h1>" in page
    assert "<li>Room &quot;7&quot; &lt;east&gt;</li>" in page
    assert "<li>30 minutes</li>" in page
    assert (
        f'data-availability-url="/v1/book/{profile["clientId"]}/demo_1/meeting"' in page
    )
    assert '<script src="/book/assets/booking.js" defer></script>' in page
    assert 'role="status" aria-live="polite"' in page
    assert '<label for="booker-email">E-mail</label>' in page
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in page
    assert "<script>" not in page  # no inline code: the CSP forbids it


async def test_unknown_page_is_a_404_page(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    profile = await create_profile(client, alice)
    for path in (
        f"/book/{uuid.uuid4()}/intro",
        f"/book/{profile['clientId']}/other",
        "/book/not-a-uuid/intro",
    ):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert "This booking page does not exist" in response.text


async def test_assets_are_served(client: httpx.AsyncClient) -> None:
    script = await client.get("/book/assets/booking.js")
    assert script.status_code == 200
    assert script.headers["content-type"] == "text/javascript; charset=utf-8"
    assert "availabilityUrl" in script.text
    style = await client.get("/book/assets/booking.css")
    assert style.headers["content-type"] == "text/css; charset=utf-8"
    assert (await client.get("/book/assets/secrets.txt")).status_code == 404
