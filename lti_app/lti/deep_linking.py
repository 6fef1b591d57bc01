"""Deep linking (LTI Deep Linking 2.0): the links Skarp hands back to the platform, and their rules.

An assessment's link carries a line item (a gradebook column) out of its number of questions. A
spaced review is graded only if the instructor says so, and then out of 1 (for completion); an
ungraded review asks for no gradebook column. The link's custom parameters say which assessment it
opens (and, for a review, whether it is graded), so a launch never has to guess.
"""

from __future__ import annotations

from dataclasses import dataclass

from pylti1p3.deep_link import DeepLink
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.lineitem import LineItem
from pylti1p3.registration import Registration

from courseware.model import AssessmentPlan, BlueprintKind

LINE_ITEM_TAG = "skarp"


@dataclass(frozen=True)
class LinkSpec:
    """What the link to one assessment says, before pylti1p3 turns it into JSON."""

    title: str
    custom: dict[str, str]
    score_maximum: int | None  # None: no gradebook column
    resource_id: str


def link_spec(plan: AssessmentPlan, graded_review: bool) -> LinkSpec:
    """The grading rules of a placed link (see the module's docstring)."""
    review = plan.kind is BlueprintKind.review
    if not review:
        return LinkSpec(plan.title, {"assessment": plan.id}, plan.item_count, plan.id)
    custom = {"assessment": plan.id, "graded": "true" if graded_review else "false"}
    return LinkSpec(plan.title, custom, 1 if graded_review else None, plan.id)


def resource(spec: LinkSpec, launch_url: str) -> DeepLinkResource:
    link = DeepLinkResource().set_url(launch_url).set_title(spec.title).set_custom_params(spec.custom)
    if spec.score_maximum is None:
        return link
    return link.set_lineitem(
        LineItem()
        .set_score_maximum(spec.score_maximum)
        .set_label(spec.title)
        .set_resource_id(spec.resource_id)
        .set_tag(LINE_ITEM_TAG)
    )


def response_jwt(
    registration: Registration, deployment_id: str, settings: dict, specs: list[LinkSpec], launch_url: str
) -> str:
    """The signed LtiDeepLinkingResponse naming the chosen links (pylti1p3 signs with the tool's key)."""
    deep_link = DeepLink(registration, deployment_id, settings)
    return deep_link.get_response_jwt([resource(spec, launch_url) for spec in specs])
