"""Full flows over real HTTP: the sandbox LMS launches the tool; learners and instructors use it.

Live servers on 127.0.0.1 (the tool as http://localhost), a real Redis and a real database.
"""

from __future__ import annotations

import html
import re
from datetime import timedelta

import lxml.html
import pytest
import requests
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import StatementError

from courseware import load_content
from lti_app.adapters.orm import Answer, Attempt, LaunchRecord, utcnow
from sandbox_lms import get_resource_link, session_scope

from .conftest import CONTENT_DIR
from .lti_harness import INSTRUCTOR, LEARNER, LEARNER_2, csrf_of, form_of, start_lms

CONTENT = load_content(CONTENT_DIR)
ITEMS = {item.id: item for item in CONTENT.all_items()}


@pytest.fixture(scope="module")
def lms(tmp_path_factory):
    with start_lms(tmp_path_factory.mktemp("lms")) as running:
        for assessment in ("diagnostic", "mock-exam", "knowledge-check"):
            running.add_link(assessment)
        yield running


def start(lms, browser, user=LEARNER, assessment="diagnostic") -> requests.Response:
    """Launch and press Start: returns question 1 (or the open attempt's page)."""
    intro = lms.launch(browser, user, lms.links[assessment])
    assert intro.status_code == 200, intro.text
    if "/q/" in intro.url:
        return intro
    return browser.post(intro.url + "start", data={"csrf_token": csrf_of(intro.text)}, timeout=10)


def attempt_of(lms, page_url: str) -> Attempt:
    attempt_id = int(re.search(r"/attempt/(\d+)/", page_url)[1])
    session = lms.db()
    session.expire_all()
    return session.get(Attempt, attempt_id)


def correct_position(attempt: Attempt, number: int) -> int:
    delivered = attempt.delivered[number - 1]
    return delivered["option_order"].index(ITEMS[delivered["item_id"]].answer_index)


def answer(browser, page: requests.Response, number: int, position: int | None, go="next"):
    url = re.sub(r"/q/\d+$", f"/q/{number}", page.url)
    data = {"csrf_token": csrf_of(page.text), "go": go}
    if position is not None:
        data["choice"] = str(position)
    return browser.post(url, data=data, timeout=10)


def submit(browser, review: requests.Response, confirm: bool = True) -> requests.Response:
    """Press "Submit for grading" on the review page. With questions unanswered the tool first asks
    (a confirmation page); with `confirm` the learner then presses "Submit anyway"."""
    action, fields = form_of(review.text, review.url)
    response = browser.post(action, data=fields, timeout=10)
    if confirm and response.url.endswith("/submit") and "Submit anyway" in response.text:
        action, fields = form_of(response.text, response.url)
        response = browser.post(action, data=fields, timeout=10)
    return response


def test_registration_and_public_urls(lms):
    config = requests.get(f"{lms.tool_url}/lti/config", timeout=10)
    for path in ("/lti/login", "/lti/launch", "/lti/jwks.json", "/lti/register", "/lti/canvas.json"):
        assert f"{lms.tool_url}{path}" in config.text
    keys = requests.get(f"{lms.tool_url}/lti/jwks.json", timeout=10).json()["keys"]
    assert keys and all({"kid", "alg", "use", "n", "e"} <= set(key) for key in keys)
    canvas = requests.get(f"{lms.tool_url}/lti/canvas.json", timeout=10).json()
    assert {"alg", "use", "kid"} <= set(canvas["public_jwk"])
    placements = {
        p["placement"]: p["message_type"] for p in canvas["extensions"][0]["settings"]["placements"]
    }
    assert placements == {
        "assignment_selection": "LtiDeepLinkingRequest",
        "link_selection": "LtiDeepLinkingRequest",
    }
    state = requests.get(f"{lms.sandbox_url}/sandbox/state", timeout=10).json()
    assert any(tool["client_id"] == lms.client_id for tool in state["tools"])


