"""Grade passback against the sandbox LMS over real HTTP, through faults: nothing lost, nothing doubled.

The worker runs in-process (`run_once`, the same code `flask --app lti_app worker` loops over), so
the tests can interleave workers, faults and learners deterministically.
"""

from __future__ import annotations

import csv
import io
import re
import threading
import time
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select, update

from lti_app.adapters.orm import Attempt, GradeDelivery, utcnow
from lti_app.services.delivery import claim, run_once
from lti_app.services.grade_worker import LeaseKeeper
from sandbox_lms import launch_claims, sign_id_token

from .lti_harness import LEARNER, LEARNER_2, csrf_of, query_of, start_lms
from .test_lti_flows import answer, attempt_of, correct_position, start, submit

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
TIMEOUT = 1.0  # the worker's HTTP timeout in these tests (production: 15 s)


@pytest.fixture(scope="module")
def lms(tmp_path_factory):
    with start_lms(tmp_path_factory.mktemp("lms"), tool_config={"LMS_TIMEOUT_SECONDS": TIMEOUT}) as running:
        running.add_link("knowledge-check", "Knowledge check")
        yield running


@pytest.fixture(autouse=True)
def clean_queue(lms):
    """Each test starts with no fault, no shared rate-limit pause and an empty queue (earlier grades
    are delivered first)."""
    fault(lms, "none")
    cache = lms.tool_app.extensions["redis"]
    for key in cache.scan_iter("skarp:throttle:*"):
        cache.delete(key)
    drain(lms)
    yield
    fault(lms, "none")


def fault(lms, mode: str, **settings) -> None:
    body = {"mode": mode, "target": settings.pop("target", "ags"), **settings}
    assert requests.post(f"{lms.sandbox_url}/sandbox/faults", json=body, timeout=10).status_code == 200


def take_check(lms, user: str, right: int):
    """A learner answers the two-question knowledge check (`right` of them correctly) and submits."""
    browser = lms.browser()
    page = start(lms, browser, user=user, assessment="knowledge-check")
    attempt = attempt_of(lms, page.url)
    for number in (1, 2):
        position = correct_position(attempt, number)
        page = answer(browser, page, number, position if number <= right else (position + 1) % 4)
    submit(browser, page)
    graded = attempt_of(lms, page.url)
    lms.db().expunge(graded)  # a snapshot: workers' app contexts recycle the thread's session
    return graded


def deliveries(lms) -> list[GradeDelivery]:
    session = lms.db()
    session.expire_all()
    return list(session.scalars(select(GradeDelivery).order_by(GradeDelivery.id)))


def work(lms, name: str = "worker-1") -> int:
    with lms.tool_app.app_context():
        session = lms.tool_app.extensions["db_session"]()
        return run_once(session, lms.tool_app.extensions["redis"], name, 10, TIMEOUT)


def make_due(lms) -> None:
    """Skip the backoff wait (the delay itself is checked separately)."""
    session = lms.db()
    session.execute(
        update(GradeDelivery).where(GradeDelivery.status == "retrying").values(next_attempt_at=utcnow())
    )
    session.commit()


def drain(lms, rounds: int = 10) -> None:
    for _ in range(rounds):
        make_due(lms)
        if work(lms) == 0:
            return


def gradebook(lms) -> dict:
    state = requests.get(f"{lms.sandbox_url}/sandbox/state", timeout=10).json()
    (item,) = [item for item in state["line_items"] if item["label"] == "Knowledge check"]
    return item


def score_posts(lms) -> int:
    log = requests.get(f"{lms.sandbox_url}/sandbox/requests", params={"kind": "ags"}, timeout=10).json()
    return sum(
        r["method"] == "POST" and r["path"].endswith("/scores") and 200 <= r["status"] < 300
        for r in log["requests"]
    )


def test_scores_land_with_the_right_values(lms):
    attempt = take_check(lms, LEARNER, right=1)
    (delivery,) = [d for d in deliveries(lms) if d.attempt_id == attempt.id]
    assert delivery.status == "pending" and delivery.timestamp == attempt.submitted_at.replace(microsecond=0)
    work(lms)
    delivery = next(d for d in deliveries(lms) if d.id == delivery.id)
    assert delivery.status == "synced" and delivery.synced_at is not None
    item = gradebook(lms)
    assert item["scoreMaximum"] == 2
    result = item["results"][LEARNER]
    assert (result["resultScore"], result["resultMaximum"], result["gradingProgress"]) == (
        1.0,
        2.0,
        "FullyGraded",
    )
    assert result["activityProgress"] == "Completed" and "1/2 (50%)" in result["comment"]


