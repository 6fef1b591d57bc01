"""A spaced review session in headless Chromium, with the keyboard only: the sandbox LMS launches the
review link in its own window (a top-level tool page); the learner reveals a flashcard and rates it,
then answers a practice question. axe-core checks each kind of review page."""

from __future__ import annotations

import re

import pytest

from courseware import load_content
from lti_app.adapters.orm import ReviewCardState, ReviewLogEntry

from .conftest import CONTENT_DIR
from .lti_harness import start_lms
from .test_lti_browser import ADA, axe_violations, button, focused, link, radio, tab_to

pytestmark = pytest.mark.browser

CONTENT = load_content(CONTENT_DIR)
ITEMS = {item.id: item for item in CONTENT.all_items()}
CARD = re.compile(r"/r/[^/]+/card/([^/?]+)$")


@pytest.fixture
def lms(tmp_path):
    with start_lms(tmp_path) as running:
        running.add_link("spaced-review")
        yield running


def summary(name: str):
    return lambda el: el["tag"] == "summary" and el["text"] == name


def go(page, key: str = "Enter") -> None:
    """Press a key that submits a form or follows a link, and wait for the next page."""
    with page.expect_navigation():
        page.keyboard.press(key)
    page.wait_for_load_state("load")


def card_key(page) -> str:
    page.wait_for_url(CARD)
    page.wait_for_load_state("load")
    return CARD.search(page.url)[1]


def ratings_of(lms) -> dict[str, list[int]]:
    session = lms.db()
    session.expire_all()
    rows = session.execute(
        ReviewLogEntry.__table__.join(ReviewCardState.__table__)
        .select()
        .with_only_columns(ReviewCardState.card_key, ReviewLogEntry.rating)
        .order_by(ReviewLogEntry.id)
    )
    logged: dict[str, list[int]] = {}
    for key, rating in rows:
        logged.setdefault(key, []).append(rating)
    return logged


def test_keyboard_only_review_session(page, lms):
    page.goto(f"{lms.sandbox_url}/")
    activity = page.get_by_role("group", name="spaced-review", exact=True)
    activity.get_by_role("radio", name="in this window").check()
    activity.get_by_role("button", name=f"Launch as {ADA}").click()
    page.wait_for_url(re.compile(r"/r/[^/]+/$"))
    assert page.get_by_role("heading", level=1, name="Spaced review").is_visible()
    home_url = page.url
    reports = {"home": axe_violations(page)}
    keyboard, frame = page.keyboard, page.main_frame

    # Start, then reveal the flashcard's answer and rate it: Tab and Enter only.
    tab_to(keyboard, frame, link("Start reviewing"))
    go(page)
    assert card_key(page) == "flashcards:plan-main-purpose"
    back = page.locator("#card-back")
    assert not back.is_visible() and not page.get_by_role("button", name="Good").is_visible()
    now = tab_to(keyboard, frame, summary("Show the answer"))
    assert now["ring"]
    keyboard.press("Enter")
    assert back.is_visible() and "shared understanding" in back.inner_text()
    assert page.get_by_role("group", name="How well did you recall it?").is_visible()
    reports["flashcard"] = axe_violations(page)
    tab_to(keyboard, frame, button("Good"))
    go(page)

    # A key term: Space opens it this time, and it is rated Easy.
    assert card_key(page) == "key-terms:plan"
    tab_to(keyboard, frame, summary("Show the definition"))
    keyboard.press("Space")
    assert page.locator("#card-back").is_visible()
    tab_to(keyboard, frame, button("Easy"))
    go(page)

    # A practice question: arrow keys choose, Enter on the button checks it.
    key = card_key(page)
    item = ITEMS[key.removeprefix("item:")]
    assert key.startswith("item:") and item.objective == "plan"
    reports["question"] = axe_violations(page)
    tab_to(keyboard, frame, radio)
    keyboard.press("Space")  # the first option, A
    for _ in range(item.answer_index):
        keyboard.press("ArrowDown")
    assert focused(frame)["value"] == str(item.answer_index) and focused(frame)["checked"]
    tab_to(keyboard, frame, button("Check answer"))
    go(page)
    page.wait_for_url(re.compile(r"/feedback\?chose=\d$"))
    assert page.get_by_role("heading", level=2, name="Correct.").is_visible()
    assert item.options[item.answer_index].rationale[:40] in page.inner_text("main")
    reports["feedback"] = axe_violations(page)
    tab_to(keyboard, frame, link("Next card"))
    go(page)
    card_key(page)

    assert ratings_of(lms) == {"flashcards:plan-main-purpose": [3], "key-terms:plan": [4], key: [3]}

    # Today's overview: the practice answer moved mastery, drawn as a chart with its table.
    page.goto(home_url)
    assert page.get_by_role("img", name=re.compile("^Mastery per value chain activity")).is_visible()
    page.locator("summary", has_text="the chart's data").click()  # the data table is behind a disclosure
    table = page.get_by_role("table", name="Mastery per activity over time (the chart's data)")
    assert table.get_by_role("row").count() == 2  # a header row and one snapshot
    assert page.get_by_text("You reviewed 3 today.").is_visible()
    reports["home with chart"] = axe_violations(page)

    assert {name: violations for name, violations in reports.items() if violations} == {}
    assert page.errors == []
