"""Answer review before submit, over real HTTP without JavaScript: the review shows each question's
chosen option (or "Not answered"), never a mark that reads as "correct"; submitting with questions
unanswered asks first (a confirmation page whose form carries the CSRF token and confirm=1)."""

from __future__ import annotations

import re

import lxml.html
import pytest

from courseware import load_content

from .conftest import CONTENT_DIR
from .lti_harness import LEARNER, LEARNER_2, form_of, start_lms
from .test_lti_flows import answer, attempt_of, start, submit

ITEMS = {item.id: item for item in load_content(CONTENT_DIR).all_items()}


@pytest.fixture(scope="module")
def lms(tmp_path_factory):
    with start_lms(tmp_path_factory.mktemp("lms")) as running:
        for assessment in ("diagnostic", "knowledge-check"):
            running.add_link(assessment)
        yield running


def review_page(browser, page):
    return browser.get(re.sub(r"/q/\d+$", "/review", page.url), timeout=10)


def option_text(attempt, number: int, position: int) -> str:
    delivered = attempt.delivered[number - 1]
    return ITEMS[delivered["item_id"]].options[delivered["option_order"][position]].text


def entries(html: str) -> list[str]:
    document = lxml.html.fromstring(html)
    return [" ".join(li.text_content().split()) for li in document.xpath("//ol[@class='answer-review']/li")]


def test_the_review_shows_the_chosen_option_text_or_not_answered(lms):
    browser = lms.browser()
    page = start(lms, browser, user=LEARNER_2, assessment="knowledge-check")
    attempt = attempt_of(lms, page.url)
    page = answer(browser, page, 1, 2)  # option C of question 1; question 2 left
    review = review_page(browser, page)
    assert review.status_code == 200
    chosen = re.sub(r"[*_`]", "", " ".join(option_text(attempt, 1, 2).split()))  # as rendered
    first, second = entries(review.text)
    assert first == f"Question 1: C) {chosen}"
    assert second == "Question 2: Not answered"
    assert "✓" not in review.text and "1 is not answered yet and will count as wrong" in review.text
    # The question links still lead back to change an answer.
    links = lxml.html.fromstring(review.text).xpath("//ol[@class='answer-review']//a/@href")
    assert links[1].endswith(f"/attempt/{attempt.id}/q/2")


def test_unanswered_questions_ask_for_confirmation_and_nothing_is_submitted_until_confirmed(lms):
    browser = lms.browser()
    page = start(lms, browser, user=LEARNER, assessment="diagnostic")
    attempt = attempt_of(lms, page.url)
    for number in range(1, 16):  # 15 of 18 answered: 3 left
        page = answer(browser, page, number, 0)
    review = review_page(browser, page)

    asked = submit(browser, review, confirm=False)
    assert asked.status_code == 200 and asked.url.endswith("/submit")
    assert "3 unanswered questions will count as wrong. Submit anyway?" in asked.text
    document = lxml.html.fromstring(asked.text)
    assert document.xpath("//ul[contains(@class, 'unanswered-list')]//a/text()") == [
        "Question 16",
        "Question 17",
        "Question 18",
    ]
    assert attempt_of(lms, page.url).status == "open", "not submitted without confirmation"

    action, fields = form_of(asked.text, asked.url)
    assert fields["confirm"] == "1" and fields["csrf_token"]  # the token is carried
    without_token = browser.post(action, data={"confirm": "1"}, timeout=10)
    assert without_token.status_code in (400, 403)
    assert attempt_of(lms, page.url).status == "open"

    done = browser.post(action, data=fields, timeout=10)
    assert done.status_code == 200 and done.url.endswith("/result")
    graded = attempt_of(lms, page.url)
    assert (graded.id, graded.status, graded.total) == (attempt.id, "submitted", 18)


def test_with_every_question_answered_submit_goes_straight_to_the_result(lms):
    browser = lms.browser()
    page = start(lms, browser, user=LEARNER_2, assessment="knowledge-check")
    page = answer(browser, page, 1, 0)
    page = answer(browser, page, 2, 1)
    assert "You answered 2 of 2 questions." in page.text
    result = submit(browser, page, confirm=False)
    assert result.url.endswith("/result") and "Submit anyway" not in result.text
    assert attempt_of(lms, result.url).status == "submitted"
