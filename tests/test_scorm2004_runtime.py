"""SCORM 2004 4th Edition packages played in headless Chromium against scorm-again's Scorm2004API.

The player (scorm_builder/player/player.html?scorm=2004) is the LMS: its window.API_1484_11 is
scorm-again and it journals every call with the 2004 names (Initialize, SetValue, Commit, Terminate).
A learner clicks through the SCO; the tests assert what the LMS received: completion and success
apart, the scaled score, interactions in 2004 notation, learner objectives, exit and navigation.
"""

from __future__ import annotations

import json
import re

import pytest

from courseware.assessment import correct_needed
from scorm_builder.formats.scorm2004 import build as build_2004
from scorm_builder.player import serve

from . import scorm_player
from .scorm_player import SCORM2004, second_learner_page
from .test_scorm_runtime import QUIZ_2_RIGHT, QUIZ_2_WRONG, answer, go_to, on_screen

pytestmark = pytest.mark.browser

SINGLE = "ch14-service-value-chain-scorm2004"
MULTI = "ch14-service-value-chain-multi-sco-scorm2004"
CHECK = "ch14-knowledge-check-scorm2004"
DURATION = re.compile(r"^PT\d+H\d+M\d+S$")
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")


@pytest.fixture(scope="module")
def built_2004(content, tmp_path_factory):
    out = tmp_path_factory.mktemp("dist2004")
    packages = build_2004(content, out) + build_2004(content, out, multi_sco=True)
    return {package.layout.name: package for package in packages}


