"""What must not be lost, as SQLAlchemy tables: registrations, tool keys, launches, attempts, answers,
grades on their way, and each learner's spaced review (cards, logs, mastery over time).

The schema is managed by Alembic (lti_app/migrations); these classes are its source.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from courseware.assessment import AttemptStatus


class AttemptStatusColumn(TypeDecorator):
    """An AttemptStatus in a VARCHAR(20) (the strings stored before the enum, so no migration): an
    unknown value is refused on the way in and read back as the enum."""

    impl = String(20)
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else AttemptStatus(value).value

    def process_result_value(self, value: str | None, dialect: Any) -> AttemptStatus | None:
        return None if value is None else AttemptStatus(value)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every database (SQLite drops the zone; this puts it back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime: use datetime.now(UTC)")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    type_annotation_map: ClassVar = {dict[str, Any]: JSON, list[Any]: JSON, datetime: UTCDateTime}


class Platform(Base):
    """An LMS registration: one issuer may register the tool several times (one client_id each)."""

    __tablename__ = "platforms"
    __table_args__ = (UniqueConstraint("issuer", "client_id", name="uq_platform_issuer_client"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(500))
    auth_login_url: Mapped[str] = mapped_column(String(1000))
    auth_token_url: Mapped[str] = mapped_column(String(1000))
    key_set_url: Mapped[str] = mapped_column(String(1000))
    auth_audience: Mapped[str | None] = mapped_column(String(1000))
    product_family: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deployments: Mapped[list[Deployment]] = relationship(
        back_populates="platform", cascade="all, delete-orphan", order_by="Deployment.id"
    )

    @property
    def origin(self) -> str:
        """scheme://host[:port] of the LMS, for CSP frame-ancestors."""
        from urllib.parse import urlsplit

        parts = urlsplit(self.auth_login_url)
        return f"{parts.scheme}://{parts.netloc}"


