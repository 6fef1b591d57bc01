"""The content loader: the real course loads; a missing, empty or unreadable file or folder is reported
by name; the CLI builds nothing from invalid content. Bad content inside files is in
test_content_single_file.py and test_content_cross_file.py, the error report in test_content_report.py."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

import courseware
from courseware import ContentError, load_content
from courseware.model import Item, Pool, QuizPart
from scorm_builder.cli import main as cli

from .content_edits import CONTENT, PLAN_01_STEM, TOP_FILES, copy_content, edit, problems_of

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
