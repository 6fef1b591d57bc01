"""Deep linking as a use case: an instructor picks an assessment, the platform gets a signed answer.

The deep linking launch was recorded by the launch (lti_app.services.lti_launch), staff only. Here
the picker's launch is found again, the choice checked against the course's assessment plans, and the
signed LtiDeepLinkingResponse built (its grading rules: lti_app.lti.deep_linking) for the platform's
return URL. Nothing is written: the platform stores the link and its line item.
"""

from __future__ import annotations

from dataclasses import dataclass

from courseware.model import AssessmentPlan, CourseContent
from lti_app.adapters.orm import Platform
from lti_app.errors import LaunchError, UserError
from lti_app.lti import deep_linking
from lti_app.lti.claims import DL_SETTINGS
from lti_app.lti.launch import DEEP_LINKING_REQUEST
from lti_app.lti.tool_conf import DatabaseToolConf
from lti_app.services.launches import LaunchContext, load_launch
from lti_app.services.unit_of_work import UnitOfWork


class NoActivityChosen(UserError):
    """The picker was sent without one of the course's assessments: it is shown again, with this."""

    def __init__(self) -> None:
        super().__init__("Choose an activity.", "the form named no assessment of this course")


@dataclass(frozen=True)
class DeepLinkAnswer:
    return_url: str  # where the browser posts the answer (the platform's deep_link_return_url)
    jwt: str


def picker(uow: UnitOfWork, launch_id: str) -> LaunchContext:
    """The deep linking launch behind the picker page: known, unexpired, from staff."""
    with uow:
        ctx = load_launch(uow.session, uow.cache, launch_id)
    if ctx is None or ctx.message_type != DEEP_LINKING_REQUEST or not ctx.is_staff:
        raise LaunchError(
            "This page has expired", "the deep linking launch is unknown or expired", status=403
        )
    return ctx


def choose(
    uow: UnitOfWork,
    content: CourseContent,
    launch_id: str,
    assessment_id: str,
    graded_review: bool,
    launch_url: str,
) -> DeepLinkAnswer:
    """The signed answer placing the chosen assessment (NoActivityChosen if none of the course's)."""
    ctx = picker(uow, launch_id)
    chosen: AssessmentPlan | None = next((p for p in content.blueprints if p.id == assessment_id), None)
    if chosen is None:
        raise NoActivityChosen()
    settings = ctx.claims.get(DL_SETTINGS) or {}
    with uow:
        platform = uow.session.get(Platform, ctx.platform_id)
        if platform is None:
            raise LaunchError(
                "This LMS is no longer registered with Skarp", "its registration was removed", status=403
            )
        registration = DatabaseToolConf(uow.session, uow.registry).registration(platform)
        spec = deep_linking.link_spec(chosen, graded_review)
        token = deep_linking.response_jwt(registration, ctx.deployment_id, settings, [spec], launch_url)
    return DeepLinkAnswer(settings["deep_link_return_url"], token)
