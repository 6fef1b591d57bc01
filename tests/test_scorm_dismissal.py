"""What reaches the LMS when the learner leaves a SCO, under Moodle's rules.

The player (scorm_builder/player/sync-player.html) is scorm-again with every commit sent as a
synchronous XMLHttpRequest to a real HTTP endpoint (tests/scorm_lms.py), as Moodle's request.js
does. Chromium refuses a synchronous XHR during page dismissal, so whatever a SCO sends from
pagehide or unload is lost. The learner walks the whole chapter, then leaves in each of the three
ways a learner leaves; the LMS must already hold the last page's bookmark, the suspend_data and
every answer, and a new launch resumes from what it holds.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from .scorm_lms import recording_lms

pytestmark = pytest.mark.browser

SINGLE = "ch14-service-value-chain"
MULTI = "ch14-service-value-chain-multi-sco"
QUIZ_2_RIGHT = "Plan → Engage → Design and transition → Obtain/build → Deliver and support → Improve"
EXERCISE_PICKS = ["Plan", "Engage", "Design and transition", "Obtain/build", "Deliver and support", "Plan"]
TIMESPAN = re.compile(r"^\d{2,4}:\d{2}:\d{2}(\.\d{1,2})?$")


@pytest.fixture(scope="module")
def lms(built):
    with recording_lms([package.path for package in built.values()]) as lms:
        yield lms


def open_player(browser, lms, attempt: str, package: str = SINGLE, sco: str = "index.html"):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    sco_url = quote(f"/packages/{package}/{sco}")
    page.goto(f"{lms.base_url}/player/sync-player.html?attempt={attempt}&sco={sco_url}")
    frame = page.frame_locator("#sco-frame")
    frame.locator("html[data-sco-ready=true]").wait_for(state="attached")
    return page, frame


def sco_sets(page) -> dict[str, str]:
    return {entry[1]: entry[2] for entry in page.evaluate("window.lmsLog") if entry[0] == "LMSSetValue"}


def walk_the_chapter(sco, content) -> None:
    """Every page by Next, doing the exercise, both quizzes and one flashcard on the way."""
    for part in content.chapter.parts:
        page = sco.locator("section.page:visible")
        assert page.get_by_role("heading", level=2).first.inner_text() == part.title
        if part.kind == "exercise":
            for number, pick in enumerate(EXERCISE_PICKS, start=1):
                sco.get_by_label(f"Step {number}: primary activity").select_option(label=pick)
            sco.get_by_role("button", name="Compare with the reference mapping").click()
        elif part.id == "quiz-1":
            page.get_by_role("radio", name="Improve", exact=True).check()
            page.get_by_role("button", name="Check answer").click()
        elif part.id == "quiz-2":
            page.get_by_role("radio", name=QUIZ_2_RIGHT, exact=True).check()
            page.get_by_role("button", name="Check answer").click()
        elif part.kind == "flashcards":
            page.get_by_role("button", name="Show answer").first.click()
        if part is not content.chapter.parts[-1]:
            sco.get_by_role("button", name="Next", exact=True).click()


def go_to(sco, title: str) -> None:
    """Pick a page from the table of contents, opening it first where it is collapsed (narrow frames)."""
    if not sco.locator("[data-role=toc]").evaluate("el => el.open"):
        sco.locator("[data-role=toc] summary").click()
    sco.get_by_role("navigation", name="Chapter contents").get_by_role("link", name=title).click()


def leave(page, lms, how: str) -> None:
    if how == "replace the frame":  # the LMS opens the next activity in the same frame
        page.evaluate("window.replaceSco('about:blank')")
        page.wait_for_timeout(300)
    elif how == "navigate the tab":
        page.goto(f"{lms.base_url}/player/sandbox.css")
    else:  # close the tab
        page.close()


@pytest.mark.parametrize("how", ["replace the frame", "navigate the tab", "close the tab"])
def test_nothing_is_lost_when_the_learner_leaves(browser, lms, content, how):
    attempt = "walk-" + how.replace(" ", "-")
    page, sco = open_player(browser, lms, attempt)
    walk_the_chapter(sco, content)
    last = sco_sets(page)
    assert last["cmi.core.lesson_location"] == content.chapter.parts[-1].id
    errors = list(page.errors)
    context = page.context
    arrived = len(lms.commits[attempt])
    leave(page, lms, how)
    # Chromium's rule holds in this player: the pagehide LMSFinish (synchronous XHR) never arrives.
    assert len(lms.commits[attempt]) == arrived

    held = lms.held(attempt)
    assert held["cmi.core.lesson_location"] == content.chapter.parts[-1].id, "the last page's bookmark"
    assert held["cmi.suspend_data"] == last["cmi.suspend_data"]
    assert held["cmi.core.lesson_status"] == "passed"
    assert held["cmi.core.score.raw"] == "100"
    assert held["cmi.core.exit"] == ""
    # Moodle stores the session's time only from LMSFinish: leaving without "Save and exit" loses it.
    assert "cmi.core.session_time" not in held and "cmi.core.total_time" not in held
    answers = [(a["id"], a["result"]) for a in lms.answers(attempt)]
    assert answers == [("thought-exercise_1", "wrong"), ("quiz-1_1", "correct"), ("quiz-2_1", "correct")]
    assert errors == []

    page, sco = open_player(browser, lms, attempt)  # the next launch resumes from what the LMS holds
    assert sco.get_by_role("heading", level=2, name=content.chapter.parts[-1].title).is_visible()
    toc = sco.get_by_role("navigation", name="Chapter contents")
    pages = len(content.chapter.parts)
    assert toc.get_by_text(f"({pages} of {pages} visited)").is_visible()
    go_to(sco, "Quiz 1: Match Scenarios to Activities")
    assert sco.locator("section.page:visible").get_by_text("Correct.", exact=True).is_visible()
    go_to(
        sco, "Thought Exercise: Map the Activities in a Scenario"
    )  # a second try adds an answer, overwrites none
    sco.get_by_role("button", name="Try again").click()
    sco.get_by_label("Step 6: primary activity").select_option(label="Improve")
    sco.get_by_role("button", name="Compare with the reference mapping").click()
    answers = [(a["id"], a["result"]) for a in lms.answers(attempt)]
    assert answers[:3] == [("thought-exercise_1", "wrong"), ("quiz-1_1", "correct"), ("quiz-2_1", "correct")]
    assert answers[3:] == [("thought-exercise_2", "correct")]
    assert page.errors == []
    page.context.close()
    context.close()


def test_a_refused_commit_is_retried(browser, lms):
    page, sco = open_player(browser, lms, "refused")
    lms.fail_next["refused"] = 1  # the LMS answers the next commit with HTTP 500
    sco.get_by_role("button", name="Next", exact=True).click()
    assert lms.failed["refused"] == 1
    assert lms.held("refused")["cmi.core.lesson_location"] != "at-a-glance"
    assert sco.get_by_text("The LMS did not confirm the last save").is_visible()
    page.wait_for_function("window.lmsLog.filter(e => e[0] === 'LMSCommit').length >= 3", timeout=5000)
    page.wait_for_timeout(200)
    assert lms.held("refused")["cmi.core.lesson_location"] == "at-a-glance"
    assert not sco.get_by_text("The LMS did not confirm the last save").is_visible()
    page.context.close()


def test_save_and_exit_reaches_the_http_lms(browser, lms):
    page, sco = open_player(browser, lms, "save-and-exit")
    sco.get_by_role("button", name="Next", exact=True).click()
    arrived = len(lms.commits["save-and-exit"])
    sco.get_by_role("button", name="Save and exit").click()
    assert sco.get_by_text("Saved. Your progress is in the LMS").is_visible()
    assert len(lms.commits["save-and-exit"]) == arrived + 1, "LMSFinish, sent while the page is alive"
    held = lms.held("save-and-exit")
    assert (held["cmi.core.lesson_status"], held["cmi.core.exit"]) == ("incomplete", "suspend")
    assert TIMESPAN.match(held["cmi.core.session_time"]) and TIMESPAN.match(held["cmi.core.total_time"])
    assert held["cmi.core.lesson_location"] == "at-a-glance"
    page.close()
    assert len(lms.commits["save-and-exit"]) == arrived + 1