@pytest.mark.parametrize(
    ("mode", "settings", "expect_status", "expect_error"),
    [
        ("error500", {"count": 2}, 500, "fault"),
        ("rate_limit", {"count": 2, "retry_after": 1}, 429, "fault"),
        ("timeout", {"count": 2, "delay": TIMEOUT + 1}, None, "timed out"),
        ("drop", {"count": 2}, None, "failed"),
    ],
    ids=["500", "429", "timeout", "dropped-connection"],
)
def test_transient_failures_are_retried_until_the_grade_lands_once(
    lms, mode, settings, expect_status, expect_error
):
    before = score_posts(lms)
    attempt = take_check(lms, LEARNER_2, right=2)
    fault(lms, mode, **settings)
    work(lms)
    (delivery,) = [d for d in deliveries(lms) if d.attempt_id == attempt.id]
    assert delivery.status == "retrying", delivery.last_error
    assert delivery.last_status == expect_status and expect_error in (delivery.last_error or "").lower()
    assert delivery.next_attempt_at > utcnow() - timedelta(seconds=1)
    drain(lms)
    if mode == "timeout":
        time.sleep(settings["delay"] + 0.5)  # let the timed-out requests land (they count below)
    delivery = next(d for d in deliveries(lms) if d.id == delivery.id)
    assert delivery.status == "synced" and delivery.tries >= 2
    assert gradebook(lms)["results"][LEARNER_2]["resultScore"] == 2.0
    assert score_posts(lms) == before + 1, "exactly one score reached the gradebook"


def test_retry_after_is_honoured(lms):
    attempt = take_check(lms, LEARNER, right=0)
    fault(lms, "rate_limit", count=1, retry_after=30)
    work(lms)
    (delivery,) = [d for d in deliveries(lms) if d.attempt_id == attempt.id]
    assert delivery.status == "retrying"
    assert delivery.next_attempt_at >= utcnow() + timedelta(seconds=28)
    assert work(lms) == 0, "not due before Retry-After"


def test_a_4xx_that_cannot_succeed_is_failed_with_the_platforms_message(lms):
    attempt = take_check(lms, LEARNER, right=1)
    fault(lms, "reject400", count=5)
    work(lms)
    (delivery,) = [d for d in deliveries(lms) if d.attempt_id == attempt.id]
    assert delivery.status == "failed" and delivery.last_status == 400
    assert "sandbox fault injection" in delivery.last_error
    assert work(lms) == 0, "a failed grade is not retried by itself"


def test_a_newer_attempt_supersedes_a_pending_older_one(lms):
    fault(lms, "error500", count=1)
    first = take_check(lms, LEARNER_2, right=0)
    work(lms)  # the first grade meets a 500 and waits to retry
    second = take_check(lms, LEARNER_2, right=1)
    by_attempt = {d.attempt_id: d for d in deliveries(lms)}
    assert by_attempt[first.id].status == "superseded"
    assert by_attempt[second.id].timestamp > by_attempt[first.id].timestamp
    drain(lms)
    assert gradebook(lms)["results"][LEARNER_2]["resultScore"] == 1.0


def test_timestamps_never_collide_at_whole_seconds(lms):
    attempts = [take_check(lms, LEARNER, right=n % 3) for n in range(3)]
    stamps = [d.timestamp for d in deliveries(lms) if d.attempt_id in {a.id for a in attempts}]
    assert stamps == sorted(stamps) and len(set(stamps)) == 3
    assert all(stamp.microsecond == 0 for stamp in stamps)
    drain(lms)
    assert gradebook(lms)["results"][LEARNER]["resultScore"] == 2.0 % 3


def test_a_worker_killed_mid_delivery_leaves_the_grade_to_another(lms):
    attempt = take_check(lms, LEARNER, right=2)
    with lms.tool_app.app_context():
        session = lms.tool_app.extensions["db_session"]()
        (leased,) = claim(session, "worker-that-dies")  # leased, then the process is killed
    assert work(lms, "worker-2") == 0, "another worker leaves a live lease alone"
    session = lms.db()
    session.execute(
        update(GradeDelivery)
        .where(GradeDelivery.id == leased.id)
        .values(locked_until=utcnow() - timedelta(seconds=1))
    )
    session.commit()
    assert work(lms, "worker-2") == 1
    (delivery,) = [d for d in deliveries(lms) if d.attempt_id == attempt.id]
    assert delivery.status == "synced" and delivery.locked_by is None


def test_a_live_worker_keeps_its_lease_through_a_slow_lms(lms):
    """The lease (1 s here) is shorter than the LMS takes to answer (2.5 s): the worker's lease
    keeper renews it, so no other worker takes the grade and it is sent once."""
    before = score_posts(lms)
    attempt = take_check(lms, LEARNER_2, right=1)
    fault(lms, "timeout", count=1, delay=2.5)
    lease = timedelta(seconds=1)

    def slow_worker() -> None:
        with lms.tool_app.app_context():
            session = lms.tool_app.extensions["db_session"]()
            engine = lms.tool_app.extensions["db_engine"]
            with LeaseKeeper(engine, "slow-worker", lease) as keeper:
                run_once(
                    session,
                    lms.tool_app.extensions["redis"],
                    "slow-worker",
                    10,
                    5.0,
                    lease,
                    on_claim=keeper.hold,
                )

    thread = threading.Thread(target=slow_worker)
    thread.start()
    deadline = time.monotonic() + 10
    while requests.get(f"{lms.sandbox_url}/sandbox/faults", timeout=10).json()["applied"] < 1:
        assert time.monotonic() < deadline, "the LMS never saw the slow worker's request"
        time.sleep(0.05)
    time.sleep(1.5)  # past the first lease
    assert work(lms, "worker-2") == 0, "the live worker's lease was renewed"
    thread.join(15)
    assert not thread.is_alive()
    (delivery,) = [d for d in deliveries(lms) if d.attempt_id == attempt.id]
    assert delivery.status == "synced" and delivery.tries == 1
    assert score_posts(lms) == before + 1


