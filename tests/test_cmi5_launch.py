"""cmi5 AUs played in Chromium against a test LMS and LRS (tests/cmi5_lms.py).

The LMS launches an AU the cmi5 way (launch URL, one-time fetch URL, LMS.LaunchData); the AU runs
cmi5-runtime.js over @xapi/cmi5. The LRS refuses what breaks a cmi5 rule, and the statements it
stored are checked again with Learning Locker's xAPI validator, run in node.
"""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest

from scorm_builder.formats.cmi5 import build_cmi5

from . import test_scorm_runtime as rt
from .cmi5_lms import cmi5_lms
from .cmi5_rules import CATEGORY_CMI5, CATEGORY_MOVE_ON, SESSION_ID, VERBS
from .conftest import ROOT

pytestmark = pytest.mark.browser

STATE_ID = "https://skarp.dev/xapi/state/progress"
BASE = "urn:skarp:skarp.itil4-foundation.ch14"
CHECK_AU = f"{BASE}:au:knowledge-check"
PAGE_AU = f"{BASE}:au:svs-vs-svc"
VALIDATOR = ROOT / "tests" / "xapi_validate.cjs"


@pytest.fixture(scope="module")
def lms(content, tmp_path_factory):
    out = tmp_path_factory.mktemp("cmi5")
    [built] = build_cmi5(content, out, multi_sco=True)
    with cmi5_lms(built.path) as server:
        yield server


def xapi_problems(statements: list[dict]) -> list:
    """Learning Locker's validator on each statement: [] when all are valid xAPI."""
    run = subprocess.run(
        ["node", str(VALIDATOR)],
        input=json.dumps(statements),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=True,
    )
    return json.loads(run.stdout)


def launch_params(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def open_au(page, url: str):
    page.goto(url)
    page.locator("html[data-sco-ready=true]").wait_for(state="attached")
    return page


def wait_for_verb(lms, registration: str, verb: str, count: int = 1, timeout_s: float = 10) -> None:
    deadline = time.monotonic() + timeout_s
    while lms.verbs(registration).count(verb) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"no {verb}: the LRS has {lms.verbs(registration)}, refused {lms.rejected}")
        time.sleep(0.05)


def save_and_exit(page) -> None:
    page.get_by_role("button", name="Save and exit").click()


def launch_au(page, lms, au: str, **options):
    """The LMS launches the AU (cmi5 launch `options`); return its registration and the AU's page."""
    url = lms.launch(au, **options)
    return launch_params(url)["registration"], open_au(page, url)


def end_session(page, lms, registration: str) -> None:
    """Save and exit, then wait for `terminated` and check the whole session (assert_clean)."""
    save_and_exit(page)
    wait_for_verb(lms, registration, "terminated")
    assert_clean(lms, registration)


def take_the_check(sco, second_answer: str) -> None:
    rt.answer(sco, "Improve")
    sco.get_by_role("button", name="Next", exact=True).click()
    rt.answer(sco, second_answer)


def statement(lms, registration: str, verb: str) -> dict:
    return next(s for s in lms.au_statements(registration) if s["verb"]["id"].endswith("/" + verb))


def assert_clean(lms, registration: str) -> None:
    """No refusal, the session order cmi5 wants, and valid xAPI by a validator nobody here wrote."""
    assert lms.rejected == []
    verbs = lms.verbs(registration)
    assert verbs[0] == "initialized" and verbs[-1] == "terminated", verbs
    assert xapi_problems(lms.au_statements(registration)) == []


# --- the knowledge check: pass, fail, retry, the LMS's mastery score ---------------------------------


