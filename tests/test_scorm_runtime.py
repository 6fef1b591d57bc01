"""Built packages played in headless Chromium against a real LMS-side runtime (scorm-again's Scorm12API).

The player page (tests/player/player.html) is the LMS: its window.API is scorm-again, and it journals
every call. A learner clicks and types through the SCO; the tests assert what the LMS received.
"""

from __future__ import annotations

import re

import pytest

from .scorm_player import SCORM12, launch, second_learner_page

pytestmark = pytest.mark.browser

SINGLE = "ch14-service-value-chain"
MULTI = "ch14-service-value-chain-multi-sco"
CHECK = "ch14-knowledge-check"
TIMESPAN = re.compile(r"^\d{2,4}:\d{2}:\d{2}(\.\d{1,2})?$")
QUIZ_2_RIGHT = "Plan → Engage → Design and transition → Obtain/build → Deliver and support → Improve"
QUIZ_2_WRONG = "Engage → Deliver and support → Improve"
ACTIVITY_TITLES_IN_STEP_ORDER = [
    "Plan",
    "Engage",
    "Design and transition",
    "Obtain/build",
    "Deliver and support",
    "Improve",
]
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
TIME = re.compile(r"^\d{2}:\d{2}:\d{2}(\.\d{1,2})?$")


lms_log = SCORM12.log
lms_values = SCORM12.values  # the last value the SCO set for each CMI element
wait_for_value = SCORM12.wait_for_value
end_session = SCORM12.end_session


def interactions(page) -> list[dict[str, str]]:
    """cmi.interactions.n.* as the LMS journaled them, in order."""
    return SCORM12.numbered(page, "interactions")


def set_index(page, element: str, value: str) -> int:
    log = lms_log(page)
    return max(
        i for i, entry in enumerate(log) if entry[0] == "LMSSetValue" and entry[1:] == [element, value]
    )


def exit_writes(page) -> list[str]:
    return SCORM12.writes(page, "cmi.core.exit")


def on_screen(sco):
    """The page of the SCO the learner sees now (the others are hidden)."""
    return sco.locator("section.page:visible")


def answer(sco, option_text: str) -> None:
    on_screen(sco).get_by_role("radio", name=option_text, exact=True).check()
    on_screen(sco).get_by_role("button", name="Check answer").click()


def go_to(sco, title: str) -> None:
    """Pick a page from the table of contents, opening it first where it is collapsed (narrow screens)."""
    if not sco.locator("[data-role=toc]").evaluate("el => el.open"):
        sco.locator("[data-role=toc] summary").click()
    sco.get_by_role("navigation", name="Chapter contents").get_by_role("link", name=title).click()


# --- the whole chapter as one SCO ----------------------------------------------------------------


