"""Bad content within one file is reported with the file, line, field and a message an author can act on."""

from __future__ import annotations

import pytest

import courseware

from .content_edits import (
    PLAN_01_DIFFICULTY,
    PLAN_01_ENGAGE,
    PLAN_01_LAST_OPTION,
    PLAN_01_STEM,
    copy_content,
    edit,
    line_of,
    problem_with_field,
    problems_of,
)

# --- bad content within one file: file, line, field, message ---------------------------------

# (case id, file, old text, new text, line marker(s) in the edited file, field, message fragment).
# The expected line is where the marker starts; a (first, last) pair of markers allows that range.
SINGLE_FILE_CASES = [
    (
        "invalid-yaml-syntax",
        "items/plan.yaml",
        PLAN_01_ENGAGE,
        PLAN_01_ENGAGE.replace("text: Engage", "text: Engage: oops"),
        "text: Engage: oops",
        "",
        "invalid YAML",
    ),
    (
        "unknown-field-item-stme",
        "items/plan.yaml",
        PLAN_01_STEM,
        PLAN_01_STEM.replace("stem:", "stme:"),
        "    stme: >-",
        "items[0].stme",
        "unknown field",
    ),
    (
        "unknown-field-objective",
        "objectives.yaml",
        "    title: Plan\n",
        "    titel: Plan\n",
        "    titel: Plan",
        "objectives[0].titel",
        "unknown field",
    ),
    (
        "unknown-field-lesson-card",
        "chapter.yaml",
        "      - title: SVS vs SVC\n        body: >-\n",
        "      - title: SVS vs SVC\n        bdy: >-\n",
        "        bdy: >-",
        "parts[0].cards[0].bdy",
        "unknown field",
    ),
    (
        "unknown-field-course",
        "course.yaml",
        "\nsubtitle: >-\n",
        "\nsubtitel: >-\n",
        "subtitel: >-",
        "subtitel",
        "unknown field",
    ),
    (
        "unknown-top-level-key-blueprints",
        "blueprints.yaml",
        "\nblueprints:\n",
        "\nblueprint_notes: draft\nblueprints:\n",
        "blueprint_notes: draft",
        "blueprint_notes",
        "unknown field",
    ),
    (
        "unknown-top-level-key-items",
        "items/plan.yaml",
        "\nitems:\n",
        "\nitem_notes: draft\nitems:\n",
        "item_notes: draft",
        "item_notes",
        "unknown field",
    ),
    (
        "unknown-top-level-key-chapter",
        "chapter.yaml",
        "\nparts:\n",
        "\npart_notes: draft\nparts:\n",
        "part_notes: draft",
        "part_notes",
        "unknown field",
    ),
    (
        "unknown-top-level-key-objectives",
        "objectives.yaml",
        "\nobjectives:\n",
        "\nobjective_notes: draft\nobjectives:\n",
        "objective_notes: draft",
        "objective_notes",
        "unknown field",
    ),
    (
        "duplicate-yaml-key",
        "items/plan.yaml",
        PLAN_01_DIFFICULTY,
        PLAN_01_DIFFICULTY.replace("difficulty: 1\n", "difficulty: 1\n    difficulty: 2\n"),
        "    difficulty: 2\n" + PLAN_01_STEM,
        "items[0].difficulty",
        "duplicate key",
    ),
    (
        "two-options-correct",
        "items/plan.yaml",
        PLAN_01_ENGAGE,
        PLAN_01_ENGAGE.replace("text: Engage\n", "text: Engage\n        correct: true\n"),
        ("    options:\n      - text: Engage\n        correct", "      - text: Engage\n        correct"),
        "items[0].options",
        "exactly one option must be correct, found 2",
    ),
    (
        "no-option-correct",
        "items/plan.yaml",
        '      - text: Plan\n        correct: true\n        rationale: >-\n          "Portfolio"',
        '      - text: Plan\n        rationale: >-\n          "Portfolio"',
        (
            "    options:\n      - text: Engage\n        rationale: >-\n          Engage is about",
            PLAN_01_ENGAGE,
        ),
        "items[0].options",
        "exactly one option must be correct, found 0",
    ),
    (
        "three-options",
        "items/plan.yaml",
        PLAN_01_LAST_OPTION,
        "",
        (
            "    options:\n      - text: Engage\n        rationale: >-\n          Engage is about",
            PLAN_01_ENGAGE,
        ),
        "items[0].options",
        "exactly 4 options, found 3",
    ),
    (
        "five-options",
        "items/plan.yaml",
        PLAN_01_LAST_OPTION,
        PLAN_01_LAST_OPTION + "      - text: Obtain/build\n        rationale: Not this one.\n",
        (
            "    options:\n      - text: Engage\n        rationale: >-\n          Engage is about",
            PLAN_01_ENGAGE,
        ),
        "items[0].options",
        "exactly 4 options, found 5",
    ),
    (
        "blank-stem",
        "items/plan.yaml",
        PLAN_01_STEM,
        '    stem: "   "\n',
        '    stem: "   "',
        "items[0].stem",
        "at least 1 character",
    ),
    (
        "missing-stem-value",
        "items/plan.yaml",
        PLAN_01_STEM,
        "    stem:\n",
        "    stem:\n",
        "items[0].stem",
        "valid string",
    ),
    (
        "empty-option-text",
        "items/plan.yaml",
        PLAN_01_ENGAGE,
        PLAN_01_ENGAGE.replace("text: Engage", 'text: ""'),
        '      - text: ""',
        "items[0].options[0].text",
        "at least 1 character",
    ),
    (
        "empty-objective-title",
        "objectives.yaml",
        "    title: Plan\n",
        '    title: ""\n',
        '    title: ""',
        "objectives[0].title",
        "at least 1 character",
    ),
    (
        "difficulty-too-high",
        "items/plan.yaml",
        PLAN_01_DIFFICULTY,
        PLAN_01_DIFFICULTY.replace("difficulty: 1", "difficulty: 4"),
        "    difficulty: 4",
        "items[0].difficulty",
        "less than or equal to 3",
    ),
    (
        "difficulty-too-low",
        "items/plan.yaml",
        PLAN_01_DIFFICULTY,
        PLAN_01_DIFFICULTY.replace("difficulty: 1", "difficulty: 0"),
        "    difficulty: 0",
        "items[0].difficulty",
        "greater than or equal to 1",
    ),
    (
        "which-two-without-statements",
        "items/deliver-and-support.yaml",
        (
            "    statements:\n"
            "      - It includes handling incidents and service requests in live environments.\n"
            "      - It includes operating systems, monitoring, and routine operational tasks.\n"
            "      - It is mainly about redesigning processes and tools to prevent future incidents.\n"
            "      - It is mainly about informing users about outages and managing their expectations.\n"
        ),
        "",
        "  - id: deliver-and-support-02\n",
        "items[1]",
        "a which-two item lists at least 3 statements",
    ),
    (
        "statements-on-standard-item",
        "items/plan.yaml",
        PLAN_01_DIFFICULTY,
        PLAN_01_DIFFICULTY.replace("difficulty: 1\n", "difficulty: 1\n    statements: [One, Two, Three]\n"),
        "  - id: plan-01\n",
        "items[0]",
        "statements are only for which-two items",
    ),
    (
        "unknown-pool-in-blueprint",
        "blueprints.yaml",
        "    pools: [mock]\n",
        "    pools: [mocks]\n",
        "    pools: [mocks]",
        "blueprints[1].pools[0]",
        "'open', 'mock' or 'chapter'",
    ),
    (
        "blueprint-with-per-objective-and-items",
        "blueprints.yaml",
        "    pools: [open]\n",
        "    pools: [open]\n    items: [quiz-1]\n",
        "  - id: diagnostic\n",
        "blueprints[0]",
        "give either per_objective counts (a draw) or a fixed items list, not both",
    ),
    (
        "lesson-without-cards",
        "chapter.yaml",
        "    cards:\n      - title: SVS vs SVC\n        body: >-\n",
        "    cards: []\n    old_cards:\n      - title: SVS vs SVC\n        body: >-\n",
        "    cards: []",
        "parts[0].cards",
        "at least 1 item",
    ),
    (
        "unknown-part-kind",
        "chapter.yaml",
        "  - kind: lesson\n    id: svs-vs-svc\n",
        "  - kind: lessons\n    id: svs-vs-svc\n",
        "  - kind: lessons",
        "parts[0]",
        "'lessons'",
    ),
]