def test_knowledge_check_passed(page, lms, content):
    registration, sco = launch_au(page, lms, CHECK_AU)
    take_the_check(sco, rt.QUIZ_2_RIGHT)
    wait_for_verb(lms, registration, "completed")
    end_session(page, lms, registration)
    verbs = lms.verbs(registration)
    assert [v for v in verbs if v in ("passed", "failed", "completed")] == ["passed", "completed"]
    assert verbs.count("answered") == 2 and verbs.count("experienced") == 2
    passed = statement(lms, registration, "passed")
    assert passed["result"]["score"] == {"scaled": 1, "raw": 100, "min": 0, "max": 100}
    assert passed["result"]["success"] is True
    assert passed["object"]["id"] == CHECK_AU
    assert {c["id"] for c in passed["context"]["contextActivities"]["category"]} == {
        CATEGORY_CMI5,
        CATEGORY_MOVE_ON,
    }
    assert passed["context"]["extensions"][SESSION_ID]
    answers = [s for s in lms.au_statements(registration) if s["verb"]["id"].endswith("/answered")]
    assert [a["object"]["definition"]["interactionType"] for a in answers] == ["choice", "choice"]
    right = [part.item.answer_letter for part in content.chapter.parts if part.kind == "quiz"]
    assert [a["result"]["response"] for a in answers] == right
    assert all(a["result"]["success"] is True for a in answers)
    assert all("category" not in a["context"]["contextActivities"] for a in answers), (
        "cmi5 allowed statements"
    )
    saved = lms.saved_state(CHECK_AU, registration, STATE_ID)
    assert (saved["status"], saved["score"], saved["passed"], saved["completed"]) == (
        "passed",
        100,
        True,
        True,
    )
    assert page.get_by_text("Saved. Your progress is in the LMS").is_visible()
    assert page.errors == []


def test_knowledge_check_failed(page, lms):
    registration, sco = launch_au(page, lms, CHECK_AU)
    take_the_check(sco, rt.QUIZ_2_WRONG)
    assert rt.on_screen(sco).get_by_text("Not passed yet.").is_visible()
    end_session(page, lms, registration)
    verbs = lms.verbs(registration)
    assert "passed" not in verbs
    assert verbs[-3:] == ["completed", "failed", "terminated"], "failed waits for the end of the session"
    failed = statement(lms, registration, "failed")
    assert failed["result"]["score"] == {"scaled": 0.5, "raw": 50, "min": 0, "max": 100}
    assert failed["result"]["success"] is False
    assert lms.saved_state(CHECK_AU, registration, STATE_ID)["status"] == "failed"
    assert page.errors == []


def test_a_retry_that_passes_in_the_same_session_reports_only_passed(page, lms):
    registration, sco = launch_au(page, lms, CHECK_AU)
    take_the_check(sco, rt.QUIZ_2_WRONG)
    sco.get_by_role("button", name="Try the knowledge check again").click()
    take_the_check(sco, rt.QUIZ_2_RIGHT)
    end_session(page, lms, registration)
    verbs = lms.verbs(registration)
    assert verbs.count("passed") == 1 and "failed" not in verbs, "cmi5: one of passed/failed per session"
    assert verbs.count("answered") == 4 and verbs.count("completed") == 1


def test_the_lms_mastery_score_wins(page, lms):
    registration, sco = launch_au(page, lms, CHECK_AU, mastery_score=0.5)
    take_the_check(sco, rt.QUIZ_2_WRONG)
    assert rt.on_screen(sco).get_by_text("Pass mark: 50%").is_visible()
    wait_for_verb(lms, registration, "passed")
    assert statement(lms, registration, "passed")["result"]["score"]["scaled"] == 0.5
    end_session(page, lms, registration)


# --- resume, returnURL, leaving without "Save and exit" ----------------------------------------------


