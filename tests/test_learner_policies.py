"""Per-link settings an instructor makes (extra time per learner, when rationales are shown), the
"mark for review" flag, and the guiding result page, over real HTTP through the sandbox LMS.

Time passing is played by moving an attempt's start and deadline back together (what the clock would
have done); the server's own checks then decide, as they would an hour later.
"""

from __future__ import annotations

import re
from datetime import timedelta

import lxml.html
import pytest
from sqlalchemy import update

from courseware.model import BlueprintKind
from lti_app.adapters.orm import Attempt, utcnow
from lti_app.services.attempt_pages import next_step
from lti_app.services.launches import LTI, LaunchContext

from .lti_harness import INSTRUCTOR, LEARNER, LEARNER_2, csrf_of, form_of, start_lms
from .test_lti_flows import answer, attempt_of, start, submit


@pytest.fixture(scope="module")
def lms(tmp_path_factory):
    with start_lms(tmp_path_factory.mktemp("lms")) as running:
        yield running


def link(lms, assessment: str, title: str) -> str:
    lms.add_link(assessment, title)
    return lms.links[assessment]


def settings_page(lms, link_id: str):
    """The instructor's settings page of the link: reached from the instructor view's button."""
    instructor = lms.browser()
    home = lms.launch(instructor, INSTRUCTOR, link_id)
    assert home.status_code == 200 and "/i/" in home.url
    document = lxml.html.fromstring(home.text, base_url=home.url)
    document.make_links_absolute()
    href = document.xpath("//a[normalize-space()='Extra time and explanations']/@href")
    page = instructor.get(href[0], timeout=10)  # resolved against the page's URL
    assert page.status_code == 200
    return instructor, page


def post_form(browser, page, form_action_suffix: str, **values):
    document = lxml.html.fromstring(page.text, base_url=page.url)
    form = next(f for f in document.forms if f.action.endswith(form_action_suffix) and _matches(f, values))
    fields = dict(form.form_values())
    fields.update({k: v for k, v in values.items() if k != "user_sub"})
    return browser.post(form.action, data=fields, timeout=10)


def _matches(form, values) -> bool:
    return "user_sub" not in values or dict(form.form_values()).get("user_sub") == values["user_sub"]


def elapse(lms, attempt_id: int, minutes: float) -> None:
    """`minutes` pass for the attempt: its start and deadline move back by that much."""
    session = lms.db()
    attempt = session.get(Attempt, attempt_id)
    shift = timedelta(minutes=minutes)
    attempt.started_at, attempt.deadline_at = attempt.started_at - shift, attempt.deadline_at - shift
    session.commit()


def rationale_count(html: str) -> int:
    return len(lxml.html.fromstring(html).xpath("//*[contains(@class, 'rationale') and not(@data-role)]"))


# --- extra time -----------------------------------------------------------------------------------


def test_extra_time_lets_one_learner_submit_after_the_base_limit_and_not_another(lms):
    link_id = link(lms, "mock-exam", "Mock exam, extra time")
    ada, ben = lms.browser(), lms.browser()
    ada_page = start(lms, ada, user=LEARNER, assessment="mock-exam")
    ben_page = start(lms, ben, user=LEARNER_2, assessment="mock-exam")
    ada_attempt, ben_attempt = attempt_of(lms, ada_page.url), attempt_of(lms, ben_page.url)
    assert ada_attempt.deadline_at - ada_attempt.started_at == timedelta(minutes=30)

    instructor, page = settings_page(lms, link_id)
    names = [
        " ".join(t.split())
        for t in lxml.html.fromstring(page.text).xpath(
            "//ul[contains(@class,'learner-times')]//legend/text()"
        )
    ]
    assert len(names) == 2 and INSTRUCTOR not in " ".join(names)  # learners who launched, staff left out
    saved = post_form(
        instructor, page, "/settings/time", user_sub=LEARNER, extra_minutes="15", time_factor="1"
    )
    assert saved.status_code == 200 and "Saved." in saved.text
    moved = attempt_of(lms, ada_page.url)
    assert moved.deadline_at - moved.started_at == timedelta(minutes=45)  # the open attempt moved at once

    elapse(lms, ada_attempt.id, 31)
    elapse(lms, ben_attempt.id, 31)
    # Ada, 31 minutes in with 45 allowed: her answer is saved and she submits herself.
    saved_answer = answer(ada, ada_page, 1, 0)
    assert saved_answer.status_code == 200 and "/q/2" in saved_answer.url
    review = ada.get(re.sub(r"/q/\d+$", "/review", saved_answer.url), timeout=10)
    assert submit(ada, review).url.endswith("/result")
    assert (attempt_of(lms, ada_page.url).status, attempt_of(lms, ada_page.url).submitted_by) == (
        "submitted",
        "learner",
    )
    # Ben, 31 minutes in with 30 allowed: refused, and the server submitted his attempt for him.
    late = answer(ben, ben_page, 1, 0)
    assert late.status_code == 409 and "Time is up" in late.text
    ben_attempt = attempt_of(lms, ben_page.url)
    assert (ben_attempt.status, ben_attempt.submitted_by, len(ben_attempt.answers)) == (
        "submitted",
        "timer",
        0,
    )


