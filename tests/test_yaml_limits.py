"""The builder on hostile content (issue 8, point 10): YAML bombs and bad output paths end in a clear
``file:line: message`` error and nothing written, never in a traceback or gigabytes of memory."""

from __future__ import annotations

import shutil
import time
import tracemalloc
from pathlib import Path

import pytest
from click.testing import CliRunner

from courseware import ContentError, load_content
from scorm_builder.cli import main

from .conftest import CONTENT_DIR

MIB = 1024 * 1024

BILLION_LAUGHS = (
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
    "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
    "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n"
)


def content_with(tmp_path: Path, name: str, text: str) -> Path:
    root = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, root)
    (root / name).write_text(text, encoding="utf-8")
    return root


def only_problem(root: Path) -> str:
    with pytest.raises(ContentError) as caught:
        load_content(root)
    (problem,) = caught.value.problems
    return str(problem)


def test_alias_bomb_is_refused_fast_in_little_memory(tmp_path: Path) -> None:
    """Only the bomb in the folder, so the time measured is the bomb's (the rest are "file not found")."""
    root = tmp_path / "content"
    root.mkdir()
    (root / "course.yaml").write_text(BILLION_LAUGHS, encoding="utf-8")
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(ContentError) as caught:
            load_content(root)
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert time.perf_counter() - started < 5
    assert peak < 64 * MIB, f"peak {peak / MIB:.0f} MiB"
    (problem,) = [str(p) for p in caught.value.problems if p.location.file == "course.yaml"]
    assert problem.startswith("course.yaml:"), problem
    line = int(problem.split(":")[1])
    assert 2 <= line <= 9
    assert "alias" in problem


def test_too_many_aliases_even_if_small(tmp_path: Path) -> None:
    text = "a: &a x\nb: [" + ", ".join(["*a"] * 1001) + "]\n"
    problem = only_problem(content_with(tmp_path, "course.yaml", text))
    assert problem.startswith("course.yaml:2: ") and "alias" in problem


@pytest.mark.parametrize("opening", ["[", "{a: ", "- "], ids=["flow-list", "flow-map", "block-list"])
def test_deep_nesting_is_refused(tmp_path: Path, opening: str) -> None:
    if opening == "- ":
        text = "- " * 5000 + "x\n"  # compact nested block sequences
    else:
        text = opening * 5000 + "x" + ("]" if opening == "[" else "}") * 5000 + "\n"
    problem = only_problem(content_with(tmp_path, "chapter.yaml", text))
    assert problem.startswith("chapter.yaml:"), problem
    assert "nested deeper than" in problem


def test_oversize_file_is_refused_before_parsing(tmp_path: Path) -> None:
    text = "title: x\n" + "# padding\n" * (300 * 1024)
    problem = only_problem(content_with(tmp_path, "course.yaml", text))
    assert problem.startswith("course.yaml: ") and "MiB" in problem


def test_complex_key_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    problems = []
    with pytest.raises(ContentError) as caught:
        load_content(content_with(tmp_path, "course.yaml", "? [a, b]\n: 1\n"))
    problems = caught.value.problems
    assert problems and all(p.location.file == "course.yaml" for p in problems)


def test_cli_build_on_a_bomb_writes_nothing(tmp_path: Path) -> None:
    root = content_with(tmp_path, "course.yaml", BILLION_LAUGHS)
    out = tmp_path / "dist"
    result = CliRunner().invoke(main, ["build", str(root), "-o", str(out)])
    assert result.exit_code == 1
    assert "course.yaml:" in result.output and "Nothing was written" in result.output
    assert "Traceback" not in result.output and not out.exists()


def test_output_below_a_file_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "somefile"
    blocker.write_text("not a folder")
    result = CliRunner().invoke(main, ["build", str(CONTENT_DIR), "-o", str(blocker / "dist"), "-q"])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert "somefile" in result.output and "not a folder" in result.output
    assert blocker.read_text() == "not a folder"