def test_single_sco_learner_session(page, server, content):
    sco = launch(page, server, SINGLE)
    log = lms_log(page)
    assert log[0] == ["LMSInitialize"]
    assert ["LMSSetValue", "cmi.core.lesson_status", "incomplete"] in log
    assert sco.get_by_role("heading", level=2, name=content.chapter.parts[0].title).is_visible()

    for _ in range(8):  # the learner reads the lessons, one Next at a time, to the thought exercise
        sco.get_by_role("button", name="Next", exact=True).click()
    assert sco.get_by_role("heading", level=2, name=re.compile("Thought Exercise")).is_visible()

    picks = ["Plan", "Engage", "Design and transition", "Obtain/build", "Deliver and support", "Plan"]
    for number, pick in enumerate(picks, start=1):
        sco.get_by_label(f"Step {number}: primary activity").select_option(label=pick)
    sco.get_by_role("button", name="Compare with the reference mapping").click()
    assert sco.get_by_text("You matched 5 of 6 steps").is_visible()

    sco.get_by_role("button", name="Next", exact=True).click()
    answer(sco, "Improve")
    assert on_screen(sco).get_by_text("Correct.", exact=True).is_visible()
    sco.get_by_role("button", name="Next", exact=True).click()
    answer(sco, QUIZ_2_WRONG)
    assert on_screen(sco).get_by_text("Not quite: you chose A.").is_visible()
    assert on_screen(sco).get_by_text("Knowledge check score: 50%").is_visible()
    values = lms_values(page)
    assert values["cmi.core.lesson_status"] == "failed"
    assert values["cmi.core.score.raw"] == "50"
    assert set_index(page, "cmi.core.score.raw", "50") < set_index(page, "cmi.core.lesson_status", "failed")

    on_screen(sco).get_by_role("button", name="Try the knowledge check again").click()
    answer(sco, "Improve")
    sco.get_by_role("button", name="Next", exact=True).click()
    answer(sco, QUIZ_2_RIGHT)
    assert on_screen(sco).get_by_text("Passed.").is_visible()

    sco.get_by_role("button", name="Next", exact=True).click()
    sco.get_by_role("button", name="Show answer").first.click()
    assert sco.get_by_text("1 of 10 cards turned.").is_visible()
    sco.get_by_role("button", name="Next", exact=True).click()
    sco.get_by_role("button", name="Next", exact=True).click()
    assert sco.get_by_role("heading", level=2, name="Key Terms").is_visible()

    values = lms_values(page)
    assert values["cmi.core.lesson_status"] == "passed"
    assert (values["cmi.core.score.min"], values["cmi.core.score.max"], values["cmi.core.score.raw"]) == (
        "0",
        "100",
        "100",
    )
    assert set_index(page, "cmi.core.score.raw", "100") < set_index(page, "cmi.core.lesson_status", "passed")
    assert values["cmi.core.lesson_location"] == "key-terms"
    assert values["cmi.suspend_data"][:2] in ("2|", "2z")
    assert len(values["cmi.suspend_data"]) <= 4096

    journal = interactions(page)  # one id per try (unique_interaction_ids), each at its own index
    assert [(i["id"], i["type"], i["result"]) for i in journal] == [
        ("thought-exercise_1", "matching", "wrong"),
        ("quiz-1_1", "choice", "correct"),
        ("quiz-2_1", "choice", "wrong"),
        ("quiz-1_2", "choice", "correct"),
        ("quiz-2_2", "choice", "correct"),
    ]
    assert journal[0]["student_response"] == "1.a,2.c,3.d,4.e,5.f,6.a"
    assert journal[0]["correct_responses.0.pattern"] == "1.a,2.c,3.d,4.e,5.f,6.b"
    assert (journal[2]["student_response"], journal[2]["correct_responses.0.pattern"]) == ("a", "c")
    for interaction in journal:
        assert TIMESPAN.match(interaction["latency"]), interaction
        assert TIME.match(interaction["time"]), interaction

    end_session(page)
    log = lms_log(page)
    assert [entry for entry in log if entry[0] in ("LMSInitialize", "LMSFinish")] == [
        ["LMSInitialize"],
        ["LMSFinish"],
    ]
    values = lms_values(page)
    assert TIMESPAN.match(values["cmi.core.session_time"])
    assert values["cmi.core.exit"] == ""
    exits = exit_writes(page)  # written when it changes, never the same value twice in a row
    assert exits == ["suspend", ""], exits
    assert page.evaluate("String(window.API.lastErrorCode)") == "0"
    state = page.evaluate("lmsState()")
    assert state["core"]["lesson_status"] == "passed"
    assert state["core"]["score"]["raw"] == "100"
    assert page.errors == []