def test_a_new_attempt_starts_with_the_extra_time_and_a_factor(lms):
    link_id = link(lms, "mock-exam", "Mock exam, factor")
    ada = lms.browser()
    lms.launch(ada, LEARNER, link_id)  # launched once: now listed for the instructor
    instructor, page = settings_page(lms, link_id)
    saved = post_form(
        instructor, page, "/settings/time", user_sub=LEARNER, extra_minutes="5", time_factor="1.5"
    )
    assert saved.status_code == 200
    intro = lms.launch(ada, LEARNER, link_id)
    assert "you have 50 minutes (extra time from your instructor)" in intro.text
    attempt = attempt_of(lms, start(lms, ada, user=LEARNER, assessment="mock-exam").url)
    assert attempt.deadline_at - attempt.started_at == timedelta(minutes=30 * 1.5 + 5)


@pytest.mark.parametrize(
    ("minutes", "factor", "message"),
    [
        ("ten", "1", "extra_minutes: give whole minutes (got 'ten')."),
        ("-5", "1", "extra_minutes: must be 0 to 1440 (got -5)."),
        ("0", "0.5", "time_factor: must be 1 to 4 (got 0.5)."),
        ("0", "x", "time_factor: give a number such as 1.5 (got 'x')."),
    ],
)
def test_bad_extra_time_is_refused_naming_the_field(lms, minutes, factor, message):
    link_id = link(lms, "mock-exam", f"Mock exam, bad {minutes} {factor}")
    lms.launch(lms.browser(), LEARNER, link_id)
    instructor, page = settings_page(lms, link_id)
    refused = post_form(
        instructor, page, "/settings/time", user_sub=LEARNER, extra_minutes=minutes, time_factor=factor
    )
    assert refused.status_code == 400 and f"Not saved: {message}" in " ".join(refused.text.split()).replace(
        "&#39;", "'"
    )


def test_settings_are_for_the_links_instructors_only_and_need_the_csrf_token(lms):
    link_id = link(lms, "mock-exam", "Mock exam, guarded")
    ada = lms.browser()
    intro = lms.launch(ada, LEARNER, link_id)
    launch_path = re.search(r"/a/([^/]+)/", intro.url)[1]
    base = intro.url.split("/a/")[0]
    assert ada.get(f"{base}/i/{launch_path}/settings/", timeout=10).status_code == 403
    forged = ada.post(
        f"{base}/i/{launch_path}/settings/time",
        data={"csrf_token": csrf_of(intro.text), "user_sub": LEARNER, "extra_minutes": "60"},
        timeout=10,
    )
    assert forged.status_code == 403  # a learner's own valid token does not make them staff
    instructor, page = settings_page(lms, link_id)
    action, fields = form_of(page.text, page.url)
    del fields["csrf_token"]
    assert instructor.post(action, data=fields, timeout=10).status_code in (400, 403)
    # A user who never launched this link cannot be given time.
    stranger = instructor.post(
        page.url + "time",
        data={
            "csrf_token": csrf_of(page.text),
            "user_sub": "nobody",
            "extra_minutes": "5",
            "time_factor": "1",
        },
        timeout=10,
    )
    assert stranger.status_code == 404 and "not a learner who has launched this activity" in stranger.text


# --- rationales -----------------------------------------------------------------------------------


def finished_knowledge_check(lms, link_id: str, user: str = LEARNER):
    browser = lms.browser()
    page = start(lms, browser, user=user, assessment="knowledge-check")
    page = answer(browser, page, 1, 0)
    page = answer(browser, page, 2, 1)
    result = submit(browser, page)
    assert result.url.endswith("/result")
    return browser, result


def set_rationales(lms, link_id: str, policy: str, when: str = ""):
    instructor, page = settings_page(lms, link_id)
    saved = post_form(instructor, page, "/settings/rationales", rationales=policy, rationales_from=when)
    assert saved.status_code == 200 and "Saved." in saved.text, saved.text
    return saved


