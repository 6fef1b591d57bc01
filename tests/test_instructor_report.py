"""The instructor report reads results stored at submit (never regrades), and sorts, filters and pages
its learners in the database (issue 13 point 3, issue 12 point 6), over real HTTP: the sandbox LMS
launches the tool; a class is written straight through the ORM (`benchmarks.report_seed`)."""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import urljoin

import lxml.html
import pytest
from flask import url_for
from sqlalchemy import delete, func, select, update

from benchmarks.report_seed import Link, seed_class
from courseware.assessment import DeliveredItem, grade
from lti_app.adapters.orm import (
    Attempt,
    AttemptItemResult,
    AttemptObjectiveResult,
    LaunchRecord,
)
from lti_app.extensions import content as tool_content

from .lti_harness import INSTRUCTOR, LEARNER, start_lms
from .test_lti_flows import answer, attempt_of, correct_position, start, submit

LEARNERS, ATTEMPTS = 60, 2
TOTAL = LEARNERS + 2  # and Ada and Ben, on the sandbox's NRPS roster, who never opened this link: 3 pages


@pytest.fixture(scope="module")
def lms(tmp_path_factory):
    with start_lms(tmp_path_factory.mktemp("lms-report")) as running:
        running.add_link("knowledge-check")
        running.add_link("mock-exam")
        yield running


def launch_instructor(lms, assessment: str):
    browser = lms.browser()
    page = lms.launch(browser, INSTRUCTOR, lms.links[assessment])
    assert page.status_code == 200 and "/i/" in page.url, page.text[:500]
    return browser, page


def link_of(lms, page_url: str) -> Link:
    launch_id = re.search(r"/i/([^/]+)/", page_url)[1]
    session = lms.db()
    record = session.get(LaunchRecord, launch_id)
    return Link(record.platform_id, record.deployment_id, record.context_id, record.resource_link_id,
                record.assessment_id)  # fmt: skip


@pytest.fixture(scope="module")
def seeded(lms):
    """60 learners x 2 mock exams in the mock exam's link, written through the ORM."""
    browser, page = launch_instructor(lms, "mock-exam")
    with lms.tool_app.app_context():
        stored = seed_class(lms.db(), tool_content(), link_of(lms, page.url), LEARNERS, ATTEMPTS,
                            name_of=lambda i: f"Learner {i:03d}" if i != 7 else "Zoë 100%_match")  # fmt: skip
    assert stored == LEARNERS * ATTEMPTS
    return browser, page.url


def learner_rows(html: str) -> list[dict[str, str]]:
    document = lxml.html.fromstring(html)
    return [
        {
            "name": tr.xpath("string(th)").strip(),
            **{td.get("class").split()[0]: td.text_content().strip() for td in tr.xpath("td")},
        }
        for tr in document.xpath("//table[contains(@class, 'learners')]/tbody/tr[@class='learner']")
    ]


# --- 1. stored results --------------------------------------------------------------------------------


def test_submit_stores_item_and_objective_results_equal_to_a_regrade(lms):
    browser = lms.browser()
    page = start(lms, browser, user=LEARNER, assessment="knowledge-check")
    attempt = attempt_of(lms, page.url)
    first = attempt.delivered[0]["item_id"]
    page = answer(browser, page, 1, correct_position(attempt, 1))
    page = answer(browser, page, 2, (correct_position(attempt, 2) + 1) % 4)
    assert "/result" in submit(browser, page).url

    session = lms.db()
    session.expire_all()
    attempt = session.get(Attempt, attempt.id)
    stored = {
        r.item_id: r for r in session.scalars(select(AttemptItemResult).filter_by(attempt_id=attempt.id))
    }
    with lms.tool_app.app_context():
        course = tool_content()
        items = {item.id: item for item in course.all_items()}
        regrade = grade(
            [DeliveredItem(d["item_id"], tuple(d["option_order"])) for d in attempt.delivered],
            {a.item_id: a.chosen for a in attempt.answers},
            items,
            course.blueprint("knowledge-check").pass_mark,
        )
    assert attempt.results_at is not None
    assert {i: r.is_correct for i, r in stored.items()} == {r.item_id: r.is_correct for r in regrade.results}
    assert stored[first].is_correct and stored[first].position == 1
    objectives = session.scalars(select(AttemptObjectiveResult).filter_by(attempt_id=attempt.id)).all()
    assert sum(o.correct for o in objectives) == 1 and sum(o.total for o in objectives) == 2