@pytest.fixture
def page(browser):
    """A page whose `errors` also collect the runtime's warnings: every value the LMS refused."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    context.on("page", lambda popup: popup.on("pageerror", lambda error: page.errors.append(str(error))))

    def refused(message) -> None:
        if message.type == "warning" and message.text.startswith("SCORM "):
            page.errors.append(message.text)

    page.on("console", refused)
    context.on("page", lambda popup: popup.on("console", refused))
    yield page
    context.close()


@pytest.fixture(scope="module")
def server_2004(built_2004):
    with serve([package.path for package in built_2004.values()]) as url:
        yield url


def launch(page, server, package, sco="index.html", mode="iframe", start=None):
    return scorm_player.launch(page, server, package, sco, mode, start, scorm="2004")


log = SCORM2004.log
values = SCORM2004.values
writes = SCORM2004.writes
numbered = SCORM2004.numbered  # cmi.<group>.n.* as the LMS journaled them, by n
wait_for_value = SCORM2004.wait_for_value
end_session = SCORM2004.end_session


def save_and_exit(page, sco) -> None:
    sco.get_by_role("button", name="Save and exit").click()
    SCORM2004.wait_for_finish(page)


def outcome(got: dict[str, str]) -> tuple[str, str, str]:
    """Completion, success and scaled score, as the LMS holds them."""
    return got["cmi.completion_status"], got["cmi.success_status"], got["cmi.score.scaled"]


def lms_cmi(page) -> dict:
    return page.evaluate("lmsState()")


def quiz_objectives(content) -> list[str]:
    return list(dict.fromkeys(part.item.objective for part in content.chapter.parts if part.kind == "quiz"))


# --- the chapter as one SCO ----------------------------------------------------------------------


def test_single_sco_reports_completion_success_score_interactions_and_objectives(page, server_2004, content):
    sco = launch(page, server_2004, SINGLE)
    assert log(page)[0] == ["Initialize"]
    assert writes(page, "cmi.completion_status") == ["incomplete"]
    assert writes(page, "cmi.success_status") == [], "nothing to say about success before the check"
    assert writes(page, "cmi.exit") == ["suspend"]

    for _ in range(8):
        sco.get_by_role("button", name="Next", exact=True).click()
    picks = ["Plan", "Engage", "Design and transition", "Obtain/build", "Deliver and support", "Plan"]
    for number, pick in enumerate(picks, start=1):
        sco.get_by_label(f"Step {number}: primary activity").select_option(label=pick)
    sco.get_by_role("button", name="Compare with the reference mapping").click()
    sco.get_by_role("button", name="Next", exact=True).click()
    answer(sco, "Improve")
    sco.get_by_role("button", name="Next", exact=True).click()
    answer(sco, QUIZ_2_WRONG)
    assert on_screen(sco).get_by_text("Knowledge check score: 50%").is_visible()

    got = values(page)
    assert (got["cmi.completion_status"], got["cmi.success_status"]) == ("completed", "failed")
    assert (got["cmi.score.scaled"], got["cmi.score.raw"], got["cmi.score.min"], got["cmi.score.max"]) == (
        "0.5",
        "50",
        "0",
        "100",
    )
    journal = numbered(page, "interactions")
    assert [(i["id"], i["type"], i["result"]) for i in journal] == [
        ("thought-exercise_1", "matching", "incorrect"),
        ("quiz-1_1", "choice", "correct"),
        ("quiz-2_1", "choice", "incorrect"),
    ]
    assert journal[0]["learner_response"] == "1[.]a[,]2[.]c[,]3[.]d[,]4[.]e[,]5[.]f[,]6[.]a"
    assert journal[0]["correct_responses.0.pattern"] == "1[.]a[,]2[.]c[,]3[.]d[,]4[.]e[,]5[.]f[,]6[.]b"
    assert (journal[2]["learner_response"], journal[2]["correct_responses.0.pattern"]) == ("a", "c")
    quizzes = [part for part in content.chapter.parts if part.kind == "quiz"]
    assert [i["objectives.0.id"] for i in journal[1:]] == [q.item.objective for q in quizzes]
    for interaction in journal:
        assert DURATION.match(interaction["latency"]), interaction
        assert TIMESTAMP.match(interaction["timestamp"]), interaction

    held = lms_cmi(page)["objectives"]  # what the LMS keeps: cmi.objectives.n by n
    assert [held[n]["id"] for n in sorted(held, key=int)] == quiz_objectives(content)
    objectives = {o["id"]: o for o in numbered(page, "objectives")}
    assert list(objectives) == quiz_objectives(content)
    for quiz, right in zip(quizzes, (True, False), strict=True):
        objective = objectives[quiz.item.objective]
        assert objective["success_status"] == ("passed" if right else "failed"), objective
        assert objective["completion_status"] == "completed"
        assert objective["score.scaled"] == ("1" if right else "0")

    end_session(page)
    got = values(page)
    assert got["cmi.exit"] == "normal", "a finished SCO exits normally"
    assert DURATION.match(got["cmi.session_time"])
    assert [e for e in log(page) if e[0] in ("Initialize", "Terminate")] == [["Initialize"], ["Terminate"]]
    assert "adl.nav.request" not in got, "the LMS ended the session: no navigation to ask for"
    assert page.evaluate("String(window.API_1484_11.lastErrorCode)") == "0"
    assert page.errors == []


def test_the_page_carries_the_count_the_server_uses(page, server_2004, content):
    sco = launch(page, server_2004, CHECK)
    config = json.loads(sco.locator("#sco-config").text_content())
    check = next(b for b in content.blueprints if b.kind.value == "knowledge_check")
    assert config["scorm"] == "2004"
    assert config["correctNeeded"] == correct_needed(len(config["quizzes"]), check.pass_mark)
    assert page.errors == []


def test_resume_restores_location_answers_and_status(page, server_2004, browser):
    sco = launch(page, server_2004, SINGLE)
    sco.get_by_role("button", name="Next", exact=True).click()
    go_to(sco, "Quiz 1: Match Scenarios to Activities")
    answer(sco, "Improve")
    save_and_exit(page, sco)
    first = values(page)
    assert (first["cmi.exit"], first["adl.nav.request"]) == ("suspend", "suspendAll")
    assert first["cmi.location"] == "quiz-1"
    assert first["cmi.suspend_data"][:2] in ("2|", "2z")

    saved = {
        "entry": "resume",
        "location": first["cmi.location"],
        "completion_status": first["cmi.completion_status"],
        "suspend_data": first["cmi.suspend_data"],
    }
    second = second_learner_page(browser)
    sco = launch(second, server_2004, SINGLE, start=saved)
    assert sco.get_by_text("Welcome back").is_visible()
    assert sco.get_by_role("heading", level=2, name="Quiz 1: Match Scenarios to Activities").is_visible()
    assert on_screen(sco).get_by_text("Correct.", exact=True).is_visible()
    toc = sco.get_by_role("navigation", name="Chapter contents")
    assert toc.get_by_text("(3 of 14 visited)").is_visible()
    assert writes(second, "cmi.completion_status") == [], "the LMS already holds incomplete"

    sco.get_by_role("button", name="Next", exact=True).click()
    answer(sco, QUIZ_2_RIGHT)
    assert outcome(values(second)) == ("completed", "passed", "1")
    save_and_exit(second, sco)
    got = values(second)
    assert (got["cmi.exit"], got["adl.nav.request"]) == ("normal", "exitAll")
    assert page.errors == [] and second.errors == []
    second.context.close()


def test_the_lms_passing_score_wins_when_it_gives_one(page, server_2004):
    sco = launch(page, server_2004, CHECK, start={"scaled_passing_score": "0.5"})
    answer(sco, "Improve")
    sco.get_by_role("button", name="Next", exact=True).click()
    answer(sco, QUIZ_2_WRONG)
    got = values(page)
    assert (got["cmi.score.scaled"], got["cmi.success_status"]) == ("0.5", "passed")
    assert on_screen(sco).get_by_text("Pass mark: 50%").is_visible()
    assert page.errors == []


@pytest.mark.parametrize("mode", ["nested", "popup"])
def test_knowledge_check_finds_api_1484_11_in_other_launch_contexts(page, server_2004, mode):
    sco = launch(page, server_2004, CHECK, mode=mode)
    answer(sco, "Improve")
    sco.get_by_role("button", name="Next", exact=True).click()
    answer(sco, QUIZ_2_RIGHT)
    assert outcome(values(page)) == ("completed", "passed", "1")
    end_session(page)
    assert sum(entry == ["Terminate"] for entry in log(page)) == 1
    assert page.errors == []


# --- one SCO per part ----------------------------------------------------------------------------


def test_multi_sco_page_scos_complete_and_continue(page, server_2004, built_2004):
    layout = built_2004[MULTI].layout
    first = layout.scos[0]
    sco = launch(page, server_2004, MULTI, sco=first.filename)
    assert writes(page, "cmi.completion_status") == ["incomplete"]
    sco.locator("section.page:visible [data-role=page-end]").scroll_into_view_if_needed()
    wait_for_value(page, "cmi.completion_status", "completed")
    assert writes(page, "cmi.success_status") == [], "a page SCO says nothing about success"
    save_and_exit(page, sco)
    got = values(page)
    assert (got["cmi.exit"], got["adl.nav.request"]) == ("normal", "continue")

    last = layout.scos[-1]
    sco = launch(page, server_2004, MULTI, sco=last.filename)
    save_and_exit(page, sco)
    got = values(page)
    assert (got["cmi.exit"], got["adl.nav.request"]) == ("suspend", "suspendAll"), "left before its end"
    assert page.errors == []


def open_multi_sco_check(page, server_2004, built_2004):
    """The multi-SCO package's knowledge check, quiz 1 answered right and quiz 2 on screen."""
    check = next(s for s in built_2004[MULTI].layout.scos if s.mastery_score is not None)
    sco = launch(page, server_2004, MULTI, sco=check.filename)
    answer(sco, "Improve")
    sco.get_by_role("button", name="Next", exact=True).click()
    return check, sco


