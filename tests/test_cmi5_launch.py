"""cmi5 AUs played in Chromium against a test LMS and LRS (tests/cmi5_lms.py).

The LMS launches an AU the cmi5 way (launch URL, one-time fetch URL, LMS.LaunchData); the AU runs
cmi5-runtime.js over @xapi/cmi5. The LRS refuses what breaks a cmi5 rule, and every statement it
stored is checked again with Learning Locker's xAPI validator, run in node.
"""

from __future__ import annotations

import json
import subprocess
import urllib.request
from pathlib import Path

import pytest

from scorm_builder.formats.cmi5 import build_cmi5

from . import test_scorm_runtime as rt
from .cmi5_lms import CATEGORY_CMI5, CATEGORY_MOVE_ON, SESSION_ID, cmi5_lms
from .conftest import ROOT

pytestmark = pytest.mark.browser

STATE_ID = "https://skarp.dev/xapi/state/progress"
CHECK_AU = "urn:skarp:skarp.itil4-foundation.ch14:au:knowledge-check"
PAGE_AU = "urn:skarp:skarp.itil4-foundation.ch14:au:svs-vs-svc"
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


def open_au(page, url: str):
    page.goto(url)
    page.locator("html[data-sco-ready=true]").wait_for(state="attached")
    return page


def wait_for_verb(lms, registration: str, verb: str, timeout_ms: int = 10_000) -> None:
    page_deadline = timeout_ms / 1000
    import time

    deadline = time.monotonic() + page_deadline
    while verb not in lms.verbs(registration):
        if time.monotonic() > deadline:
            raise AssertionError(
                f"no {verb} statement; the LRS has {lms.verbs(registration)}, refused {lms.rejected}"
            )
        time.sleep(0.05)


def registration_of(url: str) -> str:
    from urllib.parse import parse_qs, urlsplit

    return parse_qs(urlsplit(url).query)["registration"][0]


def save_and_exit(page) -> None:
    page.get_by_role("button", name="Save and exit").click()


def test_knowledge_check_passed(page, lms):
    url = lms.launch(CHECK_AU)
    registration = registration_of(url)
    sco = open_au(page, url)
    rt.answer(sco, "Improve")
    sco.get_by_role("button", name="Next →").click()
    rt.answer(sco, rt.QUIZ_2_RIGHT)
    wait_for_verb(lms, registration, "completed")
    save_and_exit(page)
    wait_for_verb(lms, registration, "terminated")
    verbs = lms.verbs(registration)
    assert verbs[0] == "initialized" and verbs[-1] == "terminated"
    assert [v for v in verbs if v in ("passed", "failed", "completed")] == ["passed", "completed"]
    assert verbs.count("answered") == 2
    statements = lms.au_statements(registration)
    passed = next(s for s in statements if s["verb"]["id"].endswith("/passed"))
    assert passed["result"]["score"] == {"scaled": 1, "raw": 100, "min": 0, "max": 100}
    assert passed["result"]["success"] is True
    categories = {c["id"] for c in passed["context"]["contextActivities"]["category"]}
    assert categories == {CATEGORY_CMI5, CATEGORY_MOVE_ON}
    assert passed["context"]["extensions"][SESSION_ID]
    answered = [s for s in statements if s["verb"]["id"].endswith("/answered")]
    assert [a["object"]["definition"]["interactionType"] for a in answered] == ["choice", "choice"]
    assert all(a["result"]["success"] is True for a in answered)
    assert lms.rejected == []
    assert xapi_problems(statements) == []
    saved = lms.saved_state(CHECK_AU, registration, STATE_ID)
    assert (saved["status"], saved["score"], saved["passed"]) == ("passed", 100, True)
    assert page.errors == []