@pytest.mark.parametrize(
    ("name", "old", "new", "marker", "field", "message"),
    [case[1:] for case in SINGLE_FILE_CASES],
    ids=[case[0] for case in SINGLE_FILE_CASES],
)
def test_bad_content_in_one_file_is_reported_precisely(tmp_path, name, old, new, marker, field, message):
    root = copy_content(tmp_path)
    edit(root, name, old, new)
    problems = problems_of(root)
    problem = problem_with_field(problems, field)
    assert problem.location.file == name
    if isinstance(marker, tuple):
        first, last = (line_of(root, name, m) for m in marker)
        assert first <= problem.location.line <= last, str(problem)
    else:
        assert problem.location.line == line_of(root, name, marker), str(problem)
    assert message in problem.message
    assert all(p.location.file == name for p in problems), "\n".join(map(str, problems))


def test_invalid_yaml_reports_only_that_file(tmp_path):
    root = copy_content(tmp_path)
    edit(root, "blueprints.yaml", "    items: [quiz-1, quiz-2]\n", "    items: [quiz-1, quiz-2\n")
    (problem,) = problems_of(root)
    assert problem.location.file == "blueprints.yaml"
    assert problem.location.line is not None
    assert problem.location.line >= line_of(root, "blueprints.yaml", "    items: [quiz-1, quiz-2\n")
    assert problem.message.startswith("invalid YAML")


def test_unknown_field_also_reports_the_field_it_replaced(tmp_path):
    root = copy_content(tmp_path)
    edit(root, "items/plan.yaml", PLAN_01_STEM, PLAN_01_STEM.replace("stem:", "stme:"))
    missing = problem_with_field(problems_of(root), "items[0].stem")
    assert missing.location == courseware.Location(
        "items/plan.yaml", line_of(root, "items/plan.yaml", "  - id: plan-01")
    )
    assert "Field required" in missing.message


def test_quiz_part_marked_as_lesson_is_reported(tmp_path):
    root = copy_content(tmp_path)
    edit(root, "chapter.yaml", "  - kind: quiz\n    id: quiz-1\n", "  - kind: lesson\n    id: quiz-1\n")
    problems = problems_of(root)
    cards = problem_with_field(problems, "parts[9].cards")
    assert cards.location.line == line_of(root, "chapter.yaml", "  - kind: lesson\n    id: quiz-1\n")
    assert "Field required" in cards.message
    item = problem_with_field(problems, "parts[9].item")
    assert item.location.line == line_of(root, "chapter.yaml", "    item:\n      id: quiz-1\n") + 1
    assert "unknown field" in item.message
