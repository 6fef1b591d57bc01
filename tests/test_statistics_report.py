"""The instructor's review shows Moodle's test and item statistics, with each flag and its reason,
over each learner's first attempt (real HTTP: the sandbox LMS launches the tool)."""

from __future__ import annotations

from urllib.parse import urljoin

import lxml.html
import pytest

from sandbox_lms import Membership, User, get_course, session_scope

from .lti_harness import INSTRUCTOR, LEARNER, LEARNER_2, start_lms
from .test_lti_flows import answer, attempt_of, correct_position, start, submit

THIRD = "learner-3"


@pytest.fixture(scope="module")
def lms(tmp_path_factory):
    with start_lms(tmp_path_factory.mktemp("lms")) as running:
        running.add_link("knowledge-check")
        with session_scope(running.sandbox_app) as session:  # a third learner in the sandbox course
            user = User(
                sub=THIRD,
                name="Cy Learner",
                given_name="Cy",
                family_name="Learner",
                email="cy@example.edu",
                institution_role="Student",
            )
            session.add(user)
            session.flush()
            session.add(Membership(course_id=get_course(session).id, user_id=user.id, roles=["Learner"]))
        yield running


def take(lms, user: str, right: set[str]) -> None:
    """The two-item knowledge check, answering right exactly the item ids in `right`."""
    browser = lms.browser()
    page = start(lms, browser, user=user, assessment="knowledge-check")
    attempt = attempt_of(lms, page.url)
    for number, delivered in enumerate(attempt.delivered, start=1):
        position = correct_position(attempt, number)
        chosen = position if delivered["item_id"] in right else (position + 1) % 4
        page = answer(browser, page, number, chosen)
    result = submit(browser, page)
    assert "/result" in result.url


def cells(table) -> dict[str, list[str]]:
    """Row header text -> the row's cell texts."""
    return {
        row.xpath("string(th)").strip(): [td.text_content().strip() for td in row.xpath("td")]
        for row in table.xpath(".//tbody/tr")
    }


def test_instructor_sees_test_statistics_and_item_flags_with_reasons(lms):
    # First attempts: quiz-1 right by all three (facility 100%: flagged easy), quiz-2 by learner-1 only.
    # Totals [2,1,1]: variance 1/3; slot variances quiz-1 0, quiz-2 [1,0,0] 1/3 -> CIC = 2 * (1 - 1) = 0%.
    take(lms, LEARNER, {"quiz-1", "quiz-2"})
    take(lms, LEARNER_2, {"quiz-1"})
    take(lms, THIRD, {"quiz-1"})
    # A second attempt with quiz-1 wrong: counted, quiz-1 would be 3/4 = 75% and not flagged.
    take(lms, LEARNER, set())

    browser = lms.browser()
    page = lms.launch(browser, INSTRUCTOR, lms.links["knowledge-check"])
    assert page.status_code == 200 and "/i/" in page.url
    document = lxml.html.fromstring(page.text)

    [summary] = document.xpath("//table[caption[starts-with(normalize-space(), 'The test as a whole')]]")
    assert "3 first attempts, 2 questions each" in summary.xpath("string(caption)")
    assert summary.xpath("thead//th/@scope") == ["col", "col", "col"]
    values = cells(summary)
    assert values["Average score"][0] == "1.33"  # (2 + 1 + 1) / 3
    assert values["Standard deviation"][0] == "0.58"  # sqrt(1/3)
    assert values["Coefficient of internal consistency (CIC)"][0] == "0.0%"
    assert values["Error ratio"][0] == "100.0%"  # 100 * sqrt(1 - 0)
    assert values["Standard error"][0] == "0.58"  # 1.0 * sqrt(1/3)
    [test_flag] = document.xpath("//p[contains(@class, 'stat-flag')]")
    assert test_flag.text_content().startswith("Test flagged: CIC 0% is below 64%")

    [items] = document.xpath("//table[caption[contains(., 'flags per item')]]")
    headers = [th.text_content() for th in items.xpath("thead//th")]
    assert headers[-3:] == ["Discrimination index", "Discriminative efficiency", "Needs checking"]
    rows = {key.split()[0]: row for key, row in cells(items).items()}
    assert rows["quiz-1"][1:3] == ["3", "100%"]  # attempts, facility: first attempts only
    assert "Yes:" in rows["quiz-1"][-1] and "Facility index 100% is above 80%" in rows["quiz-1"][-1]
    # quiz-2 [1,0,0]: facility 33%; its rest (quiz-1) has no spread, so no discrimination: "—"
    assert rows["quiz-2"][1:5] == ["3", "33%", "—", "—"] and rows["quiz-2"][-1] == "No"

    # Moodle's option "all attempts": the instructor's link, and learner-1's second attempt counts.
    [link] = document.xpath("//a[normalize-space()='Include all attempts']/@href")
    page = browser.get(urljoin(page.url, link.split("#")[0]), timeout=10)
    document = lxml.html.fromstring(page.text)
    [summary] = document.xpath("//table[caption[starts-with(normalize-space(), 'The test as a whole')]]")
    assert "(4 attempts, 2 questions each)" in summary.xpath("string(caption)")
    [items] = document.xpath("//table[caption[contains(., 'flags per item')]]")
    rows = {key.split()[0]: row for key, row in cells(items).items()}
    assert rows["quiz-1"][1:3] == ["4", "75%"] and "Facility index" not in rows["quiz-1"][-1]
