"""The content loader and validator: the real course loads, and each kind of bad content is reported
with the file, line, field and a message an author can act on. Nothing is built from invalid content."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

import courseware
from courseware import ContentError, ContentProblem, load_content
from courseware.model import Item, Pool, QuizPart
from scorm_builder.cli import main as cli

CONTENT = Path(__file__).resolve().parents[1] / "content"
TOP_FILES = ["course.yaml", "objectives.yaml", "chapter.yaml", "blueprints.yaml"]

# Texts of the first item in items/plan.yaml (plan-01), used by several corruptions.
PLAN_01_STEM = (
    "    stem: >-\n"
    "      The leadership of a college IT department agrees its service portfolio, sets\n"
    "      organization-wide priorities for the coming year, and allocates the budget. Which service\n"
    "      value chain activity is MOST directly involved?\n"
)
PLAN_01_ENGAGE = "      - text: Engage\n        rationale: >-\n          Engage is about understanding"
PLAN_01_ENGAGE_RATIONALE = (
    "      - text: Engage\n"
    "        rationale: >-\n"
    "          Engage is about understanding stakeholder needs, maintaining transparency, and managing\n"
    "          relationships and interactions. The scenario is about setting direction for the whole\n"
    "          organization, not about interacting with stakeholders.\n"
)
PLAN_01_LAST_OPTION = (
    "      - text: Design and transition\n"
    "        rationale: >-\n"
    "          Design and transition makes sure that new or changed products and services meet\n"
    "          expectations for quality, costs, and time to market before going live. No specific\n"
    "          service is being designed here.\n"
)
PLAN_01_DIFFICULTY = "    difficulty: 1\n" + PLAN_01_STEM


# --- helpers -------------------------------------------------------------------------------


def copy_content(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(CONTENT, target)
    return target


def edit(root: Path, name: str, old: str, new: str) -> None:
    """Replace the single occurrence of `old` in root/name by `new`."""
    path = root / name
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def line_of(root: Path, name: str, needle: str) -> int:
    """The 1-based line where the single occurrence of `needle` starts in root/name (as it is now)."""
    text = (root / name).read_text(encoding="utf-8")
    assert text.count(needle) == 1, f"{needle!r} occurs {text.count(needle)} times in {name}"
    return text[: text.index(needle)].count("\n") + 1


def problems_of(root: Path) -> list[ContentProblem]:
    with pytest.raises(ContentError) as caught:
        load_content(root)
    assert caught.value.problems, "a ContentError must carry at least one problem"
    return caught.value.problems


def problem_with_field(problems: list[ContentProblem], field: str) -> ContentProblem:
    matching = [p for p in problems if p.field == field]
    listing = "\n".join(map(str, problems))
    assert len(matching) == 1, f"expected one problem on field {field!r}, got:\n{listing}"
    return matching[0]


# --- the real content ----------------------------------------------------------------------


def test_real_content_loads():
    content = load_content(CONTENT)
    assert isinstance(content, courseware.CourseContent)
    assert len(content.items) == 48
    assert len(content.objectives) == 9
    knowledge_check = content.blueprint("knowledge-check")
    assert knowledge_check.kind == "knowledge_check"
    assert knowledge_check.items == [part.item.id for part in content.chapter.parts_of(QuizPart)]


def test_real_content_loads_from_a_string_path():
    assert load_content(str(CONTENT)).course.chapter_number == 14


def test_real_content_has_chapter_quizzes_and_bank_items_apart():
    content = load_content(CONTENT)
    assert all(isinstance(item, Item) and item.pool is Pool.chapter for item in content.chapter_items)
    assert all(item.pool in (Pool.open, Pool.mock) for item in content.items)
    assert len(content.all_items()) == len(content.items) + len(content.chapter_items)


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


# --- whole files missing, empty or unreadable ------------------------------------------------


@pytest.mark.parametrize("name", TOP_FILES)
def test_missing_required_file(tmp_path, name):
    root = copy_content(tmp_path)
    (root / name).unlink()
    (problem,) = problems_of(root)
    assert problem.location == courseware.Location(name)
    assert problem.message == "file not found"
    assert f"  {name}: file not found" in str(ContentError([problem]))


def test_missing_item_bank(tmp_path):
    root = copy_content(tmp_path)
    shutil.rmtree(root / "items")
    (problem,) = problems_of(root)
    assert problem.location.file == "items/"
    assert "no item bank files" in problem.message


@pytest.mark.parametrize("text", ["", "\n", "# only a comment\n"], ids=["empty", "newline", "comment"])
@pytest.mark.parametrize("name", [*TOP_FILES, "items/plan.yaml"])
def test_empty_file(tmp_path, name, text):
    root = copy_content(tmp_path)
    (root / name).write_text(text, encoding="utf-8")
    (problem,) = problems_of(root)
    assert problem.location.file == name
    assert problem.message == "file is empty"


def test_file_that_is_not_utf8(tmp_path):
    root = copy_content(tmp_path)
    (root / "course.yaml").write_bytes("title: Caf\u00e9\n".encode("latin-1"))
    (problem,) = problems_of(root)
    assert problem.location.file == "course.yaml"
    assert "not UTF-8" in problem.message


def test_nonexistent_directory(tmp_path):
    missing = tmp_path / "no-such-content"
    problems = problems_of(missing)
    assert len(problems) == 1
    assert str(missing) in str(problems[0])
    assert "not found" in problems[0].message


def test_file_instead_of_directory(tmp_path):
    path = tmp_path / "content.yaml"
    path.write_text("course: {}\n", encoding="utf-8")
    (problem,) = problems_of(path)
    assert "not found" in problem.message


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


# --- the CLI writes nothing from invalid content ---------------------------------------------


def test_cli_build_writes_nothing_when_content_is_invalid(tmp_path):
    root = copy_content(tmp_path)
    edit(root, "items/plan.yaml", PLAN_01_STEM, PLAN_01_STEM.replace("stem:", "stme:"))
    out = tmp_path / "dist"
    result = CliRunner().invoke(cli, ["build", str(root), "-o", str(out)])
    assert result.exit_code != 0
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "items/plan.yaml" in result.output
    assert "items[0].stme" in result.output
    assert "Nothing was written" in result.output
    assert not out.exists() or not any(out.iterdir())


def test_cli_build_of_a_missing_directory_fails(tmp_path):
    out = tmp_path / "dist"
    result = CliRunner().invoke(cli, ["build", str(tmp_path / "nowhere"), "-o", str(out)])
    assert result.exit_code != 0
    assert "Nothing was written" in result.output
    assert not out.exists() or not any(out.iterdir())


def test_cli_build_writes_the_zips(tmp_path):
    out = tmp_path / "dist"
    result = CliRunner().invoke(cli, ["build", str(CONTENT), "-o", str(out)])
    assert result.exit_code == 0, result.output
    printed = [Path(line) for line in result.stdout.splitlines() if line.strip()]
    assert len(printed) >= 2
    assert sorted(printed) == sorted(out.glob("*.zip"))
    for path in printed:
        assert path.suffix == ".zip"
        with zipfile.ZipFile(path) as archive:
            assert "imsmanifest.xml" in archive.namelist()
