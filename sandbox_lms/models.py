"""The sandbox platform's state as SQLAlchemy 2.0 ORM tables (all prefixed ``sandbox_``).

Everything lives in the database, not in process memory, so the platform keeps working when the tool (or a
second sandbox worker) runs in another process, and tests can inspect what the platform really stored.
Datetimes are naive UTC everywhere: SQLite drops time zones, so storing them would only pretend.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, ForeignKey, MetaData, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Naive UTC "now", the only kind of datetime stored (see the module docstring)."""
    return datetime.now(UTC).replace(tzinfo=None)


def isoformat(value: datetime | None) -> str | None:
    """A stored naive-UTC datetime as ISO 8601 with an explicit offset, so clients never guess the zone."""
    return None if value is None else value.replace(tzinfo=UTC).isoformat()


class Base(DeclarativeBase):
    """The sandbox's own metadata, separate from the tool's, so both can share one database."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        list[str]: JSON,
        list[dict[str, Any]]: JSON,
    }


class PlatformKey(Base):
    """The platform's RSA signing key: generated once, kept so restarts do not break tools' cached JWKS."""

    __tablename__ = "sandbox_platform_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    private_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RegistrationToken(Base):
    """A one-time Dynamic Registration token handed to the tool in the registration URL."""

    __tablename__ = "sandbox_registration_tokens"
    token: Mapped[str] = mapped_column(String(128), primary_key=True)
    registration_url: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class Tool(Base):
    """A registered LTI tool (one client_id, one deployment), as accepted at POST /register."""

    __tablename__ = "sandbox_tools"
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    deployment_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    initiate_login_uri: Mapped[str] = mapped_column(Text)
    target_link_uri: Mapped[str] = mapped_column(Text)
    redirect_uris: Mapped[list[str]]
    jwks_uri: Mapped[str] = mapped_column(Text)
    domain: Mapped[str] = mapped_column(String(255))
    scopes: Mapped[list[str]]
    messages: Mapped[list[dict[str, Any]]]
    custom_parameters: Mapped[dict[str, Any]]
    registration: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    resource_links: Mapped[list[ResourceLink]] = relationship(
        back_populates="tool", cascade="all, delete-orphan", order_by="ResourceLink.id"
    )

    def message(self, message_type: str) -> dict[str, Any]:
        """The tool's registered settings for one message type ({} when it registered none)."""
        return next((m for m in self.messages if m.get("type") == message_type), {})

    def supports(self, message_type: str) -> bool:
        return any(m.get("type") == message_type for m in self.messages)


class User(Base):
    """A platform user; ``sub`` is what tools see as the user id."""

    __tablename__ = "sandbox_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    sub: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(200))
    institution_role: Mapped[str] = mapped_column(String(64))


class Course(Base):
    """An LTI context (a CourseOffering)."""

    __tablename__ = "sandbox_courses"
    id: Mapped[int] = mapped_column(primary_key=True)
    context_id: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))

    memberships: Mapped[list[Membership]] = relationship(back_populates="course", order_by="Membership.id")


