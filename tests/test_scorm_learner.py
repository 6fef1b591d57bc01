"""SCO pages in the in-page player (scorm-again): what the learner sees and what the LMS is sent.

Covers the learner-side fixes of issue 11 (score panel, option lettering, the exercise's retry,
the closing summary, the player on a phone), "Save and exit", interactions on an LMS without
cmi.interactions._count, and the suspend_data codec against the builder's worst-case bound.
"""

from __future__ import annotations

import pytest

from scorm_builder.package import SUSPEND_DATA_LIMIT, max_suspend_data_length

from . import test_scorm_runtime as rt

pytestmark = pytest.mark.browser

SINGLE, MULTI, CHECK = rt.SINGLE, rt.MULTI, rt.CHECK


def in_viewport(locator) -> bool:
    return locator.evaluate(
        "el => { const r = el.getBoundingClientRect();"
        " return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight; }"
    )


def test_score_panel_is_scrolled_into_view_and_announced(page, server):
    sco = rt.launch(page, server, CHECK)
    rt.answer(sco, "Improve")
    sco.get_by_role("button", name="Next", exact=True).click()
    rt.answer(sco, rt.QUIZ_2_WRONG)
    panel = sco.locator("section.page:visible [data-role=score-panel]")
    assert panel.get_attribute("aria-live") == "polite"
    assert panel.get_attribute("role") == "status"
    assert panel.get_by_text("Knowledge check score: 50%").is_visible()
    assert in_viewport(panel.get_by_role("button", name="Try the knowledge check again"))
    assert page.errors == []


def test_option_numbers_in_a_rationale_agree_with_the_letters(page, server):
    sco = rt.launch(page, server, CHECK)
    rt.answer(sco, "Improve")
    sco.get_by_role("button", name="Next", exact=True).click()
    rt.answer(sco, rt.QUIZ_2_RIGHT)
    feedback = rt.on_screen(sco).locator("[data-role=feedback]")
    assert feedback.get_by_text("Answer: C)").is_visible()
    text = feedback.inner_text()
    assert "Option 3 (C) is correct." in text
    assert "Option 3 is correct" not in text


def test_exercise_feedback_after_the_reveal_and_try_again(page, server):
    sco = rt.launch(page, server, MULTI, sco="thought-exercise.html")
    form = sco.locator("form.exercise")
    assert form.get_by_text("no peeking until you try").is_visible()
    picks = ["Plan", "Engage", "Design and transition", "Obtain/build", "Deliver and support", "Plan"]
    for number, pick in enumerate(picks, start=1):
        sco.get_by_label(f"Step {number}: primary activity").select_option(label=pick)
    sco.get_by_role("button", name="Compare with the reference mapping").click()
    assert form.get_by_text("You matched 5 of 6 steps").is_visible()
    assert form.get_by_text("The reference mapping:").is_visible()
    # The marks and the mapping are words (an icon beside them, hidden from screen readers), no glyphs.
    marks = form.locator('[data-role="mark"]')
    right, wrong = marks.nth(0), marks.nth(5)
    assert right.inner_text().strip() == "Matches the reference"
    assert right.locator("svg.icon-check").is_visible() and not right.locator("svg.icon-x").is_visible()
    assert wrong.inner_text().strip() == "The reference says otherwise"
    assert wrong.locator("svg.icon-x").is_visible() and not wrong.locator("svg.icon-check").is_visible()
    assert form.locator("ul.mapping li").nth(0).text_content() == "Step 1: Plan"
    assert not form.get_by_text("no peeking until you try").is_visible()
    assert sco.get_by_label("Step 6: primary activity").is_disabled()

    form.get_by_role("button", name="Try again").click()
    assert sco.get_by_label("Step 6: primary activity").is_enabled()
    assert not form.get_by_text("You matched 5 of 6 steps").is_visible()
    sco.get_by_label("Step 6: primary activity").select_option(label="Improve")
    sco.get_by_role("button", name="Compare with the reference mapping").click()
    assert form.get_by_text("You matched 6 of 6 steps").is_visible()
    journal = rt.interactions(page)
    assert [(i["id"], i["result"]) for i in journal] == [
        ("thought-exercise_1", "wrong"),
        ("thought-exercise_2", "correct"),
    ]
    assert page.errors == []


def test_closing_page_summarises_the_chapter(page, server, content):
    sco = rt.launch(page, server, SINGLE)
    rt.go_to(sco, "Quiz 1: Match Scenarios to Activities")
    rt.answer(sco, "Improve")
    sco.get_by_role("button", name="Next", exact=True).click()
    rt.answer(sco, rt.QUIZ_2_RIGHT)
    rt.go_to(sco, content.chapter.parts[-1].title)
    summary = sco.get_by_role("region", name="Chapter complete")
    assert summary.is_visible()
    assert summary.get_by_text("Pages visited: 4 of 14.").is_visible()
    assert summary.get_by_text("Knowledge check: 100% (2 of 2 correct), passed.").is_visible()
    titles = {b.kind.value: b.title for b in content.blueprints}
    assert summary.get_by_text(titles["diagnostic"]).is_visible()
    assert summary.get_by_text(titles["mock_exam"]).is_visible()
    assert page.errors == []