def test_attempts_submitted_before_stored_results_are_backfilled_once(lms):
    """An attempt from before migration 0005 (no results, results_at NULL) is graded on the first
    report read and never again: a later read leaves its results_at as it was."""
    browser, page = launch_instructor(lms, "knowledge-check")
    session = lms.db()
    session.expire_all()
    [attempt_id] = session.scalars(
        select(Attempt.id).where(Attempt.assessment_id == "knowledge-check", Attempt.status == "submitted")
    ).all()[:1]
    session.execute(delete(AttemptItemResult).where(AttemptItemResult.attempt_id == attempt_id))
    session.execute(delete(AttemptObjectiveResult).where(AttemptObjectiveResult.attempt_id == attempt_id))
    session.execute(update(Attempt).where(Attempt.id == attempt_id).values(results_at=None))
    session.commit()

    assert browser.get(page.url, timeout=10).status_code == 200
    session.expire_all()
    first = session.get(Attempt, attempt_id).results_at
    count = session.scalar(select(func.count()).where(AttemptItemResult.attempt_id == attempt_id))
    assert first is not None and count == 2
    assert "Item statistics" in browser.get(page.url, timeout=10).text
    session.expire_all()
    assert session.get(Attempt, attempt_id).results_at == first


def test_an_old_attempt_whose_item_left_the_course_does_not_break_the_report(lms):
    """Backfilling needs a regrade; an attempt of an item since removed is skipped, not a 500."""
    browser, page = launch_instructor(lms, "knowledge-check")
    session = lms.db()
    session.expire_all()
    attempt = session.scalars(
        select(Attempt).where(Attempt.assessment_id == "knowledge-check", Attempt.status == "submitted")
    ).first()
    session.execute(delete(AttemptItemResult).where(AttemptItemResult.attempt_id == attempt.id))
    session.execute(delete(AttemptObjectiveResult).where(AttemptObjectiveResult.attempt_id == attempt.id))
    delivered = [{**attempt.delivered[0], "item_id": "an-item-since-removed"}, *attempt.delivered[1:]]
    session.execute(
        update(Attempt).where(Attempt.id == attempt.id).values(results_at=None, delivered=delivered)
    )
    session.commit()

    report = browser.get(page.url, timeout=10)
    assert report.status_code == 200 and "Learners 1–" in report.text
    session.expire_all()
    assert session.get(Attempt, attempt.id).results_at is not None  # claimed once, not retried per page load


# --- 2. sorted, filtered, paged in the database ---------------------------------------------------------


def test_first_page_is_25_learners_by_name_with_a_labelled_pagination(lms, seeded):
    browser, url = seeded
    page = browser.get(url, timeout=10)
    rows = learner_rows(page.text)
    assert len(rows) == 25 and [r["name"] for r in rows[:3]] == ["Ada Learner", "Ben Learner", "Learner 000"]
    assert [r["name"] for r in rows] == sorted(r["name"] for r in rows)
    assert f"Learners 1–25 of {TOTAL}" in page.text
    document = lxml.html.fromstring(page.text)
    [nav] = document.xpath("//nav[@aria-label='Learner pages']")
    assert nav.xpath("string(.//a[@aria-current='page'])").strip() == "Page 1"
    assert document.xpath("//th[@aria-sort]/@aria-sort") == ["ascending"]
    assert rows[0]["col-attempts"] == "0" and rows[0]["col-sync"] == "Not started"
    assert all(r["col-attempts"] == str(ATTEMPTS) for r in rows[2:])


def test_sort_by_score_descending_then_page_three_keeps_the_query(lms, seeded):
    browser, url = seeded
    document = lxml.html.fromstring(browser.get(url, timeout=10).text)
    [score_link] = document.xpath("//th[contains(@class, 'col-score')]/a/@href")
    page = browser.get(urljoin(url, score_link), timeout=10)
    rows = learner_rows(page.text)
    scores = [int(r["col-score"].split("%")[0]) for r in rows]
    assert scores == sorted(scores)  # ascending first
    document = lxml.html.fromstring(page.text)
    [score_link] = document.xpath("//th[contains(@class, 'col-score')]/a/@href")
    page = browser.get(urljoin(url, score_link), timeout=10)
    scores = [int(r["col-score"].split("%")[0]) for r in learner_rows(page.text)]
    assert scores == sorted(scores, reverse=True)
    assert lxml.html.fromstring(page.text).xpath("//th[@aria-sort]/@aria-sort") == ["descending"]
    [last] = lxml.html.fromstring(page.text).xpath(
        "//nav[@aria-label='Learner pages']//a[normalize-space()='Page 3']/@href"
    )
    assert "sort=score" in last and "order=desc" in last
    third = learner_rows(browser.get(urljoin(url, last), timeout=10).text)
    assert len(third) == TOTAL - 50
    assert [r["name"] for r in third[-2:]] == ["Ada Learner", "Ben Learner"]  # no score: last either way
    assert max(int(r["col-score"].split("%")[0]) for r in third[:-2]) <= min(scores)


