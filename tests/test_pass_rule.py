"""The pass rule is computed once: the builder writes the count the server's function gives, and the
SCO's JavaScript (pass-rule.js, which sco-app.js decides with) compares counts only (issue 10 point 6).

For every item count 1..40 and pass mark 0.50..1.00 (step 0.01) and every number of correct answers,
the page's decision (run in node on the real static file, with the count the builder puts in the
page) equals the server's (courseware.assessment, exact fractions). The rule the SCO used before,
Math.round(100 * c / t) >= round(pass * 100), disagrees with it (2 of 3 against 0.67).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from fractions import Fraction

import pytest

from courseware.assessment import AssessmentError, _passes, correct_needed
from courseware.model import QuizPart
from scorm_builder.layout import Sco
from scorm_builder.package import STATIC_DIR
from scorm_builder.render import pass_rule_config

TOTALS = range(1, 41)
HUNDREDTHS = range(50, 101)

NODE_SCRIPT = """
const fs = require("fs");
globalThis.window = globalThis;
eval(fs.readFileSync(process.argv[1], "utf8"));
const cases = JSON.parse(fs.readFileSync(0, "utf8"));
const out = cases.map(([total, needed, fractionText, percentText]) => {
  const decisions = [];
  for (let correct = 0; correct <= total; correct++) decisions.push(SkarpPassRule.passes(correct, needed));
  return {
    decisions,
    fromFraction: SkarpPassRule.needed(total, fractionText, 1),
    fromPercent: SkarpPassRule.needed(total, percentText, 100),
  };
});
process.stdout.write(JSON.stringify(out));
"""


def run_page_rule(cases: list[list]) -> list[dict]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is needed to run the page's pass rule (Debian: nodejs; `make setup` has it)")
    result = subprocess.run(
        [node, "-e", NODE_SCRIPT, str(STATIC_DIR / "pass-rule.js")],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(result.stdout)


def test_page_and_server_agree_for_every_count_and_pass_mark(content):
    quiz = next(part for part in content.chapter.parts if isinstance(part, QuizPart))
    cases, marks = [], []
    for total in TOTALS:
        for hundredths in HUNDREDTHS:
            pass_mark = hundredths / 100
            sco = Sco("check", "Check", (quiz,) * total, round(pass_mark * 100), pass_mark)
            needed = pass_rule_config(sco)["correctNeeded"]  # what the builder writes into the page
            cases.append([total, needed, f"{hundredths / 100:.2f}", str(hundredths)])
            marks.append(pass_mark)
    results = run_page_rule(cases)
    assert len(results) == len(TOTALS) * len(HUNDREDTHS)

    checked = old_rule_disagreed = 0
    for (total, needed, _, _), pass_mark, result in zip(cases, marks, results, strict=True):
        assert needed == correct_needed(total, pass_mark)
        assert result["fromFraction"] == needed == result["fromPercent"], (total, pass_mark)
        for correct, page_decision in enumerate(result["decisions"]):
            server = _passes(correct, total, pass_mark)
            assert server == (Fraction(correct, total) >= Fraction(str(pass_mark)))
            assert page_decision == server, (correct, total, pass_mark)
            # the old rule; JS Math.round rounds .5 up, Python's round to even: hence the nudge
            old = round(100 * correct / total + 1e-9) >= round(pass_mark * 100)
            old_rule_disagreed += old != server
            checked += 1
    assert checked == sum((t + 1) * len(HUNDREDTHS) for t in TOTALS)
    assert old_rule_disagreed > 0, "the two-roundings rule must differ somewhere, or this test proves nothing"


def test_two_of_three_fails_a_pass_mark_of_067():
    assert correct_needed(3, 0.67) == 3
    assert correct_needed(20, 0.65) == 13
    assert correct_needed(2, 0.8) == 2


@pytest.mark.parametrize(("total", "pass_mark"), [(0, 0.8), (3, 0), (3, 1.01)])
def test_correct_needed_refuses_what_has_no_rule(total, pass_mark):
    with pytest.raises(AssessmentError):
        correct_needed(total, pass_mark)
