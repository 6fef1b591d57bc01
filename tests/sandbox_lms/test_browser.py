"""The sandbox LMS: in Chromium: the Dynamic Registration popup, adding an activity, a launch in the frame.

Split from tests/test_sandbox_platform.py; the tests and assertions are unchanged.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from .support import BrowserTool, serve_in_thread


@pytest.mark.browser
def test_in_chromium_register_add_an_activity_and_launch_in_the_frame(
    live: tuple[Flask, str], page: Any
) -> None:
    from playwright.sync_api import expect

    _, url = live
    browser_tool = BrowserTool()
    server, browser_tool.url = serve_in_thread(browser_tool)
    try:
        page.goto(url)
        page.get_by_label("Tool registration URL").fill(f"{browser_tool.url}/register")
        with page.expect_popup():
            page.get_by_role("button", name="Register the tool").click()
        expect(page.get_by_role("heading", name="Browser tool")).to_be_visible()  # the home page reloaded
        page.get_by_text("Add an activity by hand").click()
        page.get_by_label("Title").fill("Practice quiz")
        page.get_by_label("Maximum points").fill("10")
        page.get_by_role("button", name="Add the activity").click()
        page.get_by_role("button", name="Launch as Ada Learner").click()
        frame = page.frame_locator("iframe[name=tool-frame]")
        expect(frame.get_by_role("heading")).to_have_text("Launched as Ada Learner in iframe")
        assert page.errors == []
    finally:
        server.shutdown()
