"""Cross-file rules (ids, references, pools, blueprints): a problem is reported at the entity that holds
the bad value, and a duplicate id names both places."""

from __future__ import annotations

import pytest

from .content_edits import PLAN_01_ENGAGE_RATIONALE, copy_content, edit, line_of, problems_of

# --- cross-file rules: ids, references, pools, blueprints ------------------------------------


# (case id, file, old, new, first line marker (the entity), last line marker (the bad value), field, message)
def _field_ends_with(full: str, field: str) -> bool:
    """Cross-file problems name the full YAML path (items[0].objective); cases give its last part."""
    return full == field or full.endswith(f".{field}") or any(f".{field}{c}" in full for c in ".[")


CROSS_FILE_CASES = [
    (
        "unknown-objective-in-item",
        "items/improve.yaml",
        "  - id: improve-01\n    objective: improve\n",
        "  - id: improve-01\n    objective: improving\n",
        "  - id: improve-01\n",
        "    objective: improving\n",
        "objective",
        "unknown objective 'improving' (known: continual-improvement, deliver-and-support",
    ),
    (
        "unknown-objective-in-chapter-quiz",
        "chapter.yaml",
        "      id: quiz-2\n      objective: value-streams\n",
        "      id: quiz-2\n      objective: value-stream\n",
        "    item:\n      id: quiz-2\n",
        "      objective: value-stream\n",
        "objective",
        "unknown objective 'value-stream'",
    ),
    (
        "unknown-objective-in-lesson",
        "chapter.yaml",
        "    objectives: [svs-vs-svc, continual-improvement]\n",
        "    objectives: [svs-vs-svc, continual-improvment]\n",
        "  - kind: lesson\n    id: svs-vs-svc\n",
        "    objectives: [svs-vs-svc, continual-improvment]\n",
        "objectives",
        "unknown objective 'continual-improvment'",
    ),
    (
        "exercise-step-answer-is-a-concept",
        "chapter.yaml",
        "        answer: plan\n",
        "        answer: value-streams\n",
        "  - kind: exercise\n",
        "        answer: value-streams\n",
        "steps",
        "step 1 answer 'value-streams' is not a value chain activity objective",
    ),
    (
        "exercise-step-answer-is-unknown",
        "chapter.yaml",
        "        answer: improve\n",
        "        answer: improvement\n",
        "  - kind: exercise\n",
        "        answer: improvement\n",
        "steps",
        "step 6 answer 'improvement' is not a value chain activity objective",
    ),
    (
        "blueprint-needs-more-than-the-bank-has",
        "blueprints.yaml",
        "      plan: 2\n      improve: 2\n      engage: 2\n",
        "      plan: 7\n      improve: 2\n      engage: 2\n",
        "  - id: diagnostic\n",
        "      plan: 7\n",
        "per_objective.plan",
        "needs 7 items but the bank has 3 in pool open",
    ),
    (
        "blueprint-per-objective-unknown-objective",
        "blueprints.yaml",
        "      engage: 3\n",
        "      engagement: 3\n",
        "  - id: mock-exam\n",
        "      engagement: 3\n",
        "per_objective",
        "unknown objective 'engagement'",
    ),
    (
        "blueprint-fixed-unknown-item",
        "blueprints.yaml",
        "    items: [quiz-1, quiz-2]\n",
        "    items: [quiz-1, quiz-3]\n",
        "  - id: knowledge-check\n",
        "    items: [quiz-1, quiz-3]\n",
        "items",
        "unknown item 'quiz-3'",
    ),
    (
        "blueprint-fixed-item-from-another-pool",
        "blueprints.yaml",
        "    items: [quiz-1, quiz-2]\n",
        "    items: [quiz-1, plan-01]\n",
        "  - id: knowledge-check\n",
        "    items: [quiz-1, plan-01]\n",
        "items",
        "item 'plan-01' is in pool open, not in the blueprint's pools (chapter)",
    ),
    (
        "bank-item-missing-distractor-rationale",
        "items/plan.yaml",
        PLAN_01_ENGAGE_RATIONALE,
        "      - text: Engage\n",
        "  - id: plan-01\n",
        "      - text: Engage\n      - text: Plan\n",
        "options",
        "option a needs a rationale",
    ),
    (
        "bank-item-in-pool-chapter",
        "items/plan.yaml",
        "  - id: plan-01\n    objective: plan\n    pool: open\n",
        "  - id: plan-01\n    objective: plan\n    pool: chapter\n",
        "  - id: plan-01\n",
        "    pool: chapter\n",
        "pool",
        "bank items use pool open or mock",
    ),
    (
        "chapter-quiz-not-in-pool-chapter",
        "chapter.yaml",
        "      id: quiz-1\n      objective: improve\n      pool: chapter\n",
        "      id: quiz-1\n      objective: improve\n      pool: open\n",
        "    item:\n      id: quiz-1\n",
        "      pool: open\n",
        "pool",
        "a chapter quiz item uses pool chapter",
    ),
]


@pytest.mark.parametrize(
    ("name", "old", "new", "first", "last", "field", "message"),
    [case[1:] for case in CROSS_FILE_CASES],
    ids=[case[0] for case in CROSS_FILE_CASES],
)
def test_bad_reference_is_reported_at_its_entity(tmp_path, name, old, new, first, last, field, message):
    """Cross-file problems point at the item, part, objective or blueprint that holds the bad value."""
    root = copy_content(tmp_path)
    edit(root, name, old, new)
    matching = [p for p in problems_of(root) if _field_ends_with(p.field, field) and message in p.message]
    assert len(matching) == 1, "\n".join(map(str, problems_of(root)))
    (problem,) = matching
    assert problem.location.file == name
    assert line_of(root, name, first) <= problem.location.line <= line_of(root, name, last), str(problem)


@pytest.mark.parametrize(
    ("name", "old", "new", "other"),
    [
        ("items/improve.yaml", "  - id: improve-01\n", "  - id: plan-01\n", "items/plan.yaml"),
        ("items/improve.yaml", "  - id: improve-01\n", "  - id: quiz-1\n", "chapter.yaml"),
        ("objectives.yaml", "  - id: improve\n", "  - id: plan # was improve\n", "objectives.yaml:7"),
    ],
    ids=["bank-and-bank", "bank-and-chapter-quiz", "objective-and-objective"],
)
def test_duplicate_item_id_across_two_files_names_both(tmp_path, name, old, new, other):
    """An author must be told both places, or they cannot tell which one to rename."""
    root = copy_content(tmp_path)
    edit(root, name, old, new)
    ident = new.split("id: ")[1].split()[0]
    kind = "objective" if name == "objectives.yaml" else "item"
    problems = [p for p in problems_of(root) if f"duplicate {kind} id {ident!r}" in p.message]
    assert problems, "the duplicate id is not reported"
    assert all(_field_ends_with(p.field, "id") for p in problems)
    reported = "\n".join(map(str, problems))
    assert f"{name}:{line_of(root, name, new)}" in reported, reported
    assert other in reported, reported


def test_duplicate_item_id_within_one_file(tmp_path):
    root = copy_content(tmp_path)
    edit(root, "items/plan.yaml", "  - id: plan-02\n", "  - id: plan-01\n")
    problems = [p for p in problems_of(root) if "duplicate item id 'plan-01'" in p.message]
    assert len(problems) >= 1
    assert {p.location.file for p in problems} == {"items/plan.yaml"}