def test_multi_sco_knowledge_check_reports_objectives(page, server_2004, built_2004, content):
    _, sco = open_multi_sco_check(page, server_2004, built_2004)
    answer(sco, QUIZ_2_RIGHT)
    assert outcome(values(page)) == ("completed", "passed", "1")
    objectives = numbered(page, "objectives")
    assert [o["id"] for o in objectives] == quiz_objectives(content)
    assert {o["success_status"] for o in objectives} == {"passed"}
    assert [i["type"] for i in numbered(page, "interactions")] == ["choice", "choice"]
    save_and_exit(page, sco)
    got = values(page)
    assert (got["cmi.exit"], got["adl.nav.request"]) == ("normal", "continue")
    assert page.errors == []


def test_multi_sco_knowledge_check_resumes_its_answers(page, server_2004, built_2004, browser):
    check, sco = open_multi_sco_check(page, server_2004, built_2004)
    save_and_exit(page, sco)
    first = values(page)
    assert (first["cmi.exit"], first["adl.nav.request"], first["cmi.location"]) == (
        "suspend",
        "suspendAll",
        "quiz-2",
    )

    saved = {
        "entry": "resume",
        "location": first["cmi.location"],
        "completion_status": "incomplete",
        "suspend_data": first["cmi.suspend_data"],
    }
    second = second_learner_page(browser)
    sco = launch(second, server_2004, MULTI, sco=check.filename, start=saved)
    assert sco.get_by_text("Welcome back").is_visible()
    assert sco.get_by_role("heading", level=2, name=re.compile("Quiz 2")).is_visible()
    sco.get_by_role("button", name="Previous", exact=True).click()
    assert on_screen(sco).get_by_text("Correct.", exact=True).is_visible(), "quiz 1's answer came back"
    sco.get_by_role("button", name="Next", exact=True).click()
    answer(sco, QUIZ_2_RIGHT)
    assert values(second)["cmi.success_status"] == "passed"
    journal = numbered(second, "interactions")
    assert [i["id"] for i in journal] == ["quiz-2_1"], "only the new answer is journaled in this session"
    assert page.errors == [] and second.errors == []
    second.context.close()
