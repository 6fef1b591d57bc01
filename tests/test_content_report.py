"""Every content problem is reported, in several files at once, sorted, as `file:line: field: message`."""

from __future__ import annotations

from pathlib import Path

import pytest

from courseware import ContentError, load_content

from .content_edits import PLAN_01_DIFFICULTY, PLAN_01_STEM, copy_content, edit, line_of, problems_of

# --- every problem is reported, readably ----------------------------------------------------


def make_structural_problems(root: Path) -> None:
    """Four files broken in four ways, plus a missing file."""
    edit(root, "items/plan.yaml", PLAN_01_STEM, PLAN_01_STEM.replace("stem:", "stme:"))
    edit(
        root,
        "items/improve.yaml",
        "  - id: improve-01\n    objective: improve\n",
        "  - id: improve-01\n    objective: improve\n    objective: plan\n",
    )
    edit(root, "objectives.yaml", "    title: Plan\n", '    title: "   "\n')
    edit(
        root,
        "chapter.yaml",
        "  - kind: lesson\n    id: svs-vs-svc\n",
        "  - kind: lessons\n    id: svs-vs-svc\n",
    )
    (root / "blueprints.yaml").unlink()


def test_several_problems_in_several_files_are_all_reported(tmp_path):
    root = copy_content(tmp_path)
    make_structural_problems(root)
    found = {(p.location.file, p.location.line, p.field) for p in problems_of(root)}
    expected = {
        ("items/plan.yaml", line_of(root, "items/plan.yaml", "  - id: plan-01\n"), "items[0].stem"),
        ("items/plan.yaml", line_of(root, "items/plan.yaml", "    stme:"), "items[0].stme"),
        (
            "items/improve.yaml",
            line_of(root, "items/improve.yaml", "    objective: plan\n"),
            "items[0].objective",
        ),
        ("objectives.yaml", line_of(root, "objectives.yaml", '    title: "   "'), "objectives[0].title"),
        ("chapter.yaml", line_of(root, "chapter.yaml", "  - kind: lessons"), "parts[0]"),
        ("blueprints.yaml", None, ""),
    }
    assert found == expected


def test_several_cross_file_problems_are_all_reported(tmp_path):
    root = copy_content(tmp_path)
    edit(root, "blueprints.yaml", "    items: [quiz-1, quiz-2]\n", "    items: [quiz-1, quiz-3]\n")
    edit(
        root,
        "items/plan.yaml",
        "  - id: plan-01\n    objective: plan\n    pool: open\n",
        "  - id: plan-01\n    objective: plan\n    pool: chapter\n",
    )
    edit(
        root,
        "items/improve.yaml",
        "  - id: improve-01\n    objective: improve\n",
        "  - id: improve-01\n    objective: improving\n",
    )
    edit(root, "chapter.yaml", "        answer: plan\n", "        answer: value-streams\n")
    found = {(p.location.file, p.location.line, p.field) for p in problems_of(root)}
    assert found == {
        ("blueprints.yaml", line_of(root, "blueprints.yaml", "    items: [quiz-1"), "blueprints[2].items[1]"),
        ("items/plan.yaml", line_of(root, "items/plan.yaml", "    pool: chapter"), "items[0].pool"),
        (
            "items/improve.yaml",
            line_of(root, "items/improve.yaml", "objective: improving"),
            "items[0].objective",
        ),
        ("chapter.yaml", line_of(root, "chapter.yaml", "answer: value-streams"), "parts[8].steps[0].answer"),
    }


def test_problems_are_sorted_by_file_and_line(tmp_path):
    root = copy_content(tmp_path)
    make_structural_problems(root)
    keys = [(p.location.file, p.location.line or 0) for p in problems_of(root)]
    assert keys == sorted(keys)


def test_error_message_lists_every_problem_as_file_line_field_message(tmp_path):
    root = copy_content(tmp_path)
    make_structural_problems(root)
    with pytest.raises(ContentError) as caught:
        load_content(root)
    error = caught.value
    assert str(error) == error.summary()
    lines = error.summary().splitlines()
    assert lines[0] == f"{len(error.problems)} problems in the course content:"
    assert len(lines) == 1 + len(error.problems)
    stme = line_of(root, "items/plan.yaml", "    stme:")
    title = line_of(root, "objectives.yaml", '    title: "   "')
    assert f"  items/plan.yaml:{stme}: items[0].stme: unknown field (check its spelling)" in lines
    assert f"  objectives.yaml:{title}: objectives[0].title: String should have at least 1 character" in lines
    assert "  blueprints.yaml: file not found" in lines
    for problem, line in zip(error.problems, lines[1:], strict=True):
        where = problem.location.file + (f":{problem.location.line}" if problem.location.line else "")
        field = f"{problem.field}: " if problem.field else ""
        assert line == f"  {where}: {field}{problem.message}"


def test_error_message_for_a_single_problem(tmp_path):
    root = copy_content(tmp_path)
    edit(
        root,
        "items/plan.yaml",
        PLAN_01_DIFFICULTY,
        PLAN_01_DIFFICULTY.replace("difficulty: 1", "difficulty: 4"),
    )
    with pytest.raises(ContentError) as caught:
        load_content(root)
    line = line_of(root, "items/plan.yaml", "    difficulty: 4")
    assert str(caught.value) == (
        "1 problem in the course content:\n"
        f"  items/plan.yaml:{line}: items[0].difficulty: Input should be less than or equal to 3"
    )