def test_resume_from_saved_data(page, server, browser):
    sco = launch(page, server, SINGLE)
    sco.get_by_role("button", name="Next", exact=True).click()
    sco.get_by_role("button", name="Next", exact=True).click()
    go_to(sco, "Quiz 1: Match Scenarios to Activities")
    answer(sco, "Improve")
    end_session(page)
    first = lms_values(page)
    assert first["cmi.core.exit"] == "suspend"
    assert first["cmi.core.lesson_status"] == "incomplete"
    assert first["cmi.core.lesson_location"] == "quiz-1"
    assert first["cmi.suspend_data"][:2] in ("2|", "2z")

    saved = {
        "core": {
            "lesson_location": first["cmi.core.lesson_location"],
            "lesson_status": first["cmi.core.lesson_status"],
            "entry": "resume",
        },
        "suspend_data": first["cmi.suspend_data"],
    }
    second = second_learner_page(browser)
    sco = launch(second, server, SINGLE, start=saved)
    assert sco.get_by_text("Welcome back").is_visible()
    assert sco.get_by_role("heading", level=2, name="Quiz 1: Match Scenarios to Activities").is_visible()
    assert on_screen(sco).get_by_text("Correct.", exact=True).is_visible()
    assert on_screen(sco).get_by_role("radio", name="Improve").is_disabled()
    toc = sco.get_by_role("navigation", name="Chapter contents")
    assert toc.get_by_text("(4 of 14 visited)").is_visible()

    sco.get_by_role("button", name="Next", exact=True).click()
    answer(sco, QUIZ_2_RIGHT)
    values = lms_values(second)
    assert values["cmi.core.lesson_status"] == "passed"
    assert values["cmi.core.score.raw"] == "100"
    assert ["LMSSetValue", "cmi.core.lesson_status", "incomplete"] not in lms_log(second)
    end_session(second)
    assert lms_values(second)["cmi.core.exit"] == ""
    assert page.errors == [] and second.errors == []
    second.context.close()


def test_mastery_score_from_the_lms_wins(page, server):
    sco = launch(page, server, CHECK, start={"student_data": {"mastery_score": "50"}})
    answer(sco, "Improve")
    sco.get_by_role("button", name="Next", exact=True).click()
    answer(sco, QUIZ_2_WRONG)
    values = lms_values(page)
    assert (values["cmi.core.score.raw"], values["cmi.core.lesson_status"]) == ("50", "passed")
    assert on_screen(sco).get_by_text("Pass mark: 50%").is_visible()


# --- other launch contexts -----------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["nested", "popup"])
def test_knowledge_check_finds_the_api_in_other_launch_contexts(page, server, mode):
    sco = launch(page, server, CHECK, mode=mode)
    answer(sco, "Improve")
    sco.get_by_role("button", name="Next", exact=True).click()
    answer(sco, QUIZ_2_RIGHT)
    values = lms_values(page)
    assert (values["cmi.core.score.raw"], values["cmi.core.lesson_status"]) == ("100", "passed")
    end_session(page)
    assert TIMESPAN.match(lms_values(page)["cmi.core.session_time"])
    assert sum(entry == ["LMSFinish"] for entry in lms_log(page)) == 1
    assert page.errors == []


def test_quiz_by_keyboard_alone(page, server):
    sco = launch(page, server, CHECK)
    first_option = sco.locator("section.page:visible input[type=radio]").first
    first_option.focus()
    page.keyboard.press("ArrowDown")  # a radio group moves and selects with the arrow keys
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert on_screen(sco).get_by_text("Correct.", exact=True).is_visible()
    feedback_focused = sco.locator("section.page:visible [data-role=feedback]").evaluate(
        "el => el === document.activeElement"
    )
    assert feedback_focused, "the result must be announced by moving focus to it"
    assert lms_values(page)["cmi.interactions.0.student_response"] == "b"


