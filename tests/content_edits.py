"""Editing a copy of the real course content, and reading the problems the loader reports.

Shared by the content loader tests (test_content_*.py): each copies `content/`, breaks one thing with
`edit` (which insists the text it replaces occurs exactly once, so a content change cannot make a
test edit the wrong place silently), and checks where `problems_of` says the problem is.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from courseware import ContentError, ContentProblem, load_content

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
