"""Tracking options (course.yaml `tracking`, per package), each played in Chromium against scorm-again.

A copy of the content sets non-default options, each package its own set; the packages built from
it are played in the in-page player and in the synchronous-XHR player whose HTTP back end records
what arrives. The defaults are covered by the other runtime tests.
"""

from __future__ import annotations

import shutil

import pytest
import yaml

from courseware import load_content
from courseware.errors import ContentError
from scorm_builder.package import build_packages
from scorm_builder.player import serve

from . import test_scorm_runtime as rt
from .conftest import CONTENT_DIR
from .scorm_lms import recording_lms
from .test_scorm_dismissal import open_player

pytestmark = pytest.mark.browser

OPTIONS = {
    "single": {"unique_interaction_ids": False},
    "multi": {
        "status_when_done": "passed",
        "page_done_at_end": False,
        "page_done_after_seconds": 2,
        "unique_interaction_ids": False,
    },
    "knowledge_check": {
        "status_on_fail": "incomplete",
        "exit_while_incomplete": "",
        "commit_interval_seconds": 2,
        "record_interactions": False,
        "honour_lms_mastery_score": False,
    },
}
CHECK, MULTI = "opt-knowledge-check", "opt-multi-sco"


def content_with(tmp_path, tracking: dict):
    root = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, root)
    course = yaml.safe_load((root / "course.yaml").read_text(encoding="utf-8"))
    course["tracking"] = tracking
    (root / "course.yaml").write_text(yaml.safe_dump(course, sort_keys=False), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def option_packages(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tracking")
    content = load_content(content_with(tmp, OPTIONS))
    built = build_packages(content, tmp / "dist") + build_packages(content, tmp / "dist", multi_sco=True)
    names = {"ch14-knowledge-check": CHECK, "ch14-service-value-chain-multi-sco": MULTI}
    paths = []
    for package in built:
        if package.layout.name in names:
            paths.append(tmp / f"{names[package.layout.name]}.zip")
            shutil.copy(package.path, paths[-1])
    return paths


@pytest.fixture(scope="module")
def option_server(option_packages):
    with serve(option_packages) as url:
        yield url


@pytest.fixture(scope="module")
def option_lms(option_packages):
    with recording_lms(option_packages) as lms:
        yield lms


def fail_the_check(sco) -> None:
    rt.answer(sco, "Improve")
    sco.get_by_role("button", name="Next", exact=True).click()
    rt.answer(sco, rt.QUIZ_2_WRONG)


# --- status on failing, exit while incomplete, interactions off, the LMS's mastery score --------


def test_failing_reports_incomplete_with_the_chosen_exit(page, option_server):
    sco = rt.launch(page, option_server, CHECK, start={"student_data": {"mastery_score": "50"}})
    fail_the_check(sco)  # 50%: the LMS's pass mark is 50, the package's 80 (honour_lms_mastery_score: false)
    values = rt.lms_values(page)
    assert (values["cmi.core.score.raw"], values["cmi.core.lesson_status"]) == ("50", "incomplete")
    assert rt.exit_writes(page) == [""], "exit_while_incomplete is empty"
    assert rt.on_screen(sco).get_by_text("Pass mark: 80%").is_visible()
    assert not any(entry[1].startswith("cmi.interactions.") for entry in rt.lms_log(page) if len(entry) > 1)
    assert page.errors == []


def test_failing_reports_incomplete_to_an_http_lms(browser, option_lms):
    page, sco = open_player(browser, option_lms, "fail-incomplete", package=CHECK)
    fail_the_check(sco)
    held = option_lms.held("fail-incomplete")
    assert (held["cmi.core.score.raw"], held["cmi.core.lesson_status"]) == ("50", "incomplete")
    assert held["cmi.core.exit"] == ""
    assert option_lms.answers("fail-incomplete") == []
    page.context.close()


def test_commit_interval(page, option_server):
    sco = rt.launch(page, option_server, CHECK)
    assert sco.get_by_role("heading", level=2).first.is_visible()
    before = sum(entry == ["LMSCommit"] for entry in rt.lms_log(page))
    page.wait_for_timeout(4500)  # no learner action: the 2-second timer commits
    after = sum(entry == ["LMSCommit"] for entry in rt.lms_log(page))
    assert after - before >= 2
    assert rt.TIMESPAN.match(rt.lms_values(page)["cmi.core.session_time"])


# --- page SCOs: what counts as done, and the status then; interaction ids -----------------------


def test_page_sco_done_after_a_minimum_time_reports_passed(page, option_server):
    rt.launch(page, option_server, MULTI, sco="svs-vs-svc.html")
    page.wait_for_timeout(800)
    assert rt.lms_values(page)["cmi.core.lesson_status"] == "incomplete", "not before 2 seconds"
    rt.wait_for_value(page, "cmi.core.lesson_status", "passed")
    assert rt.exit_writes(page) == ["suspend", ""]


def test_page_sco_done_after_a_minimum_time_reaches_an_http_lms(browser, option_lms):
    page, _ = open_player(browser, option_lms, "page-time", package=MULTI, sco="svs-vs-svc.html")
    assert option_lms.held("page-time")["cmi.core.lesson_status"] == "incomplete"
    page.wait_for_function("window.lmsLog.some(e => e[1] === 'cmi.core.lesson_status' && e[2] === 'passed')")
    page.wait_for_timeout(200)
    assert option_lms.held("page-time")["cmi.core.lesson_status"] == "passed"
    page.context.close()


def test_interaction_ids_repeat_when_not_unique(page, option_server):
    sco = rt.launch(page, option_server, MULTI, sco="thought-exercise.html")
    picks = ["Plan", "Engage", "Design and transition", "Obtain/build", "Deliver and support", "Plan"]
    for number, pick in enumerate(picks, start=1):
        sco.get_by_label(f"Step {number}: primary activity").select_option(label=pick)
    sco.get_by_role("button", name="Compare with the reference mapping").click()
    sco.get_by_role("button", name="Try again").click()
    sco.get_by_role("button", name="Compare with the reference mapping").click()
    assert [i["id"] for i in rt.interactions(page)] == ["thought-exercise", "thought-exercise"]


# --- the options model: defaults and errors an author can act on ----------------------------------


def test_defaults_are_the_moodle_friendly_ones(content):
    for tracking in (content.course.tracking.single, content.course.tracking.multi):
        assert tracking.status_on_fail == "failed"
        assert tracking.status_when_done == "completed"
        assert (tracking.page_done_at_end, tracking.page_done_after_seconds) == (True, 5)
        assert tracking.exit_while_incomplete == "suspend"
        assert tracking.commit_interval_seconds == 60
        assert tracking.record_interactions and tracking.unique_interaction_ids
        assert tracking.honour_lms_mastery_score


@pytest.mark.parametrize(
    ("options", "field", "message"),
    [
        ({"multi": {"status_on_fail": "maybe"}}, "tracking.multi.status_on_fail", "'failed' or 'incomplete'"),
        ({"single": {"commit_interval_seconds": 0}}, "tracking.single.commit_interval_seconds", "1"),
        ({"single": {"commit_intervall": 30}}, "tracking.single.commit_intervall", "unknown field"),
        ({"knowledge-check": {}}, "tracking.knowledge-check", "unknown field"),
        (
            {"multi": {"page_done_at_end": False, "page_done_after_seconds": 0}},
            "tracking.multi",
            "a page SCO would report done the moment it opens",
        ),
    ],
)
def test_bad_options_are_reported_with_file_line_and_field(tmp_path, options, field, message):
    with pytest.raises(ContentError) as error:
        load_content(content_with(tmp_path, options))
    text = str(error.value)
    assert "course.yaml:" in text and f": {field}: " in text and message in text, text
