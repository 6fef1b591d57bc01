"""What the learner's question and result pages show, built once here so the views only render.

The result is read from what the submit stored (score, pass, per-objective counts): a page load never
regrades, so a later edit of the item bank cannot change a score the learner was already shown. The
per-question review and the mastery trace compare the stored answers with the item key; rationales
are left out altogether (not hidden in the HTML) when the link's policy says the learner may not see
them yet.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from courseware.assessment import ItemResult, ObjectiveScore
from courseware.mastery import GapEntry, MasteryLevel, gap_guide, trace
from courseware.model import BlueprintKind, CourseContent, Item, Objective, Option
from lti_app.adapters.orm import Attempt
from lti_app.services import policies
from lti_app.services.attempts import AttemptView, view
from lti_app.services.launches import LTI, LaunchContext

LETTERS = "ABCDEFGH"
#: The assessments whose result carries a gap guide and a next step.
GUIDED = (BlueprintKind.diagnostic, BlueprintKind.mock_exam)


# --- the question page ---------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionView:
    state: AttemptView
    number: int
    item: Item
    options: tuple[Option, ...]  # in the order this learner sees them
    chosen: int | None  # display position chosen
    flagged: bool  # marked "for review" by the learner


def question_view(
    session: Session, content: CourseContent, attempt: Attempt, number: int
) -> QuestionView | None:
    """Question `number` (1-based) as this learner sees it; None if there is no such question."""
    state = view(session, content, attempt)
    if not 1 <= number <= len(state.delivered):
        return None
    delivered = state.delivered[number - 1]
    item = items_by_id(content)[delivered.item_id]
    return QuestionView(
        state=state,
        number=number,
        item=item,
        options=tuple(item.options[original] for original in delivered.option_order),
        chosen=state.chosen_positions.get(item.id),
        flagged=item.id in (attempt.flagged or []),
    )


def items_by_id(content: CourseContent) -> dict[str, Item]:
    return {item.id: item for item in content.all_items()}


# --- the answer review before submitting ----------------------------------------------------------


@dataclass(frozen=True)
class ChoiceRow:
    number: int
    letter: str | None  # None: not answered
    option: Option | None
    flagged: bool


def choices(content: CourseContent, state: AttemptView) -> list[ChoiceRow]:
    """Each question's choice as displayed to the learner. Never whether it is right."""
    items = items_by_id(content)
    flagged = set(state.attempt.flagged or [])
    rows = []
    for number, delivered in enumerate(state.delivered, start=1):
        position = state.chosen_positions.get(delivered.item_id)
        option = (
            None if position is None else items[delivered.item_id].options[delivered.option_order[position]]
        )
        letter = None if position is None else LETTERS[position]
        rows.append(ChoiceRow(number, letter, option, delivered.item_id in flagged))
    return rows


# --- the result ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ObjectiveRow:
    objective: Objective
    score: ObjectiveScore  # as the submit stored it


@dataclass(frozen=True)
class OptionRow:
    letter: str
    option: Option
    chosen: bool
    correct: bool


@dataclass(frozen=True)
class QuestionResult:
    number: int
    item: Item
    result: ItemResult
    options: tuple[OptionRow, ...]


@dataclass(frozen=True)
class GuideEntry:
    entry: GapEntry
    expanded: bool  # weak and developing activities open; secure ones collapsed


@dataclass(frozen=True)
class NextStep:
    kind: str  # review | retake | course
    label: str
    why: str
    url: str | None = None  # for "course": the LMS's return URL, when the launch gave one


@dataclass(frozen=True)
class ResultView:
    attempt: Attempt
    state: AttemptView
    correct: int
    total: int
    score: float
    passed: bool
    pass_mark: float
    time_taken: timedelta | None
    objectives: list[ObjectiveRow]  # weakest first
    guide: list[GuideEntry] | None  # diagnostic and mock exam only
    next_step: NextStep | None
    questions: list[QuestionResult]
    rationales: policies.RationaleAccess

    @property
    def time_taken_text(self) -> str:
        """E.g. "12 min 5 s" (whole seconds: the server's clock, not the browser's)."""
        seconds = int(self.time_taken.total_seconds()) if self.time_taken else 0
        minutes, seconds = divmod(seconds, 60)
        hours, minutes = divmod(minutes, 60)
        parts = [f"{hours} h"] if hours else []
        return " ".join([*parts, f"{minutes} min", f"{seconds} s"])

    @property
    def timed_out(self) -> bool:
        return self.attempt.submitted_by == "timer"