def test_every_sco_of_the_multi_sco_package(page, server, built):
    """No SCO is done when it opens; a page SCO is, once its end was on screen for 5 seconds."""
    layout = built[MULTI].layout
    assert len(layout.scos) >= 5
    for sco_def in layout.scos:
        sco = launch(page, server, MULTI, sco=sco_def.filename)
        statuses = [e[2] for e in lms_log(page) if e[:2] == ["LMSSetValue", "cmi.core.lesson_status"]]
        assert statuses == ["incomplete"], sco_def.id
        if sco_def.id == "thought-exercise":
            picks = [
                "Plan",
                "Engage",
                "Design and transition",
                "Obtain/build",
                "Deliver and support",
                "Improve",
            ]
            for number, pick in enumerate(picks, start=1):
                sco.get_by_label(f"Step {number}: primary activity").select_option(label=pick)
            sco.get_by_role("button", name="Compare with the reference mapping").click()
            assert interactions(page)[-1]["result"] == "correct"
        done = sco_def.id in ("svs-vs-svc", "thought-exercise")  # two page SCOs are read to the end
        if done:
            sco.locator("section.page:visible [data-role=page-end]").scroll_into_view_if_needed()
            wait_for_value(page, "cmi.core.lesson_status", "completed")
            assert exit_writes(page) == ["suspend", ""], sco_def.id
        end_session(page)
        assert lms_values(page)["cmi.core.exit"] == ("" if done else "suspend"), sco_def.id
    assert page.errors == []


def test_a_page_sco_that_fits_the_screen_is_not_done_the_moment_it_opens(page, server):
    sco = launch(page, server, MULTI, sco="svs-vs-svc.html")
    fits = "el => el.getBoundingClientRect().bottom <= window.innerHeight"
    assert sco.locator("section.page:visible").evaluate(fits), "the whole page is on screen at once"
    page.wait_for_timeout(2000)
    assert lms_values(page)["cmi.core.lesson_status"] == "incomplete"
    wait_for_value(page, "cmi.core.lesson_status", "completed")  # after 5 seconds on the page


def test_a_long_page_sco_stays_incomplete_until_its_end_is_reached(page, server):
    sco = launch(page, server, MULTI, sco="thought-exercise.html")
    page.wait_for_timeout(5500)
    assert lms_values(page)["cmi.core.lesson_status"] == "incomplete"
    sco.locator("section.page:visible [data-role=page-end]").scroll_into_view_if_needed()
    wait_for_value(page, "cmi.core.lesson_status", "completed")


# --- without an LMS, on a phone, for assistive technology ---------------------------------------


def test_preview_mode_without_an_lms(page, server):
    page.goto(f"{server}/packages/{CHECK}/index.html")
    page.locator("html[data-sco-ready=true]").wait_for(state="attached")
    assert page.get_by_text("Preview mode").is_visible()
    answer(page, "Improve")
    assert on_screen(page).get_by_text("Correct.", exact=True).is_visible()
    assert page.errors == []


def test_fits_a_phone_screen(browser, server):
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    phone = context.new_page()
    phone.goto(f"{server}/packages/{SINGLE}/index.html")
    phone.locator("html[data-sco-ready=true]").wait_for(state="attached")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert phone.locator("[data-role=toc]").evaluate("el => el.open") is False
    phone.get_by_text("Contents").click()
    phone.get_by_role("link", name="Key Terms").click()
    assert phone.get_by_role("heading", level=2, name="Key Terms").is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    context.close()


def _axe_violations(target) -> list[dict]:
    target.add_script_tag(url="/vendor/axe-core/axe.min.js")
    result = target.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_AA)
    assert result["passes"], "axe-core did not run its checks"
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in result["violations"]
    ]


def test_accessibility_of_every_page(page, server, content):
    page.goto(f"{server}/packages/{SINGLE}/index.html")
    page.locator("html[data-sco-ready=true]").wait_for(state="attached")
    answer_pages = {"quiz-1": "Improve", "quiz-2": QUIZ_2_WRONG}
    for part in content.chapter.parts:
        go_to(page, part.title)
        if part.id in answer_pages:
            answer(page, answer_pages[part.id])
        if part.kind == "flashcards":
            page.get_by_role("button", name="Show answer").first.click()
        if part.kind == "exercise":  # the feedback: right and wrong marks (icon and words), the mapping
            for number in range(1, len(part.steps) + 1):
                page.get_by_label(f"Step {number}: primary activity").select_option(index=1)
            page.get_by_role("button", name="Compare with the reference mapping").click()
            assert page.locator(".mark.correct").count() and page.locator(".mark.wrong").count()
        violations = _axe_violations(page)
        assert violations == [], (part.id, violations)
