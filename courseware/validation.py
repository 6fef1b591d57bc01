"""Rules that span files: ids, references between content, and blueprints the bank can satisfy."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from courseware.errors import ContentProblem, Location
from courseware.model import (
    Blueprint,
    CourseContent,
    ExercisePart,
    Item,
    LessonPart,
    ObjectiveKind,
    Pool,
    QuizPart,
)

Locate = Callable[[str, str], Location]


def validate_content(content: CourseContent, locate: Locate | None = None) -> list[ContentProblem]:
    """Every cross-reference problem in the course; an empty list means the content is sound."""
    locate = locate or (lambda kind, ident: Location(""))
    checks = (_unique_ids, _objective_references, _item_pools, _blueprints)
    return [problem for check in checks for problem in check(content, locate)]


def _unique_ids(content: CourseContent, locate: Locate) -> list[ContentProblem]:
    groups = {
        "objective": [o.id for o in content.objectives],
        "part": [p.id for p in content.chapter.parts],
        "item": [i.id for i in content.all_items()],
        "blueprint": [b.id for b in content.blueprints],
    }
    return [
        ContentProblem(locate(kind, ident), "id", f"duplicate {kind} id {ident!r} (ids must be unique)")
        for kind, ids in groups.items()
        for ident, count in Counter(ids).items()
        if count > 1
    ]


def _objective_references(content: CourseContent, locate: Locate) -> list[ContentProblem]:
    known = {o.id for o in content.objectives}
    activities = {o.id for o in content.objectives if o.kind is ObjectiveKind.activity}
    problems = []

    def unknown(where: Location, field: str, ident: str) -> None:
        problems.append(
            ContentProblem(where, field, f"unknown objective {ident!r} (known: {', '.join(sorted(known))})")
        )

    for item in content.all_items():
        if item.objective not in known:
            unknown(locate("item", item.id), "objective", item.objective)
    for part in content.chapter.parts_of(LessonPart):
        for ident in part.objectives:
            if ident not in known:
                unknown(locate("part", part.id), "objectives", ident)
    for part in content.chapter.parts_of(ExercisePart):
        for number, step in enumerate(part.steps, start=1):
            if step.answer not in activities:
                message = f"step {number} answer {step.answer!r} is not a value chain activity objective"
                problems.append(ContentProblem(locate("part", part.id), "steps", message))
    for blueprint in content.blueprints:
        for ident in blueprint.per_objective:
            if ident not in known:
                unknown(locate("blueprint", blueprint.id), "per_objective", ident)
    return problems


def _item_pools(content: CourseContent, locate: Locate) -> list[ContentProblem]:
    """Bank items teach through every option, and only chapter quizzes may ship in SCORM packages."""
    problems = []
    for item in content.items:
        where = locate("item", item.id)
        if item.pool is Pool.chapter:
            problems.append(ContentProblem(where, "pool", "bank items use pool open or mock, not chapter"))
        missing = [
            letter for letter, option in zip("abcd", item.options, strict=False) if not option.rationale
        ]
        if missing:
            message = f"every bank item option needs a rationale; missing for option(s) {', '.join(missing)}"
            problems.append(ContentProblem(where, "options", message))
    for part in content.chapter.parts_of(QuizPart):
        if part.item.pool is not Pool.chapter:
            message = "a chapter quiz item uses pool chapter (it ships inside SCORM packages)"
            problems.append(ContentProblem(locate("item", part.item.id), "pool", message))
    return problems


def _blueprints(content: CourseContent, locate: Locate) -> list[ContentProblem]:
    items_by_id = {item.id: item for item in content.all_items()}
    problems = []
    for blueprint in content.blueprints:
        where = locate("blueprint", blueprint.id)
        if blueprint.items:
            problems += _fixed_items(blueprint, items_by_id, where)
        else:
            problems += _draw_satisfiable(blueprint, content.all_items(), where)
    return problems


def _fixed_items(blueprint: Blueprint, items_by_id: dict[str, Item], where: Location) -> list[ContentProblem]:
    problems = []
    for ident in blueprint.items:
        item = items_by_id.get(ident)
        if item is None:
            problems.append(ContentProblem(where, "items", f"unknown item {ident!r}"))
        elif item.pool not in blueprint.pools:
            message = (
                f"item {ident!r} is in pool {item.pool.value}, not in {[p.value for p in blueprint.pools]}"
            )
            problems.append(ContentProblem(where, "items", message))
    return problems


def _draw_satisfiable(blueprint: Blueprint, items: list[Item], where: Location) -> list[ContentProblem]:
    available = Counter(item.objective for item in items if item.pool in blueprint.pools)
    pools = "/".join(p.value for p in blueprint.pools)
    return [
        ContentProblem(
            where,
            f"per_objective.{objective}",
            f"needs {needed} items but the bank has {available[objective]} in pool {pools}",
        )
        for objective, needed in blueprint.per_objective.items()
        if available[objective] < needed
    ]