def test_learner_takes_the_diagnostic_graded_on_the_server(lms):
    browser = lms.browser()
    page = start(lms, browser)
    assert "Question 1 of 18" in page.text
    attempt = attempt_of(lms, page.url)
    assert len(attempt.delivered) == 18
    right = 0
    for number in range(1, 19):
        wrong_on_purpose = number % 3 == 0
        position = correct_position(attempt, number)
        if wrong_on_purpose:
            position = (position + 1) % 4
        else:
            right += 1
        page = answer(browser, page, number, position)
        assert page.status_code == 200
    assert "You answered 18 of 18 questions" in page.text
    result = submit(browser, page)
    assert result.status_code == 200 and "/result" in result.url
    attempt = attempt_of(lms, result.url)
    assert (attempt.status, attempt.correct, attempt.total) == ("submitted", right, 18)
    assert f"Your score: {round(100 * right / 18)}% ({right} of 18)" in result.text
    assert "Score per objective" in result.text and "Your gap guide" in result.text
    for item_id in (d["item_id"] for d in attempt.delivered):
        assert ITEMS[item_id].rationale.split()[0] in result.text


def test_items_are_served_without_answers(lms):
    page = start(lms, lms.browser(), user=LEARNER_2, assessment="mock-exam")
    attempt = attempt_of(lms, page.url)
    item = ITEMS[attempt.delivered[0]["item_id"]]
    assert item.options[0].text in page.text
    shown = html.unescape(page.text)
    assert item.rationale not in shown  # whole texts: a stem may quote the same chapter sentence
    assert all(option.rationale not in shown for option in item.options)
    radios = lxml.html.fromstring(page.text).xpath("//input[@type='radio']")
    assert [radio.get("value") for radio in radios] == ["0", "1", "2", "3"]
    names = [set(radio.attrib) - {"checked"} for radio in radios]
    assert all(attributes == names[0] for attributes in names), "no option carries anything the others lack"


def test_answers_survive_reload_new_tab_redis_flush_and_restart(lms):
    browser = lms.browser()
    page = start(lms, browser, assessment="knowledge-check")
    attempt = attempt_of(lms, page.url)
    page = answer(browser, page, 1, 2)
    lms.tool_app.extensions["redis"].flushdb()  # sessions, launch cache, key caches: all gone
    reloaded = browser.get(page.url, timeout=10)
    assert reloaded.status_code == 200
    again = lms.launch(lms.browser(), LEARNER, lms.links["knowledge-check"])  # a new tab, a new launch
    assert "/q/1" in again.url
    assert 'value="2" checked' in again.text
    session = lms.db()
    session.expire_all()
    assert session.get(Answer, (attempt.id, attempt.delivered[0]["item_id"])) is not None


def test_submit_is_idempotent_and_closes_the_attempt(lms):
    browser = lms.browser()
    page = start(lms, browser, user=LEARNER_2, assessment="knowledge-check")
    page = answer(browser, page, 1, 0)
    page = answer(browser, page, 2, 0)
    first = submit(browser, page)
    attempt = attempt_of(lms, first.url)
    submitted_at = attempt.submitted_at
    token = csrf_of(page.text)
    second = browser.post(first.url.replace("/result", "/submit"), data={"csrf_token": token})
    assert second.status_code == 200
    again = attempt_of(lms, first.url)
    assert (again.submitted_at, again.correct) == (submitted_at, attempt.correct)
    late = browser.post(first.url.replace("/result", "/q/1"), data={"csrf_token": token, "choice": "1"})
    assert late.status_code == 409 and "submitted" in late.text


def test_answers_only_for_the_learners_own_open_attempt(lms):
    ada, ben = lms.browser(), lms.browser()
    ada_page = start(lms, ada, user=LEARNER, assessment="mock-exam")
    ben_intro = lms.launch(ben, LEARNER_2, lms.links["mock-exam"])
    ben_launch_url = ben_intro.url.split("/attempt/")[0].rstrip("/")
    ada_attempt = attempt_of(lms, ada_page.url)
    stolen = ben.post(
        f"{ben_launch_url}/attempt/{ada_attempt.id}/q/1",
        data={"csrf_token": csrf_of(ben_intro.text), "choice": "0"},
    )
    assert stolen.status_code == 404
    assert ben.get(f"{ben_launch_url}/attempt/{ada_attempt.id}/result").status_code == 404