class Membership(Base):
    """A user's enrolment in a course with short context role names ("Learner", "Instructor")."""

    __tablename__ = "sandbox_memberships"
    __table_args__ = (UniqueConstraint("course_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("sandbox_courses.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("sandbox_users.id"))
    roles: Mapped[list[str]]

    course: Mapped[Course] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship()


class ResourceLink(Base):
    """A placement of a tool in a course (what a learner clicks); ``link_id`` is the LTI resource_link id."""

    __tablename__ = "sandbox_resource_links"
    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[str] = mapped_column(String(64), unique=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("sandbox_courses.id"))
    tool_id: Mapped[int] = mapped_column(ForeignKey("sandbox_tools.id"))
    title: Mapped[str] = mapped_column(String(255))
    text: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    custom: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    course: Mapped[Course] = relationship()
    tool: Mapped[Tool] = relationship(back_populates="resource_links")
    line_items: Mapped[list[LineItem]] = relationship(back_populates="resource_link", order_by="LineItem.id")


class LineItem(Base):
    """An AGS line item (a gradebook column), owned by the tool that created it."""

    __tablename__ = "sandbox_line_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("sandbox_courses.id"))
    tool_id: Mapped[int] = mapped_column(ForeignKey("sandbox_tools.id"))
    resource_link_pk: Mapped[int | None] = mapped_column(
        ForeignKey("sandbox_resource_links.id", ondelete="SET NULL")
    )
    label: Mapped[str] = mapped_column(String(255))
    score_maximum: Mapped[float]
    resource_id: Mapped[str | None] = mapped_column(String(255))
    tag: Mapped[str | None] = mapped_column(String(255))
    start_date_time: Mapped[str | None] = mapped_column(String(64))
    end_date_time: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    course: Mapped[Course] = relationship()
    tool: Mapped[Tool] = relationship()
    resource_link: Mapped[ResourceLink | None] = relationship(back_populates="line_items")
    scores: Mapped[list[Score]] = relationship(cascade="all, delete-orphan", order_by="Score.id")
    results: Mapped[list[Result]] = relationship(cascade="all, delete-orphan", order_by="Result.id")


class Score(Base):
    """Every score a tool POSTed and the platform accepted, kept verbatim for tests and the gradebook."""

    __tablename__ = "sandbox_scores"
    id: Mapped[int] = mapped_column(primary_key=True)
    line_item_id: Mapped[int] = mapped_column(ForeignKey("sandbox_line_items.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("sandbox_users.id"))
    score_given: Mapped[float | None]
    score_maximum: Mapped[float | None]
    activity_progress: Mapped[str] = mapped_column(String(32))
    grading_progress: Mapped[str] = mapped_column(String(32))
    timestamp: Mapped[datetime]
    timestamp_text: Mapped[str] = mapped_column(String(64))
    comment: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any]]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()


class Result(Base):
    """The current result of one user on one line item, derived from the latest accepted score."""

    __tablename__ = "sandbox_results"
    __table_args__ = (UniqueConstraint("line_item_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    line_item_id: Mapped[int] = mapped_column(ForeignKey("sandbox_line_items.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("sandbox_users.id"))
    result_score: Mapped[float | None]
    result_maximum: Mapped[float | None]
    comment: Mapped[str | None] = mapped_column(Text)
    activity_progress: Mapped[str] = mapped_column(String(32))
    grading_progress: Mapped[str] = mapped_column(String(32))
    timestamp: Mapped[datetime]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship()


class LaunchHint(Base):
    """What an opaque ``lti_message_hint`` stands for between login initiation and /auth."""

    __tablename__ = "sandbox_launch_hints"
    hint: Mapped[str] = mapped_column(String(128), primary_key=True)
    tool_id: Mapped[int] = mapped_column(ForeignKey("sandbox_tools.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("sandbox_users.id"))
    resource_link_pk: Mapped[int | None] = mapped_column(
        ForeignKey("sandbox_resource_links.id", ondelete="CASCADE")
    )
    message_type: Mapped[str] = mapped_column(String(64))
    document_target: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class DeepLinkRequest(Base):
    """The opaque ``data`` sent in a deep linking request, which the tool must echo back exactly once."""

    __tablename__ = "sandbox_deep_link_requests"
    data: Mapped[str] = mapped_column(String(128), primary_key=True)
    tool_id: Mapped[int] = mapped_column(ForeignKey("sandbox_tools.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("sandbox_users.id"))
    course_id: Mapped[int] = mapped_column(ForeignKey("sandbox_courses.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class AccessToken(Base):
    """An OAuth2 bearer token for AGS/NRPS; only its SHA-256 is stored, like a real platform would."""

    __tablename__ = "sandbox_access_tokens"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    tool_id: Mapped[int] = mapped_column(ForeignKey("sandbox_tools.id", ondelete="CASCADE"))
    scopes: Mapped[list[str]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]

    tool: Mapped[Tool] = relationship()


class AssertionJti(Base):
    """Client assertion ids already seen, so a replayed assertion is refused."""

    __tablename__ = "sandbox_assertion_jtis"
    __table_args__ = (UniqueConstraint("client_id", "jti"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64))
    jti: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[datetime]


class ServiceRequest(Base):
    """One service call (token, AGS, NRPS, registration): the log fault tests and the gradebook read."""

    __tablename__ = "sandbox_service_requests"
    id: Mapped[int] = mapped_column(primary_key=True)
    time: Mapped[datetime] = mapped_column(default=utcnow)
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[int]
    client_id: Mapped[str | None] = mapped_column(String(64))
    fault: Mapped[str | None] = mapped_column(String(16))
    duration_ms: Mapped[int]

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "time": isoformat(self.time),
            "method": self.method,
            "path": self.path,
            "kind": self.kind,
            "status": self.status,
            "client_id": self.client_id,
            "fault": self.fault,
            "duration_ms": self.duration_ms,
        }


class FaultState(Base):
    """The single active fault injection setting (row id 1), shared by every worker process."""

    __tablename__ = "sandbox_faults"
    id: Mapped[int] = mapped_column(primary_key=True)
    mode: Mapped[str] = mapped_column(String(16), default="none")
    target: Mapped[str] = mapped_column(String(16), default="all")
    remaining: Mapped[int | None]
    until: Mapped[datetime | None]
    retry_after: Mapped[int] = mapped_column(default=1)
    delay: Mapped[float] = mapped_column(default=10.0)
    applied: Mapped[int] = mapped_column(default=0)

    def as_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "target": self.target,
            "remaining": self.remaining,
            "until": isoformat(self.until),
            "retry_after": self.retry_after,
            "delay": self.delay,
            "applied": self.applied,
        }