def test_filters_by_name_result_and_sync_state(lms, seeded):
    browser, url = seeded
    # "%" and "_" are searched literally, not as SQL wildcards
    found = learner_rows(browser.get(url, params={"q": "100%_"}, timeout=10).text)
    assert [r["name"] for r in found] == ["Zoë 100%_match"]
    assert (
        learner_rows(browser.get(url, params={"q": "learner 01"}, timeout=10).text)[0]["name"]
        == "Learner 010"
    )
    failed = learner_rows(browser.get(url, params={"sync": "failed"}, timeout=10).text)
    assert failed and all(r["col-sync"] == "Failed" for r in failed)
    assert len(failed) == LEARNERS // 5  # every fifth learner's latest grade failed (report_seed)
    passed = browser.get(url, params={"result": "passed", "sort": "score"}, timeout=10)
    rows = learner_rows(passed.text)
    assert rows and all("Passed" in r["col-score"] and "Not passed" not in r["col-score"] for r in rows)
    assert "matching the filters" in passed.text


@pytest.mark.parametrize(
    ("args", "named"),
    [({"sort": "password"}, "sort: unknown column 'password'"), ({"page": "0"}, "page: '0'"),
     ({"page": "two"}, "page: 'two'"), ({"sync": "lost"}, "sync: 'lost'"), ({"order": "up"}, "order: 'up'")],
)  # fmt: skip
def test_bad_sort_filter_or_page_is_a_400_naming_it(lms, seeded, args, named):
    browser, url = seeded
    page = browser.get(url, params=args, timeout=10)
    assert page.status_code == 400 and named in lxml.html.fromstring(page.text).text_content()


def test_a_page_past_the_end_shows_the_last_page_and_says_so(lms, seeded):
    browser, url = seeded
    page = browser.get(url, params={"page": "99"}, timeout=10)
    assert page.status_code == 200 and "There is no page 99 (3 pages here); showing page 3." in page.text
    assert len(learner_rows(page.text)) == TOTAL - 50


def test_histogram_and_objectives_are_over_latest_attempts(lms, seeded):
    browser, url = seeded
    document = lxml.html.fromstring(browser.get(url, timeout=10).text)
    [bands] = document.xpath("//details[summary[contains(., 'score band')]]//table")
    counts = [int(td.text_content()) for td in bands.xpath(".//tbody/tr/td")]
    assert len(counts) == 10 and sum(counts) == LEARNERS
    assert bands.xpath("string(.//tbody/tr[last()]/th)") == "90–100%"
    assert document.xpath("//details[summary[contains(., 'per objective')]]//tbody/tr")


# --- 3. the CSV export, streamed ----------------------------------------------------------------------


def test_csv_export_streams_every_attempt_in_learner_order(lms, seeded):
    browser, url = seeded
    with browser.get(url.rstrip("/") + "/export.csv", stream=True, timeout=30) as export:
        assert export.headers["Content-Type"].startswith("text/csv")
        assert "Content-Length" not in export.headers  # streamed (chunked), not built in memory first
        body = export.content.decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    seeded_rows = [r for r in rows if r["user_id"].startswith("learner-0")]
    assert len(seeded_rows) == LEARNERS * ATTEMPTS
    names = [r["learner"] for r in seeded_rows]
    assert names == sorted(names, key=str.casefold)
    assert {r["attempt"] for r in seeded_rows} == {"1", "2"}
    assert any(r["grade_sync"].startswith("failed: 503") for r in seeded_rows)


@pytest.mark.parametrize("key", ["name", "score", "attempts", "submitted", "sync"])
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_every_column_sorts_both_ways_in_the_database(lms, seeded, key, order):
    browser, url = seeded
    page = browser.get(url, params={"sort": key, "order": order}, timeout=10)
    document = lxml.html.fromstring(page.text)
    [sorted_header] = document.xpath("//th[@aria-sort]")
    assert f"col-{key}" in sorted_header.get("class")
    assert sorted_header.get("aria-sort") == {"asc": "ascending", "desc": "descending"}[order]
    rows = learner_rows(page.text)
    column = {"name": "name", "score": "col-score", "attempts": "col-attempts", "submitted": "col-submitted",
              "sync": "col-sync"}[key]  # fmt: skip
    values = [r[column] for r in rows if r[column] != "—"]
    if key == "score":
        values = [int(v.split("%")[0]) for v in values]
    elif key in ("name", "sync"):
        values = [v.casefold() for v in values]
    assert values == sorted(values, reverse=order == "desc")


def test_the_old_endpoint_name_still_builds_the_report_url(lms):
    with lms.tool_app.test_request_context():
        assert (
            url_for("instructor.home", launch_id="x")
            == url_for("instructor.report", launch_id="x")
            == "/i/x/"
        )
