"""Which SCOs a package has and which chapter parts each one shows.

Three layouts, all from the same content:
  * single SCO: the whole chapter in one SCO with its own navigation (imports most reliably);
  * multi SCO: one SCO per part, the chapter's quizzes grouped as the knowledge check, so an LMS
    shows its own table of contents;
  * knowledge check: the graded check alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from courseware.model import AssessmentPlan, BlueprintKind, CourseContent, Part, QuizPart, Tracking

DEFAULT_TRACKING = Tracking()


@dataclass(frozen=True)
class Sco:
    id: str
    title: str
    pages: tuple[Part, ...]
    mastery_score: int | None  # percent; None for an ungraded SCO
    pass_mark: float | None = None  # the blueprint's exact pass mark (0..1), for the count to pass

    @property
    def filename(self) -> str:
        return f"{self.id}.html"

    @property
    def quizzes(self) -> tuple[QuizPart, ...]:
        return tuple(page for page in self.pages if isinstance(page, QuizPart))


@dataclass(frozen=True)
class PackageLayout:
    name: str  # the zip's file stem
    identifier: str  # manifest identifier (an XML NCName)
    title: str
    description: str
    scos: tuple[Sco, ...]
    tracking: Tracking = DEFAULT_TRACKING  # course.yaml's tracking options for this package


def knowledge_check_blueprint(content: CourseContent) -> AssessmentPlan:
    return next(b for b in content.blueprints if b.kind is BlueprintKind.knowledge_check)


def _mastery(content: CourseContent) -> int:
    return round(knowledge_check_blueprint(content).pass_mark * 100)


def _pass_mark(content: CourseContent) -> float | None:
    return knowledge_check_blueprint(content).pass_mark


def _stem(content: CourseContent) -> str:
    return f"ch{content.course.chapter_number:02d}"


def single_sco(content: CourseContent) -> PackageLayout:
    parts = tuple(content.chapter.parts)
    graded = any(isinstance(part, QuizPart) for part in parts)
    sco = Sco(
        "index",
        content.course.chapter_title,
        parts,
        _mastery(content) if graded else None,
        _pass_mark(content) if graded else None,
    )
    return PackageLayout(
        name=f"{_stem(content)}-service-value-chain",
        identifier=f"{content.course.identifier}.single",
        title=content.course.chapter_title,
        description=content.course.description,
        scos=(sco,),
        tracking=content.course.tracking.single,
    )


def multi_sco(content: CourseContent) -> PackageLayout:
    scos: list[Sco] = []
    quizzes = tuple(content.chapter.parts_of(QuizPart))
    for part in content.chapter.parts:
        if isinstance(part, QuizPart):
            if part is quizzes[0]:
                check = knowledge_check_blueprint(content)
                scos.append(Sco(check.id, check.title, quizzes, _mastery(content), _pass_mark(content)))
            continue
        scos.append(Sco(part.id, part.title, (part,), None))
    return PackageLayout(
        name=f"{_stem(content)}-service-value-chain-multi-sco",
        identifier=f"{content.course.identifier}.multi",
        title=content.course.chapter_title,
        description=content.course.description,
        scos=tuple(scos),
        tracking=content.course.tracking.multi,
    )


def knowledge_check(content: CourseContent) -> PackageLayout:
    check = knowledge_check_blueprint(content)
    quizzes = tuple(content.chapter.parts_of(QuizPart))
    return PackageLayout(
        name=f"{_stem(content)}-knowledge-check",
        identifier=f"{content.course.identifier}.knowledge-check",
        title=f"{check.title}: {content.course.chapter_title}",
        description=check.description,
        scos=(Sco("index", check.title, quizzes, _mastery(content), _pass_mark(content)),),
        tracking=content.course.tracking.knowledge_check,
    )