def test_resume_restores_the_state_from_the_state_api(browser, lms):
    first_url = lms.launch(CHECK_AU)
    registration = launch_params(first_url)["registration"]
    first = open_au(browser.new_context().new_page(), first_url)
    rt.answer(first, "Improve")
    save_and_exit(first)
    wait_for_verb(lms, registration, "terminated")
    saved = lms.saved_state(CHECK_AU, registration, STATE_ID)
    assert (saved["location"], saved["status"]) == ("quiz-1", "incomplete")
    assert saved["suspendData"][:2] in ("2|", "2z")
    first.context.close()

    second_url = lms.launch(CHECK_AU, registration=registration)
    assert launch_params(second_url)["fetch"] != launch_params(first_url)["fetch"]
    second = browser.new_context().new_page()
    second.errors = []
    second.on("pageerror", lambda error: second.errors.append(str(error)))
    sco = open_au(second, second_url)
    assert sco.get_by_text("Welcome back").is_visible()
    assert sco.get_by_role("heading", level=2, name="Quiz 1: Match Scenarios to Activities").is_visible()
    assert rt.on_screen(sco).get_by_text("Correct.", exact=True).is_visible()
    assert rt.on_screen(sco).get_by_role("radio", name="Improve").is_disabled()
    sco.get_by_role("button", name="Next", exact=True).click()
    rt.answer(sco, rt.QUIZ_2_RIGHT)
    save_and_exit(second)
    wait_for_verb(lms, registration, "terminated", count=2)
    assert_clean(lms, registration)
    verbs = lms.verbs(registration)
    assert verbs.count("initialized") == 2 and verbs.count("passed") == 1
    sessions = [s["context"]["extensions"][SESSION_ID] for s in lms.au_statements(registration)]
    assert len(set(sessions)) == 2, "each launch is its own session"
    assert second.errors == []
    second.context.close()


def test_after_terminated_the_au_goes_to_the_return_url(page, lms):
    registration, _ = launch_au(page, lms, CHECK_AU, return_url=f"{lms.base_url}/returned")
    save_and_exit(page)
    page.wait_for_url(f"{lms.base_url}/returned")
    assert page.get_by_role("heading", name="Back in the LMS").is_visible()
    assert lms.verbs(registration)[-1] == "terminated"
    assert_clean(lms, registration)


def test_leaving_without_save_and_exit_still_terminates(page, lms):
    registration, sco = launch_au(page, lms, CHECK_AU)
    take_the_check(sco, rt.QUIZ_2_WRONG)
    page.goto(f"{lms.base_url}/returned")  # the learner navigates away: pagehide, keepalive requests
    wait_for_verb(lms, registration, "terminated")
    assert_clean(lms, registration)
    assert lms.verbs(registration)[-2:] == ["failed", "terminated"]
    assert lms.saved_state(CHECK_AU, registration, STATE_ID)["status"] == "failed"


def test_statements_the_lrs_refused_are_sent_again_in_order(page, lms):
    registration, sco = launch_au(page, lms, CHECK_AU)
    warning = page.get_by_text("The LMS did not confirm the last save")
    lms.fail_next = 2
    rt.answer(sco, "Improve")
    warning.wait_for(state="visible")
    warning.wait_for(state="hidden", timeout=15_000)  # retried after 1 and 3 seconds
    sco.get_by_role("button", name="Next", exact=True).click()
    rt.answer(sco, rt.QUIZ_2_RIGHT)
    end_session(page, lms, registration)
    statements = lms.au_statements(registration)
    assert len({s["id"] for s in statements}) == len(statements), "nothing stored twice"
    stamps = [s["timestamp"] for s in statements]
    assert stamps == sorted(stamps), "stored in the order the AU made them"
    assert lms.verbs(registration).count("answered") == 2


# --- a lesson AU, browse mode, preview -----------------------------------------------------------------


def test_a_page_au_completes_when_read(page, lms):
    registration, _ = launch_au(page, lms, PAGE_AU)
    page.locator("[data-role=page-end]").scroll_into_view_if_needed()
    wait_for_verb(lms, registration, "completed", timeout_s=15)  # page_done_after_seconds: 5
    completed = statement(lms, registration, "completed")
    assert completed["result"]["completion"] is True
    assert "score" not in completed["result"]
    end_session(page, lms, registration)
    assert not {"passed", "failed"} & set(lms.verbs(registration))


def test_browse_mode_sends_no_completion_or_success(page, lms):
    registration, sco = launch_au(page, lms, CHECK_AU, launch_mode="Browse")
    take_the_check(sco, rt.QUIZ_2_RIGHT)
    end_session(page, lms, registration)
    assert not {"passed", "failed", "completed"} & set(lms.verbs(registration))


def test_without_launch_parameters_the_au_is_a_preview(page, lms):
    before = len(lms.requests)
    open_au(page, lms.content_url(lms.aus[CHECK_AU]))
    assert page.get_by_text("Preview mode").is_visible()
    assert not [r for r in lms.requests[before:] if r[1].startswith(("/xapi", "/fetch"))]
    assert page.errors == []


