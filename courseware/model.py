"""The course as typed data: what authors write in `content/`, checked on load.

Plain Python (pydantic models): no web, no SCORM, no I/O. The loader turns YAML into these
models; the validator adds the cross-file rules (unique ids, objectives exist, blueprints
satisfiable) that a single model cannot check alone.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

#: Non-empty text, surrounding whitespace stripped. Inline Markdown is allowed where rendered.
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
#: A stable identifier: lower-case letters, digits and hyphens (safe in URLs, SCORM ids, HTML ids).
Ident = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]


class Strict(BaseModel):
    """Base for content models: unknown fields are typos, so they are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --- course and objectives -----------------------------------------------------------------


class Tracking(Strict):
    """How a SCORM package reports to the LMS (see README, "SCORM tracking options").

    Defaults are what imports most reliably in Moodle; each field names its Adapt and Storyline
    equivalent in the README."""

    status_on_fail: Literal["failed", "incomplete"] = "failed"
    status_when_done: Literal["completed", "passed"] = "completed"
    page_done_at_end: bool = True  # a page SCO is done when the learner reached the end of every page
    page_done_after_seconds: int = Field(default=5, ge=0, le=3600)  # ...and/or spent this long on each
    exit_while_incomplete: Literal["suspend", ""] = "suspend"
    commit_interval_seconds: int = Field(default=60, ge=1, le=3600)
    record_interactions: bool = True
    unique_interaction_ids: bool = True
    honour_lms_mastery_score: bool = True

    @model_validator(mode="after")
    def _page_done_needs_a_rule(self) -> Tracking:
        if not self.page_done_at_end and self.page_done_after_seconds == 0:
            raise ValueError(
                "page_done_at_end is false and page_done_after_seconds is 0: a page SCO would report "
                "done the moment it opens; keep one of them"
            )
        return self


class PackageTracking(Strict):
    """Tracking options per package the builder makes (single SCO, multi SCO, knowledge check)."""

    single: Tracking = Tracking()
    multi: Tracking = Tracking()
    knowledge_check: Tracking = Tracking()


class Course(Strict):
    identifier: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")]
    title: Text
    chapter_number: int = Field(ge=1)
    chapter_count: int = Field(ge=1)
    chapter_title: Text
    subtitle: Text
    description: Text
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]
    version: Text
    publisher: Text = "Skarp"
    tracking: PackageTracking = PackageTracking()

    @model_validator(mode="after")
    def _chapter_in_range(self) -> Course:
        if self.chapter_number > self.chapter_count:
            raise ValueError("chapter_number is greater than chapter_count")
        return self


class ObjectiveKind(StrEnum):
    activity = "activity"  # one of the six service value chain activities
    concept = "concept"  # value streams, SVS vs SVC, continual improvement...


class Objective(Strict):
    """A learning objective: what items, mastery and the gap guide are organised by."""

    id: Ident
    title: Text
    kind: ObjectiveKind
    purpose: Text
    signal_words: list[Text] = []
    exam_traps: list[Text] = []
    examples: list[Text] = []


class ObjectiveFile(Strict):
    objectives: list[Objective]


# --- items ---------------------------------------------------------------------------------


class ItemStyle(StrEnum):
    standard = "standard"
    negative = "negative"
    missing_word = "missing-word"
    which_two = "which-two"


class Pool(StrEnum):
    open = "open"  # diagnostic and practice (spaced review)
    mock = "mock"  # reserved for the mock exam
    chapter = "chapter"  # the chapter's own quizzes (shipped in SCORM packages)


class Option(Strict):
    text: Text
    correct: bool = False
    rationale: Text | None = None


class Item(Strict):
    """A single-answer, four-option question in ITIL exam style."""

    id: Ident
    objective: Ident
    pool: Pool
    style: ItemStyle = ItemStyle.standard
    difficulty: int = Field(ge=1, le=3, description="1 easy, 2 medium, 3 hard")
    stem: Text
    statements: list[Text] = []
    options: list[Option]
    rationale: Text
    source: Text | None = None

    @field_validator("options")
    @classmethod
    def _four_options_one_correct(cls, options: list[Option]) -> list[Option]:
        if len(options) != 4:
            raise ValueError(f"an item needs exactly 4 options, found {len(options)}")
        correct = sum(option.correct for option in options)
        if correct != 1:
            raise ValueError(f"exactly one option must be correct, found {correct}")
        texts = [option.text.casefold() for option in options]
        if len(set(texts)) != len(texts):
            raise ValueError("two options have the same text")
        return options

    @model_validator(mode="after")
    def _statements_match_style(self) -> Item:
        if self.style is ItemStyle.which_two and len(self.statements) < 3:
            raise ValueError("a which-two item lists at least 3 statements")
        if self.style is not ItemStyle.which_two and self.statements:
            raise ValueError("statements are only for which-two items")
        return self

    @property
    def answer_index(self) -> int:
        return next(i for i, option in enumerate(self.options) if option.correct)

    @property
    def answer_letter(self) -> str:
        return "abcd"[self.answer_index]


class ItemFile(Strict):
    items: list[Item]


