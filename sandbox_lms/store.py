"""Look-ups and small domain operations shared by the blueprints, the token helpers and tests.

Each takes an explicit SQLAlchemy session so it works inside a request, at startup, or from a test.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from .db import SandboxState
from .models import Course, LineItem, Membership, ResourceLink, Tool, User
from .seed import COURSE_CONTEXT_ID


def get_course(session: Session, context_id: str = COURSE_CONTEXT_ID) -> Course | None:
    return session.scalar(select(Course).where(Course.context_id == context_id))


def get_tool(session: Session, client_id: str) -> Tool | None:
    return session.scalar(select(Tool).where(Tool.client_id == client_id))


def get_user(session: Session, sub: str) -> User | None:
    return session.scalar(select(User).where(User.sub == sub))


def get_resource_link(session: Session, link_id: str) -> ResourceLink | None:
    return session.scalar(select(ResourceLink).where(ResourceLink.link_id == link_id))


def get_membership(session: Session, course: Course, user: User) -> Membership | None:
    return session.scalar(
        select(Membership).where(Membership.course_id == course.id, Membership.user_id == user.id)
    )


def all_tools(session: Session) -> list[Tool]:
    return list(session.scalars(select(Tool).order_by(Tool.id)))


def course_path(course: Course) -> str:
    return "/api/courses/" + quote(course.context_id, safe="")


def lineitems_url(st: SandboxState, course: Course) -> str:
    return st.url(course_path(course) + "/lineitems")


def lineitem_url(st: SandboxState, item: LineItem) -> str:
    return f"{lineitems_url(st, item.course)}/{item.id}"


def memberships_url(st: SandboxState, course: Course) -> str:
    return st.url(course_path(course) + "/memberships")


def add_resource_link(
    session: Session,
    tool: Tool,
    course: Course,
    title: str,
    *,
    url: str | None = None,
    text: str | None = None,
    custom: dict[str, str] | None = None,
) -> ResourceLink:
    """Place the tool in the course; the link id is a UUID so ids never collide across resets."""
    link = ResourceLink(
        link_id=str(uuid.uuid4()),
        course_id=course.id,
        tool_id=tool.id,
        title=title,
        text=text,
        url=url,
        custom=dict(custom or {}),
    )
    session.add(link)
    session.flush()
    return link


def add_line_item(
    session: Session,
    tool: Tool,
    course: Course,
    *,
    label: str,
    score_maximum: float,
    resource_link: ResourceLink | None = None,
    resource_id: str | None = None,
    tag: str | None = None,
    start_date_time: str | None = None,
    end_date_time: str | None = None,
) -> LineItem:
    item = LineItem(
        course_id=course.id,
        tool_id=tool.id,
        resource_link_pk=resource_link.id if resource_link else None,
        label=label,
        score_maximum=score_maximum,
        resource_id=resource_id,
        tag=tag,
        start_date_time=start_date_time,
        end_date_time=end_date_time,
    )
    session.add(item)
    session.flush()
    return item


def is_number(value: Any) -> bool:
    """JSON numbers only: ``True`` is an int in Python but not a score."""
    return isinstance(value, int | float) and not isinstance(value, bool)
