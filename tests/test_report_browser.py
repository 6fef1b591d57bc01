"""The instructor report in headless Chromium at a desktop's and a phone's width: no sideways page
scroll, name, score and gradebook state visible on a phone, readable charts, axe-core at 0 WCAG 2.1 AA
violations, and sorting and filtering done with the keyboard alone."""

from __future__ import annotations

import re

import pytest

from benchmarks.report_seed import seed_class
from lti_app.extensions import content as tool_content

from .lti_harness import start_lms
from .test_instructor_report import link_of
from .test_lti_browser import INES, axe_violations, launch_from_home, link, tab_to

pytestmark = pytest.mark.browser

LEARNERS = 40


@pytest.fixture(scope="module")
def lms(tmp_path_factory):
    with start_lms(tmp_path_factory.mktemp("lms-report-browser")) as running:
        running.add_link("mock-exam")
        yield running


@pytest.fixture(scope="module")
def seeded(lms, browser):
    """The mock exam's link with a class in it (the instructor launches once to learn the link's ids)."""
    context = browser.new_context()
    page = context.new_page()
    launch_from_home(page, lms, INES, "mock-exam")
    with lms.tool_app.app_context():
        seed_class(lms.db(), tool_content(), link_of(lms, page.url), LEARNERS, 3,
                   name_of=lambda i: f"Learner {i:03d} " + "Longname" * (i % 3))  # fmt: skip
    context.close()
    return lms


def report_page(browser, lms, width: int):
    context = browser.new_context(viewport={"width": width, "height": 800}, is_mobile=width < 600)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    launch_from_home(page, lms, INES, "mock-exam")
    assert re.search(r"/i/[^/]+/$", page.url)
    return context, page


def no_sideways_scroll(page) -> None:
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"the page scrolls sideways: {widths}"


@pytest.mark.parametrize("width", [1280, 360])
def test_report_fits_the_screen_and_passes_axe(browser, seeded, width):
    context, page = report_page(browser, seeded, width)
    no_sideways_scroll(page)
    first = page.locator("table.learners tr.learner").first
    for cell in ("th.col-name", "td.col-score", "td.col-sync"):
        box = first.locator(cell).bounding_box()
        assert first.locator(cell).is_visible() and box["x"] >= 0 and box["x"] + box["width"] <= width, cell
    assert first.locator("td.col-attempts").is_visible() == (width > 600)  # in the row's details on a phone
    assert first.bounding_box()["height"] < 120, "a learner's row is short enough to scan a class"

    # each chart's text is drawn at a readable size, and its data is one disclosure away
    for svg in page.locator("figure.chart svg").all():
        scale = svg.bounding_box()["width"] / float(svg.get_attribute("viewBox").split()[2])
        assert 12 * scale >= 10, f"chart text would be {12 * scale:.1f}px"
    histogram = page.locator("figure.chart", has_text="Score distribution")
    labels = histogram.locator("text[transform]")
    assert labels.count() == 10 and labels.last.text_content() == "90–100%"
    bands = page.get_by_role("table", name="Learners per score band")
    assert not bands.is_visible()
    page.locator("summary", has_text="Learners per score band").click()
    assert bands.is_visible()
    page.locator("tr.learner-details summary").first.click()
    assert page.locator("tr.learner-details ol.attempts").first.is_visible()
    no_sideways_scroll(page)

    violations = axe_violations(page)
    assert [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations] == []
    assert page.errors == []
    context.close()


@pytest.mark.parametrize("width", [1280, 360])
def test_sort_and_filter_by_keyboard(browser, seeded, width):
    context, page = report_page(browser, seeded, width)
    keyboard = page.keyboard
    page.locator("main").focus()
    tab_to(keyboard, page, link("Latest score"), limit=60)
    keyboard.press("Enter")
    page.wait_for_url(re.compile(r"sort=score"))
    assert page.locator("th[aria-sort]").get_attribute("aria-sort") == "ascending"
    assert "col-score" in page.locator("th[aria-sort]").get_attribute("class")
    scores = [int(t.split("%")[0]) for t in page.locator("tr.learner td.col-score").all_inner_texts()]
    assert scores == sorted(scores)

    page.locator("main").focus()
    tab_to(keyboard, page, lambda el: el["tag"] == "input" and el["type"] == "search", limit=60)
    keyboard.type("Learner 01")
    keyboard.press("Enter")
    page.wait_for_url(re.compile(r"q=Learner\+01"))
    names = page.locator("tr.learner th.col-name").all_inner_texts()
    assert len(names) == 10 and all(n.startswith("Learner 01") for n in names)
    assert "sort=score" in page.url  # the filter keeps the sort
    no_sideways_scroll(page)
    assert page.errors == []
    context.close()