def question_results(content: CourseContent, attempt: Attempt) -> list[ItemResult]:
    """Each delivered item against the key, in the order delivered, from the stored answers."""
    items = items_by_id(content)
    chosen = {answer.item_id: answer.chosen for answer in attempt.answers}
    results = []
    for entry in attempt.delivered:
        item = items[entry["item_id"]]
        results.append(ItemResult(item.id, item.objective, chosen.get(item.id), item.answer_index))
    return results


def attempt_mastery(content: CourseContent, results: Iterable[ItemResult]) -> dict[str, float]:
    """Mastery per objective (BKT) traced through one attempt's answers, from the prior."""
    return trace([(r.objective, r.is_correct) for r in results], [o.id for o in content.objectives])


def result_view(session: Session, content: CourseContent, ctx: LaunchContext, attempt: Attempt) -> ResultView:
    """The submitted attempt's result page: summary, objectives weakest first, the gap guide, one
    next step, and each question (with rationales only if the link's policy allows them now)."""
    blueprint = content.blueprint(attempt.assessment_id)
    objectives = {o.id: o for o in content.objectives}
    results = question_results(content, attempt)
    stored = attempt.by_objective or {}
    rows = [
        ObjectiveRow(objectives[o], ObjectiveScore(o, c, t))
        for o, (c, t) in stored.items()
        if o in objectives
    ]
    rows.sort(key=lambda row: (row.score.fraction, list(objectives).index(row.objective.id)))
    guide = None
    if blueprint.kind in GUIDED:
        entries = gap_guide(attempt_mastery(content, results), content.objectives)
        guide = [GuideEntry(entry, entry.level is not MasteryLevel.secure) for entry in entries]
    items = items_by_id(content)
    questions = []
    for number, (entry, result) in enumerate(zip(attempt.delivered, results, strict=True), start=1):
        item = items[result.item_id]
        options = tuple(
            OptionRow(
                LETTERS[position],
                item.options[original],
                original == result.chosen,
                original == result.correct_index,
            )
            for position, original in enumerate(entry["option_order"])
        )
        questions.append(QuestionResult(number, item, result, options))
    ended = attempt.submitted_at
    return ResultView(
        attempt=attempt,
        state=view(session, content, attempt),
        correct=attempt.correct or 0,
        total=attempt.total or len(results),
        score=attempt.score or 0.0,
        passed=bool(attempt.passed),
        pass_mark=blueprint.pass_mark,
        time_taken=ended - attempt.started_at if ended else None,
        objectives=rows,
        guide=guide,
        next_step=None if attempt.preview else next_step(ctx, blueprint.kind, bool(attempt.passed), guide),
        questions=questions,
        rationales=policies.rationale_access(session, ctx, attempt),
    )


def next_step(
    ctx: LaunchContext, kind: BlueprintKind, passed: bool, guide: Sequence[GuideEntry] | None
) -> NextStep | None:
    """One clear next step. Gaps first: the spaced review serves the weakest activity first. A failed
    attempt without gaps: try again. Nothing left to practise after the diagnostic: the mock exam,
    which is another activity of the course (so back to the course, if the LMS said where that is)."""
    gaps = [g for g in guide or [] if g.expanded]
    if gaps:
        weakest = gaps[0].entry.objective.title
        return NextStep(
            "review", "Start your spaced review", f"It starts with your weakest activity: {weakest}."
        )
    if not passed:
        return NextStep("retake", "Try again", "A new attempt draws a new set of questions.")
    if kind is BlueprintKind.diagnostic:
        url = course_url(ctx)
        return NextStep(
            "course",
            "Go on to the mock exam",
            "Every activity is secure: the mock exam is in your course.",
            url,
        )
    return NextStep("review", "Keep it fresh with the spaced review", "A few cards a day keep what you know.")


def course_url(ctx: LaunchContext) -> str | None:
    """The launch's return_url (launch_presentation), if it is a web address: the claim is a free-form
    dict, and a javascript: URL in a link would run in the tool's page."""
    presentation = ctx.claims.get(LTI + "launch_presentation")
    url = presentation.get("return_url") if isinstance(presentation, dict) else None
    if isinstance(url, str) and urlsplit(url).scheme in ("http", "https") and urlsplit(url).netloc:
        return url
    return None
