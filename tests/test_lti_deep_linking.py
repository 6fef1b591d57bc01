"""The grading rules of a placed link (lti_app/lti/deep_linking.py), over the course's own plans.

The whole flow (picker, signed answer, the sandbox LMS storing link and line item) is in
test_lti_flows and test_review_flows; here each rule is pinned on its own.
"""

from __future__ import annotations

import pytest

from courseware import load_content
from courseware.model import BlueprintKind
from lti_app.lti.deep_linking import link_spec, resource

from .conftest import CONTENT_DIR

CONTENT = load_content(CONTENT_DIR)
PLANS = {plan.id: plan for plan in CONTENT.blueprints}
LAUNCH_URL = "https://tool.example/lti/launch"


@pytest.mark.parametrize("plan_id", [p.id for p in CONTENT.blueprints if p.kind is not BlueprintKind.review])
def test_an_assessment_is_out_of_its_questions(plan_id):
    plan = PLANS[plan_id]
    spec = link_spec(plan, graded_review=False)
    assert (spec.score_maximum, spec.custom) == (plan.item_count, {"assessment": plan.id})
    line_item = resource(spec, LAUNCH_URL).to_dict()["lineItem"]
    assert line_item == {
        "scoreMaximum": plan.item_count,
        "label": plan.title,
        "resourceId": plan.id,
        "tag": "skarp",
    }


def test_a_review_is_graded_only_when_the_instructor_says_so():
    review = next(p for p in CONTENT.blueprints if p.kind is BlueprintKind.review)
    graded, ungraded = link_spec(review, graded_review=True), link_spec(review, graded_review=False)
    assert graded.score_maximum == 1 and graded.custom["graded"] == "true"
    assert ungraded.score_maximum is None and ungraded.custom["graded"] == "false"
    assert "lineItem" not in resource(ungraded, LAUNCH_URL).to_dict()
    assert resource(graded, LAUNCH_URL).to_dict()["lineItem"]["scoreMaximum"] == 1


def test_the_link_opens_the_tool_with_its_assessment():
    plan = PLANS["mock-exam"]
    link = resource(link_spec(plan, graded_review=False), LAUNCH_URL).to_dict()
    assert (link["type"], link["url"], link["title"]) == ("ltiResourceLink", LAUNCH_URL, plan.title)
    assert link["custom"] == {"assessment": "mock-exam"}
