"""Rules that span files: ids, references between content, and blueprints the bank can satisfy."""

from __future__ import annotations

from collections import Counter

from courseware.errors import ContentProblem
from courseware.model import (
    AssessmentPlan,
    CourseContent,
    ExercisePart,
    FlashcardsPart,
    Item,
    KeyTermsPart,
    LessonPart,
    ObjectiveKind,
    Pool,
    QuizPart,
)
from courseware.provenance import Provenance
from courseware.spaced import slug


def validate_content(content: CourseContent, provenance: Provenance | None = None) -> list[ContentProblem]:
    """Every cross-reference problem in the course; an empty list means the content is sound."""
    where = provenance or Provenance()
    checks = (_unique_ids, _objective_references, _item_pools, _blueprints, _review_card_keys)
    return [problem for check in checks for problem in check(content, where)]


def _problem(where: Provenance, kind: str, ident: str, sub: tuple, message: str) -> ContentProblem:
    location, field = where.at(kind, ident, *sub)
    return ContentProblem(location, field, message)


def _unique_ids(content: CourseContent, where: Provenance) -> list[ContentProblem]:
    groups = {
        "objective": [o.id for o in content.objectives],
        "part": [p.id for p in content.chapter.parts],
        "item": [i.id for i in content.all_items()],
        "blueprint": [b.id for b in content.blueprints],
    }
    problems = []
    for kind, ids in groups.items():
        for ident, count in Counter(ids).items():
            if count < 2:
                continue
            places = where.every(kind, ident, "id") or [where.at(kind, ident, "id")]
            others = ", ".join(str(location) for location, _ in places if location.file)
            message = f"duplicate {kind} id {ident!r}: ids must be unique (written at {others})"
            problems += [ContentProblem(location, field, message) for location, field in places]
    return problems


def _objective_references(content: CourseContent, where: Provenance) -> list[ContentProblem]:
    known = {o.id for o in content.objectives}
    activities = [o.id for o in content.objectives if o.kind is ObjectiveKind.activity]

    def unknown(ident: str) -> str:
        return f"unknown objective {ident!r} (known: {', '.join(sorted(known))})"

    problems = []
    for item in content.all_items():
        if item.objective not in known:
            problems.append(_problem(where, "item", item.id, ("objective",), unknown(item.objective)))
    for part in content.chapter.parts_of(LessonPart):
        for index, ident in enumerate(part.objectives):
            if ident not in known:
                problems.append(_problem(where, "part", part.id, ("objectives", index), unknown(ident)))
    for part, field, entries in _review_card_parts(content):
        for index, entry in enumerate(entries):
            if entry.objective is not None and entry.objective not in known:
                sub = (field, index, "objective")
                problems.append(_problem(where, "part", part.id, sub, unknown(entry.objective)))
    for part in content.chapter.parts_of(ExercisePart):
        for index, step in enumerate(part.steps):
            if step.answer not in activities:
                message = (
                    f"step {index + 1} answer {step.answer!r} is not a value chain activity objective"
                    f" (one of: {', '.join(activities)})"
                )
                problems.append(_problem(where, "part", part.id, ("steps", index, "answer"), message))
    for blueprint in content.blueprints:
        for ident in blueprint.per_objective:
            if ident not in known:
                sub = ("per_objective", ident)
                problems.append(_problem(where, "blueprint", blueprint.id, sub, unknown(ident)))
    return problems


def _review_card_parts(content: CourseContent) -> list[tuple]:
    """(part, field, entries) of the flashcards and key terms, which may name an objective each."""
    flashcards = [(part, "cards", part.cards) for part in content.chapter.parts_of(FlashcardsPart)]
    return flashcards + [(part, "terms", part.terms) for part in content.chapter.parts_of(KeyTermsPart)]


def _item_pools(content: CourseContent, where: Provenance) -> list[ContentProblem]:
    """Bank items teach through every option, and only chapter quizzes may ship in SCORM packages."""
    problems = []
    for item in content.items:
        if item.pool is Pool.chapter:
            message = "bank items use pool open or mock; chapter is for the chapter's quizzes"
            problems.append(_problem(where, "item", item.id, ("pool",), message))
        for index, option in enumerate(item.options):
            if not option.rationale:
                message = f"option {'abcd'[index]} needs a rationale: bank items explain every option"
                problems.append(_problem(where, "item", item.id, ("options", index, "rationale"), message))
    for part in content.chapter.parts_of(QuizPart):
        if part.item.pool is not Pool.chapter:
            message = "a chapter quiz item uses pool chapter (it ships inside SCORM packages)"
            problems.append(_problem(where, "item", part.item.id, ("pool",), message))
    return problems


def _blueprints(content: CourseContent, where: Provenance) -> list[ContentProblem]:
    problems = []
    for blueprint in content.blueprints:
        if blueprint.items:
            problems += _fixed_items(blueprint, content.all_items(), where)
        else:
            known = {o.id for o in content.objectives}
            problems += _draw_satisfiable(blueprint, content.all_items(), known, where)
    return problems


def _fixed_items(blueprint: AssessmentPlan, items: list[Item], where: Provenance) -> list[ContentProblem]:
    pools_by_id: dict[str, set[Pool]] = {}
    for item in items:
        pools_by_id.setdefault(item.id, set()).add(item.pool)
    problems = []
    for index, ident in enumerate(blueprint.items):
        sub = ("items", index)
        if ident not in pools_by_id:
            problems.append(_problem(where, "blueprint", blueprint.id, sub, f"unknown item {ident!r}"))
        elif not pools_by_id[ident] & set(blueprint.pools):
            allowed = ", ".join(p.value for p in blueprint.pools)
            found = ", ".join(sorted(p.value for p in pools_by_id[ident]))
            message = f"item {ident!r} is in pool {found}, not in the blueprint's pools ({allowed})"
            problems.append(_problem(where, "blueprint", blueprint.id, sub, message))
    return problems


def _draw_satisfiable(
    blueprint: AssessmentPlan, items: list[Item], objectives: set[str], where: Provenance
) -> list[ContentProblem]:
    """Enough items per objective in the blueprint's pools (unknown objectives are reported elsewhere)."""
    available = Counter(item.objective for item in items if item.pool in blueprint.pools)
    known = {item.objective for item in items} | set(objectives)
    pools = "/".join(p.value for p in blueprint.pools)
    return [
        _problem(
            where,
            "blueprint",
            blueprint.id,
            ("per_objective", objective),
            f"needs {needed} items but the bank has {available[objective]} in pool {pools}",
        )
        for objective, needed in blueprint.per_objective.items()
        if available[objective] < needed and objective in known
    ]


def _review_card_keys(content: CourseContent, where: Provenance) -> list[ContentProblem]:
    """Two flashcards (or key terms) of a part whose texts slug alike would share one learner schedule."""
    problems = []
    for part, field, entries in _review_card_parts(content):
        seen: dict[str, int] = {}
        for index, entry in enumerate(entries):
            key = slug(entry.front if field == "cards" else entry.term)
            if key in seen:
                message = f"reads as {key!r} like entry {seen[key] + 1}: the spaced review tells them apart"
                problems.append(_problem(where, "part", part.id, (field, index), message))
            seen.setdefault(key, index)
    return problems
