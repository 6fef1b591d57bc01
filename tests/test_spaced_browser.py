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


def rating(name: str):
    """A rating button: its name, then the interval it gives ("Good · 10 min")."""
    return lambda el: el["tag"] == "button" and " ".join(el["text"].split()).startswith(name + " · ")


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
    assert page.locator("[data-role=counters] [data-role=new]").inner_text() == "10"
    now = tab_to(keyboard, frame, summary("Show the answer"))
    assert now["ring"]
    keyboard.press("Enter")
    assert back.is_visible() and "shared understanding" in back.inner_text()
    # The rating controls take the place of "Show the answer", and the focus is on the answer.
    assert not page.locator("summary").is_visible()
    # tool.js moves the focus on the disclosure's "toggle" event, which fires after the click's task
    page.wait_for_function(
        "document.activeElement && document.activeElement.id === 'card-back'", timeout=5000
    )
    assert page.evaluate("document.activeElement.id") == "card-back"
    assert page.get_by_role("group", name="How well did you recall it?").is_visible()
    good = page.get_by_role("button", name="Good 10 min")  # the visible label is in the name
    assert good.is_visible() and " ".join(good.inner_text().split()) == "Good · 10 min"
    reports["flashcard"] = axe_violations(page)
    tab_to(keyboard, frame, rating("Good"))
    go(page)

    # A key term: Space opens it this time, and it is rated Easy.
    assert card_key(page) == "key-terms:plan"
    tab_to(keyboard, frame, summary("Show the definition"))
    keyboard.press("Space")
    assert page.locator("#card-back").is_visible()
    tab_to(keyboard, frame, rating("Easy"))
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
    assert page.locator("[data-role=counters] [data-role=done]").inner_text() == "3"
    reports["home with chart"] = axe_violations(page)
    # Dates in the learner's locale (Intl.DateTimeFormat), UTC kept in the title; the chart's x axis
    # is labelled with times (every snapshot is from today), not 1, 2, 3.
    when = page.locator("table time").first
    assert "UTC" in when.get_attribute("title") and "UTC" not in when.inner_text()
    axis = page.locator("figure.mastery-chart svg text").all_text_contents()
    assert any(re.fullmatch(r"\d\d:\d\d", label) for label in axis) and "1" not in axis
    # The weakest activity's card has no list bullet beside it; the header names the course once.
    assert page.evaluate("getComputedStyle(document.querySelector('.gap-guide')).listStyleType") == "none"
    assert " ".join(page.locator(".site-header .eyebrow").inner_text().split()) == "Skarp · ITIL 4 Foundation"

    assert {name: violations for name, violations in reports.items() if violations} == {}
    assert page.errors == []


def test_without_javascript_the_ratings_replace_show_the_answer(browser, page, lms):
    # Launched with script (the LMS's auto-posting forms need it), then the same cookies in a browser
    # with JavaScript off: the card page alone must work.
    page.goto(f"{lms.sandbox_url}/")
    activity = page.get_by_role("group", name="spaced-review", exact=True)
    activity.get_by_role("radio", name="in this window").check()
    activity.get_by_role("button", name=f"Launch as {ADA}").click()
    page.wait_for_url(re.compile(r"/r/[^/]+/$"))
    card_url = page.url + "card/flashcards:plan-main-purpose"
    context = browser.new_context(
        java_script_enabled=False,
        viewport={"width": 360, "height": 740},
        storage_state=page.context.storage_state(),
    )
    plain = context.new_page()
    plain.goto(card_url)
    show = plain.get_by_text("Show the answer")
    assert show.is_visible() and not plain.get_by_role("button", name="Good 10 min").is_visible()
    show.click()
    assert not show.is_visible() and plain.locator("#card-back").is_visible()
    assert plain.get_by_role("button", name="Good 10 min").is_visible()
    context.close()