def test_a_used_launch_url_does_not_start_a_second_session(page, lms):
    registration, _ = launch_au(page, lms, CHECK_AU)
    wait_for_verb(lms, registration, "initialized")
    page.reload()  # the fetch URL has given its token: the AU cannot authenticate again
    page.locator("html[data-sco-ready=true]").wait_for(state="attached")
    assert page.get_by_text("The LMS did not accept some progress data").is_visible()
    assert lms.verbs(registration).count("initialized") == 1


# --- the LMS side itself: fetch once, Authorization, rule checks that refuse ---------------------------


def _post(url: str, body: object = None, headers: dict | None = None) -> tuple[int, object]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode() if body is not None else b"", headers=headers or {}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def test_the_fetch_url_returns_the_token_once(lms):
    params = launch_params(lms.launch(CHECK_AU))
    status, first = _post(params["fetch"])
    assert status == 200 and first["auth-token"]
    status, second = _post(params["fetch"])
    assert status == 200 and second["error-code"] == "1" and "auth-token" not in second


def test_the_lrs_refuses_what_breaks_the_cmi5_rules(lms):
    params = launch_params(lms.launch(CHECK_AU))
    token = _post(params["fetch"])[1]["auth-token"]
    headers = {"Authorization": f"Basic {token}", "X-Experience-API-Version": "1.0.3"}
    session = next(s for s in lms.sessions.values() if s.token == token)
    actor = json.loads(params["actor"])

    def cmi5_statement(verb: str, **extra) -> dict:
        categories = [{"id": CATEGORY_CMI5}] + ([{"id": CATEGORY_MOVE_ON}] if verb != "initialized" else [])
        return {
            "id": str(uuid.uuid4()),
            "actor": actor,
            "verb": {"id": VERBS[verb]},
            "object": {"objectType": "Activity", "id": CHECK_AU},
            "context": {
                "registration": params["registration"],
                "contextActivities": {
                    "category": categories,
                    "grouping": [{"objectType": "Activity", "id": CHECK_AU}],
                },
                "extensions": {SESSION_ID: session.id},
            },
            **extra,
        }

    endpoint = params["endpoint"] + "statements"
    before = len(lms.rejected)
    assert _post(endpoint, cmi5_statement("initialized"), {"X-Experience-API-Version": "1.0.3"})[0] == 401
    assert (
        _post(endpoint, cmi5_statement("initialized"), {**headers, "Authorization": "Basic nope"})[0] == 401
    )
    assert _post(endpoint, cmi5_statement("terminated"), headers)[0] == 403  # not initialized first
    assert _post(endpoint, cmi5_statement("initialized"), headers)[0] == 200
    low = {"result": {"success": True, "score": {"scaled": 0.5}}}
    assert _post(endpoint, cmi5_statement("passed", **low), headers)[0] == 403  # below the masteryScore 0.8
    assert _post(endpoint, cmi5_statement("failed", result={"success": False}), headers)[0] == 403  # no score
    assert _post(endpoint, cmi5_statement("terminated"), headers)[0] == 200
    assert _post(endpoint, cmi5_statement("completed", result={"completion": True}), headers)[0] == 403
    reasons = [reason for _, reason in lms.rejected[before:]]
    assert reasons == [
        "the first statement of a session must be initialized, not terminated",
        "passed with scaled score 0.5 below the masteryScore 0.8",
        "failed of an AU with a masteryScore needs result.score.scaled",
        "completed after terminated",
    ]
    del lms.rejected[before:]  # refused on purpose: the other tests assert there is nothing here


def test_au_pages_have_no_axe_violations_and_fit_a_phone(browser, lms):
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    sco = open_au(page, lms.launch(CHECK_AU))
    rt.answer(sco, "Improve")
    page.add_script_tag(path=str(ROOT / "node_modules" / "axe-core" / "axe.min.js"))
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", rt.WCAG_AA)
    assert result["passes"], "axe-core did not run its checks"
    assert [v["id"] for v in result["violations"]] == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    context.close()