def test_rationales_shown_by_default_and_hidden_when_never(lms):
    link_id = link(lms, "knowledge-check", "Check, never")
    browser, result = finished_knowledge_check(lms, link_id)
    shown = rationale_count(result.text)
    assert shown >= 2  # each question's rationale at least
    set_rationales(lms, link_id, "never")
    explanation = (
        lxml.html.fromstring(result.text).xpath("//div[@class='rationale']")[-1].text_content().strip()
    )
    hidden = browser.get(result.url, timeout=10)
    assert rationale_count(hidden.text) == 0 and explanation[:40] not in hidden.text  # not in the HTML at all
    assert "Your instructor has chosen not to show the explanations." in hidden.text
    assert "(correct answer)" in hidden.text  # the right answers are still shown


def test_rationales_from_a_date_before_and_after(lms):
    link_id = link(lms, "knowledge-check", "Check, date")
    browser, result = finished_knowledge_check(lms, link_id)
    future = (utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    set_rationales(lms, link_id, "after_date", future)
    before = browser.get(result.url, timeout=10)
    assert rationale_count(before.text) == 0
    assert f"Explanations are shown from {future.replace('T', ' ')} UTC." in before.text
    past = (utcnow() - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
    set_rationales(lms, link_id, "after_date", past)
    assert rationale_count(browser.get(result.url, timeout=10).text) >= 2


def test_bad_rationale_settings_are_refused_naming_the_field(lms):
    link_id = link(lms, "knowledge-check", "Check, bad policy")
    instructor, page = settings_page(lms, link_id)
    action = page.url + "rationales"
    token = csrf_of(page.text)
    no_date = instructor.post(
        action, data={"csrf_token": token, "rationales": "after_date", "rationales_from": "soon"}, timeout=10
    )
    assert no_date.status_code == 400 and "rationales_from: give a date and time" in no_date.text
    unknown = instructor.post(action, data={"csrf_token": token, "rationales": "sometimes"}, timeout=10)
    assert (
        unknown.status_code == 400
        and "rationales: choose one of immediately, after_attempt, never, after_date" in unknown.text
    )


def test_rationales_after_the_attempt_wait_for_the_time_allowance(lms):
    link_id = link(lms, "mock-exam", "Mock exam, after the attempt")
    set_rationales(lms, link_id, "after_attempt")
    browser = lms.browser()
    page = start(lms, browser, user=LEARNER_2, assessment="mock-exam")
    attempt = attempt_of(lms, page.url)
    page = answer(browser, page, 1, 0)
    review = browser.get(re.sub(r"/q/\d+$", "/review", page.url), timeout=10)
    result = submit(browser, review)
    assert result.url.endswith("/result")
    assert rationale_count(result.text) == 0 and "Explanations are shown when your time is up" in result.text
    elapse(lms, attempt.id, 31)
    assert rationale_count(browser.get(result.url, timeout=10).text) > 0


# --- mark for review, without JavaScript ----------------------------------------------------------


def test_mark_for_review_without_javascript(lms):
    link(lms, "diagnostic", "Diagnostic, flags")
    browser = lms.browser()
    page = start(lms, browser, user=LEARNER, assessment="diagnostic")
    attempt = attempt_of(lms, page.url)
    flag = lxml.html.fromstring(page.text).xpath("//button[@name='flag']")[0]
    assert (flag.get("value"), flag.get("aria-pressed"), flag.text_content().strip()) == (
        "on",
        "false",
        "Mark for review",
    )
    marked = browser.post(
        page.url, data={"csrf_token": csrf_of(page.text), "flag": "on", "choice": "2"}, timeout=10
    )
    assert marked.status_code == 200 and marked.url == page.url  # back on the same question
    flag = lxml.html.fromstring(marked.text).xpath("//button[@name='flag']")[0]
    assert (flag.get("value"), flag.get("aria-pressed")) == ("off", "true")
    assert "1 marked for review" in marked.text and ", marked for review" in marked.text
    stored = attempt_of(lms, page.url)
    assert stored.flagged == [attempt.delivered[0]["item_id"]] and len(stored.answers) == 1  # the choice too

    review = browser.get(re.sub(r"/q/\d+$", "/review", page.url), timeout=10)
    rows = [
        " ".join(li.text_content().split())
        for li in lxml.html.fromstring(review.text).xpath("//ol[contains(@class,'answer-review')]/li")
    ]
    assert rows[0].startswith("Question 1: C)") and rows[0].endswith("Marked for review")
    assert rows[1] == "Question 2: Not answered"  # no flag, no mark
    assert "✓" not in review.text
    summary = lxml.html.fromstring(review.text).xpath("//p[starts-with(normalize-space(), 'You marked')]")
    assert " ".join(summary[0].text_content().split()) == "You marked 1 question for review: question 1."

    action, fields = form_of(review.text, review.url)
    asked = browser.post(action, data=fields, timeout=10)
    assert "17 unanswered questions will count as wrong" in asked.text
    assert lxml.html.fromstring(asked.text).xpath("//ul[contains(@class,'flagged-list')]//a/text()") == [
        "Question 1"
    ]

    unmarked = browser.post(page.url, data={"csrf_token": csrf_of(page.text), "flag": "off"}, timeout=10)
    assert "marked for review" not in unmarked.text.replace("Mark for review", "")
    assert attempt_of(lms, page.url).flagged == []
    bad = browser.post(page.url, data={"csrf_token": csrf_of(page.text), "flag": "maybe"}, timeout=10)
    assert bad.status_code == 400 and "flag: must be on or off." in bad.text


def test_a_flag_on_a_submitted_attempt_is_refused(lms):
    link(lms, "knowledge-check", "Check, flag after submit")
    browser = lms.browser()
    page = start(lms, browser, user=LEARNER_2, assessment="knowledge-check")
    question_url = page.url
    token = csrf_of(page.text)
    page = answer(browser, page, 1, 0)
    submit(browser, answer(browser, page, 2, 0))
    late = browser.post(question_url, data={"csrf_token": token, "flag": "on"}, timeout=10)
    assert late.status_code == 409


# --- the result page ------------------------------------------------------------------------------


def test_mock_exam_result_guides_and_reads_the_stored_score(lms):
    link(lms, "mock-exam", "Mock exam, result")
    browser = lms.browser()
    page = start(lms, browser, user=LEARNER, assessment="mock-exam")
    page = answer(browser, page, 1, 0)
    review = browser.get(re.sub(r"/q/\d+$", "/review", page.url), timeout=10)
    result = submit(browser, review)
    document = lxml.html.fromstring(result.text)
    text = " ".join(result.text.split())
    assert re.search(r"Time taken: \d+ min \d+ s \(time limit 30 min\)\.", text)
    headings = [" ".join(h.text_content().split()) for h in document.xpath("//main//h2")]
    assert headings[:4] == [
        headings[0],
        "Your next step",
        "Score per objective, weakest first",
        "Your gap guide",
    ]
    assert headings[0].startswith("Your score:")
    # One next step, a button: mostly wrong answers leave gaps, so the spaced review.
    section = document.xpath("//section[contains(@class,'next-step')]")[0]
    steps = section.xpath(".//a[contains(@class,'button')] | .//button")
    assert [" ".join(s.text_content().split()) for s in steps] == ["Start your spaced review"]
    # Gap guide: weak and developing open, secure folded (each shows its mastery in its summary).
    entries = document.xpath("//ol[@class='gap-guide']/li")
    for entry in entries:
        level = re.search(r"level-(\w+)", entry.get("class"))[1]
        details = entry.xpath("./details")[0]
        assert (details.get("open") is not None) == (level != "secure")
        assert "% mastery" in details.xpath("./summary")[0].text_content()
    # The score is read as the submit stored it, not regraded per page load.
    attempt = attempt_of(lms, result.url)
    session = lms.db()
    session.execute(update(Attempt).where(Attempt.id == attempt.id).values(score=0.5, correct=7))
    session.commit()
    again = browser.get(result.url, timeout=10)
    assert f"Your score: 50% (7 of {attempt.total})" in again.text


# --- the next step, as a unit -----------------------------------------------------------------------


def context_with(return_url: object):
    claims = {LTI + "launch_presentation": {"return_url": return_url}}
    return LaunchContext(
        "l", 1, "d", "u", "U", [], "c", "C", "r", "diagnostic", "LtiResourceLinkRequest", claims
    )


@pytest.mark.parametrize(
    ("return_url", "shown"),
    [
        ("https://lms.example/course/1", "https://lms.example/course/1"),
        ("javascript:alert(1)", None),
        ("//lms.example/x", None),
        (42, None),
    ],
)
def test_the_mock_exam_step_links_only_to_a_web_return_url(return_url, shown):
    step = next_step(context_with(return_url), BlueprintKind.diagnostic, passed=True, guide=[])
    assert (step.kind, step.label, step.url) == ("course", "Go on to the mock exam", shown)
    assert next_step(context_with(None), BlueprintKind.mock_exam, passed=False, guide=[]).kind == "retake"
