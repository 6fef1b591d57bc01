"""NRPS 2.0 (Names and Role Provisioning Services): the course's memberships, filtered by role or
resource link and paged like Canvas, so a tool that reads only the first page visibly loses people.
"""

from __future__ import annotations

from typing import Any

from flask import Response, request
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from . import claims
from .api import COURSE, bad_request, find_course, page_window, service_blueprint, service_json
from .db import db, state
from .models import Membership
from .oauth import authorize
from .store import get_resource_link, memberships_url

bp = service_blueprint("nrps", __name__)


def member_json(membership: Membership) -> dict[str, Any]:
    user = membership.user
    return {
        "status": "Active",
        "user_id": user.sub,
        "name": user.name,
        "given_name": user.given_name,
        "family_name": user.family_name,
        "email": user.email,
        "roles": claims.membership_role_uris(membership.roles),
    }


@bp.get(COURSE + "/memberships")
def memberships(context_id: str) -> Response:
    tool = authorize(claims.SCOPE_NRPS)
    course = find_course(context_id)
    rlid = request.args.get("rlid")
    if rlid is not None:
        link = get_resource_link(db(), rlid)
        if link is None or link.course_id != course.id or link.tool_id != tool.id:
            raise bad_request("rlid is not a resource link of this tool in this course")
    # Roles only for the whole course, the people only for the page: a big course stays cheap to page.
    everyone = select(Membership.id, Membership.roles).where(Membership.course_id == course.id)
    enrolled = list(db().execute(everyone.order_by(Membership.id)))
    role = request.args.get("role")
    if role is not None:
        wanted = claims.membership_role_uris([role])[0]
        enrolled = [row for row in enrolled if wanted in claims.membership_role_uris(row.roles)]
    window, headers = page_window(len(enrolled), memberships_url(state(), course))
    ids = [row.id for row in enrolled[window]]
    on_page = select(Membership).where(Membership.id.in_(ids)).options(joinedload(Membership.user))
    members = [member_json(membership) for membership in db().scalars(on_page.order_by(Membership.id))]
    context = {"id": course.context_id, "label": course.label, "title": course.title}
    query = request.query_string.decode("ascii")
    container_id = memberships_url(state(), course) + (f"?{query}" if query else "")
    payload = {"id": container_id, "context": context, "members": members}
    return service_json(payload, claims.MEDIA_MEMBERSHIP_CONTAINER, headers=headers)
