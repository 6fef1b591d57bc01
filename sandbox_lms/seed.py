"""First-start seed data: one course and three users, the cast every demo and test relies on."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Course, Membership, User

COURSE_CONTEXT_ID = "course-1"


@dataclass(frozen=True)
class SeedUser:
    sub: str
    given_name: str
    family_name: str
    email: str
    roles: tuple[str, ...]
    institution_role: str

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"


SEED_USERS = (
    SeedUser("learner-1", "Ada", "Learner", "ada.learner@example.edu", ("Learner",), "Student"),
    SeedUser("learner-2", "Ben", "Learner", "ben.learner@example.edu", ("Learner",), "Student"),
    SeedUser("instructor-1", "Ines", "Instructor", "ines.instructor@example.edu", ("Instructor",), "Faculty"),
)


def seed(session: Session) -> None:
    """Create whatever part of the seed is missing; safe to run on every start."""
    course = session.scalar(select(Course).where(Course.context_id == COURSE_CONTEXT_ID))
    if course is None:
        course = Course(context_id=COURSE_CONTEXT_ID, label="ITIL4-F", title="ITIL 4 Foundation")
        session.add(course)
        session.flush()
    for spec in SEED_USERS:
        _seed_user(session, course, spec)
    session.commit()


def _seed_user(session: Session, course: Course, spec: SeedUser) -> None:
    user = session.scalar(select(User).where(User.sub == spec.sub))
    if user is None:
        user = User(
            sub=spec.sub,
            name=spec.name,
            given_name=spec.given_name,
            family_name=spec.family_name,
            email=spec.email,
            institution_role=spec.institution_role,
        )
        session.add(user)
        session.flush()
    enrolled = session.scalar(
        select(Membership).where(Membership.course_id == course.id, Membership.user_id == user.id)
    )
    if enrolled is None:
        session.add(Membership(course_id=course.id, user_id=user.id, roles=list(spec.roles)))