def test_save_and_exit_finishes_while_the_page_is_alive(page, server):
    sco = rt.launch(page, server, SINGLE)
    sco.get_by_role("button", name="Next", exact=True).click()
    sco.get_by_role("button", name="Save and exit").click()
    log = rt.lms_log(page)
    assert log[-1] == ["LMSFinish"]
    assert sco.get_by_text("Saved. Your progress is in the LMS").is_visible()
    values = rt.lms_values(page)
    assert values["cmi.core.lesson_location"] == "at-a-glance"
    assert values["cmi.core.exit"] == "suspend"
    assert rt.TIMESPAN.match(values["cmi.core.session_time"])
    assert rt.exit_writes(page) == ["suspend"], "exit is written once"
    page.evaluate("window.unloadSco()")
    page.wait_for_timeout(300)
    assert sum(entry == ["LMSFinish"] for entry in rt.lms_log(page)) == 1
    assert page.errors == []


def test_every_page_change_and_answer_is_committed(page, server, content):
    sco = rt.launch(page, server, CHECK)
    commits = sum(entry == ["LMSCommit"] for entry in rt.lms_log(page))
    assert commits >= 1, "the first page is committed on launch"
    sco.get_by_role("button", name="Next", exact=True).click()
    log = rt.lms_log(page)
    assert log[-1] == ["LMSCommit"]
    assert ["LMSSetValue", "cmi.core.lesson_location", "quiz-2"] in log[-6:]
    rt.answer(sco, rt.QUIZ_2_RIGHT)
    log = rt.lms_log(page)
    assert log[-1] == ["LMSCommit"]
    assert any(entry[1:2] == ["cmi.interactions.0.result"] for entry in log)


def test_interactions_without_count_from_the_lms(page, server, browser):
    """An LMS without cmi.interactions._count: the SCO's own counter, kept across sessions."""
    sco = rt.launch(page, server, CHECK, lacks="cmi.interactions._count")
    rt.answer(sco, "Improve")
    sco.get_by_role("button", name="Next", exact=True).click()
    rt.answer(sco, rt.QUIZ_2_WRONG)
    rt.on_screen(sco).get_by_role("button", name="Try the knowledge check again").click()
    rt.answer(sco, "Improve")
    sets = [entry[1] for entry in rt.lms_log(page) if entry[0] == "LMSSetValue"]
    assert [e for e in sets if e.endswith(".id")] == [f"cmi.interactions.{n}.id" for n in range(3)]
    assert [i["id"] for i in rt.interactions(page)] == ["quiz-1_1", "quiz-2_1", "quiz-1_2"]
    rt.end_session(page)
    saved = rt.lms_values(page)

    second = browser.new_context().new_page()
    start = {
        "core": {"lesson_location": "quiz-1", "lesson_status": "incomplete", "entry": "resume"},
        "suspend_data": saved["cmi.suspend_data"],
    }
    sco = rt.launch(second, server, CHECK, start=start, lacks="cmi.interactions._count")
    sco.get_by_role("button", name="Next", exact=True).click()
    rt.answer(sco, rt.QUIZ_2_RIGHT)
    sets = [entry[1] for entry in rt.lms_log(second) if entry[0] == "LMSSetValue"]
    assert [e for e in sets if e.endswith(".id")] == ["cmi.interactions.3.id"]
    assert rt.interactions(second)[0]["id"] == "quiz-2_2"
    second.context.close()


def test_suspend_data_codec_and_the_builds_worst_case(page, server, built):
    """The codec's worst case equals the builder's bound for every SCO of every layout."""
    for package in built.values():
        for sco_def in package.layout.scos:
            sco = rt.launch(page, server, package.layout.name, sco=sco_def.filename)
            result = sco.locator("html").evaluate(
                """() => {
                  const config = JSON.parse(document.getElementById("sco-config").textContent);
                  const S = window.SkarpSuspend;
                  const worst = S.fresh(config.pages.length, config.quizzes.length,
                    config.exercise ? config.exercise.answers.length : 0,
                    config.flashcards ? config.flashcards.count : 0);
                  // alternating values: no run for the run-length compression to shorten
                  worst.answers = worst.answers.map((_, i) => "cd"[i % 2]);
                  worst.exercise = worst.exercise.map((_, i) => "yz"[i % 2]);
                  worst.exerciseChecked = true;
                  worst.tries = worst.exerciseTries = worst.interactions = S.MAX_COUNT + 10;
                  const alternate = (list) => list.map((_, i) => i % 8 < 4);
                  worst.visited = alternate(worst.visited); worst.seen = alternate(worst.seen);
                  worst.flipped = alternate(worst.flipped);
                  const fresh = S.fresh(config.pages.length, config.quizzes.length,
                    worst.exercise.length, worst.flipped.length);
                  const roundTrip = S.decode(S.encode(worst), fresh);
                  return {
                    worst: S.encode(worst).length,
                    freshEncoded: S.encode(fresh),
                    roundTrip: JSON.stringify(roundTrip) === JSON.stringify(Object.assign({}, worst,
                      {tries: S.MAX_COUNT, exerciseTries: S.MAX_COUNT, interactions: S.MAX_COUNT})),
                    v1: S.decode("1|1|c-|ab!|0", fresh) !== null,
                    damaged: S.decode("2z~", fresh) === null && S.decode("9|x", fresh) === null,
                  };
                }"""
            )
            bound = max_suspend_data_length(sco_def)
            assert result["worst"] == bound <= SUSPEND_DATA_LIMIT, (package.layout.name, sco_def.id)
            assert result["roundTrip"] and result["v1"] and result["damaged"], result
            assert len(result["freshEncoded"]) <= bound


def test_player_page_fits_a_phone(browser, server):
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    phone = context.new_page()
    url = f"{server}/player/player.html?sco=/packages/{CHECK}/index.html"
    phone.goto(url)
    phone.frame_locator("#sco-frame").locator("html[data-sco-ready=true]").wait_for(state="attached")
    assert phone.evaluate("window.innerWidth") == 360
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    sco = phone.frame_locator("#sco-frame")
    assert sco.locator("html").evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    context.close()
