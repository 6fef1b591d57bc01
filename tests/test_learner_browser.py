"""The learner's pages in headless Chromium, launched by the sandbox LMS in its cross-site frame: the
frame grows to the content (lti.frameResize), the result guides, questions can be marked for review;
at 1280 and 360 px wide, with axe-core at 0 violations and the keyboard alone.

The sandbox LMS does not act on lti.frameResize itself, so the tests play an LMS that does (as Canvas
does): a listener added to the platform's page sets the frame's height to the one the tool asks for.
"""

from __future__ import annotations

import json
import re

import pytest
from flask import render_template

from .lti_harness import start_lms
from .test_lti_browser import (
    ADA,
    INES,
    TOOL_PAGE,
    axe_violations,
    button,
    focused,
    launch_from_home,
    link,
    tab_to,
)

pytestmark = pytest.mark.browser

# Records the lti.frameResize messages the platform page receives (object form or its JSON string);
# the sandbox LMS itself resizes the launch frame (sandbox_lms/static/sandbox.js), as Canvas does.
RESIZING_LMS = """if (location.origin === ORIGIN) {
  window.frameResizes = [];
  window.addEventListener("message", (event) => {
    let data = event.data;
    if (typeof data === "string") { try { data = JSON.parse(data); } catch (e) { return; } }
    if (!data || data.subject !== "lti.frameResize") return;
    window.frameResizes.push({height: data.height, raw: typeof event.data});
  });
}"""


@pytest.fixture
def lms(tmp_path):
    with start_lms(tmp_path) as running:
        running.add_link("diagnostic")
        running.add_link("mock-exam")
        yield running


def new_page(browser, width: int, height: int):
    """A page of its own browser context at this viewport, and the list its script errors go to."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return context, page, errors


def framed_launch(page, lms, link: str = "diagnostic"):
    """Launch as Ada in the platform's frame (the sandbox's default) and wait for the tool's page."""
    page.add_init_script(RESIZING_LMS.replace("ORIGIN", json.dumps(lms.sandbox_url)))
    page.goto(f"{lms.sandbox_url}/")
    activity = page.get_by_role("group", name=link, exact=True)
    activity.get_by_role("radio", name="in a frame on this site").check()
    activity.get_by_role("button", name=f"Launch as {ADA}").click()
    page.wait_for_url(re.compile(r"/launch/start$"))
    frame = page.frame(name="tool-frame")
    frame.wait_for_url(TOOL_PAGE)
    frame.wait_for_load_state("load")
    return frame


def frame_fits(page, frame) -> tuple[int, int]:
    """(the frame element's height, the tool document's content height), once they agree or after 3 s."""
    page.wait_for_function(
        """() => {
          const el = document.querySelector("iframe[name='tool-frame']");
          return window.frameResizes.length && parseInt(el.style.height, 10) ===
                 window.frameResizes[window.frameResizes.length - 1].height;
        }""",
        timeout=3000,
    )
    content = frame.evaluate("() => Math.ceil(document.documentElement.getBoundingClientRect().height)")
    element = page.evaluate("() => document.querySelector(\"iframe[name='tool-frame']\").clientHeight")
    return element, content


@pytest.mark.parametrize("width", [1280, 360])
def test_the_lms_frame_grows_to_the_content_and_follows_it(browser, lms, width):
    context, page, errors = new_page(browser, width, 560)
    frame = framed_launch(page, lms)

    element, content = frame_fits(page, frame)
    assert abs(element - content) <= 2, (element, content)  # borders aside, the frame is the content
    assert frame.evaluate("() => document.documentElement.scrollHeight <= window.innerHeight + 2")
    kinds = {entry["raw"] for entry in page.evaluate("() => window.frameResizes")}
    assert kinds == {"object", "string"}  # both forms, for Canvas and for the platforms reading strings

    # The content changes (the question page is another height): the frame follows.
    intro_height = content
    frame.get_by_role("button", name="Start").click()
    frame.wait_for_url(re.compile(r"/q/1$"))
    frame.wait_for_load_state("load")
    element, content = frame_fits(page, frame)
    assert content != intro_height and abs(element - content) <= 2, (intro_height, element, content)
    # And within the same page (a status line appears after a save).
    before = len(page.evaluate("() => window.frameResizes"))
    frame.evaluate(  # CSSOM, not a style attribute: the tool's CSP allows no inline styles
        "() => { const p = document.createElement('p'); p.style.height = '300px';"
        " document.querySelector('main').append(p); }"
    )
    page.wait_for_function(f"() => window.frameResizes.length > {before}", timeout=3000)
    element, grown = frame_fits(page, frame)
    assert grown >= content + 300 and abs(element - grown) <= 2
    assert errors == []
    context.close()


@pytest.mark.parametrize("width", [1280, 360])
def test_pages_are_usable_in_a_560px_frame_that_does_not_resize(browser, lms, width):
    """An LMS that ignores lti.frameResize: the page scrolls inside a 560 px frame, and each page's main
    action is reachable from the keyboard, visible when focused, and not covered by anything."""
    context, page, errors = new_page(browser, width, 560)
    launch_from_home(page, lms, ADA, "mock-exam")
    fixed = """() => [...document.querySelectorAll('body *')].filter(el =>
        ['fixed', 'sticky'].includes(getComputedStyle(el).position)).length"""

    def reachable(name: str, kind=button) -> None:
        tab_to(page.keyboard, page.main_frame, kind(name), ring=None, limit=60)
        box = page.evaluate(
            """() => { const r = document.activeElement.getBoundingClientRect();
                       const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
                       const covered = !document.activeElement.contains(hit);
                       return {top: r.top, bottom: r.bottom, covered: covered}; }"""
        )
        assert box["top"] >= 0 and box["bottom"] <= 561 and not box["covered"], (name, box)
        assert page.evaluate(fixed) == 0

    reachable("Start")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/q/1$"))
    reachable("Save and next")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/q/2$"))
    reachable("Review answers")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/review$"))
    reachable("Submit for grading")
    assert focused(page.main_frame)["text"] == "Submit for grading"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/submit$"))
    reachable("Submit anyway")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/result$"))
    reachable("Start your spaced review", kind=link)  # the result's one next step
    assert errors == []
    context.close()


