"""Submit is atomic with the answers: saves and the submit serialise on the attempt.

Issue 8, point 3: 18 threads saving answers while one submits stored answers after `submitted_at`,
and the result page (which regrades the stored answers) disagreed with the stored score and the
queued grade. Over real HTTP against the live tool, on SQLite or on the PostgreSQL at DATABASE_URL.
"""

from __future__ import annotations

import re
import threading

import pytest
import requests
from sqlalchemy import select

from courseware.assessment import DeliveredItem, grade
from lti_app.adapters.orm import Answer, Attempt, GradeDelivery
from lti_app.services import attempts as attempts_service

from .lti_harness import LEARNER, LEARNER_2, csrf_of, start_lms
from .test_lti_flows import CONTENT, ITEMS, attempt_of, correct_position, start

TRIALS = 3


@pytest.fixture(scope="module")
def lms(tmp_path_factory):
    with start_lms(tmp_path_factory.mktemp("lms")) as running:
        running.add_link("diagnostic")
        yield running


def stored_answers(lms, attempt_id: int) -> list[Answer]:
    session = lms.db()
    session.expire_all()
    return list(session.scalars(select(Answer).where(Answer.attempt_id == attempt_id)))


def regrade(attempt: Attempt, answers: list[Answer]) -> int:
    """What the result page and the class statistics compute: a grade of the stored answers."""
    delivered = [DeliveredItem(d["item_id"], tuple(d["option_order"])) for d in attempt.delivered]
    pass_mark = CONTENT.blueprint(attempt.assessment_id).pass_mark
    return grade(delivered, {a.item_id: a.chosen for a in answers}, ITEMS, pass_mark).correct


def race(lms, user: str) -> tuple[Attempt, dict[int, int], int]:
    """Every question of the diagnostic answered correctly by its own thread while another thread
    submits, all released at once. Returns the attempt, each save's HTTP status, the submit's."""
    browser = lms.browser()
    page = start(lms, browser, user=user, assessment="diagnostic")
    attempt = attempt_of(lms, page.url)
    count = len(attempt.delivered)
    token, base = csrf_of(page.text), page.url.rsplit("/q/", 1)[0]
    cookies = browser.cookies.get_dict()
    barrier = threading.Barrier(count + 1)
    saves: dict[int, int] = {}
    submitted: list[int] = []

    def save(number: int) -> None:
        choice = correct_position(attempt, number)
        barrier.wait()
        reply = requests.post(
            f"{base}/q/{number}",
            data={"csrf_token": token, "choice": str(choice), "go": "next"},
            cookies=cookies,
            allow_redirects=False,
            timeout=30,
        )
        saves[number] = reply.status_code

    def submit() -> None:
        barrier.wait()
        reply = requests.post(
            f"{base}/submit",
            data={"csrf_token": token, "confirm": "1"},  # confirmed: saves may not have landed yet
            cookies=cookies,
            allow_redirects=False,
            timeout=30,
        )
        submitted.append(reply.status_code)

    threads = [threading.Thread(target=save, args=(n,)) for n in range(1, count + 1)]
    threads.append(threading.Thread(target=submit))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    return attempt_of(lms, page.url), saves, submitted[0]


@pytest.mark.parametrize("trial", range(TRIALS))
def test_answers_racing_a_submit_are_either_graded_or_refused(lms, trial):
    attempt, saves, submit_status = race(lms, (LEARNER, LEARNER_2)[trial % 2])
    assert submit_status == 303
    assert attempt.status == "submitted"
    assert set(saves.values()) <= {303, 409}, saves
    answers = stored_answers(lms, attempt.id)
    late = [a.item_id for a in answers if a.answered_at > attempt.submitted_at]
    assert not late, f"answers stored after the submit: {late}"
    by_number = {d["item_id"]: n for n, d in enumerate(attempt.delivered, start=1)}
    stored = {by_number[a.item_id] for a in answers}
    accepted = {number for number, status in saves.items() if status == 303}
    assert stored == accepted, "every accepted answer is stored, no refused one is"
    assert attempt.correct == regrade(attempt, answers) == len(accepted)
    session = lms.db()
    queued = session.scalar(select(GradeDelivery).where(GradeDelivery.attempt_id == attempt.id))
    assert queued is not None and queued.score_given == attempt.correct


def test_the_result_page_shows_the_stored_score(lms):
    attempt, _saves, _status = race(lms, LEARNER)
    browser = lms.browser()
    page = lms.launch(browser, LEARNER, lms.links["diagnostic"])
    result = browser.get(re.sub(r"/a/([^/]+)/.*$", rf"/a/\1/attempt/{attempt.id}/result", page.url))
    assert result.status_code == 200
    assert f"({attempt.correct} of {attempt.total})" in result.text


def test_an_answer_from_a_stale_page_after_submit_is_refused_and_not_stored(lms):
    """A save that loaded the attempt while it was open, then lost the race to the submit."""
    browser = lms.browser()
    page = start(lms, browser, user=LEARNER_2, assessment="diagnostic")
    attempt_id = attempt_of(lms, page.url).id
    factory = lms.tool_app.extensions["db_session"].session_factory
    with factory() as saver, factory() as submitter:
        stale = saver.get(Attempt, attempt_id)
        assert stale.status == "open"
        saver.commit()  # the save request has read the attempt (open) and is about to write
        fresh = submitter.get(Attempt, attempt_id)
        assert attempts_service.submit(submitter, CONTENT, fresh, by="learner")
        with pytest.raises(attempts_service.AttemptError) as refused:
            attempts_service.save_answer(saver, CONTENT, stale, 1, 0)
        assert refused.value.status == 409
        saver.rollback()
    assert stored_answers(lms, attempt_id) == []