class Deployment(Base):
    __tablename__ = "deployments"
    __table_args__ = (UniqueConstraint("platform_id", "deployment_id", name="uq_deployment"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"))
    deployment_id: Mapped[str] = mapped_column(String(500))
    platform: Mapped[Platform] = relationship(back_populates="deployments")


class RegistrationInvite(Base):
    """The operator's consent to one Dynamic Registration: a one-time URL, stored only as a hash."""

    __tablename__ = "registration_invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    issuer: Mapped[str | None] = mapped_column(String(500))  # if set, only this platform may use it
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()
    platform_id: Mapped[int | None] = mapped_column(ForeignKey("platforms.id", ondelete="SET NULL"))


class ToolKey(Base):
    """An RSA key of the tool. The newest active key signs; older ones stay in the JWKS until retired."""

    __tablename__ = "tool_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(100), unique=True)
    private_pem: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column()


class LaunchRecord(Base):
    """A validated launch: who, where and what, so a page reload works even after Redis is flushed."""

    __tablename__ = "launches"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"))
    deployment_id: Mapped[str] = mapped_column(String(500))
    user_sub: Mapped[str] = mapped_column(String(500))
    user_name: Mapped[str] = mapped_column(String(500), default="")
    roles: Mapped[list[Any]] = mapped_column(default=list)
    context_id: Mapped[str] = mapped_column(String(500), default="")
    context_title: Mapped[str] = mapped_column(String(500), default="")
    resource_link_id: Mapped[str] = mapped_column(String(500), default="")
    assessment_id: Mapped[str] = mapped_column(String(100), default="")
    message_type: Mapped[str] = mapped_column(String(100))
    claims: Mapped[dict[str, Any]] = mapped_column(default=dict)  # AGS, NRPS, deep linking settings
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()


class Attempt(Base):
    """One learner's attempt at one assessment in one resource link."""

    __tablename__ = "attempts"
    __table_args__ = (
        Index(
            "ix_attempt_owner",
            "platform_id",
            "deployment_id",
            "resource_link_id",
            "user_sub",
            "assessment_id",
        ),
        Index(
            "uq_one_open_attempt",
            "platform_id",
            "deployment_id",
            "resource_link_id",
            "user_sub",
            "assessment_id",
            unique=True,
            sqlite_where=text("status = 'open' AND preview = 0"),
            postgresql_where=text("status = 'open' AND NOT preview"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"))
    deployment_id: Mapped[str] = mapped_column(String(500))
    context_id: Mapped[str] = mapped_column(String(500), default="")
    resource_link_id: Mapped[str] = mapped_column(String(500))
    user_sub: Mapped[str] = mapped_column(String(500))
    user_name: Mapped[str] = mapped_column(String(500), default="")
    assessment_id: Mapped[str] = mapped_column(String(100))
    preview: Mapped[bool] = mapped_column(Boolean, default=False)
    seed: Mapped[int] = mapped_column(Integer)
    delivered: Mapped[list[Any]] = mapped_column()  # [{"item_id": ..., "option_order": [...]}]
    status: Mapped[AttemptStatus] = mapped_column(AttemptStatusColumn, default=AttemptStatus.open)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    deadline_at: Mapped[datetime | None] = mapped_column()
    submitted_at: Mapped[datetime | None] = mapped_column()
    submitted_by: Mapped[str | None] = mapped_column(String(20))  # learner | timer
    correct: Mapped[int | None] = mapped_column(Integer)
    total: Mapped[int | None] = mapped_column(Integer)
    score: Mapped[float | None] = mapped_column(Float)
    passed: Mapped[bool | None] = mapped_column(Boolean)
    by_objective: Mapped[dict[str, Any] | None] = mapped_column()
    resource_link_title: Mapped[str] = mapped_column(String(500), default="")
    gradebook: Mapped[dict[str, Any] | None] = mapped_column()  # the launch's AGS endpoint claim
    # When its item and objective results were stored (at submit, or by the report's one-off backfill
    # for attempts submitted before they were): None means "not stored yet", never "no results".
    results_at: Mapped[datetime | None] = mapped_column()
    flagged: Mapped[list[Any] | None] = mapped_column(default=list)  # item ids marked "for review"
    answers: Mapped[list[Answer]] = relationship(back_populates="attempt", cascade="all, delete-orphan")


class AttemptItemResult(Base):
    """One graded item of a submitted attempt, written once at submit: the instructor report and its
    item statistics read these and never regrade (a regrade costs learners x attempts x items)."""

    __tablename__ = "attempt_item_results"

    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"), primary_key=True)
    item_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)  # 1-based, as delivered
    objective: Mapped[str] = mapped_column(String(100))
    slot: Mapped[str] = mapped_column(String(120))  # "objective#n": the test position statistics compare
    is_correct: Mapped[bool] = mapped_column(Boolean)


class AttemptObjectiveResult(Base):
    """A submitted attempt's result on one objective: its count right (objectives it had items on) and
    the mastery (BKT) its answers alone give (every activity), so class summaries are SQL averages."""

    __tablename__ = "attempt_objective_results"

    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"), primary_key=True)
    objective: Mapped[str] = mapped_column(String(100), primary_key=True)
    correct: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(Integer)
    mastery: Mapped[float | None] = mapped_column(Float)  # None: not a value chain activity


class Answer(Base):
    """The learner's current choice for one item (original option index), saved as they go."""

    __tablename__ = "answers"

    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"), primary_key=True)
    item_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    chosen: Mapped[int] = mapped_column(Integer)
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempt: Mapped[Attempt] = relationship(back_populates="answers")


class GradeDelivery(Base):
    """The outbox: a graded attempt's score on its way to the LMS gradebook (AGS).

    Written in the same transaction as the graded attempt, so a grade is never computed without
    also being queued. Workers lease rows (locked_by/locked_until) so that several of them, on
    several machines, never deliver the same grade at once, and a killed worker's lease expires.
    """

    __tablename__ = "grade_deliveries"
    __table_args__ = (
        Index("ix_delivery_due", "status", "next_attempt_at"),
        Index("ix_delivery_owner", "platform_id", "deployment_id", "resource_link_id", "user_sub"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"), unique=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"))
    deployment_id: Mapped[str] = mapped_column(String(500))
    context_id: Mapped[str] = mapped_column(String(500), default="")
    resource_link_id: Mapped[str] = mapped_column(String(500))
    resource_link_title: Mapped[str] = mapped_column(String(500), default="")
    user_sub: Mapped[str] = mapped_column(String(500))
    lineitem_url: Mapped[str | None] = mapped_column(String(1000))  # from the launch, else found/created
    lineitems_url: Mapped[str | None] = mapped_column(String(1000))
    label: Mapped[str] = mapped_column(String(500))
    score_given: Mapped[float] = mapped_column(Float)
    score_maximum: Mapped[float] = mapped_column(Float)
    timestamp: Mapped[datetime] = mapped_column()  # whole seconds, strictly increasing per learner+link
    comment: Mapped[str] = mapped_column(Text, default="")
    # pending | retrying | synced | failed | superseded
    status: Mapped[str] = mapped_column(String(20), default="pending")
    tries: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    retrying_since: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    last_status: Mapped[int | None] = mapped_column(Integer)
    locked_by: Mapped[str | None] = mapped_column(String(200))
    locked_until: Mapped[datetime | None] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column()
    synced_at: Mapped[datetime | None] = mapped_column()  # the LMS confirmed it (results read back)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReviewCardState(Base):
    """One learner's FSRS card for one review card of the course (a flashcard, key term or practice item).

    The learner is (platform, deployment, user): the same schedule across the course's links, never
    shared across users, platforms or deployments. `fsrs` is the scheduler's own card (Card.to_dict());
    `due` and `state` repeat it so the due queue is one indexed query.
    """

    __tablename__ = "review_cards"
    __table_args__ = (
        UniqueConstraint("platform_id", "deployment_id", "user_sub", "card_key", name="uq_review_card"),
        Index("ix_review_card_due", "platform_id", "deployment_id", "user_sub", "due"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"))
    deployment_id: Mapped[str] = mapped_column(String(500))
    user_sub: Mapped[str] = mapped_column(String(500))
    card_key: Mapped[str] = mapped_column(String(200))
    objective: Mapped[str | None] = mapped_column(String(100))
    fsrs: Mapped[dict[str, Any]] = mapped_column()
    state: Mapped[int] = mapped_column(Integer)  # fsrs.State: 1 learning, 2 review, 3 relearning
    due: Mapped[datetime] = mapped_column()
    reps: Mapped[int] = mapped_column(Integer, default=0)
    lapses: Mapped[int] = mapped_column(Integer, default=0)
    introduced_by: Mapped[str] = mapped_column(String(20))  # review | diagnostic | mock_exam
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_review_at: Mapped[datetime | None] = mapped_column()


class ReviewLogEntry(Base):
    """Every rating a card got, as FSRS logs it (ReviewLog.to_dict()), and where it came from."""

    __tablename__ = "review_logs"
    __table_args__ = (
        Index("ix_review_log_owner", "platform_id", "deployment_id", "user_sub", "reviewed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("review_cards.id", ondelete="CASCADE"), index=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"))
    deployment_id: Mapped[str] = mapped_column(String(500))
    user_sub: Mapped[str] = mapped_column(String(500))
    rating: Mapped[int] = mapped_column(Integer)  # fsrs.Rating: 1 again, 2 hard, 3 good, 4 easy
    source: Mapped[str] = mapped_column(String(20))  # review | diagnostic | mock_exam
    resource_link_id: Mapped[str] = mapped_column(String(500), default="")
    reviewed_at: Mapped[datetime] = mapped_column()
    due_after: Mapped[datetime] = mapped_column()
    log: Mapped[dict[str, Any]] = mapped_column()


class MasterySnapshot(Base):
    """A learner's mastery per objective (BKT) after a diagnostic, a mock exam or a practice answer,
    kept over time so the learner can see it change."""

    __tablename__ = "mastery_snapshots"
    __table_args__ = (Index("ix_mastery_owner", "platform_id", "deployment_id", "user_sub", "taken_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"))
    deployment_id: Mapped[str] = mapped_column(String(500))
    user_sub: Mapped[str] = mapped_column(String(500))
    source: Mapped[str] = mapped_column(String(20))  # diagnostic | mock_exam | review
    taken_at: Mapped[datetime] = mapped_column()
    mastery: Mapped[dict[str, Any]] = mapped_column()  # objective id -> P(known)
    # objective id -> answers the estimate rests on (courseware.mastery.smoothed); None before 0005
    evidence: Mapped[dict[str, Any] | None] = mapped_column(default=None)


class LinkPolicy(Base):
    """An instructor's settings for one resource link: when learners may see the rationales."""

    __tablename__ = "link_policies"
    __table_args__ = (
        UniqueConstraint("platform_id", "deployment_id", "resource_link_id", name="uq_link_policy"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"))
    deployment_id: Mapped[str] = mapped_column(String(500))
    resource_link_id: Mapped[str] = mapped_column(String(500))
    rationales: Mapped[str] = mapped_column(String(20), default="immediately")  # see services.policies
    rationales_from: Mapped[datetime | None] = mapped_column()  # for rationales == "after_date"
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(500), default="")


class Accommodation(Base):
    """Extra time for one learner in one resource link: minutes on top, or a factor on the limit."""

    __tablename__ = "accommodations"
    __table_args__ = (
        UniqueConstraint(
            "platform_id", "deployment_id", "resource_link_id", "user_sub", name="uq_accommodation"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"))
    deployment_id: Mapped[str] = mapped_column(String(500))
    resource_link_id: Mapped[str] = mapped_column(String(500))
    user_sub: Mapped[str] = mapped_column(String(500))
    extra_minutes: Mapped[int] = mapped_column(Integer, default=0)
    time_factor: Mapped[float] = mapped_column(Float, default=1.0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
