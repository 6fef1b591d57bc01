"""The review service schedules with FSRS itself: for a fixed sequence of ratings, what it stores is what
the `fsrs` Scheduler answers, and the due queue is in FSRS's due order. Also: seeded mastery targets
new cards. A real database (SQLite, or the PostgreSQL at DATABASE_URL), no web server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fsrs import Card, Rating, Scheduler, State
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from courseware import load_content
from lti_app.adapters.db import make_engine
from lti_app.adapters.orm import MasterySnapshot, Platform, ReviewLogEntry
from lti_app.services import spaced
from lti_app.services.launches import LaunchContext

from .conftest import CONTENT_DIR
from .lti_harness import database_url, reset_database

CONTENT = load_content(CONTENT_DIR)
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
NO_FUZZ = Scheduler(enable_fuzzing=False)  # FSRS fuzzes review intervals at random; compare without


@pytest.fixture
def session(tmp_path):
    url = database_url(tmp_path)
    reset_database(url)
    engine = make_engine(url)
    db = sessionmaker(bind=engine, expire_on_commit=False)()
    db.add(
        Platform(
            name="LMS",
            issuer="https://lms.example",
            client_id="c",
            auth_login_url="https://lms.example/a",
            auth_token_url="https://lms.example/t",
            key_set_url="https://lms.example/k",
        )
    )
    db.commit()
    yield db
    db.close()
    engine.dispose()


def launch(session, user: str = "learner-1", deployment: str = "deployment-1") -> LaunchContext:
    platform_id = session.scalar(select(Platform.id))
    return LaunchContext(
        launch_id=f"launch-{user}",
        platform_id=platform_id,
        deployment_id=deployment,
        user_sub=user,
        user_name=user,
        roles=[],
        context_id="course-1",
        context_title="",
        resource_link_id="link-1",
        assessment_id="diagnostic",  # not a review link: no completion bookkeeping in these tests
        message_type="LtiResourceLinkRequest",
    )


SEQUENCE = [  # (time since the previous review, rating): learning, review, a lapse, relearning, review
    (timedelta(0), Rating.Good),
    (timedelta(minutes=10), Rating.Good),
    (timedelta(days=3), Rating.Good),
    (timedelta(days=9), Rating.Again),
    (timedelta(minutes=10), Rating.Good),
    (timedelta(days=4), Rating.Hard),
    (timedelta(days=8), Rating.Easy),
]


def test_stored_schedule_is_fsrs_own_answer_for_a_sequence_of_ratings(session):
    ctx, key = launch(session), "flashcards:engage-main-purpose"
    expected, at = None, T0
    for gap, rating in SEQUENCE:
        at += gap
        row = spaced.rate(session, CONTENT, ctx, key, spaced.Recall(int(rating)), at, scheduler=NO_FUZZ)
        expected = expected or Card(card_id=row.id, due=T0)
        expected, log = NO_FUZZ.review_card(expected, rating, review_datetime=at)
        session.expire_all()
        stored = spaced.state_of(session, spaced.Learner.of(ctx), key)
        assert stored.fsrs == expected.to_dict()
        assert (stored.due, State(stored.state), stored.last_review_at) == (expected.due, expected.state, at)
        latest = session.scalars(select(ReviewLogEntry).order_by(ReviewLogEntry.id.desc())).first()
        assert (latest.log, latest.due_after) == (log.to_dict(), expected.due)
    assert (stored.reps, stored.lapses) == (len(SEQUENCE), 1)
    assert State(stored.state) is State.Review


def test_the_due_queue_is_in_fsrs_due_order(session):
    ctx = launch(session)
    keys = ["key-terms:plan", "key-terms:engage", "key-terms:improve", "key-terms:obtain-build"]
    ratings = [Rating.Easy, Rating.Again, Rating.Good, Rating.Hard]
    due = {}
    for key, rating in zip(keys, ratings, strict=True):
        row = spaced.rate(session, CONTENT, ctx, key, spaced.Recall(int(rating)), T0, scheduler=NO_FUZZ)
        due[key] = NO_FUZZ.review_card(Card(card_id=row.id, due=T0), rating, review_datetime=T0)[0].due
    learner = spaced.Learner.of(ctx)

    soon = spaced.queue(session, CONTENT, learner, T0 + timedelta(minutes=2), new_per_day=0)
    assert [row.card_key for row in soon.due_now] == ["key-terms:engage"]  # Again: one-minute step
    assert soon.soon.card_key == "key-terms:obtain-build"  # Hard: 5.5 minutes, within the learn-ahead
    assert soon.next_key == "key-terms:engage"

    later = spaced.queue(session, CONTENT, learner, T0 + timedelta(days=60), new_per_day=0)
    assert [row.card_key for row in later.due_now] == sorted(keys, key=due.get)
    assert later.due_now[-1].card_key == "key-terms:plan"  # Easy: the longest interval


def test_seeded_mastery_introduces_the_weak_activity_first(session):
    ctx = launch(session)
    learner = spaced.Learner.of(ctx)
    mastery = {o.id: 0.9 for o in CONTENT.objectives} | {"engage": 0.1}
    session.add(
        MasterySnapshot(
            platform_id=ctx.platform_id,
            deployment_id=ctx.deployment_id,
            user_sub=ctx.user_sub,
            source="diagnostic",
            taken_at=T0,
            mastery=mastery,
        )
    )
    session.commit()
    new = spaced.queue(session, CONTENT, learner, T0, new_per_day=10).new
    engage = [card.key for card in new if card.objective == "engage"]
    assert [card.key for card in new[: len(engage)]] == engage and len(engage) == 5
    assert (
        spaced.weakest_activity(spaced.mastery_of(session, CONTENT, learner), CONTENT).objective.id
        == "engage"
    )
    # Another learner, another deployment: nothing seeded, the syllabus order.
    other = spaced.queue(session, CONTENT, spaced.Learner.of(launch(session, "learner-2")), T0, 10).new
    assert other[0].objective == CONTENT.objectives[0].id


def test_new_cards_per_day_count_only_cards_the_review_introduced(session):
    ctx = launch(session)
    learner = spaced.Learner.of(ctx)
    for key in ("key-terms:plan", "key-terms:engage"):
        spaced.rate(session, CONTENT, ctx, key, spaced.Recall.easy, T0, scheduler=NO_FUZZ)
    assert len(spaced.queue(session, CONTENT, learner, T0, new_per_day=3).new) == 1
    assert len(spaced.queue(session, CONTENT, learner, T0 + timedelta(days=1), new_per_day=3).new) == 3