# --- chapter parts -------------------------------------------------------------------------


class Card(Strict):
    title: Text
    body: Text  # Markdown


class LessonPart(Strict):
    kind: Literal["lesson"]
    id: Ident
    title: Text
    intro: Text | None = None
    objectives: list[Ident] = []
    cards: list[Card] = Field(min_length=1)


class ExerciseStep(Strict):
    text: Text
    answer: Ident  # the objective (value chain activity) that best fits the step


class ExercisePart(Strict):
    kind: Literal["exercise"]
    id: Ident
    title: Text
    intro: Text
    scenario_title: Text
    scenario: Text
    steps: list[ExerciseStep] = Field(min_length=2, max_length=26)
    task: Text
    reveal_intro: Text


class QuizPart(Strict):
    kind: Literal["quiz"]
    id: Ident
    title: Text
    intro: Text
    item: Item


class Flashcard(Strict):
    front: Text
    back: Text
    objective: Ident | None = None  # what the spaced review counts it towards (targets weak ones first)


class FlashcardsPart(Strict):
    kind: Literal["flashcards"]
    id: Ident
    title: Text
    intro: Text
    cards: list[Flashcard] = Field(min_length=1)


class KeyTerm(Strict):
    term: Text
    definition: Text
    objective: Ident | None = None  # as for flashcards


class KeyTermsPart(Strict):
    kind: Literal["key_terms"]
    id: Ident
    title: Text
    terms: list[KeyTerm] = Field(min_length=1)


Part = Annotated[
    LessonPart | ExercisePart | QuizPart | FlashcardsPart | KeyTermsPart, Field(discriminator="kind")
]
#: The `kind` of each part type ("lesson", "quiz", ...), as pydantic names them in error locations.
PART_KINDS = frozenset(
    cls.model_fields["kind"].annotation.__args__[0]
    for cls in (LessonPart, ExercisePart, QuizPart, FlashcardsPart, KeyTermsPart)
)


class Chapter(Strict):
    parts: list[Part] = Field(min_length=1)

    def parts_of(self, kind: type) -> list:
        return [part for part in self.parts if isinstance(part, kind)]


# --- assessment plans (authors' "blueprints", content/blueprints.yaml) ------------------------


class BlueprintKind(StrEnum):
    diagnostic = "diagnostic"
    mock_exam = "mock_exam"
    knowledge_check = "knowledge_check"
    review = "review"  # spaced review: flashcards, key terms and open-pool practice, scheduled per learner


class AssessmentPlan(Strict):
    """How an assessment is assembled: which items, how many per objective, timing, pass mark.

    Authors call it a blueprint (`content/blueprints.yaml`, key `blueprints`, kept as they write it);
    the code calls it a plan, so it never reads as Flask's Blueprint.

    A review has no draw and no pass mark: each learner's scheduler picks their cards."""

    id: Ident
    kind: BlueprintKind
    title: Text
    description: Text
    pools: list[Pool] = Field(min_length=1)
    per_objective: dict[Ident, Annotated[int, Field(ge=1)]] = {}
    items: list[Ident] = []  # a fixed list instead of a draw (the knowledge check)
    time_limit_minutes: int | None = Field(default=None, ge=1)
    pass_mark: float | None = Field(default=None, gt=0, le=1)
    shuffle: bool = False

    @model_validator(mode="after")
    def _draw_or_fixed(self) -> AssessmentPlan:
        if self.kind is BlueprintKind.review:
            return self._check_review()
        if bool(self.per_objective) == bool(self.items):
            raise ValueError("give either per_objective counts (a draw) or a fixed items list, not both")
        if self.pass_mark is None:
            raise ValueError("an assessment needs a pass_mark")
        return self

    def _check_review(self) -> AssessmentPlan:
        """The mock exam's items must stay unseen until the mock exam, so a review practises open ones."""
        if self.per_objective or self.items or self.time_limit_minutes or self.pass_mark:
            raise ValueError("a review has no per_objective, items, time_limit_minutes or pass_mark")
        if self.pools != [Pool.open]:
            raise ValueError("a review practises the open pool only: pools: [open]")
        return self

    @property
    def item_count(self) -> int:
        return sum(self.per_objective.values()) if self.per_objective else len(self.items)


class BlueprintFile(Strict):
    blueprints: list[AssessmentPlan] = Field(min_length=1)


# --- the whole course ----------------------------------------------------------------------


class CourseContent(Strict):
    """Everything in `content/`, loaded and validated."""

    course: Course
    objectives: list[Objective]
    chapter: Chapter
    items: list[Item]
    blueprints: list[AssessmentPlan]

    def objective(self, objective_id: str) -> Objective:
        return next(o for o in self.objectives if o.id == objective_id)

    def blueprint(self, blueprint_id: str) -> AssessmentPlan:
        return next(b for b in self.blueprints if b.id == blueprint_id)

    @property
    def chapter_items(self) -> list[Item]:
        return [part.item for part in self.chapter.parts_of(QuizPart)]

    def all_items(self) -> list[Item]:
        return self.chapter_items + self.items