def test_forms_need_the_csrf_token(lms):
    browser = lms.browser()
    page = start(lms, browser, assessment="mock-exam")
    refused = browser.post(page.url, data={"choice": "1", "go": "next"})
    assert refused.status_code == 400 and "expired" in refused.text


def test_mock_exam_time_limit_is_enforced_by_the_server(lms):
    browser = lms.browser()
    page = start(lms, browser, user=LEARNER_2, assessment="mock-exam")
    assert 'data-role="timer"' in page.text
    page = answer(browser, page, 1, correct_position(attempt_of(lms, page.url), 1))
    attempt = attempt_of(lms, page.url)
    assert attempt.deadline_at - attempt.started_at == timedelta(minutes=30)
    session = lms.db()
    attempt.deadline_at = utcnow() - timedelta(seconds=1)
    session.commit()
    too_late = answer(browser, page, 2, 0)
    assert too_late.status_code == 409 and "Time is up" in too_late.text
    result = browser.get(page.url.rsplit("/q/", 1)[0] + "/result")
    attempt = attempt_of(lms, result.url)
    assert (attempt.status, attempt.submitted_by, attempt.correct) == ("submitted", "timer", 1)
    assert "Time ran out" in result.text


def test_mock_exam_is_shuffled_per_attempt_and_reproducible_from_its_seed(lms):
    from courseware.assessment import assemble

    attempts = [a for a in lms.attempts() if a.assessment_id == "mock-exam"]
    assert len(attempts) >= 2
    orders = {tuple(d["item_id"] for d in a.delivered) for a in attempts}
    assert len(orders) == len(attempts), "each attempt has its own order"
    for attempt in attempts:
        rebuilt = assemble(CONTENT.blueprint("mock-exam"), CONTENT.all_items(), attempt.seed)
        assert [
            {"item_id": d.item_id, "option_order": list(d.option_order)} for d in rebuilt
        ] == attempt.delivered


def test_instructor_sees_attempts_and_previews_without_a_graded_attempt(lms):
    browser = lms.browser()
    view = lms.launch(browser, INSTRUCTOR, lms.links["diagnostic"])
    assert "/i/" in view.url and '<h2 id="learners-heading">Learners</h2>' in view.text
    assert "Ada Learner" in view.text
    before = len(lms.attempts())
    preview = browser.get(view.url.replace("/i/", "/a/"))
    question = browser.post(preview.url + "start", data={"csrf_token": csrf_of(preview.text)})
    assert "Question 1 of 18" in question.text
    attempts = lms.attempts()
    assert len(attempts) == before + 1 and attempts[-1].preview is True
    view = browser.get(view.url)
    assert view.text.count("Ines Instructor") <= 1  # the header, never a row of the attempts table


def test_learners_cannot_open_the_instructor_view(lms):
    learner_page = lms.launch(lms.browser(), LEARNER, lms.links["diagnostic"])
    launch_id = re.search(r"/a/([^/]+)/", learner_page.url)[1]
    refused = requests.get(f"{lms.tool_url}/i/{launch_id}/", timeout=10)
    assert refused.status_code == 403