@pytest.mark.parametrize("scripting", [True, False])
def test_auto_post_continue_button_only_without_javascript(browser, lms, scripting):
    """The tool's auto-post page (the deep linking return to the LMS): with JavaScript the form posts
    itself and no Continue button flashes; without it, Continue is the way on."""
    with lms.tool_app.test_request_context("/"):
        html = render_template("tool/auto_post.html", action="https://lms.example/back", fields={"JWT": "x"})
    context = browser.new_context(java_script_enabled=scripting)
    page = context.new_page()
    page.set_content(html)  # tool.js (a relative URL) does not load here: the form stays on the page
    assert page.get_by_role("button", name="Continue").count() == (0 if scripting else 1)
    context.close()


# --- mark for review, the result, the settings: 1280 and 360 px, axe, the keyboard ---------------------


def axe_clean(target) -> list:
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]]) for v in axe_violations(target)]


@pytest.mark.parametrize("width", [1280, 360])
def test_mark_for_review_result_and_settings_by_keyboard_with_axe(browser, lms, width):
    context, page, errors = new_page(browser, width, 800)
    found: dict[str, list] = {}
    widths: dict[str, int] = {}

    def check(name: str) -> None:
        found[name] = axe_clean(page)
        widths[name] = page.evaluate("() => document.documentElement.scrollWidth")

    launch_from_home(page, lms, ADA, "mock-exam")
    page.get_by_role("button", name="Start").click()
    page.wait_for_url(re.compile(r"/q/1$"))
    page.wait_for_load_state("load")
    frame = page.main_frame

    # The flag, with JavaScript: a toggle button, pressed in place (no page load), announced.
    flag = page.get_by_role("button", name="Mark for review")
    assert flag.get_attribute("aria-pressed") == "false"
    tab_to(page.keyboard, frame, button("Mark for review"))
    url = page.url
    page.keyboard.press("Enter")
    page.get_by_text("Marked for review.").wait_for()
    assert page.url == url and flag.get_attribute("aria-pressed") == "true"
    assert lms.attempts()[-1].flagged == [lms.attempts()[-1].delivered[0]["item_id"]]
    check("question, flagged")
    page.keyboard.press("Space")  # and off again, still from the keyboard
    page.get_by_text("No longer marked for review.").wait_for()
    assert flag.get_attribute("aria-pressed") == "false" and lms.attempts()[-1].flagged == []
    page.keyboard.press("Enter")
    page.get_by_text("Marked for review.").wait_for()

    page.get_by_role("button", name="Review answers").click()
    page.wait_for_url(re.compile(r"/review$"))
    assert page.locator("ol.answer-review > li").first.inner_text().endswith("Marked for review")
    check("answer review")
    page.get_by_role("button", name="Submit for grading").click()
    page.wait_for_url(re.compile(r"/submit$"))
    check("confirm")
    page.get_by_role("button", name="Submit anyway").click()
    page.wait_for_url(re.compile(r"/result$"))
    assert page.get_by_text(re.compile(r"^Time taken: \d+ min \d+ s")).is_visible()
    assert page.get_by_role("link", name="Start your spaced review").is_visible()
    check("result")
    # A folded (secure) or open activity of the gap guide opens and closes from the keyboard.
    summary = page.locator("ol.gap-guide details > summary").last
    summary.focus()
    opened = summary.evaluate("el => el.parentElement.open")
    page.keyboard.press("Enter")
    assert summary.evaluate("el => el.parentElement.open") is (not opened)

    # The instructor's settings page, reached from the instructor view, used with the keyboard.
    launch_from_home(page, lms, INES, "mock-exam")
    page.get_by_role("link", name="Extra time and explanations").click()
    page.wait_for_url(re.compile(r"/settings/$"))
    check("settings")
    minutes = page.get_by_label("Extra minutes")
    minutes.focus()
    minutes.fill("15")
    tab_to(page.keyboard, frame, button(f"Save extra time for {ADA}"))
    page.keyboard.press("Enter")
    page.get_by_text("Saved.").wait_for()
    assert page.get_by_label("Extra minutes").input_value() == "15"
    page.get_by_role("radio", name="From a date").check()
    page.get_by_label("Show them from (date and time, UTC)").fill("2030-01-01T09:00")
    page.get_by_role("button", name="Save explanations setting").click()
    page.get_by_text("Saved.").wait_for()
    assert page.get_by_label("Show them from (date and time, UTC)").input_value() == "2030-01-01T09:00"
    assert page.get_by_role("radio", name="From a date").is_checked()
    check("settings, saved")

    assert {name: v for name, v in found.items() if v} == {}, "axe-core: WCAG 2.1 AA violations"
    assert set(widths.values()) == {width}, f"horizontal scroll: {widths}"
    assert errors == []
    context.close()