def test_two_workers_at_once_never_deliver_the_same_grade_twice(lms):
    before = score_posts(lms)
    attempts = [take_check(lms, user, right=n % 3) for n in range(3) for user in (LEARNER, LEARNER_2)]
    waiting = [d for d in deliveries(lms) if d.status == "pending"]
    assert len(waiting) == 2, "each learner's newest grade supersedes their older pending ones"
    barrier = threading.Barrier(2)

    def run(name: str) -> None:
        barrier.wait()
        work(lms, name)

    threads = [threading.Thread(target=run, args=(f"parallel-{n}",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    drain(lms)
    assert score_posts(lms) == before + 2
    newest = {a.user_sub: a for a in attempts}
    item = gradebook(lms)
    for user, attempt in newest.items():
        assert item["results"][user]["resultScore"] == float(attempt.correct)


def test_one_token_per_platform_per_token_lifetime(lms):
    take_check(lms, LEARNER, right=1)
    take_check(lms, LEARNER_2, right=1)
    drain(lms)
    log = requests.get(f"{lms.sandbox_url}/sandbox/requests", params={"kind": "token"}, timeout=10).json()
    assert len([r for r in log["requests"] if r["status"] == 200]) == 1


# --- the instructor's review ------------------------------------------------------------------


def instructor_view(lms):
    browser = lms.browser()
    page = lms.launch(browser, "instructor-1", lms.links["knowledge-check"])
    assert page.status_code == 200 and "/i/" in page.url
    return browser, page


def test_a_rejected_grade_shows_as_failed_with_the_platforms_message_and_can_be_resynced(lms):
    take_check(lms, LEARNER, right=2)
    fault(lms, "reject400", count=1)
    work(lms)
    browser, page = instructor_view(lms)
    assert "failed: 400: sandbox fault injection" in page.text
    failed = int(re.search(r"Resync all (\d+) failed grade", page.text)[1])
    assert failed >= 1
    resynced = browser.post(
        page.url.rstrip("/") + "/resync", data={"csrf_token": csrf_of(page.text), "all_failed": "1"}
    )
    assert f"{failed} grade{'' if failed == 1 else 's'} queued to be sent again" in resynced.text
    work(lms)
    assert "synced at" in browser.get(page.url).text
    assert gradebook(lms)["results"][LEARNER]["resultScore"] == 2.0


def test_roster_from_nrps_lists_learners_who_never_launched(lms):
    _, page = instructor_view(lms)
    assert "Ada Learner" in page.text and "Ben Learner" in page.text
    requests.post(f"{lms.sandbox_url}/sandbox/faults", json={"mode": "none"}, timeout=10)
    log = requests.get(f"{lms.sandbox_url}/sandbox/requests", params={"kind": "nrps"}, timeout=10).json()
    assert any(r["status"] == 200 for r in log["requests"]), "the roster came from NRPS"


def test_review_shows_state_charts_and_item_statistics(lms):
    take_check(lms, LEARNER_2, right=1)
    drain(lms)
    _, page = instructor_view(lms)
    assert "Mean mastery per value chain activity" in page.text and "<svg" in page.text
    assert "Score distribution" in page.text and "Item statistics" in page.text
    assert "Facility index" in page.text and "quiz-1" in page.text
    assert "synced at" in page.text


def test_csv_export_has_a_row_per_learner_and_attempt(lms):
    browser, page = instructor_view(lms)
    export = browser.get(page.url.rstrip("/") + "/export.csv")
    assert export.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in export.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(export.text)))
    session = lms.db()
    session.expire_all()
    graded = session.scalars(select(Attempt).where(Attempt.preview.is_(False))).all()
    assert len([r for r in rows if r["attempt"]]) == len(graded)
    assert {"learner", "score_percent", "passed", "grade_sync", "plan"} <= set(rows[0])


def test_instructors_of_another_course_never_see_these_learners(lms):
    """A launch from another course of the same platform: its review is empty."""
    browser = lms.browser()
    redirect = lms.login_redirect(browser, "instructor-1", lms.links["knowledge-check"])
    query = query_of(redirect.headers["Location"])
    claims = launch_claims(
        lms.sandbox_app, lms.client_id, "instructor-1", lms.links["knowledge-check"], query["nonce"]
    )
    claims[LTI + "context"] = {"id": "course-2", "title": "Another course", "type": ["CourseOffering"]}
    claims.pop("https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice", None)
    token = sign_id_token(lms.sandbox_app, claims)
    page = browser.post(f"{lms.tool_url}/lti/launch", data={"id_token": token, "state": query["state"]})
    assert page.status_code == 200 and "/i/" in page.url
    assert "Ada Learner" not in page.text and "Ben Learner" not in page.text
    assert "No learners yet." in page.text
