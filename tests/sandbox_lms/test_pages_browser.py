"""The sandbox LMS's own pages (home, gradebook, the launch frame page) in Chromium, on a desktop screen and
on a 360 px phone: no horizontal page scroll, a favicon that answers (no 404 in the console), times in the
viewer's locale and time zone with the stored UTC time in the tooltip, and axe-core at 0 violations.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
import requests
from flask import Flask

from sandbox_lms import claims as lti
from sandbox_lms import register_tool, session_scope
from sandbox_lms.store import add_line_item, add_resource_link, get_course

from .support import (
    ADA,
    BrowserTool,
    FakeTool,
    bearer,
    client_assertion,
    score,
    serve_in_thread,
    token_request,
)

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules/axe-core/axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
WIDTHS = (1280, 360)
GRADED_AT = datetime(2026, 1, 15, 10, 0, 0, tzinfo=UTC)
# The browser runs in India (UTC+05:30, no daylight saving) with British English: 10:00 UTC reads 15:30.
LOCALE, TIME_ZONE = "en-GB", "Asia/Kolkata"
LOCAL_TEXT, UTC_TEXT = "15 Jan 2026, 15:30:00", "15 Jan 2026, 10:00:00 UTC"
ACTIVITIES = ("Diagnostic", "Mock exam", "Knowledge check", "Spaced review")


@pytest.fixture
def graded_course(live: tuple[Flask, str]) -> Iterator[str]:
    """The live sandbox with a tool that answers launches (BrowserTool), the demo's four activities with a
    line item each, and Ada's grade on the first, posted through AGS as a tool posts one."""
    app, url = live
    tool = BrowserTool()
    server, tool.url = serve_in_thread(tool)
    fake = FakeTool(url=tool.url, key=tool.key, jwks={})  # the same key, so the same JWKS and kid
    with session_scope(app) as session:
        registered = register_tool(session, fake.metadata(client_name="Browser tool"))
        course = get_course(session)
        assert course is not None
        items = []
        for title in ACTIVITIES:  # as many columns as the demo's gradebook: wider than a phone
            link = add_resource_link(session, registered, course, title)
            items.append(
                add_line_item(session, registered, course, label=title, score_maximum=10, resource_link=link)
            )
        client_id, item_id = registered.client_id, items[0].id
    config = requests.get(f"{url}/.well-known/openid-configuration", timeout=5).json()
    tool.platform.update(config=config, client_id=client_id)
    client = app.test_client()
    token = token_request(client, client_assertion(fake, client_id, aud=f"{url}/token")).get_json()
    posted = client.post(
        f"/api/courses/course-1/lineitems/{item_id}/scores",
        json=score(ADA, 8, GRADED_AT),
        headers=bearer(token["access_token"], lti.MEDIA_SCORE),
    )
    assert posted.status_code == 204, posted.text
    try:
        yield url
    finally:
        server.shutdown()


def horizontal_overflow(page: Any) -> int:
    """How many CSS pixels the page is wider than the viewport (0 when nothing scrolls sideways)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core on the sandbox's own document (the tool's pages in the frame have their own tests)."""
    page.evaluate(AXE.read_text() + "\n;true")
    options = "{runOnly: {type: 'tag', values: tags}, iframes: false}"
    result = page.evaluate(f"tags => axe.run(document, {options})", WCAG_AA)
    assert result["passes"], "axe-core did not run its checks"
    return [{"id": v["id"], "nodes": [n["target"] for n in v["nodes"]]} for v in result["violations"]]


def check_page(page: Any, name: str, width: int) -> None:
    assert horizontal_overflow(page) <= 0, f"{name} at {width} px scrolls sideways"
    assert axe_violations(page) == [], name
    icon = page.locator("link[rel=icon]")
    assert icon.get_attribute("type") == "image/svg+xml"
    for href in (urljoin(page.url, icon.get_attribute("href")), urljoin(page.url, "/favicon.ico")):
        answer = page.request.get(href)
        assert answer.status == 200 and answer.headers["content-type"].startswith("image/svg+xml"), href
        assert "<svg" in answer.text()


@pytest.mark.browser
@pytest.mark.parametrize("width", WIDTHS)
def test_home_gradebook_and_launch_frame_fit_show_local_times_and_pass_axe(
    graded_course: str, browser: Any, width: int
) -> None:
    from playwright.sync_api import expect

    url = graded_course
    context = browser.new_context(
        viewport={"width": width, "height": 800}, locale=LOCALE, timezone_id=TIME_ZONE
    )
    page = context.new_page()
    errors: list[str] = []  # uncaught script errors, and console errors such as a 404 for the favicon
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    try:
        page.goto(f"{url}/")
        expect(page.get_by_role("heading", name="Browser tool")).to_be_visible()
        check_page(page, "home", width)

        page.get_by_role("link", name="Gradebook", exact=True).first.click()
        page.wait_for_url(f"{url}/gradebook")
        when = page.locator("td time")
        expect(when).to_have_text(LOCAL_TEXT)
        expect(when).to_have_attribute("title", UTC_TEXT)
        assert when.get_attribute("datetime") == "2026-01-15T10:00:00+00:00"
        region = page.get_by_role("region", name="Current results by learner and line item")
        expect(region).to_be_visible()
        check_page(page, "gradebook", width)

        page.goto(f"{url}/")
        page.get_by_role("group", name="Diagnostic", exact=True).get_by_role(
            "button", name="Launch as Ada Learner"
        ).click()
        frame = page.frame_locator("iframe[name=tool-frame]")
        expect(frame.get_by_role("heading")).to_have_text("Launched as Ada Learner in iframe")
        check_page(page, "launch frame page", width)
    finally:
        context.close()
    assert errors == []


def test_times_are_rendered_in_utc_for_readers_without_javascript(graded_course: str) -> None:
    html = requests.get(f"{graded_course}/gradebook", timeout=5).text
    assert f'<time datetime="2026-01-15T10:00:00+00:00">{UTC_TEXT}</time>' in html