def test_deep_linking_creates_a_graded_link_that_opens_the_chosen_assessment(lms):
    browser = lms.browser()
    picker = lms.launch(browser, INSTRUCTOR, "deep-link")
    assert "Which activity should this link open?" in picker.text
    chosen = browser.post(picker.url, data={"csrf_token": csrf_of(picker.text), "assessment": "mock-exam"})
    action, fields = form_of(chosen.text)
    assert action.startswith(lms.sandbox_url) and "JWT" in fields
    done = browser.post(action, data=fields, timeout=10)
    assert done.status_code == 200, done.text
    state = requests.get(f"{lms.sandbox_url}/sandbox/state", timeout=10).json()
    tool = next(tool for tool in state["tools"] if tool["client_id"] == lms.client_id)
    link = next(link for link in tool["resource_links"] if link["title"] == "Mock exam")
    assert link["custom"]["assessment"] == "mock-exam"
    line_item = next(item for item in state["line_items"] if item["resourceLinkId"] == link["id"])
    assert (line_item["scoreMaximum"], line_item["label"]) == (20, "Mock exam")
    opened = lms.launch(lms.browser(), LEARNER_2, link["id"])
    assert "<h1>Mock exam</h1>" in opened.text


def test_security_headers(lms):
    page = start(lms, lms.browser(), user=LEARNER_2, assessment="diagnostic")
    csp = page.headers["Content-Security-Policy"]
    assert f"frame-ancestors 'self' {lms.sandbox_url}" in csp
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["X-Content-Type-Options"] == "nosniff"


def test_responses_no_browser_renders_skip_the_platform_origins(lms):
    """Redirects and JSON answers are never shown as pages: a small fixed policy, no origin lookup
    (the launch's redirects and every answer save are the busiest requests)."""
    browser = lms.browser()
    redirect = lms.login_redirect(browser, LEARNER_2, lms.links["diagnostic"])
    assert redirect.headers["Content-Security-Policy"] == "default-src 'none'; base-uri 'none'"
    page = start(lms, browser, user=LEARNER_2, assessment="diagnostic")
    saved = browser.post(
        page.url,
        data={"csrf_token": csrf_of(page.text), "choice": "1", "go": "stay"},
        headers={"Accept": "application/json"},
        timeout=10,
    )
    assert saved.status_code == 200 and saved.headers["Content-Type"].startswith("application/json")
    assert (
        saved.headers["Content-Security-Policy"]
        == "default-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    )
    assert f"frame-ancestors 'self' {lms.sandbox_url}" in page.headers["Content-Security-Policy"]


def test_launch_cookies_cross_sites(lms):
    browser = lms.browser()
    redirect = lms.login_redirect(browser, LEARNER, lms.links["diagnostic"])
    cookies = redirect.headers["Set-Cookie"]
    assert "SameSite=None" in cookies and "Secure" in cookies


def test_a_launch_records_who_and_where(lms):
    session = lms.db()
    session.expire_all()
    count = session.scalar(select(func.count()).select_from(LaunchRecord))
    assert count > 0
    with session_scope(lms.sandbox_app) as sandbox:
        assert get_resource_link(sandbox, lms.links["diagnostic"]) is not None


def test_a_learner_cannot_add_an_activity_and_nothing_is_recorded(lms):
    """A deep linking launch from a learner is refused as a permission error (403, the tool's error
    page) before the launch is stored: nothing half-written."""
    session = lms.db()
    session.expire_all()
    before = session.scalar(select(func.count()).select_from(LaunchRecord))
    refused = lms.launch(lms.browser(), LEARNER, "deep-link")
    assert refused.status_code == 403
    assert "Only instructors can add activities" in refused.text
    assert "Traceback" not in refused.text
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(LaunchRecord)) == before


def test_attempt_status_is_stored_as_the_strings_it_always_was(lms):
    """AttemptStatus is a str enum over the same VARCHAR values: rows read by SQL, a report or an
    older release see 'open' and 'submitted'."""
    browser = lms.browser()
    page = start(lms, browser, user=LEARNER_2, assessment="mock-exam")
    attempt = attempt_of(lms, page.url)
    session = lms.db()
    stored = session.execute(text("SELECT status FROM attempts WHERE id = :id"), {"id": attempt.id}).scalar()
    assert stored == "open" and type(attempt.status).__name__ == "AttemptStatus"
    with pytest.raises(StatementError, match="'abandoned' is not a valid AttemptStatus"):
        session.execute(update(Attempt).where(Attempt.id == attempt.id).values(status="abandoned"))
    session.rollback()
