"""Every page of the tool a learner or an instructor can reach, at 1280 px and at 360 px: axe-core finds
no WCAG 2.1 AA violation and nothing scrolls sideways.

The pages are reached as people reach them (the sandbox LMS launches the tool), their addresses
collected on the way; then each is opened again at both widths. A flashcard is checked with its
answer shown too (the rating buttons), the error page is a launch nobody made.
"""

from __future__ import annotations

import re

import pytest

from courseware import load_content
from courseware.model import Pool

from .conftest import CONTENT_DIR
from .lti_harness import start_lms
from .test_lti_browser import ADA, INES, axe_violations, launch_from_home

pytestmark = pytest.mark.browser

CONTENT = load_content(CONTENT_DIR)
WIDTHS = (1280, 360)
# What sticks out past the right edge: the innermost such elements (their tag, class and start of text).
WIDEST = """width => [...document.querySelectorAll("body *")]
  .filter(el => el.getBoundingClientRect().right > width + 1 && !el.closest(".table-scroll"))
  .filter(el => ![...el.children].some(child => child.getBoundingClientRect().right > width + 1))
  .slice(0, 5).map(el => `${el.tagName.toLowerCase()}.${el.className}: ${el.textContent.trim().slice(0, 24)}`)
"""


@pytest.fixture
def lms(tmp_path):
    with start_lms(tmp_path) as running:
        running.add_link("diagnostic")
        running.add_link("spaced-review")
        yield running


def launch_review(page, lms, user: str) -> str:
    """The spaced review link, launched in the window: the learner's review home, or the instructor's
    report of the link."""
    page.goto(f"{lms.sandbox_url}/")
    activity = page.get_by_role("group", name="spaced-review", exact=True)
    activity.get_by_role("radio", name="in this window").check()
    activity.get_by_role("button", name=f"Launch as {user}").click()
    page.wait_for_url(re.compile(r"/[ri]/[^/]+/$"))
    return page.url


def learner_pages(page, lms) -> dict[str, str]:
    """Ada takes the diagnostic (intro, a question, the answer review, the result), then opens her
    spaced review (home, a flashcard, a practice question and its feedback)."""
    pages: dict[str, str] = {}
    launch_from_home(page, lms, ADA)
    pages["intro"] = page.url
    page.get_by_role("button", name="Start").click()
    page.wait_for_url(re.compile(r"/q/1$"))
    page.locator("input[name=choice]").nth(1).check()
    page.get_by_text("Answer saved.").wait_for()
    pages["question"] = page.url
    page.get_by_role("button", name="Review answers").click()
    page.wait_for_url(re.compile(r"/review$"))
    pages["answer review"] = page.url
    page.get_by_role("button", name="Submit for grading").click()
    page.wait_for_url(re.compile(r"/submit$"))
    page.get_by_role("button", name="Submit anyway").click()
    page.wait_for_url(re.compile(r"/result$"))
    pages["result"] = page.url

    home = launch_review(page, lms, ADA)
    pages["spaced home"] = home
    pages["spaced flashcard"] = home + "card/flashcards:plan-main-purpose"
    item = next(i for i in CONTENT.items if i.pool is Pool.open and i.objective == "improve")
    page.goto(f"{home}card/item:{item.id}")
    pages["spaced question"] = page.url
    page.locator("input[name=choice]").nth(item.answer_index).check()
    page.get_by_role("button", name="Check answer").click()
    page.wait_for_url(re.compile(r"/feedback\?chose=\d$"))
    pages["spaced feedback"] = page.url
    return pages


def instructor_pages(page, lms) -> dict[str, str]:
    launch_from_home(page, lms, INES)
    assert re.search(r"/i/[^/]+/$", page.url)
    pages = {"instructor report": page.url}
    page.get_by_role("link", name=re.compile("^Preview the")).click()
    page.wait_for_load_state("load")
    pages["instructor preview"] = page.url
    pages["instructor report, spaced review"] = launch_review(page, lms, INES)
    pages["config"] = f"{lms.tool_url}/lti/config"
    pages["error"] = f"{lms.tool_url}/r/lti1p3-launch-made-up/"
    return pages


def check(page, name: str, url: str, width: int, reveal: bool = False) -> list[str]:
    """The findings on one page at one width: axe violations and a sideways scroll."""
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(url)
    page.wait_for_load_state("load")
    if reveal:
        page.get_by_text("Show the answer").click()
        page.locator("#card-back").wait_for()
    findings = [
        f"{name} @{width}: {v['id']} ({v['impact']}) {[n['target'] for n in v['nodes']][:3]}"
        for v in axe_violations(page)
    ]
    scroll = page.evaluate("() => document.documentElement.scrollWidth")
    if scroll > width:
        wide = page.evaluate(WIDEST, width)
        findings.append(f"{name} @{width}: scrolls sideways ({scroll} px wide): {wide}")
    return findings


def test_every_tool_page_passes_axe_and_fits_at_1280_and_360_px(browser, lms):
    findings: list[str] = []
    for collect in (learner_pages, instructor_pages):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error, errors=errors: errors.append(str(error)))
        pages = collect(page, lms)
        for name, url in pages.items():
            for width in WIDTHS:
                findings += check(page, name, url, width)
                if name == "spaced flashcard":
                    findings += check(page, "spaced flashcard, answer shown", url, width, reveal=True)
        if "error" in pages:
            assert page.goto(pages["error"]).status == 403
        favicon = page.goto(f"{lms.tool_url}/favicon.ico")
        assert favicon.status == 200 and "svg" in favicon.headers["content-type"]
        assert errors == []
        context.close()
    assert findings == [], "\n".join(findings)
