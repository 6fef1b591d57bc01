"""`make screenshots`: the README's pictures, taken from a demo stack this script starts and stops itself.

The tool and the sandbox LMS run in-process (as the tests run them: tests/lti_harness.py, the one place
that imports the sandbox LMS), on SQLite and an embedded Redis in a temporary folder; the SCORM player
is scorm_builder's preview. A learner takes the diagnostic, opens the spaced review and works a few
cards; an instructor opens the report. Headless Chromium (CHROMIUM_PATH, default /usr/bin/chromium)
takes each picture at 1280 px wide (and the review card at 360 px) into docs/screenshots/.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the test harness is a package of the checkout, not of the wheel
# The SCORM player's server, Chromium and the sandbox LMS are taken as the tests take them (tests/conftest.py,
# tests/lti_harness.py): when a module moves, it is fixed there, once, and this script follows.

from playwright.sync_api import Page, sync_playwright  # noqa: E402

from courseware import load_content  # noqa: E402
from courseware.spaced import review_cards  # noqa: E402
from scorm_builder.package import build_packages  # noqa: E402
from tests.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.conftest import serve as serve_scorm  # noqa: E402  (the SCORM player, wherever it lives)
from tests.lti_harness import Lms, start_lms  # noqa: E402

ADA, INES = "Ada Learner", "Ines Instructor"
WIDE, NARROW = {"width": 1280, "height": 800}, {"width": 360, "height": 740}
WEAK = {"engage", "obtain-build"}  # the demo learner answers these wrong: a gap guide worth showing


def launch(page: Page, lms: Lms, user: str, link: str, lands: str) -> None:
    """The sandbox LMS's home page: open `link` in this window as `user`, wait for the tool's page."""
    page.goto(f"{lms.sandbox_url}/")
    activity = page.get_by_role("group", name=link, exact=True)
    activity.get_by_role("radio", name="in this window").check()
    activity.get_by_role("button", name=f"Launch as {user}").click()
    page.wait_for_url(re.compile(lands))


def shoot(page: Page, out: Path, name: str, height: int | None = None) -> None:
    """The viewport, or the page's first `height` pixels."""
    page.wait_for_load_state("load")
    size = page.viewport_size
    clip = {"x": 0, "y": 0, "width": size["width"], "height": height} if height else None
    page.screenshot(path=str(out / f"{name}.png"), full_page=bool(height), clip=clip)
    print(f"{out / name}.png")


def take_diagnostic(page: Page, lms: Lms, out: Path) -> None:
    """Ada's diagnostic: right except on the WEAK activities; a question and the result are pictured."""
    content = load_content(ROOT / "content")
    items = {item.id: item for item in content.all_items()}
    launch(page, lms, ADA, "diagnostic", r"/a/[^/]+/")
    page.get_by_role("button", name="Start").click()
    page.wait_for_url(re.compile(r"/q/1$"))
    attempt = lms.attempts()[-1]
    for number, delivered in enumerate(attempt.delivered, start=1):
        item = items[delivered["item_id"]]
        right = delivered["option_order"].index(item.answer_index)
        chosen = right if item.objective not in WEAK else (right + 1) % 4
        page.locator("input[name=choice]").nth(chosen).check()
        page.get_by_text("Answer saved.").wait_for()
        if number == 3:
            shoot(page, out, "learner-question")
        page.locator("button[name=go][value=next]").click()
        page.wait_for_load_state("load")
    page.wait_for_url(re.compile(r"/review$"))
    page.get_by_role("button", name="Submit for grading").click()
    page.wait_for_url(re.compile(r"/result$"))
    shoot(page, out, "result-gap-guide", height=1500)


def spaced_review(page: Page, lms: Lms, out: Path) -> str:
    """Ada works through a few cards (flashcards rated, practice questions answered, one of them
    wrong), then today's overview with its chart is pictured, and a flashcard with its answer shown."""
    content = load_content(ROOT / "content")
    items = {item.id: item for item in content.all_items()}
    launch(page, lms, ADA, "spaced-review", r"/r/[^/]+/$")
    home = page.url
    for turn in range(7):
        page.goto(home + "next")
        key = page.url.rsplit("/card/", 1)[-1]
        if key.startswith("item:"):
            item = items[key.removeprefix("item:")]
            chosen = item.answer_index if turn % 3 else (item.answer_index + 1) % 4
            page.locator(f"input[name=choice][value='{chosen}']").check()
            page.get_by_role("button", name="Check answer").click()
        elif page.locator("details.reveal > summary").count():
            page.locator("details.reveal > summary").click()
            page.get_by_role("button", name=re.compile("^Good ")).click()
        page.wait_for_load_state("load")
    page.goto(home)
    shoot(page, out, "spaced-review-home", height=1100)
    flashcard = next(c for c in review_cards(content) if c.kind == "flashcard" and c.objective in WEAK)
    page.goto(f"{home}card/{flashcard.key}")
    page.locator("details.reveal > summary").click()
    shoot(page, out, "spaced-review-card")
    return page.url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("SKARP_NODE_MODULES", str(ROOT / "node_modules"))
    with tempfile.TemporaryDirectory(prefix="skarp-screenshots-") as folder, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            with start_lms(Path(folder)) as lms:
                for assessment in ("diagnostic", "mock-exam", "spaced-review"):
                    lms.add_link(assessment)
                learner = browser.new_context(viewport=WIDE, locale="en-GB", timezone_id="Europe/London")
                page = learner.new_page()
                take_diagnostic(page, lms, out)
                card = spaced_review(page, lms, out)
                phone = browser.new_context(
                    viewport=NARROW, is_mobile=True, locale="en-GB", storage_state=learner.storage_state()
                )
                small = phone.new_page()
                small.goto(card)
                if small.locator("details.reveal > summary").count():
                    small.locator("details.reveal > summary").click()
                shoot(small, out, "spaced-review-card-360", height=1000)
                instructor = browser.new_context(viewport=WIDE, locale="en-GB").new_page()
                launch(instructor, lms, INES, "diagnostic", r"/i/[^/]+/$")
                shoot(instructor, out, "instructor-report", height=1200)
            packages = build_packages(load_content(ROOT / "content"), Path(folder) / "dist")
            with serve_scorm([package.path for package in packages]) as scorm:
                page = browser.new_context(viewport=WIDE).new_page()
                sco = "/packages/ch14-service-value-chain/index.html"
                page.goto(f"{scorm}/player/player.html?sco={sco}&mode=iframe")
                page.frame_locator("#sco-frame").locator("html[data-sco-ready=true]").wait_for(
                    state="attached"
                )
                shoot(page, out, "scorm-page")
        finally:
            browser.close()


if __name__ == "__main__":
    main()
